"""Helpers for the stack scenarios: find the stack's containers on the engine, talk HTTP to them."""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import engine_api
from deploy import labelled

COMPONENT_LABEL = "dev.standard-stack.component"
SERVICE_LABEL = "dev.standard-stack.service"
ONE_SHOT_KINDS = {"api-migration", "postgres-rotation", "redis-rotation"}  # jobs that run once per deploy and exit


def containers(stack: str) -> list[dict]:
    """Inspect data of every container of the stack (running or not)."""
    return [engine_api.inspect("containers", c["Id"]) for c in labelled(stack, "containers")]


def service_containers(stack: str) -> dict[str, dict]:
    """Long-running service containers by instance name (one-shot loaders and jobs left out)."""
    out = {}
    for info in containers(stack):
        labels = info["Config"]["Labels"]
        if COMPONENT_LABEL not in labels or labels[COMPONENT_LABEL] in ONE_SHOT_KINDS:
            continue
        out[labels[SERVICE_LABEL]] = info
    return out


def api_swap_changes(release: str) -> set[str]:
    """What a deploy that only replaces the API touches: its build, its kept release image, the migration,
    the container and its files, and the proxy's site and in-place reload (the switch to the new container)."""
    return {"api-image", release, "api-migrate", "api", "api-secrets-files-loader", "proxy-site-files-loader", "proxy-reload"}


def proxy_upstream_errors(stack: str, limit: int = 20) -> list[str]:
    """nginx's error-log lines about upstreams (it logs to stderr): why a request through the proxy failed."""
    proxy = service_containers(stack)["proxy"]
    logs = subprocess.run([engine_api.DOCKER_CLI, "logs", proxy["Id"]], capture_output=True, text=True)
    return [line for line in logs.stderr.splitlines() if "upstream" in line][-limit:]


def web_api_retries(stack: str) -> list[str]:
    """The web app's log lines for a GET to the API sent again after a closed connection (images/web/src/lib/api.ts)."""
    web = service_containers(stack)["web"]
    logs = subprocess.run([engine_api.DOCKER_CLI, "logs", web["Id"]], capture_output=True, text=True)
    return [line for line in (logs.stdout + logs.stderr).splitlines() if "sending it again" in line]


def http(
    method: str, url: str, body: dict | None = None, timeout: float = 10, headers: dict | None = None
) -> tuple[int, dict, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    )
    context = ssl._create_unverified_context() if url.startswith("https:") else None  # self-signed
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_no_redirect(url: str, headers: dict | None = None) -> tuple[int, str]:
    """Status and Location of one request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as resp:
            return resp.status, resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location", "")


def docker_exec(container_id: str, *cmd: str, user: str | None = None) -> subprocess.CompletedProcess:
    args = [engine_api.DOCKER_CLI, "exec"] + (["--user", user] if user else []) + [container_id, *cmd]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def wait_until(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class BackgroundLoop:
    """A context manager that runs ``_run`` in a daemon thread until the block ends (``_stop`` is set)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        raise NotImplementedError


# The web page answers 200 even when its server-side calls to the API fail (it renders the failure:
# images/web/src/app/page.tsx ItemList, status-panel.tsx): what a user would see as broken.
PAGE_FAILURE = re.compile(r'data-testid="(items|api-status)" data-state="(unavailable|unreachable|error)"')


def page_reason(body: str, start: int) -> str:
    """The text a person reads after a failure marker (tags and React's comment markers dropped)."""
    start = body.find(">", start) + 1  # the marker's tag ends here
    text = re.sub(r"<[^>]*>", "", body[start : start + 1500])
    return " ".join(text.split())[:240]


class RequestLoop(BackgroundLoop):
    """Hit URLs in a loop from a thread; count failures (non-2xx, connection errors, a page reporting the API failed)."""

    def __init__(self, urls: Sequence[str], interval: float = 0.1):
        self.urls, self.interval = list(urls), interval
        self.total = 0
        self.failures: list[str] = []
        super().__init__()

    def _run(self) -> None:
        while not self._stop.is_set():
            for url in self.urls:
                self.total += 1
                try:
                    status, _, body = http("GET", url, timeout=10)
                    if not 200 <= status < 300:
                        self.failures.append(f"{time.strftime('%H:%M:%S')} {url} -> {status}")
                    elif failed := PAGE_FAILURE.search(body):
                        reason = page_reason(body, failed.end())
                        self.failures.append(f"{time.strftime('%H:%M:%S')} {url} -> {status}, page: {failed.group(0)}: {reason}")
                except Exception as exc:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {url} -> {exc}")
            self._stop.wait(self.interval)


def self_signed_cert(tmp: Path, host: str = "localhost") -> tuple[str, str]:
    """A throwaway certificate and key (PEM text) for the prod stack's TLS."""
    key, cert = tmp / "tls.key", tmp / "tls.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert.read_text(), key.read_text()


class OutsideHost:
    """A host outside the Docker host: a network namespace this test creates, behind a veth pair.

    It has an address from 198.18.0.0/15 (reserved for network tests, RFC 2544) and runs a TCP
    listener. Containers reach it only through the host's forwarding (the path to the internet),
    which is exactly what an internal Docker network must deny. No traffic leaves the machine.
    """

    LISTENER = (
        "import socket\n"
        "s = socket.create_server(('0.0.0.0', 9000)); print('ready', flush=True)\n"
        "while True:\n"
        "    c, a = s.accept(); print('accepted', a[0], flush=True); c.close()\n"
    )

    def __init__(self, index: int = 7) -> None:
        self.ns = f"ss-outside-{index}"
        self.host_side, self.inside = f"ssout{index}h", f"ssout{index}i"
        self.gateway, self.address, self.port = f"198.18.{index}.1", f"198.18.{index}.2", 9000
        self.proc: subprocess.Popen[str] | None = None
        self.accepted: list[str] = []

    def __enter__(self) -> OutsideHost:
        self._cleanup()
        for cmd in (
            ["ip", "netns", "add", self.ns],
            ["ip", "link", "add", self.host_side, "type", "veth", "peer", "name", self.inside],
            ["ip", "link", "set", self.inside, "netns", self.ns],
            ["ip", "addr", "add", f"{self.gateway}/30", "dev", self.host_side],
            ["ip", "link", "set", self.host_side, "up"],
            ["ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.address}/30", "dev", self.inside],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", self.inside, "up"],
            ["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"],
        ):
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "python3", "-u", "-c", self.LISTENER], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"
        threading.Thread(target=self._count, daemon=True).start()
        return self

    def _count(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("accepted"):
                self.accepted.append(line.split()[1])

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_side], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def gateway(info: dict, network_suffix: str) -> str:
    """The host side of a container's network whose name ends with ``network_suffix``."""
    name = next(n for n in info["NetworkSettings"]["Networks"] if n.endswith(network_suffix))
    return engine_api.inspect("networks", name)["IPAM"]["Config"][0]["Gateway"]


def connects(container_id: str, host: str, port: int) -> bool:
    """A TCP connection from inside the container (bash's /dev/tcp, bounded by timeout)."""
    probe = docker_exec(container_id, "timeout", "6", "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port} && echo CONNECTED")
    return "CONNECTED" in probe.stdout
