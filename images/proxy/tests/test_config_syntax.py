"""Every config shape the renderer can produce passes `nginx -t` with the image's nginx.conf.

The host's Debian nginx does the checking. Variants for nginx >= 1.27.3 (upstream `resolve`,
`http2 on`) can only be checked by such an nginx: on an older one they are skipped with a
reason naming the version (scripts/test prints that loudly; scripts/test-nginx-next runs the
same tests with Debian unstable's nginx).
"""

from __future__ import annotations

import itertools

import harness
import pytest
from test_renderer import ACCEPTED_BODY_SIZES, ACCEPTED_SERVER_NAMES

from standard_stack.nginx import (
    RESOLVE_MIN_VERSION,
    ProxyRoute,
    ProxySettings,
    render_site_config,
    validate_body_size,
    validate_server_name,
)

OLD, NEW = (1, 22, 1), RESOLVE_MIN_VERSION

MATRIX = list(itertools.product([False, True], [False, True], [False, True], [False, True], [OLD, NEW], ["_", "example.com"]))


def matrix_id(case) -> str:
    tls, strip, websocket, gzip, version, server_name = case
    return "-".join(
        [
            "anyhost" if server_name == "_" else "named",
            "tls" if tls else "plain",
            "strip" if strip else "nostrip",
            "ws" if websocket else "nows",
            "gzip" if gzip else "nogzip",
            "nginx" + ".".join(map(str, version)),
        ]
    )


def settings_for(case, tls_pair) -> ProxySettings:
    tls, strip, websocket, gzip, version, server_name = case
    cert, key = tls_pair
    routes = (
        ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=3000, websocket=websocket),
        ProxyRoute(path_prefix="/api/", upstream_host="api", upstream_port=8000, strip_prefix=strip, websocket=websocket),
        ProxyRoute(
            path_prefix="/api/v1.0/",
            upstream_host="api-v1.internal",
            upstream_port=8001,
            strip_prefix=strip,
            websocket=not websocket,
        ),
        ProxyRoute(path_prefix="/metrics/", upstream_host="10.0.0.9", upstream_port=9100, strip_prefix=True),
    )
    return ProxySettings(
        routes=routes,
        tls=tls,
        gzip=gzip,
        nginx_version=version,
        server_name=server_name,
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
    )


@pytest.mark.parametrize("case", MATRIX, ids=[matrix_id(c) for c in MATRIX])
def test_rendered_config_passes_nginx_t(case, tls_pair):
    harness.skip_unless_local_nginx_supports(case[4])
    result = harness.nginx_test(render_site_config(settings_for(case, tls_pair)))
    assert result.returncode == 0, result.stderr
    assert harness.config_warnings(result.stderr) == [], result.stderr


def test_baked_default_site_passes_nginx_t():
    result = harness.nginx_test((harness.IMAGE_DIR / "site" / "site.conf").read_text())
    assert result.returncode == 0, result.stderr


def test_nginx_t_rejects_a_broken_site():
    """Guards the harness itself: a config error must make the check fail."""
    result = harness.nginx_test("server { listen 8080; bogus_directive on; }\n")
    assert result.returncode != 0
    assert "bogus_directive" in result.stderr


# ----------------------------------------------------------------------------- the shared rules agree with nginx
# components/nginx.py validate_server_name / validate_body_size are meant to accept what this
# nginx accepts in the rendered layout (a 421 default server beside the named one, which makes
# nginx hash the names) and to refuse what it refuses.


@pytest.mark.parametrize("name", list(ACCEPTED_SERVER_NAMES), ids=lambda v: v[:40])
def test_every_accepted_server_name_passes_nginx_t_beside_the_default_server(name, tls_pair):
    cert, key = tls_pair
    settings = ProxySettings(
        routes=(ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=3000),),
        server_name=name,
        tls=True,
        tls_certificate_path=str(cert),
        tls_key_path=str(key),
    )
    result = harness.nginx_test(render_site_config(settings))
    assert result.returncode == 0, result.stderr
    assert harness.config_warnings(result.stderr) == [], result.stderr


NGINX_REFUSES = ["foo*bar", "a.*.com", "*example.com", "example*", "*.*", "*", "ex..com"]


@pytest.mark.parametrize("name", NGINX_REFUSES)
def test_nginx_itself_refuses_the_names_the_rule_refuses_for_it(name):
    with pytest.raises(ValueError):
        validate_server_name(name)
    site = (
        "server { listen 8080 default_server; server_name _; return 421; }\n"
        f"server {{ listen 8080; server_name {name}; return 200; }}\n"
    )
    result = harness.nginx_test(site)
    assert result.returncode != 0
    assert f'server name "{name}" is invalid' in result.stderr or f'invalid server name or wildcard "{name}"' in result.stderr


def test_without_a_second_server_nginx_would_have_started_with_an_invalid_wildcard():
    """Why the rule cannot be "whatever nginx -t said before": one server per port skips the check."""
    result = harness.nginx_test("server { listen 8080; server_name foo*bar; return 200; }\n")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("size", ACCEPTED_BODY_SIZES)
def test_every_accepted_body_size_passes_nginx_t(size):
    result = harness.nginx_test(render_site_config(ProxySettings(client_max_body_size=size)))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("size", ["8589934592g", "8796093022208m", "9007199254740992k", str(2**63), "1t", "10mb", "-1"])
def test_nginx_itself_refuses_the_sizes_the_rule_refuses(size):
    with pytest.raises(ValueError):
        validate_body_size(size)
    result = harness.nginx_test(f"server {{ listen 8080; client_max_body_size {size}; }}\n")
    assert result.returncode != 0
    assert '"client_max_body_size" directive invalid value' in result.stderr


def test_the_largest_accepted_limits_pass_nginx_t():
    settings = ProxySettings(connections_per_client=65535, requests_per_second=100000, request_burst=100000)
    result = harness.nginx_test(render_site_config(settings))
    assert result.returncode == 0, result.stderr


def test_nginx_itself_refuses_the_connection_limit_the_rule_refuses():
    with pytest.raises(ValueError):
        ProxySettings(connections_per_client=65536)
    limit = "limit_conn per_client_connections"
    site = render_site_config(ProxySettings()).replace(f"{limit} 100;", f"{limit} 65536;")
    result = harness.nginx_test(site)
    assert result.returncode != 0 and "connection limit must be less 65536" in result.stderr
