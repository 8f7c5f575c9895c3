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
from components_nginx import RESOLVE_MIN_VERSION, ProxyRoute, ProxySettings, render_site_config

OLD, NEW = (1, 22, 1), RESOLVE_MIN_VERSION

MATRIX = list(itertools.product([False, True], [False, True], [False, True], [False, True], [OLD, NEW]))


def matrix_id(case) -> str:
    tls, strip, websocket, gzip, version = case
    return "-".join(
        [
            "tls" if tls else "plain",
            "strip" if strip else "nostrip",
            "ws" if websocket else "nows",
            "gzip" if gzip else "nogzip",
            "nginx" + ".".join(map(str, version)),
        ]
    )


def settings_for(case, tls_pair) -> ProxySettings:
    tls, strip, websocket, gzip, version = case
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
        routes=routes, tls=tls, gzip=gzip, nginx_version=version, tls_certificate_path=str(cert), tls_key_path=str(key)
    )


@pytest.mark.parametrize("case", MATRIX, ids=[matrix_id(c) for c in MATRIX])
def test_rendered_config_passes_nginx_t(case, tls_pair):
    harness.skip_unless_local_nginx_supports(case[-1])
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
