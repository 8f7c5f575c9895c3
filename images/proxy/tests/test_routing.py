"""A real nginx (host's Debian binary, the image's nginx.conf, a rendered site) in front of stub
upstreams on loopback: what a client and the upstreams actually see."""

from __future__ import annotations

import gzip
import socket
import ssl
import time

import harness
import pytest
from harness import StubDns, StubUpstream, free_port, request

from standard_stack.nginx import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    RESOLVE_MIN_VERSION,
    SECURITY_HEADER_DEFAULTS,
    ProxyRoute,
    ProxySettings,
    render_site_config,
)

OLD, NEW = (1, 22, 1), RESOLVE_MIN_VERSION


@pytest.fixture(params=[OLD, NEW], ids=["variable-form", "resolve-form"])
def version(request):
    """Each behaviour is checked for both renderings: proxy_pass through a variable (any nginx)
    and upstream blocks with `resolve` + keepalive (nginx >= 1.27.3, skipped on older ones)."""
    harness.skip_unless_local_nginx_supports(request.param)
    return request.param


#: what the web app sends (images/web/next.config.ts): stricter than nginx's defaults in places
WEB_APP_HEADERS = {
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=()",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def stubs():
    """web sends its own security headers (like the Next.js app); api and admin send none."""
    web, api, admin = StubUpstream("web", headers=dict(WEB_APP_HEADERS)), StubUpstream("api"), StubUpstream("admin")
    yield {"web": web, "api": api, "admin": admin}
    for stub in (web, api, admin):
        stub.stop()


def routes_for(stubs) -> tuple[ProxyRoute, ...]:
    return (
        ProxyRoute(path_prefix="/", upstream_host="127.0.0.1", upstream_port=stubs["web"].port),
        ProxyRoute(
            path_prefix="/api/", upstream_host="127.0.0.1", upstream_port=stubs["api"].port, strip_prefix=True, websocket=False
        ),
        ProxyRoute(path_prefix="/api/admin/", upstream_host="127.0.0.1", upstream_port=stubs["admin"].port),
    )


@pytest.fixture
def plain_proxy(stubs, proxy_factory, version):
    """HTTP only, 1k body limit, 1 s read timeout; returns the listening port."""
    port = free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        http_port=port,
        client_max_body_size="1k",
        read_timeout=1,
        resolver="127.0.0.1",
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[port])
    return port


@pytest.fixture
def tls_proxy(stubs, proxy_factory, tls_pair, version):
    """TLS on, server name "localhost" (as the prod stack's e2e overrides); returns (http port,
    https port, CA file)."""
    cert, key = tls_pair
    http_port, https_port = free_port(), free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        server_name="localhost",
        tls=True,
        http_port=http_port,
        https_port=https_port,
        resolver="127.0.0.1",
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[http_port, https_port])
    return http_port, https_port, cert


# ----------------------------------------------------------------------------- routing


def test_root_goes_to_web(plain_proxy, stubs):
    response = request(plain_proxy, "/some/page?q=1")
    assert response.status == 200
    assert response.json()["upstream"] == "web"
    assert stubs["web"].seen[-1].path == "/some/page?q=1"


def test_api_prefix_is_stripped_before_reaching_the_api(plain_proxy, stubs):
    response = request(plain_proxy, "/api/items?limit=5")
    assert response.json()["upstream"] == "api"
    assert stubs["api"].seen[-1].path == "/items?limit=5"
    assert stubs["api"].seen[-1].headers["x-forwarded-prefix"] == "/api"


def test_api_prefix_root_arrives_as_slash(plain_proxy, stubs):
    request(plain_proxy, "/api/")
    assert stubs["api"].seen[-1].path == "/"


def test_prefix_without_trailing_slash_redirects_relatively(plain_proxy):
    response = request(plain_proxy, "/api?x=1")
    assert response.status == 301
    assert response.headers["Location"] == "/api/?x=1"


def test_longest_prefix_wins(plain_proxy, stubs):
    assert request(plain_proxy, "/api/admin/users").json()["upstream"] == "admin"
    assert stubs["admin"].seen[-1].path == "/api/admin/users"


def test_healthz_is_answered_by_nginx_itself(plain_proxy, stubs):
    response = request(plain_proxy, "/healthz")
    assert (response.status, response.body) == (200, b"ok\n")
    assert all(not stub.seen for stub in stubs.values())


def test_web_liveness_route_health_reaches_the_web_app(plain_proxy, stubs):
    """/health is the web app's own liveness route: no proxy route or nginx location shadows it."""
    for path in ("/health", "/health/", "/healthy"):
        response = request(plain_proxy, path)
        assert (response.status, response.json()["upstream"]) == (200, "web"), path
        assert stubs["web"].seen[-1].path == path
    assert not stubs["api"].seen and not stubs["admin"].seen


def test_only_the_exact_healthz_is_nginx_s_own(plain_proxy, stubs):
    assert request(plain_proxy, "/healthz/deep").json()["upstream"] == "web"
    assert request(plain_proxy, "/api/healthz").json()["upstream"] == "api"


def test_forwarded_headers_reach_the_upstream_and_a_clients_own_forwarded_for_is_replaced(plain_proxy, stubs):
    authority = f"shop.example:{plain_proxy}"
    request(plain_proxy, "/api/items", headers={"Host": authority, "X-Forwarded-For": "203.0.113.9"})
    headers = stubs["api"].seen[-1].headers
    # the authority as the client sent it, port included (Next.js server actions compare Origin with it)
    assert headers["host"] == authority
    assert headers["x-forwarded-host"] == authority
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == str(plain_proxy)
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "127.0.0.1"


NGINX_DEFAULTS = dict(SECURITY_HEADER_DEFAULTS)


def assert_nginx_default_security_headers(response) -> None:
    for header, value in SECURITY_HEADER_DEFAULTS:
        assert response.header_values(header) == [value], (response.status, header)
    assert response.header_values("Content-Security-Policy") == [DEFAULT_CONTENT_SECURITY_POLICY], response.status


def test_the_app_s_own_security_headers_arrive_unchanged_and_once(plain_proxy):
    response = request(plain_proxy, "/page")
    assert response.json()["upstream"] == "web"
    for header, value in WEB_APP_HEADERS.items():
        if header != "Content-Security-Policy":
            assert response.header_values(header) == [value], header


def test_the_app_s_own_csp_arrives_unchanged_beside_the_proxy_s_which_the_browser_enforces_too(plain_proxy):
    response = request(plain_proxy, "/page")
    assert response.header_values("Content-Security-Policy") == [
        WEB_APP_HEADERS["Content-Security-Policy"],
        DEFAULT_CONTENT_SECURITY_POLICY,
    ]


def test_nginx_fills_in_only_the_headers_the_app_did_not_send(plain_proxy):
    response = request(plain_proxy, "/page")
    for header in ("X-Content-Type-Options", "Cross-Origin-Opener-Policy"):
        assert response.header_values(header) == [NGINX_DEFAULTS[header]], header


def test_an_upstream_without_security_headers_gets_nginx_s_defaults(plain_proxy):
    response = request(plain_proxy, "/api/items")
    assert response.json()["upstream"] == "api"
    assert_nginx_default_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers


def test_nginx_s_own_responses_carry_the_defaults(plain_proxy):
    for path, status in (("/healthz", 200), ("/api", 301)):
        response = request(plain_proxy, path)
        assert response.status == status, path
        assert_nginx_default_security_headers(response)


def test_a_502_for_an_unreachable_upstream_carries_the_defaults(proxy_factory, version):
    port, dead = free_port(), free_port()
    routes = (ProxyRoute(path_prefix="/", upstream_host="127.0.0.1", upstream_port=dead),)
    proxy_factory(render_site_config(ProxySettings(routes=routes, http_port=port, nginx_version=version)), ports=[port])
    response = request(port, "/")
    assert response.status == 502
    assert_nginx_default_security_headers(response)


def test_during_a_create_first_replacement_no_request_fails(proxy_factory, version):
    """The alias answers with both containers: the new one before it listens, then the old one while it
    drains. Each refused connection moves the request on to the other address, and no address is shunned
    for fail_timeout (10 s) after a refusal: otherwise both would be at once, and every request meanwhile a
    502 ("no live upstreams"), as a create-first deploy showed before max_fails=0."""
    dns = StubDns()
    # no keepalive: a stopped predecessor refuses, as uvicorn does once it closes its connections
    old = StubUpstream("old", host="127.0.0.2", headers={"Connection": "close"})
    new = None
    try:
        dns.records["api"] = "127.0.0.2,127.0.0.3"  # the replacement is in DNS but not listening yet
        port = free_port()
        settings = ProxySettings(
            routes=(ProxyRoute(path_prefix="/", upstream_host="api", upstream_port=old.port),),
            http_port=port,
            resolver=f"127.0.0.1:{dns.port}",
            resolver_valid=30,  # no re-resolution (which would reset failure counts) during the test
            nginx_version=version,
        )
        proxy_factory(render_site_config(settings), ports=[port])
        time.sleep(1.5)  # both addresses resolved
        statuses = [request(port, "/").status for _ in range(6)]
        new = StubUpstream("new", host="127.0.0.3", port=old.port)  # the replacement listens
        old.stop()  # the predecessor stops listening, still in DNS
        statuses += [request(port, "/").status for _ in range(6)]
        assert statuses == [200] * 12
    finally:
        for server in (dns, old, new):
            if server is not None:
                server.stop()


def test_a_switch_to_a_new_container_fails_no_request_while_nginx_first_resolves_its_name(proxy_factory, version):
    """The stack points the proxy at a replacement by its container name and reloads nginx before the old
    container goes. A reload's new workers know a new `resolve` name only once their first query returns
    (here the resolver takes 1.5 s for it); until then the container's address, a backup server, serves."""
    dns = StubDns()
    old = StubUpstream("old", host="127.0.0.2")
    new = StubUpstream("new", host="127.0.0.3", port=old.port)
    try:
        dns.records.update({"api-old": "127.0.0.2", "api-new": "127.0.0.3"})
        dns.delays["api-new"] = 1.5
        port = free_port()

        def site(name: str, address: str) -> str:
            route = ProxyRoute(path_prefix="/", upstream_host=name, upstream_address=address, upstream_port=old.port)
            return render_site_config(
                # requests back to back for 4 s: no rate limit in the way of what this test measures
                ProxySettings(
                    routes=(route,),
                    http_port=port,
                    resolver=f"127.0.0.1:{dns.port}",
                    nginx_version=version,
                    requests_per_second=100000,
                )
            )

        proxy = proxy_factory(site("api-old", "127.0.0.2"), ports=[port])
        assert request(port, "/").json()["upstream"] == "old"
        proxy.reload(site("api-new", "127.0.0.3"))
        statuses, served = [], []
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            response = request(port, "/")
            statuses.append(response.status)
            if response.status == 200:
                served.append(response.json()["upstream"])
        assert statuses == [200] * len(statuses)
        assert served[-1] == "new"
    finally:
        for server in (dns, old, new):
            server.stop()


def test_body_over_the_limit_is_refused_with_413_and_security_headers(plain_proxy, stubs):
    response = request(plain_proxy, "/api/items", method="POST", body=b"x" * 2048)
    assert response.status == 413
    assert_nginx_default_security_headers(response)
    assert not stubs["api"].seen


def test_body_under_the_limit_is_forwarded(plain_proxy, stubs):
    response = request(plain_proxy, "/api/items", method="POST", body=b"x" * 512)
    assert response.status == 200
    assert stubs["api"].seen[-1].body == b"x" * 512


def test_text_responses_are_gzipped_for_clients_that_accept_it(plain_proxy):
    response = request(plain_proxy, "/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'"upstream": "web"' in gzip.decompress(response.body)
    assert "Accept-Encoding" in response.headers["Vary"]


def test_gzip_off_sends_identity(stubs, proxy_factory, version):
    port = free_port()
    settings = ProxySettings(routes=routes_for(stubs), http_port=port, gzip=False, resolver="127.0.0.1", nginx_version=version)
    proxy_factory(render_site_config(settings), ports=[port])
    response = request(port, "/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response.headers
    assert response.json()["upstream"] == "web"


def test_slow_upstream_hits_the_read_timeout_with_504(plain_proxy):
    response = request(plain_proxy, "/slow")
    assert response.status == 504
    assert_nginx_default_security_headers(response)


def test_unmatched_path_is_404_when_there_is_no_root_route(stubs, proxy_factory, version):
    port = free_port()
    routes = (ProxyRoute(path_prefix="/api/", upstream_host="127.0.0.1", upstream_port=stubs["api"].port),)
    proxy_factory(render_site_config(ProxySettings(routes=routes, http_port=port, nginx_version=version)), ports=[port])
    not_found = request(port, "/index.html")
    assert not_found.status == 404
    assert_nginx_default_security_headers(not_found)
    assert request(port, "/api/x").status == 200


# ----------------------------------------------------------------------------- websockets


def upgrade_and_echo(port: int, path: str) -> bytes:
    """Send an Upgrade request, then a line through the tunnel; return all bytes received."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".encode())
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        if b" 101 " in received.split(b"\r\n", 1)[0]:
            sock.sendall(b"hello\n")
            while b"echo:hello\n" not in received:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        return received


def test_websocket_route_tunnels_after_101(plain_proxy, stubs):
    received = upgrade_and_echo(plain_proxy, "/ws")
    assert received.startswith(b"HTTP/1.1 101")
    assert received.endswith(b"echo:hello\n")
    assert stubs["web"].seen[-1].headers["connection"].lower() == "upgrade"


def test_non_websocket_route_does_not_pass_upgrade(plain_proxy, stubs):
    received = upgrade_and_echo(plain_proxy, "/api/ws")
    assert received.startswith(b"HTTP/1.1 200")
    assert "upgrade" not in stubs["api"].seen[-1].headers


# ----------------------------------------------------------------------------- TLS


def test_tls_http_redirects_to_the_configured_name_and_https_port(tls_proxy, stubs):
    http_port, https_port, _ = tls_proxy
    response = request(http_port, "/api/items?x=1", headers={"Host": f"localhost:{http_port}"})
    assert response.status == 301
    assert response.headers["Location"] == f"https://localhost:{https_port}/api/items?x=1"
    assert_nginx_default_security_headers(response)
    assert not stubs["api"].seen


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1", "localhost.evil.example"])
def test_tls_http_request_for_another_host_gets_421_and_no_redirect(tls_proxy, stubs, host):
    http_port, _, _ = tls_proxy
    response = request(http_port, "/login?next=/", headers={"Host": host})
    assert response.status == 421
    assert "Location" not in response.headers
    assert b"evil" not in response.body
    assert_nginx_default_security_headers(response)
    assert all(not stub.seen for stub in stubs.values())


def test_tls_https_request_for_another_host_gets_421_and_never_reaches_an_app(tls_proxy, stubs):
    _, https_port, ca = tls_proxy
    response = request(https_port, "/api/items", headers={"Host": "evil.example"}, tls_ca=ca)
    assert response.status == 421
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert all(not stub.seen for stub in stubs.values())


def test_healthz_answers_for_any_host_as_the_container_health_check_calls_it(tls_proxy, stubs):
    """The image's HEALTHCHECK curls http://127.0.0.1:8080/healthz: Host 127.0.0.1 is not the server
    name, so the 421 default server must answer /healthz itself."""
    http_port, _, _ = tls_proxy
    for host in (f"127.0.0.1:{http_port}", f"localhost:{http_port}", "evil.example"):
        response = request(http_port, "/healthz", headers={"Host": host})
        assert (response.status, response.body) == (200, b"ok\n"), host
    assert all(not stub.seen for stub in stubs.values())


def test_catch_all_server_name_still_redirects_by_the_request_s_host(stubs, proxy_factory, tls_pair, version):
    """serverName "_" means any host name: there is no other name to redirect to."""
    cert, key = tls_pair
    http_port, https_port = free_port(), free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        tls=True,
        http_port=http_port,
        https_port=https_port,
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[http_port, https_port])
    response = request(http_port, "/x", headers={"Host": "any.example"})
    assert (response.status, response.headers["Location"]) == (301, f"https://any.example:{https_port}/x")


def test_plain_named_site_refuses_other_hosts_with_421(stubs, proxy_factory, version):
    port = free_port()
    settings = ProxySettings(routes=routes_for(stubs), server_name="shop.example", http_port=port, nginx_version=version)
    proxy_factory(render_site_config(settings), ports=[port])
    assert request(port, "/", headers={"Host": "other.example"}).status == 421
    assert request(port, "/", headers={"Host": f"SHOP.example:{port}"}).json()["upstream"] == "web"


def test_wildcard_server_name_redirects_each_matching_host_to_itself(stubs, proxy_factory, tls_pair, version):
    cert, key = tls_pair
    http_port, https_port = free_port(), free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        server_name="*.shop.example",
        tls=True,
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
        http_port=http_port,
        https_port=https_port,
        public_https_port=443,
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[http_port])
    response = request(http_port, "/a", headers={"Host": "eu.shop.example"})
    assert (response.status, response.headers["Location"]) == (301, "https://eu.shop.example/a")
    assert request(http_port, "/a", headers={"Host": "shop.example.evil"}).status == 421


def test_longest_dns_name_is_served(stubs, proxy_factory, version):
    longest = ".".join(["a" * 63] * 3) + "." + "b" * 61
    port = free_port()
    settings = ProxySettings(routes=routes_for(stubs), server_name=longest, http_port=port, nginx_version=version)
    proxy_factory(render_site_config(settings), ports=[port])
    assert request(port, "/", headers={"Host": longest}).json()["upstream"] == "web"
    assert request(port, "/", headers={"Host": "a.example"}).status == 421


def test_tls_http_still_answers_healthz(tls_proxy):
    http_port, _, _ = tls_proxy
    assert request(http_port, "/healthz", headers={"Host": "localhost"}).body == b"ok\n"


def test_tls_serves_routes_over_https_with_hsts(tls_proxy, stubs):
    _, https_port, ca = tls_proxy
    response = request(https_port, "/api/items", headers={"Host": f"localhost:{https_port}"}, tls_ca=ca)
    assert response.status == 200
    assert response.header_values("Strict-Transport-Security") == ["max-age=31536000"]
    seen = stubs["api"].seen[-1]
    assert seen.path == "/items"
    assert seen.headers["x-forwarded-proto"] == "https"
    assert seen.headers["x-forwarded-port"] == str(https_port)


def test_an_upstream_s_own_hsts_is_replaced_by_nginx_s(stubs, tls_proxy):
    _, https_port, ca = tls_proxy
    stubs["web"].headers["Strict-Transport-Security"] = "max-age=60"
    response = request(https_port, "/", headers={"Host": "localhost"}, tls_ca=ca)
    assert response.json()["upstream"] == "web"
    assert response.header_values("Strict-Transport-Security") == ["max-age=31536000"]


def test_tls_offers_http2_and_tls13(tls_proxy):
    _, https_port, ca = tls_proxy
    context = ssl.create_default_context(cafile=str(ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection(("127.0.0.1", https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.selected_alpn_protocol() == "h2"
        assert tls.version() == "TLSv1.3"


# ----------------------------------------------------------------------------- re-resolution


def test_replaced_upstream_ip_is_used_without_restarting_nginx(proxy_factory, version):
    """The alias 'web' moves from 127.0.0.2 to 127.0.0.3 (a replaced container): after the
    resolver cache (valid=1s) expires, nginx sends traffic to the new address."""
    dns = StubDns()
    old = StubUpstream("old", host="127.0.0.2")
    new = StubUpstream("new", host="127.0.0.3", port=old.port)
    try:
        dns.records["web"] = "127.0.0.2"
        port = free_port()
        settings = ProxySettings(
            routes=(ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=old.port),),
            http_port=port,
            resolver=f"127.0.0.1:{dns.port}",
            resolver_valid=1,
            nginx_version=version,
        )
        proxy_factory(render_site_config(settings), ports=[port])
        assert request(port, "/").json()["upstream"] == "old"
        dns.records["web"] = "127.0.0.3"
        deadline = time.monotonic() + 5
        while request(port, "/").json()["upstream"] != "new":
            assert time.monotonic() < deadline, "nginx kept the old address"
            time.sleep(0.2)
        assert "web" in dns.queries
    finally:
        for server in (dns, old, new):
            server.stop()


# ----------------------------------------------------------------------------- ACME HTTP-01 challenges


def test_acme_challenge_is_answered_over_http_from_the_webroot_and_nothing_else_is(stubs, proxy_factory, tls_pair, version):
    """The CA fetches the token over plain HTTP for the server name: no redirect, no app behind it."""
    cert, key = tls_pair
    webroot = harness.world_readable_dir("acme-webroot")
    (webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
    (webroot / ".well-known" / "acme-challenge" / "tok3n").write_text("tok3n.thumbprint")
    for path in (webroot / ".well-known", webroot / ".well-known" / "acme-challenge"):
        path.chmod(0o755)
    (webroot / ".well-known" / "acme-challenge" / "tok3n").chmod(0o644)
    http_port, https_port = free_port(), free_port()
    settings = ProxySettings(
        routes=routes_for(stubs),
        server_name="localhost",
        tls=True,
        http_port=http_port,
        https_port=https_port,
        resolver="127.0.0.1",
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
        acme_webroot=str(webroot),
        nginx_version=version,
    )
    proxy_factory(render_site_config(settings), ports=[http_port, https_port])
    token = request(http_port, "/.well-known/acme-challenge/tok3n", headers={"Host": "localhost"})
    assert (token.status, token.body) == (200, b"tok3n.thumbprint")
    missing = request(http_port, "/.well-known/acme-challenge/other", headers={"Host": "localhost"})
    assert missing.status == 404
    assert request(http_port, "/api/items", headers={"Host": "localhost"}).status == 301  # everything else still redirects
    assert stubs["web"].seen == [] and stubs["api"].seen == []
