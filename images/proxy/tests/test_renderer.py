"""Unit specification of components/nginx.py: validation, determinism and what gets rendered."""

from __future__ import annotations

import re

import pytest
from components_nginx import RESOLVE_MIN_VERSION, ProxyRoute, ProxySettings, render_site_config
from pydantic import ValidationError

WEB = ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=3000)
API = ProxyRoute(path_prefix="/api/", upstream_host="api", upstream_port=8000, strip_prefix=True, websocket=False)
NEW = RESOLVE_MIN_VERSION


def render(**kwargs) -> str:
    kwargs.setdefault("routes", (WEB, API))
    return render_site_config(ProxySettings(**kwargs))


def location_block(text: str, prefix: str) -> str:
    match = re.search(rf"\n    location {re.escape(prefix)} \{{\n(.*?)\n    \}}", text, re.S)
    assert match, f"no location {prefix} in:\n{text}"
    return match.group(1)


def server_blocks(text: str) -> list[str]:
    return re.findall(r"^server \{\n.*?^\}", text, re.S | re.M)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("prefix", ["api/", "/api", "", "/a b/", "/api;/", "/{x}/", "/$uri/", "/a\n/"])
def test_route_refuses_malformed_path_prefix(prefix):
    with pytest.raises(ValidationError, match="path_prefix"):
        ProxyRoute(path_prefix=prefix, upstream_host="api", upstream_port=8000)


@pytest.mark.parametrize("host", ["api;", "api server", "api}", "api\nx", "-api", "http://api", "api:8000", ""])
def test_route_refuses_upstream_host_that_is_not_a_name_or_ipv4(host):
    with pytest.raises(ValidationError, match="upstream_host"):
        ProxyRoute(path_prefix="/", upstream_host=host, upstream_port=8000)


def test_route_refuses_ipv6_upstream_with_a_reason():
    with pytest.raises(ValidationError, match="IPv6"):
        ProxyRoute(path_prefix="/", upstream_host="::1", upstream_port=8000)


@pytest.mark.parametrize("port", [0, 65536, -1])
def test_route_refuses_port_out_of_range(port):
    with pytest.raises(ValidationError, match="upstream_port"):
        ProxyRoute(path_prefix="/", upstream_host="api", upstream_port=port)


def test_route_accepts_alias_and_ipv4():
    assert ProxyRoute(path_prefix="/v1.2_x-y~/", upstream_host="my_api-1.internal", upstream_port=1).is_ip is False
    assert ProxyRoute(path_prefix="/", upstream_host="10.0.0.7", upstream_port=65535).is_ip is True


@pytest.mark.parametrize("name", ["a b", "x;", "x{", "example.com\n", "~^re$", "'q'", ""])
def test_settings_refuse_injected_server_name(name):
    with pytest.raises(ValidationError, match="server_name"):
        ProxySettings(server_name=name)


@pytest.mark.parametrize("size", ["10 m", "10m;", "1t", "m", "10mb", "{1}"])
def test_settings_refuse_malformed_body_size(size):
    with pytest.raises(ValidationError, match="client_max_body_size"):
        ProxySettings(client_max_body_size=size)


@pytest.mark.parametrize("resolver", ["dns.local", "127.0.0.11;", "127.0.0.11 valid=1s", "::1", "1.2.3.4:0"])
def test_settings_refuse_resolver_that_is_not_ipv4_with_port(resolver):
    with pytest.raises(ValidationError, match="resolver"):
        ProxySettings(resolver=resolver)


@pytest.mark.parametrize("path", ["relative/cert.pem", "/etc/x y.pem", "/etc/x.pem;", "/etc/$x.pem"])
def test_settings_refuse_unsafe_certificate_paths(path):
    with pytest.raises(ValidationError, match="absolute path"):
        ProxySettings(tls_certificate_path=path)


def test_settings_refuse_duplicate_path_prefixes():
    with pytest.raises(ValidationError, match="more than once: /api/"):
        ProxySettings(routes=(API, API.model_copy(update={"upstream_host": "other"})))


def test_settings_refuse_same_http_and_https_port_with_tls():
    with pytest.raises(ValidationError, match="must differ"):
        ProxySettings(tls=True, http_port=8443)


def test_settings_refuse_unknown_keys():
    with pytest.raises(ValidationError, match="extra"):
        ProxySettings(sever_name="typo")


def test_settings_accept_plain_dicts_for_routes():
    settings = ProxySettings(routes=[{"path_prefix": "/", "upstream_host": "web", "upstream_port": 3000}])
    assert settings.routes == (WEB,)


# ----------------------------------------------------------------------------- determinism


def test_same_settings_render_identical_text():
    assert render(tls=True) == render(tls=True)


def test_route_order_does_not_change_the_text():
    assert render(routes=(WEB, API)) == render(routes=(API, WEB))


def test_output_carries_no_timestamp_or_volatile_value():
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", render(tls=True))


# ----------------------------------------------------------------------------- what is rendered


def test_healthz_is_answered_by_nginx_without_access_log_in_every_server():
    text = render(tls=True)
    for server in server_blocks(text):
        assert (
            'location = /healthz {\n        access_log off;\n        default_type text/plain;\n        return 200 "ok\\n";'
            in server
        )


def test_connection_upgrade_map_lives_outside_server_blocks():
    text = render()
    assert text.index("map $http_upgrade $connection_upgrade {") < text.index("server {")


def test_variable_form_resolves_upstreams_per_request_through_docker_dns():
    text = render()
    assert "resolver 127.0.0.11 valid=5s ipv6=off;" in text
    web = location_block(text, "/")
    assert "set $upstream_web_3000 http://web:3000;" in web
    assert "proxy_pass $upstream_web_3000;" in web
    assert "upstream " not in text and "keepalive" not in text


def test_variable_form_strips_prefix_with_a_rewrite():
    api = location_block(render(), "/api/")
    assert "rewrite ^/api/(.*)$ /$1 break;" in api
    assert "proxy_pass $upstream_api_8000;" in api
    assert "proxy_set_header X-Forwarded-Prefix /api;" in api


def test_route_without_strip_keeps_the_uri():
    route = API.model_copy(update={"strip_prefix": False})
    api = location_block(render(routes=(route,)), "/api/")
    assert "rewrite" not in api and "X-Forwarded-Prefix" not in api


def test_regex_metacharacters_in_prefix_are_escaped_in_the_rewrite():
    route = ProxyRoute(path_prefix="/v1.0/", upstream_host="api", upstream_port=8000, strip_prefix=True)
    assert r"rewrite ^/v1\.0/(.*)$ /$1 break;" in location_block(render(routes=(route,)), "/v1.0/")


def test_resolve_form_uses_upstream_blocks_with_zone_resolve_and_keepalive():
    text = render(nginx_version=NEW)
    assert (
        "upstream upstream_api_8000 {\n    zone upstream_api_8000 64k;\n"
        "    resolver 127.0.0.11 valid=5s ipv6=off;\n    server api:8000 resolve;\n    keepalive 32;\n}"
    ) in text
    assert "set $" not in text


def test_resolve_form_strips_prefix_through_proxy_pass_uri():
    api = location_block(render(nginx_version=NEW), "/api/")
    assert "proxy_pass http://upstream_api_8000/;" in api and "rewrite" not in api


def test_resolve_form_clears_connection_header_for_keepalive_on_plain_routes():
    text = render(nginx_version=NEW)
    assert 'proxy_set_header Connection "";' in location_block(text, "/api/")
    assert "proxy_set_header Connection $connection_upgrade;" in location_block(text, "/")
    assert "''      '';" in text


def test_resolve_form_does_not_resolve_ip_upstreams():
    route = ProxyRoute(path_prefix="/", upstream_host="10.1.2.3", upstream_port=80)
    assert "server 10.1.2.3:80;" in render(routes=(route,), nginx_version=NEW)


def test_every_proxied_location_sets_forwarded_headers_and_http_1_1():
    for prefix in ("/", "/api/"):
        block = location_block(render(), prefix)
        for line in (
            "proxy_http_version 1.1;",
            "proxy_set_header Host $forwarded_authority;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "proxy_set_header X-Forwarded-Proto $scheme;",
            "proxy_set_header X-Forwarded-Host $forwarded_authority;",
            "proxy_set_header X-Forwarded-Port 8080;",
        ):
            assert line in block, (prefix, line)


def test_public_ports_feed_forwarded_port_and_redirect():
    text = render(tls=True, public_http_port=80, public_https_port=443)
    assert "proxy_set_header X-Forwarded-Port 443;" in location_block(text, "/api/")
    assert "return 301 https://$host$request_uri;" in text


def test_websocket_headers_only_on_websocket_routes():
    text = render()
    assert "proxy_set_header Upgrade $http_upgrade;" in location_block(text, "/")
    assert "Upgrade" not in location_block(text, "/api/")


def test_security_headers_are_always_added_and_hsts_only_with_tls():
    plain, tls = render(), render(tls=True)
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Permissions-Policy"):
        assert re.search(rf"add_header {header} \"[^\"]+\" always;", plain)
    assert "Strict-Transport-Security" not in plain
    https_server = server_blocks(tls)[1]
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in https_server
    assert "Strict-Transport-Security" not in server_blocks(tls)[0]


def test_tls_http_server_only_answers_healthz_and_redirects():
    http_server = server_blocks(render(tls=True))[0]
    assert "proxy_pass" not in http_server
    assert "location / {\n        return 301 https://$host:8443$request_uri;" in http_server


def test_tls_server_limits_protocols_and_enables_http2():
    old_https = server_blocks(render(tls=True))[1]
    assert "listen 8443 ssl http2;" in old_https
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in old_https
    new_https = server_blocks(render(tls=True, nginx_version=NEW))[1]
    assert "listen 8443 ssl;\n    http2 on;" in new_https


def test_gzip_can_be_switched_off():
    assert "gzip on;" in render() and "gzip_types" in render()
    text = render(gzip=False)
    assert "gzip off;" in text and "gzip on;" not in text


def test_timeouts_and_body_limit_come_from_settings():
    text = render(connect_timeout=3, read_timeout=30, send_timeout=20, client_max_body_size="2m")
    for line in ("proxy_connect_timeout 3s;", "proxy_read_timeout 30s;", "proxy_send_timeout 20s;", "client_max_body_size 2m;"):
        assert line in text


def test_without_root_route_unmatched_paths_get_404_not_nginx_default_files():
    assert "location / {\n        return 404;" in render(routes=(API,))


def test_upstream_names_do_not_collide_after_sanitising():
    a = ProxyRoute(path_prefix="/a/", upstream_host="x-y", upstream_port=1)
    b = ProxyRoute(path_prefix="/b/", upstream_host="x_y", upstream_port=1)
    text = render(routes=(a, b))
    assert "set $upstream_x_y_1 http://x-y:1;" in text
    assert "set $upstream_x_y_1_2 http://x_y:1;" in text


def test_baked_default_site_is_the_renderer_output_without_routes():
    """images/proxy/site/site.conf (baked into the image) must stay in step with the renderer."""
    from harness import IMAGE_DIR

    assert (IMAGE_DIR / "site" / "site.conf").read_text() == render_site_config(ProxySettings())
