"""Render the reverse proxy's nginx site configuration from typed, validated settings.

Pure Python (pydantic + stdlib) so that the stack config validation, the ReverseProxy component
and the proxy image's tests all share one renderer, and so that every value reaching the config
text has been checked first: nginx has no quoting discipline we could rely on, so anything with
whitespace, ``;``, braces, quotes or ``$`` is refused rather than escaped.

The output is an ``http {}``-level include (``/etc/nginx/site/site.conf`` in the image): one
``map`` for websocket upgrades, optional ``upstream`` blocks, and the server blocks.

Upstream addresses are Docker network aliases whose IP changes when a container is replaced.
nginx resolves names in plain ``proxy_pass``/``upstream`` only at start-up, so:

* nginx < 1.27.3 (e.g. Debian bookworm's 1.22): ``proxy_pass`` goes through a variable, which makes nginx
  resolve the name per request through ``resolver`` (cached ``valid=`` seconds). No keepalive
  pool is possible in that form; prefix stripping is done with ``rewrite ... break`` because a
  ``proxy_pass`` with variables does not replace the location prefix. The rewrite works on the
  decoded URI, so an encoded slash (``%2F``) in a stripped path reaches the upstream as ``/``.
* nginx >= 1.27.3: ``upstream`` blocks with ``zone`` + ``server host:port resolve`` re-resolve in
  the background and keep a keepalive pool (``keepalive 32``).

Host names: with a ``server_name`` other than ``_`` every listener gets a ``default_server`` that
answers requests for any other ``Host`` with 421 Misdirected Request (``/healthz`` still 200, for
the container health check that calls ``http://127.0.0.1:8080/healthz``), so a client's ``Host``
is never reflected into a redirect or passed to the apps. The HTTP->HTTPS redirect names the
configured server name and public HTTPS port. ``_`` (the default) means "any host name": one server
per listener, and the redirect then has no name but the request's own (``$host``).

Security headers: the upstream app owns each header it sends (nothing is hidden or replaced);
nginx adds its default only when the upstream sent none, and on its own responses (redirects,
404/421/413/502/504, ``/healthz``). Its defaults are at least as strict as the web app's
(``images/web/next.config.ts``). HSTS is nginx's alone, on TLS servers only.

Host: on top of the server selection, each listener accepts exactly the Host forms its names make
(``name``, ``name:<public port>``, ``name:<container port>``; the scheme's default port is never
written) and answers 421 to anything else, so ``example.com:@evil.example`` or another port never
reaches the apps. With TLS and a server name, the default server refuses the handshake of any
other SNI name (``ssl_reject_handshake``): a scan of the address does not learn the domain.

Abuse: short header and body timeouts (``client_header_timeout`` / ``client_body_timeout``),
``limit_conn`` and ``limit_req`` per client address (429), and no request or response body is ever
buffered to a file: the container's /tmp is a small tmpfs, and buffered bodies filled it (500 for
every upload). Bodies stream to the apps as they arrive (``proxy_request_buffering off``) and
responses are relayed as fast as the client reads them (``proxy_max_temp_file_size 0``).

Client-sent headers that only the proxy or the framework itself may set (``X-Forwarded-Prefix``,
Next.js' internal ``x-middleware-subrequest`` (CVE-2025-29927) and kin, ``Forwarded``) are cleared.

Settings shared with the stack's config model have their rule here, once, as plain functions
and pydantic types: :func:`validate_server_name` / :data:`ServerName` and
:func:`validate_body_size` / :data:`BodySize`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BODY_SIZE_FORM",
    "CLEARED_REQUEST_HEADERS",
    "CSP_FORM",
    "DEFAULT_CONTENT_SECURITY_POLICY",
    "RESOLVE_MIN_VERSION",
    "SECURITY_HEADER_DEFAULTS",
    "SERVER_NAME_FORM",
    "BodySize",
    "ConnectionLimit",
    "ContentSecurityPolicy",
    "ProxyRoute",
    "ProxySettings",
    "RequestBurst",
    "RequestRate",
    "ServerName",
    "render_site_config",
    "validate_body_size",
    "validate_content_security_policy",
    "validate_server_name",
]

#: first open-source nginx with ``server ... resolve`` in upstream blocks
RESOLVE_MIN_VERSION = (1, 27, 3)
#: first nginx with the ``http2 on;`` directive (``listen ... http2`` is deprecated from there)
HTTP2_DIRECTIVE_MIN_VERSION = (1, 25, 1)

_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*$"
)
_PATH_PREFIX = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*$")
_FILE_PATH = re.compile(r"^/[A-Za-z0-9._/-]+$")

Port = Annotated[int, Field(ge=1, le=65535)]
Seconds = Annotated[int, Field(ge=1, le=86400)]


# ----------------------------------------------------------------------------- shared setting rules
#
# server_name: what nginx itself accepts, followed in nginx's source:
# * ngx_http_core_module.c, ngx_http_core_server_name(): a name starting with "*" must start with
#   "*." and be at least 3 long, one starting with "." at least 2 long; "~" starts a regex; "/"
#   only warns ("suspicious symbols"); anything else is taken as is and lowercased.
# * ngx_http.c, ngx_http_server_names() -> ngx_hash.c, ngx_hash_add_key(NGX_HASH_WILDCARD_KEY):
#   at most one "*", no "..", and the only wildcards are "*.example.com", ".example.com" and
#   "example.*"; anything else ("foo*bar", "a.*.com", "example*") is "invalid server name or
#   wildcard". This check only runs when two servers share a port, which is why a single-server
#   config used to start with such a name; with the default server below it would not.
# * ngx_http_request.c, ngx_http_validate_host(): a request's Host loses a trailing dot before it
#   is matched, so "example.com." could never match: refused here.
# On top of nginx's rule: one name (the redirect needs one), no regex (not quotable safely, no
# name to redirect to), DNS lengths (63 a label, 253 in all). Underscores are accepted, as nginx,
# browsers and Host validation accept them ("a_b.example.com"); public CAs do not issue
# certificates for such names, which is the certificate's business, not the proxy's.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_DNS_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")

SERVER_NAME_FORM = (
    "'_' (any host name), one DNS name such as 'example.com' (labels of letters, digits, '-' and '_' "
    "joined by single dots, no label starting or ending with '-', at most 63 characters a label and 253 "
    "in all, no trailing dot), or one nginx wildcard: '*.example.com' (its subdomains), '.example.com' "
    "(example.com and its subdomains) or 'example.*'"
)


def validate_server_name(value: object) -> str:
    """Return the server name lowercased (nginx matches case-insensitively) or raise ValueError.

    The message says why, then gives :data:`SERVER_NAME_FORM`; the caller names the setting.
    """
    if not isinstance(value, str):
        raise ValueError(f"must be text: {SERVER_NAME_FORM}")
    if value == "_":
        return value
    name = value.lower()
    if name.startswith("*."):
        core, kind = name[2:], "wildcard"
    elif name.startswith(".") and len(name) > 1:
        core, kind = name[1:], "wildcard"
    elif name.endswith(".*"):
        core, kind = name[:-2], "wildcard"
    else:
        core, kind = name, "name"
    if not core:
        why = "empty"
    elif name.startswith("~"):
        why = "regular expressions are not supported"
    elif "*" in core:
        why = "'*' is allowed only as the whole first or last label"
    elif core.endswith("."):
        why = "a trailing dot never matches (nginx drops it from the request's Host)"
    elif ".." in core or core.startswith("."):
        why = "empty label"
    elif len(name) > 253:
        why = f"{len(name)} characters is longer than 253"
    elif not _DNS_NAME.fullmatch(core):
        why = f"not a {'wildcard over a ' if kind == 'wildcard' else ''}DNS name"
    else:
        return name
    raise ValueError(f"{why}; must be {SERVER_NAME_FORM}")


# client_max_body_size: ngx_http_core_module.c declares it with ngx_conf_set_off_slot, which
# parses with ngx_parse.c, ngx_parse_offset(): decimal digits (ngx_atoof, no sign, no spaces)
# with an optional unit k/K, m/M, g/G (powers of 1024); the number must not exceed
# NGX_MAX_OFF_T_VALUE (2^63-1 on 64-bit) divided by the unit, else "invalid value". 0 turns the
# check off (documented for client_max_body_size).
_BODY_SIZE = re.compile(r"([0-9]+)([kKmMgG]?)")
_BODY_SIZE_SCALE = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_MAX_OFF_T = 2**63 - 1

BODY_SIZE_FORM = (
    "a whole number with an optional unit k, m or g (1024, 1024², 1024³ bytes), e.g. '512k', '10m', '1g'; "
    f"'0' turns the limit off; at most {_MAX_OFF_T // 1024**3}g (nginx's largest size, 2^63-1 bytes)"
)


def validate_body_size(value: object) -> str:
    """Return the nginx size text (an int is taken as bytes) or raise ValueError naming the form."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"must be {BODY_SIZE_FORM}")
    match = _BODY_SIZE.fullmatch(value)
    if not match:
        raise ValueError(f"must be {BODY_SIZE_FORM}")
    number, unit = int(match[1]), match[2].lower()
    if number > _MAX_OFF_T // _BODY_SIZE_SCALE[unit]:
        raise ValueError(f"too large for nginx (over 2^63-1 bytes); must be {BODY_SIZE_FORM}")
    return value


ServerName = Annotated[str, BeforeValidator(validate_server_name), Field(examples=["_", "example.com", "*.example.com"])]
"""A pydantic type for an nginx ``server_name`` (see :data:`SERVER_NAME_FORM`)."""

BodySize = Annotated[str, BeforeValidator(validate_body_size), Field(examples=["512k", "10m", "1g"])]
"""A pydantic type for ``client_max_body_size`` (see :data:`BODY_SIZE_FORM`)."""

#: nginx's default for each security header: sent when the upstream sent none of its own, and on
#: nginx's own responses. At least as strict as images/web/next.config.ts (a test compares them).
SECURITY_HEADER_DEFAULTS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)

#: The proxy's Content-Security-Policy, sent on every response in addition to any policy the app
#: sends: a browser enforces every policy it receives (CSP Level 3, 4.1 "multiple policies"), so an
#: app can only tighten it, never loosen it. Next.js bootstraps pages with inline scripts and React
#: sets inline styles; without per-request nonces (the app's own middleware would have to make them)
#: 'unsafe-inline' is the price of a working page. What it still stops: scripts, styles, frames,
#: fetches and form posts to any other origin, plugins, <base> rewrites and being framed.
DEFAULT_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
CSP_FORM = (
    "CSP directives separated by ';' (e.g. \"default-src 'self'; frame-ancestors 'none'\"), printable ASCII "
    'without " \\ $ { }, and with a default-src'
)
_CSP = re.compile(r"[\x20-\x7e]+")

#: Request headers a client must never set: the proxy's own (X-Forwarded-Prefix on routes that strip
#: no prefix, Forwarded which the apps might believe) and Next.js' internal ones, which the framework
#: trusts when they arrive (x-middleware-subrequest skips the middleware: CVE-2025-29927).
CLEARED_REQUEST_HEADERS: tuple[str, ...] = (
    "Forwarded",
    "X-Middleware-Subrequest",
    "X-Middleware-Invoke",
    "X-Invoke-Path",
    "X-Invoke-Query",
    "X-Invoke-Output",
    "X-Invoke-Status",
    "X-Invoke-Error",
    "X-Now-Route-Matches",
)


def validate_content_security_policy(value: object) -> str:
    """Return the policy or raise ValueError naming :data:`CSP_FORM` (it is written inside nginx quotes)."""
    if not isinstance(value, str) or not _CSP.fullmatch(value) or any(c in value for c in '"\\${}'):
        raise ValueError(f"must be {CSP_FORM}")
    directives = {part.strip().split(" ")[0].lower() for part in value.split(";") if part.strip()}
    if "default-src" not in directives:
        raise ValueError(f"has no default-src; must be {CSP_FORM}")
    return value


ContentSecurityPolicy = Annotated[str, BeforeValidator(validate_content_security_policy)]


#: limit_conn's limit: nginx refuses 65536 and more ("connection limit must be less 65536",
#: ngx_http_limit_conn_module.c, ngx_http_limit_conn), and the proxy then never starts
ConnectionLimit = Annotated[int, Field(ge=1, le=65535)]
RequestRate = Annotated[int, Field(ge=1, le=100000)]
RequestBurst = Annotated[int, Field(ge=0, le=100000)]


class ProxyRoute(BaseModel):
    """One path prefix forwarded to one upstream (a Docker network alias or an IP)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path_prefix: str = Field(description='URL prefix, starts and ends with "/", e.g. "/" or "/api/"')
    upstream_host: str = Field(description='network alias such as "api", or an IPv4 address')
    upstream_port: Port
    upstream_address: str | None = Field(
        None,
        description="IPv4 address upstream_host has now: served while nginx first resolves the name after a reload",
    )
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

    @field_validator("upstream_address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if address is None or address.version != 4:
            raise ValueError(f"upstream_address {value!r} must be an IPv4 address such as '172.18.0.5'")
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
    #: "_" answers any host name; a name makes other hosts get 421 (see the module docstring)
    server_name: ServerName = "_"
    #: more names the site answers to (e.g. 127.0.0.1 beside localhost); redirects name server_name
    server_aliases: tuple[ServerName, ...] = ()
    tls: bool = False
    http_port: Port = 8080
    https_port: Port = 8443
    #: ports clients really use (host side of the port mapping); None = same as inside.
    #: They feed X-Forwarded-Port and the http->https redirect.
    public_http_port: Port | None = None
    public_https_port: Port | None = None
    #: the apps' own limit (the API's API_MAX_BODY_BYTES, Next.js server actions: 1 MiB): what an app
    #: would refuse is refused here, by Content-Length, before it is sent. An app answering 413 early
    #: and closing while nginx still sends the body turns into a 502 for the client.
    client_max_body_size: BodySize = "1m"
    #: whole request header, and between two reads of a body: a slow client gets 408 (slowloris)
    client_header_timeout: Seconds = 10
    client_body_timeout: Seconds = 10
    #: requests in progress per client address (limit_conn), and its request rate and burst (limit_req)
    connections_per_client: ConnectionLimit = 100
    requests_per_second: RequestRate = 100
    request_burst: RequestBurst = 200
    content_security_policy: ContentSecurityPolicy = DEFAULT_CONTENT_SECURITY_POLICY
    connect_timeout: Seconds = 5
    read_timeout: Seconds = 60
    send_timeout: Seconds = 60
    gzip: bool = True
    hsts_max_age: Annotated[int, Field(ge=0, le=63072000)] = 31536000
    resolver: str = "127.0.0.11"
    # How long nginx keeps a resolved upstream address set. Shorter than the apps' first health probe
    # (one ``interval`` after start, 5 s: _containers.healthcheck): a create-first replacement is healthy,
    # and its predecessor stopped, only after nginx has re-resolved and knows the new address, so a
    # request the stopping one refuses moves on to it (proxy_next_upstream). With 5 s it was a race:
    # 1 request in ~300 failed per API replacement (504, the old address its only choice).
    resolver_valid: Seconds = 2
    tls_certificate_path: str = "/etc/nginx/site/tls/cert.pem"
    tls_key_path: str = "/etc/nginx/site/tls/key.pem"
    #: ACME HTTP-01: the directory whose .well-known/acme-challenge/ the ACME client writes; None = no ACME
    acme_webroot: str | None = None
    #: the nginx the config is for; below RESOLVE_MIN_VERSION the variable form is rendered
    nginx_version: tuple[int, int, int] = (1, 22, 1)

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

    @field_validator("tls_certificate_path", "tls_key_path", "acme_webroot")
    @classmethod
    def _check_file_path(cls, value: str | None) -> str | None:
        if value is not None and not _FILE_PATH.fullmatch(value):
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
        if self.server_aliases and self.server_name == "_":
            raise ValueError("server_aliases need a server_name ('_' already answers any host name)")
        if "_" in self.server_aliases:
            raise ValueError("server_aliases: '_' is not a name (use server_name '_' to answer any host name)")
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
    out += _http_level(settings)
    if settings.uses_resolve:
        out += _upstream_blocks(settings, routes, names)
    named = settings.server_name != "_"
    for https in (False, True) if settings.tls else (False,):
        if named:
            out += _misdirected_server(settings, https=https)
        out += _server(settings, routes, names, https=https, redirect_only=settings.tls and not https)
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


def _http_level(settings: ProxySettings) -> list[str]:
    # With a keepalive pool a request without Upgrade must send "Connection: " (empty) so the
    # upstream connection stays reusable; without one "close" is nginx's own default.
    no_upgrade = "''" if settings.uses_resolve else "close"
    out = [
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
        "# security headers: the upstream owns each header it sends; nginx's default only when it sent",
        "# none, and on nginx's own responses (no upstream: empty). An empty value makes add_header add",
        "# nothing (ngx_http_headers_filter_module.c, ngx_http_add_header: `if (value->len)`).",
    ]
    for header, value in SECURITY_HEADER_DEFAULTS:
        variable = header.lower().replace("-", "_")
        out += [
            f"map $upstream_http_{variable} $fallback_{variable} {{",
            f'    ""      "{value}";',
            '    default "";',
            "}",
        ]
    out += [
        "# abuse limits (see the module docstring): timeouts at http level, because nginx reads a",
        "# request's header under its listener's default server, before it knows the Host",
        f"client_header_timeout {settings.client_header_timeout}s;",
        f"client_body_timeout {settings.client_body_timeout}s;",
        "reset_timedout_connection on;",
        "limit_conn_zone $binary_remote_addr zone=per_client_connections:10m;",
        f"limit_req_zone $binary_remote_addr zone=per_client_requests:10m rate={settings.requests_per_second}r/s;",
        "limit_conn_status 429;",
        "limit_req_status 429;",
        "limit_conn_log_level warn;",
        "limit_req_log_level warn;",
    ]
    out += _allowed_host_maps(settings)
    bucket = _server_names_bucket_size(max([settings.server_name, *settings.server_aliases], key=len))
    if bucket:
        out += [
            "# long server name: nginx's default 64-byte bucket holds names up to 46 characters",
            f"server_names_hash_bucket_size {bucket};",
        ]
    out.append("")
    return out


def _public_port(settings: ProxySettings, *, https: bool) -> int:
    if https:
        return settings.public_https_port or settings.https_port
    return settings.public_http_port or settings.http_port


def _host_pattern(name: str) -> str:
    """A regex for the name part of a Host header that ``name`` (a server_name) stands for."""
    label = "[a-z0-9_-]+"
    if name == "_":  # any DNS name or IP literal: the port and userinfo checks are what matter here
        return rf"(?:{label}(?:\.{label})*|\[[0-9a-f:.]+\])"
    if name.startswith("*."):
        return rf"{label}(?:\.{label})*\.{re.escape(name[2:])}"
    if name.startswith("."):
        return rf"(?:{label}\.)*{re.escape(name[1:])}"
    if name.endswith(".*"):
        return rf"{re.escape(name[:-2])}(?:\.{label})+"
    return re.escape(name)


def _allowed_host_maps(settings: ProxySettings) -> list[str]:
    """``$allowed_host_<port>``: 1 when the Host header has exactly a form the listener serves, else 0.

    nginx validates only the name part of Host (ngx_http_request.c, ngx_http_validate_host: after
    the first ':' anything but '/' passes), so ``example.com:@evil.example`` selected the site and
    reached the apps. Allowed: a configured name alone (browsers omit the scheme's default port),
    or followed by the listener's public port or its container port (requests from inside the
    Docker network, e.g. an ACME server's HTTP-01 check) when that port is not the default. An
    absent Host (HTTP/1.0) is fine: nginx then uses the server name.
    """
    out: list[str] = []
    names = [settings.server_name, *settings.server_aliases]
    for https in (False, True) if settings.tls else (False,):
        inside = settings.https_port if https else settings.http_port
        default = 443 if https else 80
        ports = sorted({_public_port(settings, https=https), inside} - {default})
        port_part = f"(?::(?:{'|'.join(map(str, ports))}))?" if ports else ""
        hosts = "|".join(_host_pattern(name) for name in names)
        out += [
            f"map $http_host $allowed_host_{inside} {{",
            "    default 0;",
            "    ''      1;",
            f"    ~*^(?:{hosts}){port_part}$ 1;",
            "}",
        ]
    return out


def _server_names_bucket_size(server_name: str) -> int | None:
    """The server_names_hash_bucket_size a long name needs (None when the default 64 fits it).

    ngx_hash.c, ngx_hash_init(): a bucket must hold one element, NGX_HASH_ELT_SIZE = pointer +
    align(len + 2, pointer), plus a terminating pointer, else "could not build server_names_hash".
    Wildcards are hashed label by label, so the whole length is an upper bound for them too.
    """
    if server_name == "_":
        return None
    need = 8 + -(-(len(server_name) + 2) // 8) * 8 + 8
    if need <= 64:
        return None
    size = 128
    while size < need:
        size *= 2
    return size


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
            # max_fails=0: a container that refused one connection (a replacement not yet listening,
            # its predecessor draining) is never shunned for fail_timeout; each request still moves on
            # to the next address (proxy_next_upstream). With the default max_fails=1 both addresses
            # could be shunned at once during a create-first replacement: "no live upstreams", 502.
            # (ngx_http_upstream_round_robin.c, ngx_http_upstream_get_peer: a peer is skipped only
            # `if (peer->max_fails && peer->fails >= peer->max_fails && ...)`.)
            f"    server {route.upstream_host}:{route.upstream_port}{resolve} max_fails=0;",
            *_first_resolution_fallback(route),
            "    keepalive 32;",
            "}",
            "",
        ]
    return out


def _healthz() -> list[str]:
    return [
        "location = /healthz {",
        "    access_log off;",
        "    default_type text/plain;",
        '    return 200 "ok\\n";',
        "}",
    ]


def _acme_challenge(webroot: str) -> list[str]:
    """HTTP-01 (RFC 8555, 8.3): the CA fetches http://<name>/.well-known/acme-challenge/<token> over
    plain HTTP; answered from the ACME client's webroot, never redirected, nothing else served there."""
    return [
        "location ^~ /.well-known/acme-challenge/ {",
        f"    root {webroot};",
        "    default_type text/plain;",
        "    try_files $uri =404;",
        "}",
    ]


def _listen(settings: ProxySettings, *, https: bool, default: bool) -> list[str]:
    suffix = " default_server" if default else ""
    if not https:
        return [f"listen {settings.http_port}{suffix};"]
    if settings.nginx_version >= HTTP2_DIRECTIVE_MIN_VERSION:
        return [f"listen {settings.https_port} ssl{suffix};", "http2 on;"]
    return [f"listen {settings.https_port} ssl http2{suffix};"]


def _block(body: list[str]) -> list[str]:
    out = ["server {", *[("    " + line) if line else "" for line in body]]
    while out[-1] == "":
        out.pop()
    return [*out, "}", ""]


def _misdirected_server(settings: ProxySettings, *, https: bool) -> list[str]:
    """The default server of a listener when a server name is set: any other Host gets 421.

    421 Misdirected Request (RFC 9110, 15.5.20: this server will not produce a response for that
    authority) rather than 444 (a silent close that looks like a network fault to whoever debugs
    it) or 400 (the request is well formed). nginx has its own 421 page
    (ngx_http_special_response.c, ngx_http_error_421_page). /healthz stays: the container health
    check calls it by address (Host: 127.0.0.1:8080), which selects this server.
    """
    body = [
        f"# requests for any host but {settings.server_name}: 421, never a redirect to it or a page for it",
        *_listen(settings, https=https, default=True),
        "server_name _;",
        "server_tokens off;",
        "",
    ]
    if https:
        # an SNI name the site does not have (or none: a scan by address) gets no certificate at all
        body += ["ssl_reject_handshake on;", *_tls_lines(settings)[2:], ""]
    body += [*_security_headers(settings, https=https), ""]
    body += [*_healthz(), "", "location / {", "    return 421;", "}"]
    return _block(body)


def _redirect_authority(settings: ProxySettings) -> str:
    """Where http:// requests are sent: the configured name, never a name the client made up.

    An exact name is written out. A wildcard server is selected only for a Host that matches the
    wildcard (others reach the 421 default server), so $host is one of the configured names. "_"
    has no name: the request's own host is all there is.
    """
    name = settings.server_name
    host = "$host" if name == "_" or name.startswith((".", "*")) or name.endswith(".*") else name
    port = settings.public_https_port or settings.https_port
    return host if port == 443 else f"{host}:{port}"


def _server(
    settings: ProxySettings, routes: list[ProxyRoute], names: dict[tuple[str, int], str], *, https: bool, redirect_only: bool
) -> list[str]:
    inside = settings.https_port if https else settings.http_port
    body = [
        *_listen(settings, https=https, default=False),
        f"server_name {' '.join([settings.server_name, *settings.server_aliases])};",
        "server_tokens off;",
        # nginx's own redirects (/api -> /api/) must not carry the container's port or scheme
        "absolute_redirect off;",
        f"client_max_body_size {settings.client_max_body_size};",
        f"limit_conn per_client_connections {settings.connections_per_client};",
        f"limit_req zone=per_client_requests burst={settings.request_burst} nodelay;",
        "# a Host with another port, a userinfo part or any other form: 421, never passed on",
        f"if ($allowed_host_{inside} = 0) {{",
        "    return 421;",
        "}",
        "",
    ]
    if https:
        body += [*_tls_lines(settings), ""]
    body += [*_security_headers(settings, https=https), ""]
    if not redirect_only:
        body += [*_proxy_common(settings, https=https), ""]
    body += [*_healthz(), ""]
    if settings.acme_webroot and not https:
        body += [*_acme_challenge(settings.acme_webroot), ""]
    if redirect_only:
        body += ["location / {", f"    return 301 https://{_redirect_authority(settings)}$request_uri;", "}"]
    else:
        for route in routes:
            body += _location(settings, route, names[(route.upstream_host, route.upstream_port)], https=https)
            body.append("")
        if not any(route.path_prefix == "/" for route in routes):
            body += ["location / {", "    return 404;", "}"]
    return _block(body)


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
        f"add_header {header} $fallback_{header.lower().replace('-', '_')} always;" for header, _ in SECURITY_HEADER_DEFAULTS
    ]
    lines.append(f'add_header Content-Security-Policy "{settings.content_security_policy}" always;')
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
        # no body ever buffered to a file in the small /tmp tmpfs: request bodies stream to the app
        # as they arrive (the app's own body limit applies), responses go as fast as the client reads
        "proxy_request_buffering off;",
        "proxy_max_temp_file_size 0;",
    ]
    if https:
        # HSTS is the TLS terminator's: an upstream's own (weaker or not) never reaches the client
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
    public_port = _public_port(settings, https=https)
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
    prefix = route.path_prefix.rstrip("/") if strip else '""'
    inner.append(f"proxy_set_header X-Forwarded-Prefix {prefix};")
    inner += [f'proxy_set_header {header} "";' for header in CLEARED_REQUEST_HEADERS]
    inner += [
        f"proxy_pass {target};",
        "proxy_set_header Host $forwarded_authority;",
        "proxy_set_header X-Real-IP $remote_addr;",
        # The edge proxy is the first hop anyone may trust: it replaces a client's own X-Forwarded-For
        # instead of appending to it ($proxy_add_x_forwarded_for), so the API, which believes this
        # network, can never be told a client address the client chose.
        "proxy_set_header X-Forwarded-For $remote_addr;",
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


def _first_resolution_fallback(route: ProxyRoute) -> list[str]:
    """The name's current address as a backup server, for the moments before nginx first resolves it.

    A reload's new workers know a ``resolve`` server only once their own first query returns: the
    query is sent 1 ms after the worker starts (ngx_http_upstream_zone_module.c,
    ngx_http_upstream_zone_init_worker: ``ngx_add_timer(event, 1)``), and addresses are carried over
    from the old configuration only for a name it already had (ngx_http_upstream_zone_copy_peers ->
    ngx_http_upstream_zone_preresolve). Until then the group has no peer, and a request would get 502;
    a backup server is used exactly when no primary one is available
    (ngx_http_upstream_round_robin.c, ngx_http_upstream_get_round_robin_peer, ``failed:`` -> ``peers->next``).
    """
    if route.upstream_address is None or route.is_ip:
        return []
    return [f"    server {route.upstream_address}:{route.upstream_port} backup max_fails=0;"]
