"""Hostile clients against the running prod stack, through its proxy: the stack stays up, nothing leaks.

On the prod stack the hostile-client modules share (tests/e2e/abuse.py). Every loop is bounded in
count and time; all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import resource
import socket
import ssl
import threading
import time

import engine_api
import pytest
from abuse import HTTP_PORT, HTTPS_PORT, NAME, STACK, https_connection
from stack import service_containers

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 3000


@pytest.fixture(scope="module")
def prod(abuse_prod):
    return abuse_prod


def send(conn: http.client.HTTPConnection, path: str, host: str | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host or f"{NAME}:{HTTPS_PORT}")
    conn.endheaders()
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def https_get(path: str, *, host: str | None = None, timeout: float = 10) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = https_connection(timeout)
    try:
        return send(conn, path, host)
    finally:
        conn.close()


def answer_time(path: str) -> float:
    """Seconds until ``path`` answered 200 over HTTPS (fails the test on another status)."""
    began = time.monotonic()
    status, _, _ = https_get(path, timeout=5)
    assert status == 200, (path, status)
    return time.monotonic() - began


def assert_stack_answers_within_a_second() -> None:
    for path in ("/healthz", "/api/health"):
        took = answer_time(path)
        assert took < 1.0, f"{path} took {took:.2f} s"


def proxy_log_since(since: int) -> str:
    """The proxy's output (access and error log) from ``since`` (Unix seconds) on."""
    proxy = service_containers(STACK)["proxy"]["Id"]
    _, payload = engine_api.request("GET", f"/containers/{proxy}/logs", query={"stdout": 1, "stderr": 1, "since": since})
    return engine_api.demux_logs(payload)


def raise_fd_limit(count: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 512:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 2048), hard))


# ----------------------------------------------------------------------------- slow and many connections


def test_a_slowloris_of_thousands_of_connections_leaves_the_stack_answering_within_a_second(prod):
    raise_fd_limit(SLOW_CLIENTS)
    since = int(time.time())
    clients: list[socket.socket] = []
    deadline = time.monotonic() + 60
    try:
        for _ in range(SLOW_CLIENTS):
            assert time.monotonic() < deadline, f"opening {SLOW_CLIENTS} connections took over 60 s"
            sock = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")  # and never the rest
            clients.append(sock)
        assert_stack_answers_within_a_second()
    finally:
        for sock in clients:
            sock.close()
    print(f"\nslowloris: {len(clients)} connections held, /healthz and /api/health answered within 1 s")
    log = proxy_log_since(since)
    assert "worker_connections are not enough" not in log


def slow_upload(length: int, first: int, results: list[str]) -> None:
    """A POST announcing ``length`` bytes that sends ``first`` of them and then stalls; records the status or how it ended."""
    try:
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=20)
        with ssl._create_unverified_context().wrap_socket(raw, server_hostname=NAME) as sock:
            head = f"POST /api/items HTTP/1.1\r\nHost: {NAME}:{HTTPS_PORT}\r\nContent-Type: application/json\r\n"
            sock.sendall(f"{head}Content-Length: {length}\r\n\r\n".encode())
            # answered and closed before the body was read: the answer is what counts
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"x" * first)
            reply = sock.recv(4096)
            match = re.match(rb"HTTP/1\.1 (\d{3})", reply)
            results.append(match.group(1).decode() if match else ("closed" if reply == b"" else f"other: {reply[:60]!r}"))
    except TimeoutError:
        results.append("timeout")
    except (ConnectionResetError, ssl.SSLEOFError):
        results.append("closed")


def test_slow_uploads_get_413_or_408_never_500_and_never_fill_the_proxy_s_tmpfs(prod):
    """Eight slow 9 MB uploads once filled the 64 MiB /tmp and every upload got 500."""
    since = int(time.time())
    results: list[str] = []
    uploads = [threading.Thread(target=slow_upload, args=(9 * 1024 * 1024, 1024 * 1024, results)) for _ in range(8)]
    # under the API's 1 MiB limit, stalled: the proxy's body timeout (10 s) ends them
    uploads += [threading.Thread(target=slow_upload, args=(900 * 1024, 64 * 1024, results)) for _ in range(4)]
    for upload in uploads:
        upload.start()
    time.sleep(1)
    assert_stack_answers_within_a_second()
    for upload in uploads:
        upload.join(timeout=30)
    assert_stack_answers_within_a_second()
    print(f"\nslow uploads ended: {sorted(results)}")
    assert len(results) == 12 and "500" not in results
    assert sorted(results)[:8] == ["413"] * 8  # over the API's limit: refused at once, before the body
    log = proxy_log_since(since)
    assert "No space left on device" not in log
    assert len(re.findall(r'"POST /api/items HTTP/1\.1" 408 ', log)) == 4, log[-3000:]
    assert not re.search(r'"POST /api/items HTTP/1\.1" 50\d ', log), log[-3000:]


def test_an_upload_over_the_proxy_s_limit_gets_413_at_once(prod):
    results: list[str] = []
    slow_upload(11 * 1024 * 1024, 1024, results)
    assert results == ["413"]


# ----------------------------------------------------------------------------- TLS names and Host


def test_an_unknown_sni_name_or_none_gets_a_handshake_failure(prod):
    assert https_get("/healthz")[0] == 200
    for sni in ("unknown.example", None):
        context = ssl._create_unverified_context()
        with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=5) as raw, pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname=sni)


@pytest.mark.parametrize("host", [f"{NAME}:@evil.example", f"{NAME}:{HTTPS_PORT}@evil.example", f"{NAME}:1", f"user@{NAME}"])
def test_a_host_with_a_port_or_userinfo_part_gets_400_or_421(prod, host):
    for path in ("/api/health", "/"):  # 421: the site's Host check; 400: newer nginx refuses some forms itself
        assert https_get(path, host=host)[0] in (400, 421), (path, host)


def test_the_host_a_browser_sends_reaches_the_apps(prod):
    for host in (f"{NAME}:{HTTPS_PORT}", NAME):
        assert https_get("/api/health", host=host)[0] == 200, host


# ----------------------------------------------------------------------------- the page under the proxy's CSP


def test_the_page_loads_only_same_origin_resources_under_the_proxy_s_csp(prod):
    status, headers, body = https_get("/")
    assert status == 200
    policies = headers.get_all("Content-Security-Policy") or []
    ours = next(p for p in policies if "script-src" in p)
    assert "default-src 'self'" in ours and "script-src 'self' 'unsafe-inline'" in ours
    page = body.decode(errors="replace")
    sources = [html.unescape(s) for s in re.findall(r'<(?:script|link|img)\b[^>]*?\s(?:src|href)="([^"]+)"', page)]
    assert sources, "the page references no scripts or styles: the check below would prove nothing"
    foreign = [s for s in sources if not s.startswith("/") or s.startswith("//")]
    assert foreign == [], f"resources the proxy's default-src 'self' would block: {foreign}"
    for source in sources:  # and each of them is served
        if source.startswith("/_next/"):
            assert https_get(source)[0] == 200, source


# ----------------------------------------------------------------------------- rate (last: it uses up this address's burst)


def test_a_flood_from_one_address_gets_429_beyond_its_burst_while_healthz_answers(prod):
    statuses: list[int] = []

    def flood() -> None:
        conn = https_connection()
        try:
            for _ in range(100):
                statuses.append(send(conn, "/api/health")[0])
        finally:
            conn.close()

    threads = [threading.Thread(target=flood) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counts = {status: statuses.count(status) for status in set(statuses)}
    print(f"\nflood of {len(statuses)} requests: {counts}")
    assert set(counts) <= {200, 429} and counts.get(429, 0) > 0
    assert answer_time("/healthz") < 1.0
