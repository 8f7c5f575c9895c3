"""Test plumbing for the proxy: the image's own nginx.conf made runnable on the host, nginx
processes, stub upstreams and a tiny DNS server.

The main config under test is images/proxy/nginx.conf itself with only its absolute paths moved
into a scratch directory, so the tests cover the file the image ships, not a look-alike.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

IMAGE_DIR = Path(__file__).resolve().parents[1]
IMAGE_NGINX_CONF = IMAGE_DIR / "nginx.conf"
NGINX = os.environ.get("PROXY_TEST_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_version() -> tuple[int, int, int]:
    """Version of the host's nginx binary, e.g. (1, 22, 1)."""
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    assert match, f"cannot parse nginx -v output: {out!r}"
    return tuple(int(part) for part in match.groups())  # type: ignore[return-value]


def skip_unless_local_nginx_supports(version: tuple[int, int, int]) -> None:
    """Skip, naming both versions, when the host's nginx is older than what a config targets."""
    import pytest

    local = nginx_version()
    if version > local:
        pytest.skip(
            f"NOT TESTED: this config targets nginx >= {'.'.join(map(str, version))} but the local nginx is "
            f"{'.'.join(map(str, local))} (scripts/test-nginx-next runs these with a newer nginx)"
        )


#: nginx >= 1.25.1 warns about `listen ... http2`, which the 1.22 rendering must use
HTTP2_LISTEN_DEPRECATION = 'the "listen ... http2" directive is deprecated'


def config_warnings(nginx_stderr: str) -> list[str]:
    """The [warn] lines of an nginx -t run, minus the expected http2 deprecation."""
    return [line for line in nginx_stderr.splitlines() if "[warn]" in line and HTTP2_LISTEN_DEPRECATION not in line]


def world_readable_dir(prefix: str) -> Path:
    """A scratch dir nginx workers (nobody when the tests run as root) can traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def make_self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def main_config_for(workdir: Path) -> str:
    """images/proxy/nginx.conf with /tmp and /etc/nginx/site moved under workdir."""
    text = IMAGE_NGINX_CONF.read_text()
    replacements = {
        "pid /tmp/nginx.pid;": f"pid {workdir}/run/nginx.pid;",
        "include /etc/nginx/site/*.conf;": f"include {workdir}/site/*.conf;",
    }
    for old, new in replacements.items():
        assert old in text, f"images/proxy/nginx.conf no longer contains {old!r}; update the harness"
        text = text.replace(old, new)
    text, temp_paths = re.subn(r"(_temp_path) /tmp/", rf"\1 {workdir}/run/", text)
    assert temp_paths == 5, "expected five *_temp_path directives under /tmp in images/proxy/nginx.conf"
    assert "/tmp/" not in text.replace(str(workdir), ""), "a /tmp path in nginx.conf escaped the harness"
    return text


def write_config(site_text: str) -> Path:
    """A scratch prefix holding nginx.conf, site/site.conf and run/; returns the prefix."""
    workdir = world_readable_dir("proxytest-nginx-")
    try:
        (workdir / "site").mkdir()
        (workdir / "run").mkdir(mode=0o755)
        (workdir / "nginx.conf").write_text(main_config_for(workdir))
        (workdir / "site" / "site.conf").write_text(site_text)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return workdir


def nginx_test(site_text: str) -> subprocess.CompletedProcess:
    """`nginx -t` on the image's main config including site_text."""
    workdir = write_config(site_text)
    try:
        return subprocess.run(
            [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", "stderr", "-t"],
            capture_output=True,
            text=True,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class RunningNginx:
    workdir: Path
    process: subprocess.Popen
    log_path: Path

    @classmethod
    def start(cls, site_text: str, *, ports: list[int]) -> RunningNginx:
        workdir = write_config(site_text)
        log_path = workdir / "nginx.log"
        log = open(log_path, "wb")  # noqa: SIM115 - nginx writes to it for the whole life of the process
        process = subprocess.Popen(
            [NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-e", "stderr", "-g", "daemon off;"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        proxy = cls(workdir, process, log_path)
        deadline = time.monotonic() + 10
        while not all(_port_open(port) for port in ports):
            if process.poll() is not None or time.monotonic() > deadline:
                log_text = proxy.log()  # before stop() removes the scratch dir
                proxy.stop()
                raise RuntimeError(f"nginx did not start:\n{log_text}")
            time.sleep(0.05)
        return proxy

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def reload(self, site_text: str) -> None:
        """Write a new site and SIGHUP the master, as images/proxy/nginx-reload does in the container."""
        (self.workdir / "site" / "site.conf").write_text(site_text)
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --------------------------------------------------------------------------- stub upstreams


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StubUpstream:
    """An HTTP server on a loopback address that records requests and echoes them as JSON.

    Responses are padded past gzip_min_length and carry ``headers`` (e.g. the app's own security
    headers). GET /slow sleeps 2 s; a request with Upgrade is switched to a raw line echo after
    101, like a websocket would be.
    """

    name: str
    host: str = "127.0.0.1"
    port: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                stub.seen.append(SeenRequest(self.command, self.path, headers, body))
                if headers.get("upgrade", "").lower() == "websocket":
                    return self._switch_to_echo()
                if self.path == "/slow":
                    time.sleep(2)
                payload = json.dumps(
                    {
                        "upstream": stub.name,
                        "path": self.path,
                        "headers": headers,
                        "body_length": len(body),
                        "padding": "x" * 2048,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in stub.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _switch_to_echo(self) -> None:
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.end_headers()
                self.wfile.flush()
                line = self.rfile.readline()
                self.wfile.write(b"echo:" + line)
                self.wfile.flush()
                self.close_connection = True

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- tiny DNS server


class StubDns:
    """Answers A queries over UDP from a mutable name -> IPv4 table (TTL 1 s; "a,b" answers both); NXDOMAIN otherwise.

    Stands in for Docker's embedded DNS (127.0.0.11) so that the re-resolution of an alias
    whose container was replaced can be shown without Docker.
    """

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.queries: list[str] = []
        #: name -> seconds to wait before answering (a resolver that is slow for that name)
        self.delays: dict[str, float] = {}
        dns = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = dns.answer(data)
                if reply:
                    sock.sendto(reply, self.client_address)

        self.server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def answer(self, data: bytes) -> bytes | None:
        if len(data) < 12:
            return None
        (query_id,) = struct.unpack("!H", data[:2])
        labels, i = [], 12
        while i < len(data) and data[i]:
            labels.append(data[i + 1 : i + 1 + data[i]].decode())
            i += 1 + data[i]
        question_end = i + 5
        qtype, _qclass = struct.unpack("!HH", data[i + 1 : question_end])
        name = ".".join(labels).lower()
        self.queries.append(name)
        time.sleep(self.delays.get(name, 0))  # each query has its own thread: others are not held up
        question = data[12:question_end]
        address = self.records.get(name)
        if address is None:
            return struct.pack("!HHHHHH", query_id, 0x8183, 1, 0, 0, 0) + question
        if qtype != 1:  # only A records; other types get an empty NOERROR
            return struct.pack("!HHHHHH", query_id, 0x8180, 1, 0, 0, 0) + question
        addresses = address.split(",")  # "a,b": two containers share the alias (a create-first replacement)
        records = b"".join(struct.pack("!HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(a) for a in addresses)
        return struct.pack("!HHHHHH", query_id, 0x8180, 1, len(addresses), 0, 0) + question + records

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------- HTTP client helpers


class LoopbackHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 whatever the host name: the name is the SNI (and default Host), as a browser sends it."""

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def header_values(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    tls_ca: Path | None = None,
    sni: str = "localhost",
) -> Response:
    if tls_ca is not None:
        context = ssl.create_default_context(cafile=str(tls_ca))
        conn: http.client.HTTPConnection = LoopbackHTTPSConnection(sni, port, context=context, timeout=10)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, resp.headers, resp.read())
    finally:
        conn.close()
