"""The stack configuration model: one pydantic model is the validation, the docs and the Pulumi.yaml schema.

Every setting lives under the ``standard-stack:`` namespace in ``Pulumi.<stack>.yaml``. Sections
are objects (``standard-stack:postgres: {version: "17"}``); secrets are top-level strings set with
``pulumi config set --secret``. ``python -m components.config`` prints the ``config:`` block of
``Pulumi.yaml`` and the README reference from this file, and the tests check both are in sync.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from ._wiring import ImageBuild, LogRotation, Platform, Resources, RestartPolicy
from .nginx import BodySize, ServerName
from .redis import EvictionPolicy
from .releases import TAG_PATTERN
from .units import Memory, to_bytes

NAMESPACE = "standard-stack"


def _number_to_text(value: object) -> object:
    """YAML reads ``version: 15`` as a number; versions and tags are text.

    A whole number is unambiguous. A decimal is not: YAML reads ``16.10`` as the number 16.1, so
    ``postgres:16.1`` would be deployed instead of 16.10. Decimals must be quoted.
    """
    if isinstance(value, float):
        raise ValueError(f'must be quoted text ("{value}"): YAML reads an unquoted version such as 16.10 as the number 16.1')
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Version = Annotated[
    str, BeforeValidator(_number_to_text), Field(pattern=r"^[0-9][0-9A-Za-z.\-]*$", examples=["17", "16.4", "7.4-bookworm"])
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

    version: Version = Field("17", description="Official postgres image tag (pinned; never latest).")
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


class RedisSettings(Section):
    """Redis: image version, memory ceiling and eviction, dev port, limits."""

    version: Version = Field("7.4", description="Official redis image tag (pinned; never latest).")
    maxmemory: Memory = Field("256Mi", description="Redis maxmemory; keep it below the container memory limit.")
    maxmemory_policy: EvictionPolicy = Field("allkeys-lru", description="Eviction policy once maxmemory is reached.")
    host_port: Port | None = Field(None, description="Publish on 127.0.0.1:<port> for local tools (dev only).")
    resources: Resources = Resources()


class ApiSettings(Section):
    """Python API: build, Python version, workers, limits."""

    build: ImageBuild = Field(ImageBuild(context="images/api"), description="How to build the API image.")
    python_version: Version = Field("3.12", description="Python base image version (build arg PYTHON_VERSION).")
    workers: int = Field(2, ge=1, le=64, description="uvicorn worker processes.")
    release: ReleaseTag | None = Field(
        None, description="Roll back: deploy this kept release (`scripts/releases <stack> api`) instead of building."
    )
    resources: Resources = Resources()


class WebSettings(Section):
    """Next.js app: build, Node.js version, limits."""

    build: ImageBuild = Field(ImageBuild(context="images/web"), description="How to build the web image.")
    node_version: Version = Field("22", description="Node.js base image version (build arg NODE_VERSION).")
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
    nginx_version: Version = Field("1.28", description="nginx base image version (build arg NGINX_VERSION).")
    bind_address: str = Field(
        "127.0.0.1",
        pattern=r"^[0-9.]+$|^\[[0-9a-fA-F:]+\]$",
        examples=["127.0.0.1", "0.0.0.0"],
        description="Host address the ports bind to.",
    )
    http_port: Port = Field(8080, description="Host port for HTTP.")
    https_port: Port = Field(8443, description="Host port for HTTPS (used when tls is on).")
    tls: bool = Field(False, description="Serve HTTPS with tlsCertificate/tlsPrivateKey; HTTP redirects, HSTS on.")
    server_name: ServerName = Field(
        "_", description="Host name the site answers to; other hosts get 421. '_' answers any host name."
    )
    client_max_body_size: BodySize = Field("10m", description="Largest request body (nginx size; 0 = no limit).")
    read_timeout_seconds: int = Field(60, ge=1, le=3600, description="Upstream read/send timeout.")
    acme: AcmeSettings = Field(AcmeSettings(), description="Certificates over ACME (HTTP-01).")
    resources: Resources = Resources()


class NetworkSettings(Section):
    """Docker networks of the stack."""

    backend_internal: bool = Field(True, description="Backend network has no egress and no published ports (data services).")


class StackConfig(Section):
    """Everything a stack file may say. Defaults are safe for production; dev loosens them explicitly."""

    environment: Literal["dev", "prod"] = Field(description="dev or prod: which rules apply.")
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
    generate_passwords: bool = Field(
        True, description="Generate missing passwords with pulumi-random; false requires them as secrets."
    )
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
    networks: NetworkSettings = NetworkSettings()
    postgres: PostgresSettings = PostgresSettings()
    redis: RedisSettings = RedisSettings()
    api: ApiSettings = ApiSettings()
    web: WebSettings = WebSettings()
    proxy: ProxySettings = ProxySettings()

    @property
    def postgres_backup_enabled(self) -> bool:
        """Backups are on in prod unless turned off, off in dev unless turned on."""
        enabled = self.postgres.backup.enabled
        return self.environment == "prod" if enabled is None else enabled

    @model_validator(mode="after")
    def _environment_rules(self) -> StackConfig:
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
        acme = self.proxy.acme
        if acme.enabled:
            if not self.proxy.tls:
                problems.append(("proxy.acme.enabled", "needs proxy.tls: true (the certificate is served over HTTPS)"))
            name = self.proxy.server_name
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


SECRETS: dict[str, str] = {
    "postgresPassword": "Password of the postgres role; generated when unset and generatePasswords is true.",
    "redisPassword": "Password Redis requires; generated when unset and generatePasswords is true.",
    "tlsCertificate": "PEM certificate chain served by the proxy when proxy.tls is true (and proxy.acme is off).",
    "tlsPrivateKey": "PEM private key of tlsCertificate.",
}


class ConfigError(Exception):
    """A refused configuration; the message is complete and meant for humans."""


def _key(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("function-after[_environment_rules()]",)]
    return f"{NAMESPACE}:{'.'.join(parts)}" if parts else NAMESPACE


def _describe(error: Mapping[str, Any]) -> list[str]:
    if error["type"] == "value_error" and not error["loc"]:
        # model-level rules: "[key] why; [key] why"
        text = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        return [f"{NAMESPACE}:{m.group(1)} {m.group(2)}" for m in re.finditer(r"\[([^\]]+)\] ([^;]+)", text)]
    key = _key(error["loc"])
    if error["type"] == "extra_forbidden":
        return [f"{key}: unknown setting (check the spelling; the reference lists every setting)"]
    if error["type"] == "missing":
        return [f"{key}: required setting is missing"]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":
        examples = _examples(error["loc"])
        message = f"must look like {', '.join(examples)}" if examples else f"must match {error['ctx']['pattern']}"
    return [f"{key}: {message}; got {json.dumps(error.get('input'), default=str)}"]


def _examples(loc: tuple[Any, ...]) -> list[str]:
    """The examples declared on the field at ``loc`` (aliases), for messages people can act on."""
    model: Any = StackConfig
    field = None
    for part in loc:
        fields = {f.alias or n: f for n, f in getattr(model, "model_fields", {}).items()}
        field = fields.get(str(part))
        if field is None:
            return []
        model = field.annotation
    examples = list(field.examples or []) if field else []
    for meta in getattr(field, "metadata", []) if field else []:
        examples += list(getattr(meta, "examples", None) or [])
    if not examples and field is not None:  # an optional annotated type (``ReleaseTag | None``) keeps them inside
        import typing

        for arg in typing.get_args(field.annotation):
            for meta in getattr(arg, "__metadata__", ()):
                examples += list(getattr(meta, "examples", None) or [])
    return examples


def parse(raw: Mapping[str, Any], *, secret_keys: frozenset[str] = frozenset(), source: str = "stack config") -> StackConfig:
    """Validate raw settings (keys without the namespace) into a StackConfig, or raise ConfigError listing every problem.

    ``raw`` may hold the secret keys too (only their presence is read); ``secret_keys`` says which
    of them Pulumi holds encrypted.
    """
    plain = {k: v for k, v in raw.items() if k not in SECRETS}
    try:
        config = StackConfig.model_validate(plain)
    except ValidationError as exc:
        lines = [line for err in exc.errors() for line in _describe(err)]
        raise ConfigError(_format(source, lines)) from None
    in_plain_text = sorted(k for k in SECRETS if k in raw and k not in secret_keys)
    if in_plain_text:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{k}: is stored in plain text; it must be a secret" for k in in_plain_text])
            + "\nStore it encrypted with:\n"
            + "\n".join(f"  pulumi config rm {NAMESPACE}:{k} && {secret_command(k)}" for k in in_plain_text)
        )
    if config.proxy.acme.enabled:
        unused = sorted(k for k in ("tlsCertificate", "tlsPrivateKey") if k in raw)
        if unused:
            raise ConfigError(
                _format(source, [f"{NAMESPACE}:{k}: is set, but proxy.acme obtains the certificate" for k in unused])
                + "\nRemove it with:\n"
                + "\n".join(f"  pulumi config rm {NAMESPACE}:{k}" for k in unused)
            )
    missing = sorted(required_secrets(config) - {k for k in SECRETS if k in raw})
    if missing:
        raise ConfigError(
            _format(source, [f"{NAMESPACE}:{k}: required secret is not set" for k in missing])
            + "\nSet them with:\n"
            + "\n".join(f"  {secret_command(k)}" for k in missing)
        )
    return config


def load_from_pulumi(stack: str) -> StackConfig:
    """Read this project's settings from the running Pulumi program (real engine or mocks)."""
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    raw = decode_raw({k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)})
    secret_keys = frozenset(
        k[len(prefix) :]
        for k in {*runtime_config.get_config_secret_keys_env(), *runtime_config._SECRET_KEYS.get()}
        if k.startswith(prefix)
    )
    return parse(raw, secret_keys=secret_keys, source=f"Pulumi.{stack}.yaml")


def required_secrets(config: StackConfig) -> set[str]:
    needed = set()
    if config.proxy.tls and not config.proxy.acme.enabled:
        needed |= {"tlsCertificate", "tlsPrivateKey"}
    if not config.generate_passwords:
        needed |= {"postgresPassword", "redisPassword"}
    return needed


def secret_command(key: str) -> str:
    """The README's command for ``key``: PEM files by their usual names, passwords generated and piped (never in argv)."""
    if key.startswith("tls"):
        path = "fullchain.pem" if key == "tlsCertificate" else "privkey.pem"
        return f"pulumi config set --secret {NAMESPACE}:{key} < {path}"
    return f"openssl rand -hex 24 | pulumi config set --secret {NAMESPACE}:{key}"


def _format(source: str, lines: list[str]) -> str:
    return f"Invalid configuration in {source}:\n" + "\n".join(f"  - {line}" for line in lines)


def decode_raw(values: Mapping[str, str]) -> dict[str, Any]:
    """Pulumi hands structured config over as JSON text; scalars stay text for pydantic to coerce."""
    out: dict[str, Any] = {}
    for key, text in values.items():
        stripped = text.strip()
        if stripped[:1] in "{[":
            try:
                out[key] = json.loads(stripped)
                continue
            except json.JSONDecodeError:
                pass
        out[key] = text
    return out


def _declaration(field: Any) -> dict[str, Any]:
    """One ``config:`` entry of Pulumi.yaml for a top-level field."""
    annotation = field.annotation
    entry: dict[str, Any] = {}
    simple = {bool: "boolean", int: "integer", str: "string"}
    if annotation in simple:
        entry["type"] = simple[annotation]
    elif getattr(annotation, "__origin__", None) is Literal:
        entry["type"] = "string"
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        pass  # objects: Pulumi's project schema has no object type; the model validates them
    else:
        entry["type"] = "string"  # optional text such as imageRegistry
    description = field.description or (annotation.__doc__ or "").strip().splitlines()[0]
    if getattr(annotation, "__origin__", None) is Literal:
        description += f" One of: {', '.join(annotation.__args__)}."
    entry["description"] = description
    if not field.is_required() and field.get_default(call_default_factory=True) is not None:
        default = field.get_default(call_default_factory=True)
        entry["default"] = (
            default.model_dump(by_alias=True, mode="json", exclude_none=True) if isinstance(default, BaseModel) else default
        )
    return entry


def pulumi_config_block() -> dict[str, Any]:
    """The ``config:`` block of Pulumi.yaml, derived from StackConfig so docs and validation cannot drift.

    The Pulumi CLI treats every declared key without ``default`` or ``value`` as required on every
    stack (pulumi/pulumi ``pkg/workspace/config.go``, ``mergeConfig``: "Stack 'dev' is missing
    configuration values ..."), and it checks only declared keys. So optional settings without a
    default (imageRegistry) and the secrets are left out: the model still validates them, and the
    program's own message for a missing prod secret names the exact ``pulumi config set`` command.
    """
    return {
        field.alias or name: _declaration(field)
        for name, field in StackConfig.model_fields.items()
        if field.is_required() or field.get_default(call_default_factory=True) is not None
    }


def _type_name(annotation: Any) -> str:
    import types
    import typing

    from .units import Cpus

    named = {
        Memory: "memory (`512Mi`, `2Gi`)",
        Cpus: "CPUs (`0.5`, `2`)",
        Port: "port (1-65535)",
        Version: "version tag",
        ServerName: "host name (`example.com`, `*.example.com`, `_`)",
        BodySize: "nginx size (`512k`, `10m`, `1g`)",
        Platform: "platform (`linux/amd64`, `linux/arm64`)",
        ReleaseTag: "release tag (`dev-3f9a1c0b7d2e`)",
    }
    for alias, name in named.items():
        if annotation == alias:
            return name
    if getattr(annotation, "__origin__", None) is Literal:
        return " \\| ".join(f"`{a}`" for a in annotation.__args__)
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        return f"{_type_name(next(a for a in args if a is not type(None)))} (optional)"
    if typing.get_origin(annotation) is dict:
        return "map of text"
    if typing.get_origin(annotation) is typing.Annotated:
        return _type_name(args[0])
    return {"str": "text", "int": "integer", "bool": "boolean"}.get(getattr(annotation, "__name__", ""), str(annotation))


def _rows(model: type[BaseModel], prefix: str, instance: BaseModel | None) -> list[tuple[str, str, str, str]]:
    """Flattened settings; defaults of nested sections come from the parent's default instance."""
    rows = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        annotation = field.annotation
        if instance is not None:
            default, required = getattr(instance, name), False
        else:
            required = field.is_required()
            default = None if required else field.get_default(call_default_factory=True)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows += _rows(annotation, f"{key}.", default)
            continue
        shown = "required" if required else ("—" if default in (None, {}) else f"`{json.dumps(default)}`")
        rows.append((f"`{key}`", _type_name(annotation), shown, field.description or ""))
    return rows


def markdown_reference() -> str:
    """The README's settings table (every key under ``standard-stack:``), generated like Pulumi.yaml."""
    lines = ["| Setting | Type | Default | Meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {k} | {t} | {d} | {m} |" for k, t, d, m in _rows(StackConfig, "", None)]
    lines += [f"| `{k}` | secret string | — | {d} |" for k, d in SECRETS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    import yaml

    if sys.argv[1:] == ["--markdown"]:
        print(markdown_reference(), end="")
    else:
        print(yaml.safe_dump({"config": pulumi_config_block()}, sort_keys=False, width=120), end="")
