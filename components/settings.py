"""The typed settings of a whole stack: what StandardStack builds, with its defaults and cross-field rules.

The models know nothing of where settings come from. Keys follow Pulumi's camelCase (aliases) and
snake_case names both work; a refused value raises pydantic's ValidationError whose location is the
camelCase path (``postgres.hostPort``). A program reading them from its own config (this repo's
``stack_settings.py``) adds its namespace and its own rules on top.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from . import versions
from ._wiring import ImageBuild, LogRotation, Platform, Resources, RestartPolicy, Target
from .networks import NetworkOptions
from .nginx import DEFAULT_CONTENT_SECURITY_POLICY, BodySize, ContentSecurityPolicy, ServerName
from .postgres import ordinary_role
from .redis import EvictionPolicy
from .releases import TAG_PATTERN
from .units import Memory, to_bytes


def _number_to_text(value: object) -> object:
    """YAML reads ``version: 15`` as a number; versions and tags are text.

    A whole number is unambiguous. A decimal is not: YAML reads ``16.10`` as the number 16.1, so
    ``postgres:16.1`` would be deployed instead of 16.10. Decimals must be quoted.
    """
    if isinstance(value, float):
        raise ValueError(f'must be quoted text ("{value}"): YAML reads an unquoted version such as 16.10 as the number 16.1')
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Version = Annotated[
    str, BeforeValidator(_number_to_text), Field(pattern=r"^[0-9][0-9A-Za-z.\-]*$", examples=["16", "16.4", "7.4-bookworm"])
]
Port = Annotated[int, Field(ge=1, le=65535)]
ReleaseTag = Annotated[str, Field(pattern=TAG_PATTERN, examples=["dev-3f9a1c0b7d2e", "prod-0a1b2c3d4e5f"])]


class Section(BaseModel):
    """Config sections: camelCase keys in YAML, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class PostgresBackupSettings(Section):
    """Scheduled pg_dump backups of every database into a protected backup volume."""

    enabled: bool | None = Field(None, description="Run scheduled backups; unset means on in prod, off in dev.")
    interval_minutes: int = Field(1440, ge=1, le=10080, description="Minutes between backup runs (the first runs at start).")
    keep_count: int = Field(14, ge=1, le=1000, description="Backups kept per database; the newest is always kept.")
    keep_days: int = Field(30, ge=1, le=3650, description="Backups older than this many days are removed (not the newest).")
    copy_to: str | None = Field(
        None,
        pattern=r"^/[^\s:]*$",
        examples=["/mnt/offsite/standard-stack"],
        description="Absolute host directory each backup is also copied to (writable by uid 999).",
    )
    resources: Resources = Field(
        Resources(memory="256Mi", memory_reservation="64Mi", cpus="0.5"), description="Limits of the backup container."
    )


class PostgresSettings(Section):
    """PostgreSQL: image version, database, owner role, dev port, init SQL, limits."""

    version: Version = Field(versions.POSTGRES, description="Official postgres image tag (pinned; never latest).")
    database: str = Field(
        "app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", examples=["app", "orders_db"], description="Database created on first start."
    )
    user: str = Field(
        "app", pattern=r"^[a-z_][a-z0-9_]{0,62}$", examples=["app", "orders"], description="Owner role of the database."
    )
    host_port: Port | None = Field(None, description="Publish on 127.0.0.1:<port> for local tools (dev only).")
    init_sql: dict[str, str] = Field(
        default_factory=dict, description="Extra SQL run on an empty data directory: file name -> SQL."
    )
    resources: Resources = Resources()
    backup: PostgresBackupSettings = PostgresBackupSettings()

    @field_validator("user")
    @classmethod
    def _ordinary_role(cls, user: str) -> str:
        return ordinary_role(user)


class RedisSettings(Section):
    """Redis: image version, memory ceiling and eviction, dev port, limits."""

    version: Version = Field(versions.REDIS, description="Official redis image tag (pinned; never latest).")
    maxmemory: Memory = Field("256Mi", description="Redis maxmemory; keep it below the container memory limit.")
    maxmemory_policy: EvictionPolicy = Field("allkeys-lru", description="Eviction policy once maxmemory is reached.")
    host_port: Port | None = Field(None, description="Publish on 127.0.0.1:<port> for local tools (dev only).")
    resources: Resources = Resources()


class ApiSettings(Section):
    """Python API: build, Python version, workers, limits."""

    build: ImageBuild = Field(ImageBuild(context="images/api"), description="How to build the API image.")
    python_version: Version = Field(versions.PYTHON, description="Python base image version (build arg PYTHON_VERSION).")
    workers: int = Field(2, ge=1, le=64, description="uvicorn worker processes.")
    replicas: int = Field(1, ge=1, le=100, description="Swarm tasks of the API (target: swarm); one host runs one.")
    release: ReleaseTag | None = Field(
        None, description="Roll back: deploy this kept release (`scripts/releases <stack> api`) instead of building."
    )
    resources: Resources = Resources()


class WebSettings(Section):
    """Next.js app: build, Node.js version, limits."""

    build: ImageBuild = Field(ImageBuild(context="images/web"), description="How to build the web image.")
    node_version: Version = Field(versions.NODE, description="Node.js base image version (build arg NODE_VERSION).")
    replicas: int = Field(1, ge=1, le=100, description="Swarm tasks of the web app (target: swarm); one host runs one.")
    release: ReleaseTag | None = Field(
        None, description="Roll back: deploy this kept release (`scripts/releases <stack> web`) instead of building."
    )
    resources: Resources = Resources()


class AcmeSettings(Section):
    """Certificates over ACME HTTP-01 (Let's Encrypt by default), renewed in place."""

    enabled: bool = Field(
        False,
        description="Obtain and renew the certificate over ACME HTTP-01 instead of tlsCertificate/tlsPrivateKey; "
        "needs tls, a serverName that resolves to this host and port 80 reaching httpPort.",
    )
    directory_url: str | None = Field(
        None,
        pattern=r"^https://[^\s/]+(/[^\s]*)?$",
        examples=["https://acme-v02.api.letsencrypt.org/directory", "https://ca.internal:9000/acme/acme/directory"],
        description="ACME directory; default Let's Encrypt (its staging environment with staging: true).",
    )
    staging: bool = Field(False, description="Let's Encrypt's staging environment (untrusted test certificates, high limits).")
    email: str | None = Field(
        None,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        examples=["ops@example.com"],
        description="Contact for the ACME account (expiry warnings); unset registers without one.",
    )
    renew_before_days: int = Field(30, ge=1, le=60, description="Renew when the certificate expires within this many days.")
    check_interval_minutes: int = Field(720, ge=1, le=10080, description="How often the expiry is checked.")
    ca_certificate: str | None = Field(
        None, description="PEM of the CA behind the ACME server's own HTTPS certificate, for a private ACME server."
    )


class ProxySettings(Section):
    """nginx: build, host ports and address, TLS, server name, body size, timeouts, limits."""

    build: ImageBuild = Field(ImageBuild(context="images/proxy"), description="How to build the proxy image.")
    nginx_version: Version = Field(versions.NGINX, description="nginx base image version (build arg NGINX_VERSION).")
    bind_address: str = Field(
        "127.0.0.1",
        pattern=r"^[0-9.]+$|^\[[0-9a-fA-F:]+\]$",
        examples=["127.0.0.1", "0.0.0.0"],
        description="Host address the ports bind to.",
    )
    http_port: Port = Field(8080, description="Host port for HTTP.")
    https_port: Port = Field(8443, description="Host port for HTTPS (used when tls is on).")
    tls: bool = Field(False, description="Serve HTTPS with tlsCertificate/tlsPrivateKey; HTTP redirects, HSTS on.")
    server_name: ServerName | None = Field(
        None,
        description="Host name the site answers to; other hosts get 421 (and, with tls, other TLS names no handshake). "
        "'_' answers any host name. Unset: localhost (and 127.0.0.1) in dev, '_' in prod.",
    )
    server_aliases: list[ServerName] = Field(
        default_factory=list,
        examples=[["www.example.com"], ["127.0.0.1"]],
        description="More host names the site answers to, beside serverName (redirects name serverName).",
    )
    client_max_body_size: BodySize = Field(
        "1m",
        description="Largest request body (nginx size; 0 = no limit); more gets 413. The apps accept 1 MiB: raise it "
        "with the apps' own limits.",
    )
    client_header_timeout_seconds: int = Field(
        10, ge=1, le=300, description="Time a client has to send its whole request header; then 408 (slowloris)."
    )
    client_body_timeout_seconds: int = Field(
        10, ge=1, le=300, description="Longest pause between two reads of a request body; then 408 (slow uploads)."
    )
    connections_per_client: int = Field(
        100, ge=1, le=100000, description="Requests in progress at once per client address; more get 429."
    )
    requests_per_second: int = Field(100, ge=1, le=100000, description="Request rate per client address; beyond the burst 429.")
    request_burst: int = Field(
        200, ge=0, le=100000, description="Requests per client address allowed above the rate at once, served without delay."
    )
    content_security_policy: ContentSecurityPolicy | None = Field(
        None,
        examples=[DEFAULT_CONTENT_SECURITY_POLICY],
        description="Content-Security-Policy the proxy sends on every response, beside the app's own (browsers enforce "
        "both). Unset: default-src 'self' with inline scripts and styles allowed (Next.js needs them); 'unsafe-eval' "
        "added with hotReload.",
    )
    read_timeout_seconds: int = Field(60, ge=1, le=3600, description="Upstream read/send timeout.")
    acme: AcmeSettings = Field(AcmeSettings(), description="Certificates over ACME (HTTP-01).")
    resources: Resources = Resources()


class StackSettings(Section):
    """Everything a stack file may say. Defaults are safe for production; dev loosens them explicitly."""

    environment: Literal["dev", "prod"] = Field(description="dev or prod: which rules apply.")
    target: Target = Field(
        "host",
        description="Where the stack runs: containers on one Docker host, or services on its Docker Swarm "
        "(the engine pulumi talks to is a manager; postgres, redis and the proxy run on the nodes labelled "
        "dev.standard-stack.<project>-<stack>-<service>=true).",
    )
    public_url: str = Field(
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        examples=["https://example.com", "http://localhost:8080"],
        description="URL users reach the stack at.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Application log level.")
    hot_reload: bool = Field(False, description="Dev only: dev build targets, sources bind-mounted, uvicorn --reload / next dev.")
    restart: RestartPolicy = Field("unless-stopped", description="Restart policy of long-running containers.")
    logging: LogRotation = Field(LogRotation(), description="json-file log rotation.")
    protect_data: bool = Field(True, description="Protect data volumes from deletion (protect + retainOnDelete).")
    image_registry: str | None = Field(
        None,
        pattern=r"^[a-z0-9]([a-z0-9.\-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._\-]+)*$",
        examples=["registry.example.com/team", "localhost:5000"],
        description="Push images here (registry/namespace); unset keeps them on the Docker host.",
    )
    platform: Platform = Field(
        "linux/amd64", description="Platform of the Docker host; images are built and pulled for it (linux/amd64, linux/arm64)."
    )
    releases_kept: int = Field(
        5, ge=1, le=100, description="Releases of the API and of the web app kept on the Docker host (the running one included)."
    )
    networks: NetworkOptions = Field(NetworkOptions(), description="Docker networks of the stack.")
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    api: ApiSettings = ApiSettings()
    web: WebSettings = WebSettings()
    proxy: ProxySettings = ProxySettings()

    @property
    def proxy_server_names(self) -> tuple[str, tuple[str, ...]]:
        """The proxy's server name and aliases: unset, dev answers only to localhost and 127.0.0.1 (no DNS
        rebinding to a dev stack from a web page), prod to any host name."""
        name, aliases = self.proxy.server_name, tuple(self.proxy.server_aliases)
        if name is None:
            return ("localhost", ("127.0.0.1",)) if self.environment == "dev" else ("_", ())
        return name, aliases

    @property
    def proxy_content_security_policy(self) -> str:
        """The proxy's CSP: the one set, else the default (React and Next's dev server need eval under hotReload)."""
        if self.proxy.content_security_policy is not None:
            return self.proxy.content_security_policy
        if self.hot_reload:
            return DEFAULT_CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
        return DEFAULT_CONTENT_SECURITY_POLICY

    @property
    def postgres_backup_enabled(self) -> bool:
        """Backups are on in prod unless turned off, off in dev unless turned on."""
        enabled = self.postgres.backup.enabled
        return self.environment == "prod" if enabled is None else enabled

    @model_validator(mode="after")
    def _environment_rules(self) -> StackSettings:
        problems: list[tuple[str, str]] = []
        for name in ("postgres", "redis"):
            if getattr(self, name).host_port is not None and self.networks.backend_internal:
                problems.append(
                    (f"{name}.hostPort", "needs networks.backendInternal: false (internal networks publish no ports)")
                )
        for name in ("api", "web"):
            if getattr(self, name).release is not None and self.hot_reload:
                problems.append((f"{name}.release", "needs hotReload: false (hot reload runs the sources, not a release)"))
        if self.environment == "prod":
            if self.hot_reload:
                problems.append(("hotReload", "must be false in prod (bind-mounted sources are for dev)"))
            for name in ("postgres", "redis"):
                if getattr(self, name).host_port is not None:
                    problems.append((f"{name}.hostPort", "must be unset in prod: only the proxy publishes ports"))
            for name in ("postgres", "redis", "api", "web", "proxy"):
                res: Resources = getattr(self, name).resources
                for field in ("memory", "cpus"):
                    if getattr(res, field) is None:
                        problems.append((f"{name}.resources.{field}", "is required in prod (e.g. memory: 512Mi, cpus: 1)"))
            if not self.networks.backend_internal:
                problems.append(("networks.backendInternal", "must be true in prod"))
        problems += self._target_rules()
        if self.proxy.server_aliases and self.proxy.server_name in (None, "_"):
            why = "needs proxy.serverName: one name redirects and certificates use ('_' already answers any host name)"
            problems.append(("proxy.serverAliases", why))
        if "_" in self.proxy.server_aliases:
            problems.append(("proxy.serverAliases", "must not hold '_' (set proxy.serverName: '_' to answer any host name)"))
        acme = self.proxy.acme
        if acme.enabled:
            if not self.proxy.tls:
                problems.append(("proxy.acme.enabled", "needs proxy.tls: true (the certificate is served over HTTPS)"))
            name, _ = self.proxy_server_names
            if name == "_" or name.startswith((".", "*")) or name.endswith(".*"):
                why = f"must be one DNS name such as 'example.com' with proxy.acme (HTTP-01 cannot validate '{name}')"
                problems.append(("proxy.serverName", why))
        if acme.directory_url and acme.staging:
            why = "selects Let's Encrypt's staging directory: set it or proxy.acme.directoryUrl, not both"
            problems.append(("proxy.acme.staging", why))
        redis_limit = self.redis.resources.memory
        if redis_limit is not None and to_bytes(self.redis.maxmemory) >= to_bytes(redis_limit):
            problems.append(
                (
                    "redis.maxmemory",
                    f"({self.redis.maxmemory}) must stay below redis.resources.memory ({redis_limit}): "
                    "Redis needs headroom for buffers and the append-only rewrite, or the kernel kills it",
                )
            )
        if problems:
            raise ValueError("; ".join(f"[{key}] {why}" for key, why in problems))
        return self

    def _target_rules(self) -> list[tuple[str, str]]:
        """What ``target`` allows: Swarm nodes pull from a registry; one host runs one container per app."""
        problems: list[tuple[str, str]] = []
        if self.target == "host":
            for name in ("api", "web"):
                replicas = getattr(self, name).replicas
                if replicas != 1:
                    problems.append((f"{name}.replicas", f"({replicas}) needs target: swarm (one Docker host runs 1)"))
            return problems
        if self.image_registry is None:
            problems.append(
                (
                    "imageRegistry",
                    "is required with target: swarm (got none): every node pulls the images from it. "
                    "Set a registry host, optional port and namespace, e.g. registry.example.com/team or 127.0.0.1:5000",
                )
            )
        if self.hot_reload:
            problems.append(("hotReload", "must be false with target: swarm (sources are bind-mounted from one host)"))
        for name in ("api", "web"):
            pin = getattr(self, name).release
            if pin is not None:
                why = f"({pin}) is not supported with target: swarm yet: a kept release is an image on one host"
                problems.append((f"{name}.release", why))
        for name in ("postgres", "redis"):
            port = getattr(self, name).host_port
            if port is not None:
                problems.append(
                    (f"{name}.hostPort", f"({port}) must be unset with target: swarm: only the proxy publishes ports")
                )
        if self.postgres_backup_enabled:
            why = "must be false with target: swarm: the backup container is not ported to swarm yet"
            problems.append(("postgres.backup.enabled", why + (" (on by default in prod)" if self.environment == "prod" else "")))
        if self.proxy.bind_address != "0.0.0.0":
            address = self.proxy.bind_address
            why = f"({address}) must be 0.0.0.0 with target: swarm: a Swarm port is published on every address of its node"
            problems.append(("proxy.bindAddress", why))
        if self.proxy.acme.enabled:
            problems.append(
                ("proxy.acme.enabled", "must be false with target: swarm (not ported yet): give tlsCertificate/tlsPrivateKey")
            )
        return problems
