"""Hostile clients against a real nginx (the image's nginx.conf, a rendered site) on loopback:
slow and many connections, big and slow uploads, floods, unknown TLS names, forged Host and
internal headers. Every loop is bounded in count and time."""

from __future__ import annotations

import resource
import socket
import ssl
import threading
import time
from pathlib import Path

import harness
import pytest
from harness import StubUpstream, free_port, request

from standard_stack.nginx import RESOLVE_MIN_VERSION, ProxyRoute, ProxySettings, render_site_config

OLD, NEW = (1, 22, 1), RESOLVE_MIN_VERSION
#: a Host the site does not serve: 421 (the site's check) or 400 (newer nginx's own port validation)
REFUSED_HOST = (400, 421)


@pytest.fixture(params=[OLD, NEW], ids=["variable-form", "resolve-form"])
def version(request):
    harness.skip_unless_local_nginx_supports(request.param)
    return request.param


@pytest.fixture
def stubs():
    web, api = StubUpstream("web"), StubUpstream("api")
    yield {"web": web, "api": api}
    web.stop()
    api.stop()


def routes_for(stubs) -> tuple[ProxyRoute, ...]:
    return (
        ProxyRoute(path_prefix="/", upstream_host="127.0.0.1", upstream_port=stubs["web"].port),
        ProxyRoute(path_prefix="/api/", upstream_host="127.0.0.1", upstream_port=stubs["api"].port, strip_prefix=True),
    )


def start(proxy_factory, stubs, version, **settings):
    port = free_port()
    site = render_site_config(ProxySettings(routes=routes_for(stubs), http_port=port, nginx_version=version, **settings))
    return port, proxy_factory(site, ports=[port])


def timed_healthz(port: int) -> float:
    began = time.monotonic()
    response = request(port, "/healthz")
    assert response.status == 200
    return time.monotonic() - began


def open_slow_clients(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that each sent half a request header and then nothing (slowloris)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1024), hard))
    clients = []
    deadline = time.monotonic() + 30
    for _ in range(count):
        assert time.monotonic() < deadline, "opening the slow connections took over 30 s"
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        clients.append(sock)
    return clients


def closed_by_peer(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(4096) == b""  # nginx closes a timed-out header without an answer
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


# ----------------------------------------------------------------------------- slow and many connections


def test_a_client_that_never_finishes_its_header_is_dropped_after_the_header_timeout(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version, client_header_timeout=1)
    (sock,) = open_slow_clients(port, 1)
    with sock:
        assert closed_by_peer(sock, within=4)


def test_thousands_of_slow_connections_leave_healthz_answering_within_a_second(proxy_factory, stubs, version):
    port, proxy = start(proxy_factory, stubs, version)
    clients = open_slow_clients(port, 3000)
    try:
        assert timed_healthz(port) < 1.0
        assert request(port, "/api/items").status == 200
    finally:
        for sock in clients:
            sock.close()
    assert "worker_connections are not enough" not in proxy.log()


# ----------------------------------------------------------------------------- uploads


def test_an_upload_over_the_limit_gets_413(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version, client_max_body_size="1k")
    assert request(port, "/api/items", method="POST", body=b"x" * 4096).status == 413
    assert not stubs["api"].seen


def open_temp_files(proxy: harness.RunningNginx) -> list[str]:
    """Temporary files nginx's processes hold open: it unlinks them at once (ngx_files.c,
    ngx_open_tempfile), so only /proc shows them, as '<workdir>/run/client_temp/... (deleted)'."""
    pids = [proxy.process.pid]
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            if status.read_text().split(") ", 1)[1].split()[1] == str(proxy.process.pid):
                pids.append(int(status.parent.name))
        except (OSError, IndexError):
            continue
    held = []
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if "_temp/" in target:
                held.append(target)
    return held


def test_an_upload_in_flight_is_never_buffered_to_a_temporary_file(proxy_factory, stubs, version):
    """The image's /tmp is a 64 MiB tmpfs: buffered bodies filled it and every upload got 500."""
    port, proxy = start(proxy_factory, stubs, version)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /api/items HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9000000\r\n\r\n")
        sock.sendall(b"x" * 2_000_000)  # then stalls, as a slow client does
        time.sleep(0.5)
        assert open_temp_files(proxy) == []


def test_an_upload_that_stalls_is_closed_with_408_and_never_a_500(proxy_factory, stubs, version):
    port, proxy = start(proxy_factory, stubs, version, client_body_timeout=1)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /api/items HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
        assert closed_by_peer(sock, within=5) or b" 408 " in sock.recv(4096)
    deadline = time.monotonic() + 5
    while '"POST /api/items HTTP/1.1" 408' not in proxy.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"POST /api/items HTTP/1.1" 408' in proxy.log()
    assert '" 500 ' not in proxy.log()


# ----------------------------------------------------------------------------- rate and concurrency per client


def test_a_flood_from_one_address_gets_429_beyond_its_burst_while_healthz_answers(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version, requests_per_second=1, request_burst=5)
    statuses = [request(port, "/api/items").status for _ in range(20)]
    assert statuses[:6] == [200] * 6
    assert statuses.count(429) >= 10
    assert request(port, "/healthz").status == 200


def test_concurrent_requests_from_one_address_beyond_the_limit_get_429(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version, connections_per_client=2)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(request(port, "/slow").status)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)
    assert sorted(statuses) == [200, 200, 429, 429, 429]


# ----------------------------------------------------------------------------- Host


@pytest.mark.parametrize(
    "host",
    ["example.com:@evil.example", "localhost:@evil.example", "localhost:1", "user@localhost", "localhost:80:80", "localhost.:x"],
)
def test_a_host_with_another_port_or_a_userinfo_part_gets_421_and_reaches_no_app(proxy_factory, stubs, version, host):
    port, _ = start(proxy_factory, stubs, version)
    # 421 from the site's Host check; nginx >= 1.29 refuses some of these forms itself with 400
    assert request(port, "/api/items", headers={"Host": host}).status in REFUSED_HOST
    assert request(port, "/", headers={"Host": host}).status in REFUSED_HOST
    assert not stubs["api"].seen and not stubs["web"].seen


def test_any_name_mode_still_accepts_a_name_alone_or_with_the_listener_s_port(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version)
    for host in ("shop.example", f"shop.example:{port}", "127.0.0.1", f"127.0.0.1:{port}"):
        assert request(port, "/api/items", headers={"Host": host}).status == 200, host


def test_named_site_accepts_exactly_its_names_and_ports(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version, server_name="localhost", server_aliases=("127.0.0.1",), public_http_port=28080)
    for host in ("localhost", "localhost:28080", f"localhost:{port}", "127.0.0.1:28080", "LOCALHOST:28080"):
        assert request(port, "/api/items", headers={"Host": host}).status == 200, host
    for host in ("evil.example", "rebind.evil.example:28080", "localhost:28081", "localhost:28080@evil.example"):
        assert request(port, "/api/items", headers={"Host": host}).status in REFUSED_HOST, host
    assert len(stubs["api"].seen) == 5


# ----------------------------------------------------------------------------- internal headers


def test_client_sent_internal_headers_never_reach_the_apps(proxy_factory, stubs, version):
    port, _ = start(proxy_factory, stubs, version)
    forged = {
        "X-Forwarded-Prefix": "/evil",
        "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware",
        "Forwarded": "for=203.0.113.9;host=evil.example",
    }
    request(port, "/page", headers=forged)
    request(port, "/api/items", headers=forged)
    web, api = stubs["web"].seen[-1].headers, stubs["api"].seen[-1].headers
    for header in ("x-forwarded-prefix", "x-middleware-subrequest", "forwarded"):
        assert header not in web, header
    assert "x-middleware-subrequest" not in api and "forwarded" not in api
    assert api["x-forwarded-prefix"] == "/api"  # the proxy's own, on the route that strips it


# ----------------------------------------------------------------------------- TLS names


def handshake(port: int, ca: Path, sni: str | None) -> str:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw, server_hostname=sni) as tls:
        return tls.version() or ""


def test_an_unknown_sni_name_or_none_gets_a_handshake_failure_and_no_certificate(proxy_factory, stubs, tls_pair, version):
    cert, key = tls_pair
    http_port, https_port = free_port(), free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        server_name="localhost",
        tls=True,
        http_port=http_port,
        https_port=https_port,
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[http_port, https_port])
    assert handshake(https_port, cert, "localhost").startswith("TLS")
    for sni in ("unknown.example", None):
        with pytest.raises(ssl.SSLError, match=r"UNRECOGNIZED_NAME|HANDSHAKE_FAILURE|alert"):
            handshake(https_port, cert, sni)
