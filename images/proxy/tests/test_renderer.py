"""Unit specification of components/nginx.py: validation, determinism and what gets rendered."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, ValidationError

from standard_stack.nginx import (
    BODY_SIZE_FORM,
    DEFAULT_CONTENT_SECURITY_POLICY,
    RESOLVE_MIN_VERSION,
    SECURITY_HEADER_DEFAULTS,
    SERVER_NAME_FORM,
    BodySize,
    ProxyRoute,
    ProxySettings,
    ServerName,
    render_site_config,
    validate_body_size,
    validate_server_name,
)

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


@pytest.mark.parametrize("address", ["api", "::1", "10.0.0.7:80", "10.0.0.7;", ""])
def test_route_refuses_upstream_address_that_is_not_ipv4(address):
    with pytest.raises(ValidationError, match=r"upstream_address .* must be an IPv4 address"):
        ProxyRoute(path_prefix="/", upstream_host="api-1a2b3c4", upstream_port=8000, upstream_address=address)


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


# ----------------------------------------------------------------------------- shared setting rules
# The same functions back ProxySettings and the stack's config model (proxy.serverName,
# proxy.clientMaxBodySize): one rule per setting. test_config_syntax.py shows nginx agrees.

ACCEPTED_SERVER_NAMES = {
    "_": "_",
    "example.com": "example.com",
    "Shop.Example.COM": "shop.example.com",
    "a_b.example.com": "a_b.example.com",
    "localhost": "localhost",
    "203.0.113.7": "203.0.113.7",
    "xn--bcher-kva.example": "xn--bcher-kva.example",
    "*.example.com": "*.example.com",
    ".example.com": ".example.com",
    "example.*": "example.*",
    "a" * 63 + ".example.com": "a" * 63 + ".example.com",
    ".".join(["a" * 63] * 3) + "." + "b" * 61: ".".join(["a" * 63] * 3) + "." + "b" * 61,  # 253
}

REFUSED_SERVER_NAMES = {
    "foo*bar": "'*' is allowed only as the whole first or last label",
    "a.*.com": "'*' is allowed only as the whole first or last label",
    "*example.com": "'*' is allowed only as the whole first or last label",
    "example*": "'*' is allowed only as the whole first or last label",
    "*.*": "'*' is allowed only as the whole first or last label",
    "*": "'*' is allowed only as the whole first or last label",
    "ex..com": "empty label",
    "..example.com": "empty label",
    "example.com.": "a trailing dot never matches (nginx drops it from the request's Host)",
    "~^(www\\.)?example\\.com$": "regular expressions are not supported",
    "": "empty",
    "*.": "empty",
    "example.com www.example.com": "not a DNS name",
    "-a.example.com": "not a DNS name",
    "a-.example.com": "not a DNS name",
    "a" * 64 + ".example.com": "not a DNS name",
    "*.a b": "not a wildcard over a DNS name",
    "x;": "not a DNS name",
    "x{": "not a DNS name",
    "'q'": "not a DNS name",
    "$host": "not a DNS name",
    "ex/ample.com": "not a DNS name",
    ".".join(["a" * 63] * 4): "255 characters is longer than 253",
}


@pytest.mark.parametrize("value", list(ACCEPTED_SERVER_NAMES), ids=lambda v: v[:40])
def test_server_name_rule_accepts_names_and_nginx_wildcards_lowercased(value):
    assert validate_server_name(value) == ACCEPTED_SERVER_NAMES[value]


@pytest.mark.parametrize("value", list(REFUSED_SERVER_NAMES), ids=lambda v: v[:40] or "empty")
def test_server_name_rule_refuses_with_the_reason_and_the_allowed_form(value):
    with pytest.raises(ValueError) as caught:
        validate_server_name(value)
    assert str(caught.value) == f"{REFUSED_SERVER_NAMES[value]}; must be {SERVER_NAME_FORM}"


def test_server_name_form_names_every_accepted_shape():
    for shape in ("'_'", "'example.com'", "'*.example.com'", "'.example.com'", "'example.*'", "'_'", "253"):
        assert shape in SERVER_NAME_FORM


def test_server_name_rule_refuses_non_text():
    with pytest.raises(ValueError, match="must be text"):
        validate_server_name(42)


ACCEPTED_BODY_SIZES = ["0", "1", "512k", "10m", "10M", "1g", "1G", "010k", "10000000m", "8589934591g", str(2**63 - 1)]
REFUSED_BODY_SIZES = ["", "10 m", " 10m", "10m;", "1t", "m", "10mb", "-1", "1.5m", "{1}", "1e6", "8589934592g", str(2**63)]


@pytest.mark.parametrize("value", ACCEPTED_BODY_SIZES)
def test_body_size_rule_accepts_what_nginx_parses(value):
    assert validate_body_size(value) == value


def test_body_size_rule_takes_an_integer_as_bytes():
    assert validate_body_size(1048576) == "1048576"


@pytest.mark.parametrize("value", REFUSED_BODY_SIZES)
def test_body_size_rule_refuses_with_the_allowed_form(value):
    with pytest.raises(ValueError) as caught:
        validate_body_size(value)
    assert str(caught.value).endswith(f"must be {BODY_SIZE_FORM}")


@pytest.mark.parametrize("value", ["8589934592g", "8796093022208m", "9007199254740992k", str(2**63)])
def test_body_size_rule_says_when_a_value_is_too_large_for_nginx(value):
    with pytest.raises(ValueError, match=r"^too large for nginx \(over 2\^63-1 bytes\); must be "):
        validate_body_size(value)


@pytest.mark.parametrize("value", [True, 1.5, None])
def test_body_size_rule_refuses_other_types(value):
    with pytest.raises(ValueError, match="must be a whole number"):
        validate_body_size(value)


def test_body_size_form_states_units_the_off_switch_and_the_maximum():
    for part in ("'512k'", "'10m'", "'1g'", "'0' turns the limit off", "8589934591g"):
        assert part in BODY_SIZE_FORM


class _ForeignModel(BaseModel):
    """Stands for the stack config model: it reuses the types, not a copy of the rule."""

    server_name: ServerName = "_"
    client_max_body_size: BodySize = "10m"


@pytest.mark.parametrize(("field", "value"), [("server_name", "foo*bar"), ("client_max_body_size", "10000000000g")])
def test_the_types_carry_the_rule_into_another_pydantic_model(field, value):
    with pytest.raises(ValidationError) as caught:
        _ForeignModel(**{field: value})
    (error,) = caught.value.errors()
    assert error["loc"] == (field,) and error["input"] == value
    assert error["msg"].startswith("Value error, ") and "; must be " in error["msg"]


def test_the_types_normalise_in_another_pydantic_model():
    assert _ForeignModel(server_name="EXAMPLE.com", client_max_body_size=2048).model_dump() == {
        "server_name": "example.com",
        "client_max_body_size": "2048",
    }


@pytest.mark.parametrize(("field", "value"), [("server_name", "a_b.example.com"), ("client_max_body_size", "10000000m")])
def test_values_the_config_model_used_to_pass_but_the_renderer_refused_now_render(field, value):
    assert f" {value};" in render(**{field: value})


def test_settings_report_the_setting_the_value_and_the_form():
    with pytest.raises(ValidationError) as caught:
        ProxySettings(server_name="foo*bar")
    text = str(caught.value)
    assert "server_name" in text and "foo*bar" in text and "'*.example.com'" in text


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
    assert "resolver 127.0.0.11 valid=2s ipv6=off;" in text
    web = location_block(text, "/")
    assert "set $upstream_web_3000 http://web:3000;" in web
    assert "proxy_pass $upstream_web_3000;" in web
    assert not re.search(r"^upstream ", text, re.M) and "keepalive" not in text


def test_variable_form_strips_prefix_with_a_rewrite():
    api = location_block(render(), "/api/")
    assert "rewrite ^/api/(.*)$ /$1 break;" in api
    assert "proxy_pass $upstream_api_8000;" in api
    assert "proxy_set_header X-Forwarded-Prefix /api;" in api


def test_route_without_strip_keeps_the_uri():
    route = API.model_copy(update={"strip_prefix": False})
    api = location_block(render(routes=(route,)), "/api/")
    assert "rewrite" not in api
    assert 'proxy_set_header X-Forwarded-Prefix "";' in api  # a client's own never reaches the app


def test_regex_metacharacters_in_prefix_are_escaped_in_the_rewrite():
    route = ProxyRoute(path_prefix="/v1.0/", upstream_host="api", upstream_port=8000, strip_prefix=True)
    assert r"rewrite ^/v1\.0/(.*)$ /$1 break;" in location_block(render(routes=(route,)), "/v1.0/")


def test_resolve_form_uses_upstream_blocks_with_zone_resolve_and_keepalive():
    text = render(nginx_version=NEW)
    assert (
        "upstream upstream_api_8000 {\n    zone upstream_api_8000 64k;\n"
        "    resolver 127.0.0.11 valid=2s ipv6=off;\n    server api:8000 resolve max_fails=0;\n    keepalive 32;\n}"
    ) in text
    assert "set $" not in text


def test_resolve_form_serves_the_names_current_address_as_backup_until_nginx_resolves_it():
    route = ProxyRoute(path_prefix="/", upstream_host="api-1a2b3c4", upstream_port=8000, upstream_address="172.18.0.5")
    text = render(routes=(route,), nginx_version=NEW)
    assert (
        "    server api-1a2b3c4:8000 resolve max_fails=0;\n    server 172.18.0.5:8000 backup max_fails=0;\n    keepalive 32;"
    ) in text


def test_variable_form_resolves_the_name_per_request_and_has_no_use_for_the_address():
    route = ProxyRoute(path_prefix="/", upstream_host="api-1a2b3c4", upstream_port=8000, upstream_address="172.18.0.5")
    text = render(routes=(route,))  # the default version is below RESOLVE_MIN_VERSION
    assert "set $upstream_api_1a2b3c4_8000 http://api-1a2b3c4:8000;" in text
    assert "172.18.0.5" not in text


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
    assert "server 10.1.2.3:80 max_fails=0;" in render(routes=(route,), nginx_version=NEW)


def test_every_proxied_location_sets_forwarded_headers_and_http_1_1():
    for prefix in ("/", "/api/"):
        block = location_block(render(), prefix)
        for line in (
            "proxy_http_version 1.1;",
            "proxy_set_header Host $forwarded_authority;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $remote_addr;",
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


def test_security_headers_fall_back_to_nginx_defaults_only_when_the_upstream_sent_none():
    text = render()
    for header, value in SECURITY_HEADER_DEFAULTS:
        variable = header.lower().replace("-", "_")
        assert f'map $upstream_http_{variable} $fallback_{variable} {{\n    ""      "{value}";\n    default "";\n}}' in text
        assert f"add_header {header} $fallback_{variable} always;" in server_blocks(text)[0]


def test_upstream_security_headers_are_not_hidden_except_hsts():
    for text in (render(), render(tls=True, server_name="example.com")):
        hidden = re.findall(r"proxy_hide_header (\S+);", text)
        assert set(hidden) <= {"Strict-Transport-Security"}


def test_hsts_is_nginx_s_own_on_tls_servers_only():
    plain, tls = render(), render(tls=True)
    assert "Strict-Transport-Security" not in plain
    https_server = server_blocks(tls)[1]
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in https_server
    assert "proxy_hide_header Strict-Transport-Security;" in https_server
    assert "Strict-Transport-Security" not in server_blocks(tls)[0]


def _web_security_headers() -> dict[str, str]:
    """The headers images/web/next.config.ts sends, read from the file."""
    from harness import IMAGE_DIR

    source = (IMAGE_DIR.parent / "web" / "next.config.ts").read_text()
    pairs = re.findall(r"\{\s*key:\s*'([^']+)',\s*value:\s*(?:'([^']*)'|\"([^\"]*)\"),?\s*\}", source)
    pairs = [(key, single or double) for key, single, double in pairs]
    assert len(pairs) >= 5, "cannot read the security headers of images/web/next.config.ts; update this test"
    return {key: value for key, value in pairs}


def test_nginx_defaults_are_at_least_as_strict_as_the_web_app_s_headers():
    ours, web = dict(SECURITY_HEADER_DEFAULTS), _web_security_headers()
    assert set(web) - {"Content-Security-Policy"} <= set(ours), "a header the web app sets has no nginx default"
    assert ours["X-Frame-Options"] == "DENY"
    for key in ("X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert ours[key] == web[key], key
    ours_pp = {d.strip() for d in ours["Permissions-Policy"].split(",")}
    assert {d.strip() for d in web["Permissions-Policy"].split(",")} <= ours_pp
    # the proxy's CSP is sent beside the app's (both enforced): it holds every directive the app's has
    ours_csp = {d.strip() for d in DEFAULT_CONTENT_SECURITY_POLICY.split(";")}
    assert {d.strip() for d in web["Content-Security-Policy"].split(";")} <= ours_csp


# ----------------------------------------------------------------------------- host names


def test_catch_all_server_name_renders_one_server_per_listener():
    assert len(server_blocks(render())) == 1
    assert len(server_blocks(render(tls=True))) == 2
    assert "default_server" not in render(tls=True)


def test_named_site_puts_a_421_default_server_before_each_listener_s_named_server():
    blocks = server_blocks(render(tls=True, server_name="example.com", nginx_version=NEW))
    assert len(blocks) == 4
    for block, listen in zip(blocks, ("listen 8080", "listen 8080", "listen 8443 ssl", "listen 8443 ssl"), strict=True):
        assert f"\n    {listen}" in block
    for default in (blocks[0], blocks[2]):
        assert " default_server;" in default and "server_name _;" in default
        assert "location / {\n        return 421;\n    }" in default
        assert "location = /healthz {" in default
        assert "proxy_pass" not in default and "return 301" not in default
    for named in (blocks[1], blocks[3]):
        assert "server_name example.com;" in named and "default_server" not in named


def test_named_site_without_tls_also_refuses_other_hosts():
    blocks = server_blocks(render(server_name="example.com"))
    assert len(blocks) == 2
    assert "listen 8080 default_server;" in blocks[0] and "return 421;" in blocks[0]
    assert "proxy_pass" in blocks[1]


def test_https_default_server_speaks_tls_and_http2():
    old = server_blocks(render(tls=True, server_name="example.com"))[2]
    assert "listen 8443 ssl http2 default_server;" in old
    new = server_blocks(render(tls=True, server_name="example.com", nginx_version=NEW))[2]
    assert "listen 8443 ssl default_server;\n    http2 on;" in new
    assert 'add_header Strict-Transport-Security "max-age=31536000" always;' in new


def test_redirect_names_the_configured_server_and_public_https_port():
    text = render(tls=True, server_name="shop.example.com", public_https_port=443)
    assert "return 301 https://shop.example.com$request_uri;" in text
    text = render(tls=True, server_name="shop.example.com", public_https_port=28443)
    assert "return 301 https://shop.example.com:28443$request_uri;" in text
    assert "$host" not in server_blocks(text)[1]


@pytest.mark.parametrize("name", ["*.example.com", ".example.com", "example.*"])
def test_wildcard_redirect_keeps_the_matched_host(name):
    assert "return 301 https://$host:8443$request_uri;" in server_blocks(render(tls=True, server_name=name))[1]


def test_catch_all_redirect_can_only_use_the_request_s_host():
    assert "return 301 https://$host:8443$request_uri;" in server_blocks(render(tls=True))[0]


def test_long_server_name_gets_a_hash_bucket_that_holds_it():
    assert "server_names_hash_bucket_size" not in render(server_name="a" * 42 + ".com")  # 46: fits 64
    assert "server_names_hash_bucket_size 128;" in render(server_name="a" * 43 + ".com")  # 47
    longest = ".".join(["a" * 63] * 3) + "." + "b" * 61
    assert "server_names_hash_bucket_size 512;" in render(server_name=longest)


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


# ----------------------------------------------------------------------------- abuse limits and policy


def test_limits_and_timeouts_are_rendered_from_the_settings():
    text = render(
        client_header_timeout=7, client_body_timeout=9, connections_per_client=11, requests_per_second=13, request_burst=17
    )
    assert "client_header_timeout 7s;" in text and "client_body_timeout 9s;" in text
    assert "limit_req_zone $binary_remote_addr zone=per_client_requests:10m rate=13r/s;" in text
    main = server_blocks(text)[0]
    assert "limit_conn per_client_connections 11;" in main
    assert "limit_req zone=per_client_requests burst=17 nodelay;" in main


def test_no_proxied_body_is_ever_buffered_to_a_file():
    for text in (render(), render(nginx_version=RESOLVE_MIN_VERSION)):
        assert "proxy_request_buffering off;" in text and "proxy_max_temp_file_size 0;" in text


@pytest.mark.parametrize(
    "field,value",
    [("connections_per_client", 0), ("requests_per_second", 0), ("request_burst", -1), ("client_header_timeout", 0)],
)
def test_limits_out_of_range_are_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        ProxySettings(**{field: value})


@pytest.mark.parametrize(
    "policy,why",
    [
        ("frame-ancestors 'none'", "has no default-src"),
        ("default-src 'self' $evil", "without"),
        ('default-src "self"', "without"),
        ("default-src 'self';\nscript-src x", "without"),
    ],
)
def test_a_content_security_policy_nginx_cannot_quote_or_without_default_src_is_refused(policy, why):
    with pytest.raises(ValidationError, match=why):
        ProxySettings(content_security_policy=policy)


def test_the_default_csp_has_default_src_and_script_src():
    directives = {d.strip().split(" ")[0] for d in DEFAULT_CONTENT_SECURITY_POLICY.split(";")}
    assert {"default-src", "script-src", "frame-ancestors", "object-src", "base-uri", "form-action"} <= directives


def test_server_aliases_need_a_server_name():
    with pytest.raises(ValidationError, match="server_aliases need a server_name"):
        ProxySettings(server_aliases=("127.0.0.1",))
    with pytest.raises(ValidationError, match="not a name"):
        ProxySettings(server_name="localhost", server_aliases=("_",))


def test_the_unknown_name_default_server_has_no_certificate_and_rejects_the_handshake():
    reject = server_blocks(render(tls=True, server_name="example.com"))[2]
    assert "ssl_reject_handshake on;" in reject and "ssl_certificate" not in reject
