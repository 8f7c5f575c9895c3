"""Render the reverse proxy's nginx site configuration from typed, validated settings.

Pure Python (pydantic + stdlib) so that the stack config validation, the ReverseProxy component
and the proxy image's tests all share one renderer, and so that every value reaching the config
text has been checked first: nginx has no quoting discipline we could rely on, so anything with
whitespace, ``;``, braces, quotes or ``$`` is refused rather than escaped.

The output is an ``http {}``-level include (``/etc/nginx/site/site.conf`` in the image): one
``map`` for websocket upgrades, optional ``upstream`` blocks, and the server blocks.

Upstream addresses are Docker network aliases whose IP changes when a container is replaced.
nginx resolves names in plain ``proxy_pass``/``upstream`` only at start-up, so:

* nginx < 1.27.3 (Debian's 1.22 here): ``proxy_pass`` goes through a variable, which makes nginx
  resolve the name per request through ``resolver`` (cached ``valid=`` seconds). No keepalive
  pool is possible in that form; prefix stripping is done with ``rewrite ... break`` because a
  ``proxy_pass`` with variables does not replace the location prefix. The rewrite works on the
  decoded URI, so an encoded slash (``%2F``) in a stripped path reaches the upstream as ``/``.
* nginx >= 1.27.3: ``upstream`` blocks with ``zone`` + ``server host:port resolve`` re-resolve in
  the background and keep a keepalive pool (``keepalive 32``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["RESOLVE_MIN_VERSION", "ProxyRoute", "ProxySettings", "render_site_config"]

#: first open-source nginx with ``server ... resolve`` in upstream blocks
RESOLVE_MIN_VERSION = (1, 27, 3)
#: first nginx with the ``http2 on;`` directive (``listen ... http2`` is deprecated from there)
HTTP2_DIRECTIVE_MIN_VERSION = (1, 25, 1)

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$"
)
_SERVER_NAME = re.compile(r"^(?:_|(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$")
_PATH_PREFIX = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*$")
_SIZE = re.compile(r"^[0-9]{1,6}[kKmMgG]?$")
_FILE_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")

Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[int, Field(ge=1, le=86400)]


class ProxyRoute(BaseModel):
    """One path prefix forwarded to one upstream (a Docker network alias or an IP)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path_prefix: str = Field(description='URL prefix, starts and ends with "/", e.g. "/" or "/api/"')
    upstream_host: str = Field(description='network alias such as "api", or an IPv4 address')
    upstream_port: Port
    strip_prefix: bool = Field(False, description="/api/items reaches the upstream as /items")
    websocket: bool = Field(True, description="pass Upgrade/Connection for websockets")

    @field_validator("path_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not _PATH_PREFIX.fullmatch(value):
            raise ValueError(
                f"path_prefix {value!r} must start and end with '/' and contain only letters, "
                "digits and . _ ~ - between slashes (e.g. '/' or '/api/')"
            )
        return value

    @field_validator("upstream_host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if address is not None and address.version == 6:
            raise ValueError(f"upstream_host {value!r}: IPv6 upstreams are not supported (resolver runs ipv6=off)")
        if address is None and not _HOSTNAME.fullmatch(value):
            raise ValueError(
                f"upstream_host {value!r} must be a DNS name / network alias (letters, digits, '-', '_', "
                "dots between labels) or an IPv4 address"
            )
        return value

    @property
    def is_ip(self) -> bool:
        """True when the upstream is a literal address (nothing to resolve)."""
        try:
            ipaddress.ip_address(self.upstream_host)
        except ValueError:
            return False
        return True


class ProxySettings(BaseModel):
    """Everything the site config depends on; defaults suit the standard-stack container."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    routes: tuple[ProxyRoute, ...] = ()
    server_name: str = "_"
    tls: bool = False
    http_port: Port = 8080
    https_port: Port = 8443
    #: ports clients really use (host side of the port mapping); None = same as inside.
    #: They feed X-Forwarded-Port and the http->https redirect.
    public_http_port: Port | None = None
    public_https_port: Port | None = None
    client_max_body_size: str = "10m"
    connect_timeout: Seconds = 5
    read_timeout: Seconds = 60
    send_timeout: Seconds = 60
    gzip: bool = True
    hsts_max_age: Annotated[int, Field(ge=0, le=63072000)] = 31536000
    resolver: str = "127.0.0.11"
    resolver_valid: Seconds = 5
    tls_certificate_path: str = "/etc/nginx/site/tls/cert.pem"
    tls_key_path: str = "/etc/nginx/site/tls/key.pem"
    #: the nginx the config is for; below RESOLVE_MIN_VERSION the variable form is rendered
    nginx_version: tuple[int, int, int] = (1, 22, 1)

    @field_validator("server_name")
    @classmethod
    def _check_server_name(cls, value: str) -> str:
        if not _SERVER_NAME.fullmatch(value):
            raise ValueError(
                f"server_name {value!r} must be '_' or one host name (letters, digits, '-', '.', "
                "optional leading '*.'); no spaces, quotes, ';' or braces"
            )
        return value

    @field_validator("client_max_body_size")
    @classmethod
    def _check_size(cls, value: str) -> str:
        if not _SIZE.fullmatch(value):
            raise ValueError(f"client_max_body_size {value!r} must be digits with an optional k/m/g suffix, e.g. '10m'")
        return value

    @field_validator("resolver")
    @classmethod
    def _check_resolver(cls, value: str) -> str:
        host, _, port = value.partition(":")
        try:
            ipaddress.IPv4Address(host)
            if port and not (port.isdigit() and 1 <= int(port) <= 65535):
                raise ValueError(port)
        except ValueError:
            raise ValueError(f"resolver {value!r} must be an IPv4 address with an optional ':port'") from None
        return value

    @field_validator("tls_certificate_path", "tls_key_path")
    @classmethod
    def _check_file_path(cls, value: str) -> str:
        if not _FILE_PATH.fullmatch(value):
            raise ValueError(f"{value!r} must be an absolute path of letters, digits and . _ / - only")
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> ProxySettings:
        prefixes = [route.path_prefix for route in self.routes]
        duplicates = sorted({p for p in prefixes if prefixes.count(p) > 1})
        if duplicates:
            raise ValueError(f"routes: path_prefix used more than once: {', '.join(duplicates)}")
        if self.tls and self.http_port == self.https_port:
            raise ValueError("http_port and https_port must differ when tls is on")
        return self

    @property
    def uses_resolve(self) -> bool:
        """True when nginx can re-resolve upstream servers itself (keepalive pools possible)."""
        return self.nginx_version >= RESOLVE_MIN_VERSION


def render_site_config(settings: ProxySettings) -> str:
    """Return the site config text; identical settings always give identical text."""
    routes = sorted(settings.routes, key=lambda r: r.path_prefix)
    names = _upstream_names(routes)
    out: list[str] = [
        "# standard-stack reverse proxy site; rendered by components/nginx.py, do not edit.",
        "",
    ]
    out += _connection_map(settings)
    if settings.uses_resolve:
        out += _upstream_blocks(settings, routes, names)
    if settings.tls:
        out += _server(settings, routes, names, https=False, redirect_only=True)
        out += _server(settings, routes, names, https=True, redirect_only=False)
    else:
        out += _server(settings, routes, names, https=False, redirect_only=False)
    return "\n".join(out).rstrip("\n") + "\n"


def _upstream_names(routes: list[ProxyRoute]) -> dict[tuple[str, int], str]:
    """One nginx identifier per distinct upstream; collisions after sanitising get a suffix."""
    names: dict[tuple[str, int], str] = {}
    for route in routes:
        key = (route.upstream_host, route.upstream_port)
        if key in names:
            continue
        base = "upstream_" + re.sub(r"[^A-Za-z0-9_]", "_", f"{route.upstream_host}_{route.upstream_port}")
        name, n = base, 2
        while name in names.values():
            name, n = f"{base}_{n}", n + 1
        names[key] = name
    return names


def _connection_map(settings: ProxySettings) -> list[str]:
    # With a keepalive pool a request without Upgrade must send "Connection: " (empty) so the
    # upstream connection stays reusable; without one "close" is nginx's own default.
    no_upgrade = "''" if settings.uses_resolve else "close"
    return [
        "map $http_upgrade $connection_upgrade {",
        "    default upgrade;",
        f"    ''      {no_upgrade};",
        "}",
        "# the authority the client used, port included: apps that check Origin (Next.js server",
        "# actions) compare against it; HTTP/1.0 clients without Host fall back to server_name",
        "map $http_host $forwarded_authority {",
        "    default $http_host;",
        "    ''      $host;",
        "}",
        "",
    ]


def _upstream_blocks(settings: ProxySettings, routes: list[ProxyRoute], names: dict[tuple[str, int], str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for route in routes:
        name = names[(route.upstream_host, route.upstream_port)]
        if name in seen:
            continue
        seen.add(name)
        resolve = "" if route.is_ip else " resolve"
        out += [
            f"upstream {name} {{",
            f"    zone {name} 64k;",
            f"    resolver {settings.resolver} valid={settings.resolver_valid}s ipv6=off;",
            f"    server {route.upstream_host}:{route.upstream_port}{resolve};",
            "    keepalive 32;",
            "}",
            "",
        ]
    return out


def _server(
    settings: ProxySettings, routes: list[ProxyRoute], names: dict[tuple[str, int], str], *, https: bool, redirect_only: bool
) -> list[str]:
    out = ["server {"]
    body: list[str] = []
    if https:
        h2_directive = settings.nginx_version >= HTTP2_DIRECTIVE_MIN_VERSION
        body.append(f"listen {settings.https_port} ssl{'' if h2_directive else ' http2'};")
        if h2_directive:
            body.append("http2 on;")
    else:
        body.append(f"listen {settings.http_port};")
    body += [
        f"server_name {settings.server_name};",
        "server_tokens off;",
        # nginx's own redirects (/api -> /api/) must not carry the container's port or scheme
        "absolute_redirect off;",
        f"client_max_body_size {settings.client_max_body_size};",
        "",
    ]
    if https:
        body += [*_tls_lines(settings), ""]
    body += [*_security_headers(settings, https=https), ""]
    if not redirect_only:
        body += [*_proxy_common(settings, https=https), ""]
    body += [
        "location = /healthz {",
        "    access_log off;",
        "    default_type text/plain;",
        '    return 200 "ok\\n";',
        "}",
        "",
    ]
    if redirect_only:
        port = settings.public_https_port or settings.https_port
        authority = "$host" if port == 443 else f"$host:{port}"
        body += ["location / {", f"    return 301 https://{authority}$request_uri;", "}"]
    else:
        for route in routes:
            body += _location(settings, route, names[(route.upstream_host, route.upstream_port)], https=https)
            body.append("")
        if not any(route.path_prefix == "/" for route in routes):
            body += ["location / {", "    return 404;", "}"]
    out += [("    " + line) if line else "" for line in body]
    while out[-1] == "":
        out.pop()
    out += ["}", ""]
    return out


def _tls_lines(settings: ProxySettings) -> list[str]:
    return [
        f"ssl_certificate {settings.tls_certificate_path};",
        f"ssl_certificate_key {settings.tls_key_path};",
        "ssl_protocols TLSv1.2 TLSv1.3;",
        "ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;",
        "ssl_prefer_server_ciphers off;",
        "ssl_session_cache shared:proxy_tls:10m;",
        "ssl_session_timeout 1d;",
        "ssl_session_tickets off;",
    ]


def _security_headers(settings: ProxySettings, *, https: bool) -> list[str]:
    # add_header is inherited only by locations that declare none: locations below add none.
    lines = [
        'add_header X-Content-Type-Options "nosniff" always;',
        'add_header X-Frame-Options "SAMEORIGIN" always;',
        'add_header Referrer-Policy "strict-origin-when-cross-origin" always;',
        'add_header Permissions-Policy "camera=(), microphone=(), geolocation=()" always;',
    ]
    if https:
        lines.append(f'add_header Strict-Transport-Security "max-age={settings.hsts_max_age}" always;')
    return lines


def _proxy_common(settings: ProxySettings, *, https: bool) -> list[str]:
    lines: list[str] = []
    if not settings.uses_resolve:
        lines.append(f"resolver {settings.resolver} valid={settings.resolver_valid}s ipv6=off;")
        lines.append("resolver_timeout 5s;")
    lines += [
        f"proxy_connect_timeout {settings.connect_timeout}s;",
        f"proxy_read_timeout {settings.read_timeout}s;",
        f"proxy_send_timeout {settings.send_timeout}s;",
        # upstreams' own copies would duplicate the headers set above
        "proxy_hide_header X-Content-Type-Options;",
        "proxy_hide_header X-Frame-Options;",
        "proxy_hide_header Referrer-Policy;",
        "proxy_hide_header Permissions-Policy;",
    ]
    if https:
        lines.append("proxy_hide_header Strict-Transport-Security;")
    if settings.gzip:
        lines += [
            "gzip on;",
            "gzip_vary on;",
            "gzip_proxied any;",
            "gzip_comp_level 5;",
            "gzip_min_length 256;",
            "gzip_types text/plain text/css text/javascript text/xml application/javascript application/json "
            "application/manifest+json application/xml image/svg+xml;",
        ]
    else:
        lines.append("gzip off;")
    return lines


def _location(settings: ProxySettings, route: ProxyRoute, name: str, *, https: bool) -> list[str]:
    public_port = (
        (settings.public_https_port or settings.https_port) if https else (settings.public_http_port or settings.http_port)
    )
    lines = [f"location {route.path_prefix} {{"]
    inner = ["proxy_http_version 1.1;"]
    strip = route.strip_prefix and route.path_prefix != "/"
    if settings.uses_resolve:
        # a literal proxy_pass with a URI replaces the location prefix, raw URI kept as sent
        target = f"http://{name}/" if strip else f"http://{name}"
    else:
        # a variable in proxy_pass makes nginx resolve the name per request (cached valid=);
        # such a proxy_pass never replaces the prefix, so a rewrite strips it
        inner.append(f"set ${name} http://{route.upstream_host}:{route.upstream_port};")
        target = f"${name}"
        if strip:
            inner.append(f"rewrite ^{re.escape(route.path_prefix)}(.*)$ /$1 break;")
    if strip:
        inner.append(f"proxy_set_header X-Forwarded-Prefix {route.path_prefix.rstrip('/')};")
    inner += [
        f"proxy_pass {target};",
        "proxy_set_header Host $forwarded_authority;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-Host $forwarded_authority;",
        f"proxy_set_header X-Forwarded-Port {public_port};",
    ]
    if route.websocket:
        inner += [
            "proxy_set_header Upgrade $http_upgrade;",
            "proxy_set_header Connection $connection_upgrade;",
        ]
    elif settings.uses_resolve:
        inner.append('proxy_set_header Connection "";')
    lines += ["    " + line for line in inner]
    lines.append("}")
    return lines
