"""The typed settings of a whole stack: what StandardStack builds, with its defaults and cross-field rules.

The models know nothing of where settings come from. Keys follow Pulumi's camelCase (aliases) and
snake_case names both work; a refused value raises pydantic's ValidationError whose location is the
camelCase path (``postgres.hostPort``). A program reading them from its own config (this repo's
``stack_settings.py``) adds its namespace and its own rules on top.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic.alias_generators import to_camel

from . import targets, versions
from ._models import LogRotation, Resources, RestartPolicy, Runtime, Target
from .acme import AcmeArgs, AcmeOptions, DirectoryUrl, acme_directory, acme_needs_tls
from .app import AppArgs, AppJob, HealthCheck, WorkerArgs, swarm_problems
from .app import EnvName as ENV_NAME
from .engine import DURATION_FORM, Platform, go_duration
from .networks import NetworkOptions
from .next_app import WebOptions
from .nginx import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    ContentSecurityPolicy,
    ServerName,
)
from .postgres import PostgresBackupArgs, PostgresOptions
from .problems import Problem, invalid
from .python_api import ApiOptions
from .redis import RedisOptions
from .releases import TAG_PATTERN
from .reverse_proxy import ProxyOptions
from .units import to_bytes
from .versions import Version


def _start_interval_setting(value: object) -> object:
    """auto, off or a Go duration, kept in the spelling the engine reads back (``engine.go_duration``)."""
    if value in ("auto", "off"):
        return value
    try:
        return go_duration(value) if isinstance(value, str) else go_duration("")
    except ValueError:
        raise ValueError(f"({value}) must be auto, off or {DURATION_FORM}") from None


HealthStartInterval = Annotated[str, BeforeValidator(_start_interval_setting), Field(examples=["auto", "off", "500ms", "2s"])]
ReleaseTag = Annotated[str, Field(pattern=TAG_PATTERN, examples=["dev-3f9a1c0b7d2e", "prod-0a1b2c3d4e5f"])]


class Section(BaseModel):
    """Config sections: camelCase keys in YAML, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class PostgresBackupSettings(PostgresBackupArgs, Section):
    """Scheduled pg_dump backups of every database into a protected backup volume."""

    enabled: bool | None = Field(None, description="Run scheduled backups; unset means on in prod, off in dev.")

    def args(self) -> PostgresBackupArgs:
        """The library's args: every field but ``enabled``, which the stack decides by (``postgres_backup_enabled``)."""
        return PostgresBackupArgs(**{name: getattr(self, name) for name in PostgresBackupArgs.model_fields})


class PostgresSettings(PostgresOptions, Section):
    """PostgreSQL: image version, database, owner role, dev port, init SQL, limits."""

    version: Version = Field(versions.POSTGRES, description="Official postgres image tag (pinned; never latest).")
    backup: PostgresBackupSettings = PostgresBackupSettings()


class RedisSettings(RedisOptions, Section):
    """Redis: image version, memory ceiling and eviction, dev port, limits."""

    version: Version = Field(versions.REDIS, description="Official redis image tag (pinned; never latest).")


# --- the stack file's own apps and workers: AppArgs' fields, declared once in the library ------------------
EnvName = Annotated[str, Field(pattern=ENV_NAME, examples=["SENTRY_DSN", "FEATURE_FLAGS"])]
ConfigKey = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]*$", examples=["sentryDsn", "stripeKey"])]
"""A key of the program's own config namespace holding a secret (``pulumi config set --secret <ns>:<key>``)."""
AppName = Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$", examples=["admin", "celery-worker"])]
BUILT_IN = ("postgres", "redis", "api", "web", "proxy", "networks")
"""Names the stack's own services take: resource names, host names and container names are per name."""


def file_spelling(message: str) -> str:
    """A component's message in the stack file's spelling (``secrets_as_env`` -> ``secretsAsEnv``)."""
    return re.sub(r"\b[a-z]+(_[a-z]+)+\b", lambda m: to_camel(m.group(0)), message)


def _camel(model: type[BaseModel]) -> type[BaseModel]:
    """A library model read from a stack file: the same fields and rules, camelCase keys."""
    config = ConfigDict(**model.model_config, alias_generator=to_camel, populate_by_name=True)
    return type(model.__name__, (model,), {"model_config": config, "__doc__": model.__doc__})


_REUSED = (
    "build", "port", "entrypoint", "command", "user", "working_dir", "secrets_as_env", "env_wrapper", "read_only", "tmpfs",
    "volumes", "resources", "replicas", "stop_signal", "stop_grace_seconds", "init",
)  # fmt: skip


def _fields_of(model: type[BaseModel], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: (model.model_fields[name].annotation, model.model_fields[name]) for name in names}


JobSettings = create_model(
    "JobSettings",
    __base__=Section,
    __doc__=AppJob.__doc__,
    **_fields_of(AppJob, ("command", "name", "what", "component", "tmpfs")),
)


class _Wired(Section):
    """What a stack file says beyond AppArgs' own fields: names instead of resources and values."""

    image: str | None = Field(
        None, pattern=r"^[^\s]+$", examples=["nginx:1.27-alpine"], description="An existing image reference."
    )
    health: _camel(HealthCheck) | None = Field(None, description="httpPath (needs port) or command; none: no check.")  # type: ignore[valid-type]
    job: JobSettings | None = Field(
        None, description="One-shot command in the same image before each new release (on the app's networks)."
    )
    networks: list[Literal["frontend", "backend"]] = Field(
        ["frontend"], min_length=1, description="Which of the stack's networks it joins (frontend first for a route)."
    )
    env: dict[EnvName, str] = Field(default_factory=dict, description="Plain environment variables (never secrets).")
    secrets: dict[EnvName, ConfigKey] = Field(
        default_factory=dict,
        description="ENV_NAME -> config key of a secret (pulumi config set --secret): a file under /run/secrets, and "
        "with secretsAsEnv the variable too.",
    )

    def app_args(self, **wiring: Any) -> AppArgs:
        """The library's AppArgs (Worker's for a worker) with ``wiring`` (runtime, networks, secret values ...)."""
        own = {name: getattr(self, name) for name in type(self).model_fields if name in self._target().model_fields}
        own.pop("secrets"), own.pop("networks")
        for name in ("health", "job"):
            if own[name] is not None:
                own[name] = own[name].model_dump()
        return self._target().model_validate({**own, **wiring})

    @classmethod
    def _target(cls) -> type[AppArgs]:
        return AppArgs

    def stand_in(self, **wiring: Any) -> AppArgs:
        """The AppArgs this entry becomes, stand-ins for what the stack wires in: to apply the component's own rules."""
        stand_ins = {
            "runtime": Runtime(),
            "networks": list(self.networks),
            "image": "stand-in" if getattr(self, "image_from", None) and self.image is None else self.image,
            "secrets": dict.fromkeys(self.secrets, "stand-in"),
        }
        return self.app_args(**{**stand_ins, **wiring})

    @model_validator(mode="after")
    def _as_the_component_sees_it(self) -> _Wired:
        """AppArgs' own rules (one image source, probe on a port, secret names ...)."""
        try:
            self.stand_in()
        except ValidationError as exc:
            raise ValueError(
                file_spelling("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()))
            ) from None
        path = getattr(self, "path", None)
        if path is not None and (getattr(self, "port", None) is None or self.networks[0] != "frontend"):
            raise ValueError(f"path ({path}) needs port and networks starting with frontend: the proxy forwards to it")
        return self


class _WorkerBase(_Wired):
    image_from: Literal["api", "web"] | None = Field(
        None, description="Run the release the stack builds for api or web (its image) instead of image/build."
    )

    @classmethod
    def _target(cls) -> type[AppArgs]:
        return WorkerArgs

    @model_validator(mode="after")
    def _one_image(self) -> _WorkerBase:
        if self.image_from is not None and (self.image is not None or getattr(self, "build", None) is not None):
            raise ValueError(f"imageFrom ({self.image_from}) runs that release: give it, image or build, not two")
        return self


if TYPE_CHECKING:  # their fields are made at import (AppArgs'): mypy sees Any
    AppSettings: TypeAlias = Any
    WorkerSettings: TypeAlias = Any
else:
    AppSettings = create_model(
        "AppSettings",
        __base__=_Wired,
        __doc__="One more app of the stack: AppArgs' fields in camelCase, networks by name, secrets by config key.",
        path=(
            str | None,
            Field(
                None,
                pattern=r"^/([A-Za-z0-9._~-]+/)*$",
                examples=["/admin/", "/docs/"],
                description="The proxy forwards this path prefix to the app (stripped); needs port and the frontend network.",
            ),
        ),
        **_fields_of(AppArgs, _REUSED),
    )
    WorkerSettings = create_model(
        "WorkerSettings",
        __base__=_WorkerBase,
        __doc__="A worker of the stack: WorkerArgs' fields in camelCase (no port); imageFrom: api runs the API's release.",
        **_fields_of(WorkerArgs, tuple(n for n in _REUSED if n != "port")),
    )


@cache
def preset_names(service: str) -> frozenset[str]:
    """What a preset sets itself (environment variables, secret files): a stack's own env or secrets may not."""
    from . import next_app, python_api

    runtime = Runtime()
    if service == "api":
        conn = {"host": "h", "port": 1, "database": "d", "user": "u", "password": "p"}
        preset = python_api.app_args(
            python_api.PythonApiArgs(
                runtime=runtime,
                database=python_api.DatabaseConnection(**conn),
                redis=python_api.RedisConnection(host="h", port=1, password="p"),
                frontend_network="f",
                backend_network="b",
            )
        )
    else:
        preset = next_app.app_args(next_app.NextAppArgs(runtime=runtime, network="f", api_url="u", public_url="http://u"))
    return frozenset({*preset.env, *preset.secrets})


class AppSettingsOfPreset(Section):
    """The stack's own environment and secrets for a preset app (api, web)."""

    env: dict[EnvName, str] = Field(default_factory=dict, description="More plain environment variables (never secrets).")
    secrets: dict[EnvName, ConfigKey] = Field(
        default_factory=dict,
        description="ENV_NAME -> config key of a secret (pulumi config set --secret): the file /run/secrets/ENV_NAME, "
        "its path in ENV_NAME_FILE.",
    )
    secrets_as_env: bool = Field(
        False,
        description="Also set each of secrets as the variable ENV_NAME inside the app's own process, read from its file "
        "at start (an exec wrapper; never in the container's config).",
    )

    @model_validator(mode="after")
    def _env_needs_secrets(self) -> AppSettingsOfPreset:
        if self.secrets_as_env and not self.secrets:
            raise ValueError("secretsAsEnv is true but secrets is empty: name the secrets to set as variables")
        return self


class ApiSettings(ApiOptions, AppSettingsOfPreset):
    """Python API: build, Python version, workers, limits, its own env and secrets."""

    release: ReleaseTag | None = Field(
        None, description="Roll back: deploy this kept release (`scripts/releases <stack> api`) instead of building."
    )


class WebSettings(WebOptions, AppSettingsOfPreset):
    """Next.js app: build, Node.js version, limits, its own env and secrets."""

    release: ReleaseTag | None = Field(
        None, description="Roll back: deploy this kept release (`scripts/releases <stack> web`) instead of building."
    )


class AcmeSettings(AcmeOptions, Section):
    """Certificates over ACME HTTP-01 (Let's Encrypt by default), renewed in place."""

    enabled: bool = Field(
        False,
        description="Obtain and renew the certificate over ACME HTTP-01 instead of tlsCertificate/tlsPrivateKey; "
        "needs tls, a serverName that resolves to this host and port 80 reaching httpPort.",
    )
    directory_url: DirectoryUrl | None = Field(
        None, description="ACME directory; default Let's Encrypt (its staging environment with staging: true)."
    )
    staging: bool = Field(False, description="Let's Encrypt's staging environment (untrusted test certificates, high limits).")

    def args(self, *, domain: str, protect: bool) -> AcmeArgs:
        """The library's args for the certificate of ``domain``: the directory chosen, the options as given."""
        options = {name: getattr(self, name) for name in AcmeOptions.model_fields}
        return AcmeArgs(domain=domain, directory_url=acme_directory(self.directory_url, self.staging), protect=protect, **options)


class ProxySettings(ProxyOptions, Section):
    """nginx: build, host ports and address, TLS, server name, body size, timeouts, limits."""

    server_name: ServerName | None = Field(
        None,
        description="Host name the site answers to; other hosts get 421 (and, with tls, other TLS names no handshake). "
        "'_' answers any host name. Unset: localhost (and 127.0.0.1) in dev, '_' in prod.",
    )
    content_security_policy: ContentSecurityPolicy | None = Field(
        None,
        examples=[DEFAULT_CONTENT_SECURITY_POLICY],
        description="Content-Security-Policy the proxy sends on every response, beside the app's own (browsers enforce "
        "both). Unset: default-src 'self' with inline scripts and styles allowed (Next.js needs them); 'unsafe-eval' "
        "added with hotReload.",
    )
    acme: AcmeSettings = Field(AcmeSettings(), description="Certificates over ACME (HTTP-01).")


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
    health_start_interval: HealthStartInterval = Field(
        "auto",
        description="Health probes this often while a service starts, so a deploy sees it healthy about that long after "
        f"it is (Docker 25+, Engine API {versions.START_INTERVAL_API}): auto ({versions.HEALTH_START_INTERVAL} where the "
        "engine the docker provider uses takes it, else nothing), off, or a Go duration.",
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
    apps: dict[AppName, AppSettings] = Field(
        default_factory=dict, description="More apps by name (image or build, port, path at the proxy, env, secrets ...)."
    )
    workers: dict[AppName, WorkerSettings] = Field(
        default_factory=dict, description="Workers by name (no port): imageFrom: api runs the API's release."
    )

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
    def start_interval(self) -> str | None:
        """The health start interval to send where the engine takes it (``Runtime``): auto is the default one, off none."""
        chosen = self.health_start_interval
        return versions.HEALTH_START_INTERVAL if chosen == "auto" else None if chosen == "off" else chosen

    @property
    def postgres_backup_enabled(self) -> bool:
        """Backups are on in prod unless turned off, off in dev unless turned on."""
        enabled = self.postgres.backup.enabled
        return self.environment == "prod" if enabled is None else enabled

    @model_validator(mode="after")
    def _rules(self) -> StackSettings:
        invalid(type(self), self.problems())
        return self

    def problems(self) -> list[Problem]:
        """What the settings refuse together (each field alone is checked by its type): fields by name, from here."""
        problems: list[Problem] = []
        for name in ("postgres", "redis"):
            if getattr(self, name).host_port is not None and self.networks.backend_internal:
                why = "needs networks.backendInternal: false (internal networks publish no ports)"
                problems.append(Problem(f"{name}.host_port", why))
        for name in ("api", "web"):
            if getattr(self, name).release is not None and self.hot_reload:
                problems.append(Problem(f"{name}.release", "needs hotReload: false (hot reload runs the sources, not a release)"))
        if self.environment == "prod":
            problems += self._prod_rules()
        problems += self._target_rules()
        problems += self._app_rules()
        problems += self._proxy_rules()
        redis_limit = self.redis.resources.memory
        if redis_limit is not None and to_bytes(self.redis.maxmemory) >= to_bytes(redis_limit):
            why = (
                f"({self.redis.maxmemory}) must stay below redis.resources.memory ({redis_limit}): "
                "Redis needs headroom for buffers and the append-only rewrite, or the kernel kills it"
            )
            problems.append(Problem("redis.maxmemory", why))
        return problems

    def _prod_rules(self) -> list[Problem]:
        """What prod needs: no dev conveniences, no ports but the proxy's, limits on everything."""
        problems: list[Problem] = []
        if self.hot_reload:
            problems.append(Problem("hot_reload", "must be false in prod (bind-mounted sources are for dev)"))
        for name in ("postgres", "redis"):
            if getattr(self, name).host_port is not None:
                problems.append(Problem(f"{name}.host_port", "must be unset in prod: only the proxy publishes ports"))
        for name in ("postgres", "redis", "api", "web", "proxy"):
            problems += [p.under(name) for p in _prod_limits(getattr(self, name).resources)]
        if not self.networks.backend_internal:
            problems.append(Problem("networks.backend_internal", "must be true in prod"))
        return problems

    def _proxy_rules(self) -> list[Problem]:
        """The proxy's names and its certificate over ACME."""
        problems: list[Problem] = []
        if self.proxy.server_aliases and self.proxy.server_name in (None, "_"):
            why = "needs proxy.serverName: one name redirects and certificates use ('_' already answers any host name)"
            problems.append(Problem("proxy.server_aliases", why))
        if "_" in self.proxy.server_aliases:
            problems.append(
                Problem("proxy.server_aliases", "must not hold '_' (set proxy.serverName: '_' to answer any host name)")
            )
        acme = self.proxy.acme
        if acme.enabled:
            problems += acme_needs_tls("proxy.acme.enabled", acme=True, tls=self.proxy.tls, tls_field="proxy.tls")
            name, _ = self.proxy_server_names
            if name == "_" or name.startswith((".", "*")) or name.endswith(".*"):
                why = f"must be one DNS name such as 'example.com' with proxy.acme (HTTP-01 cannot validate '{name}')"
                problems.append(Problem("proxy.server_name", why))
        if acme.directory_url and acme.staging:
            why = "selects Let's Encrypt's staging directory: set it or proxy.acme.directoryUrl, not both"
            problems.append(Problem("proxy.acme.staging", why))
        return problems

    def _app_rules(self) -> list[Problem]:
        """The stack's own env, secrets, apps and workers: names free, limits in prod, one task on one host."""
        problems: list[Problem] = []
        for service in ("api", "web"):
            own: AppSettingsOfPreset = getattr(self, service)
            taken = preset_names(service)
            for section, names in (("env", list(own.env)), ("secrets", [*own.secrets, *(f"{n}_FILE" for n in own.secrets)])):
                for env in names:
                    if env in taken:
                        why = f"is set by the {service} preset itself (it sets {', '.join(sorted(taken))})"
                        problems.append(
                            Problem(f"{service}.{section}.{env.removesuffix('_FILE') if section == 'secrets' else env}", why)
                        )
            for env in sorted(set(own.env) & {*own.secrets, *(f"{n}_FILE" for n in own.secrets)}):
                problems.append(Problem(f"{service}.env.{env}", f"is also given by {service}.secrets"))
        paths = [(name, app.path) for name, app in self.apps.items() if app.path is not None]
        for name, path in paths:
            if path == "/" or path.startswith("/api/") or [p for _, p in paths].count(path) > 1:
                why = f"({path}) is taken: / is the web app's, /api/ the API's, each path one app's"
                problems.append(Problem(f"apps.{name}.path", why))
        for name in sorted(set(self.apps) & set(self.workers)):
            why = f"is also the name of apps.{name}: names are unique across apps and workers"
            problems.append(Problem(f"workers.{name}", why))
        for section in ("apps", "workers"):
            entries: dict[str, Any] = getattr(self, section)
            for name, entry in entries.items():
                if name in BUILT_IN:
                    why = f"is a name of the stack's own services ({', '.join(BUILT_IN)})"
                    problems.append(Problem(f"{section}.{name}", why))
                if self.target == "host":
                    problems += targets.one_replica(f"{section}.{name}.replicas", entry.replicas)
                if self.target == "swarm":
                    problems += [p.under(f"{section}.{name}") for p in self._swarm_problems(entry)]
                if self.environment == "prod":
                    problems += [p.under(f"{section}.{name}") for p in _prod_limits(entry.resources)]
        return problems

    def _swarm_problems(self, entry: Any) -> list[Problem]:
        """What the component refuses on Swarm (``app.swarm_problems``), said before anything is registered.

        The stand-in joins networks by id and takes the stack's registry: the stack's own rules speak of
        those (imageRegistry), the entry's problems of its own fields."""
        swarm = Runtime(target="swarm")
        args = entry.stand_in(runtime=swarm, network_ids=list(entry.networks), registry=self.image_registry)
        return [p for p in swarm_problems(args) if p.field not in ("registry", "network_ids")]

    def _target_rules(self) -> list[Problem]:
        """What ``target`` allows: Swarm nodes pull from a registry; one host runs one container per app."""
        if self.target == "host":
            return [p for name in ("api", "web") for p in targets.one_replica(f"{name}.replicas", getattr(self, name).replicas)]
        problems = [*targets.registry("image_registry", self.image_registry)]
        problems += targets.no_sources("hot_reload", self.hot_reload, off="false")
        for name in ("api", "web"):
            problems += targets.no_pinned_release(f"{name}.release", getattr(self, name).release)
        for name in ("postgres", "redis"):
            problems += targets.no_host_port(f"{name}.host_port", getattr(self, name).host_port)
        by_default = " (on by default in prod)" if self.environment == "prod" and self.postgres.backup.enabled is None else ""
        backup = targets.no_backup("postgres.backup.enabled", self.postgres_backup_enabled, off="false")
        problems += [Problem(p.field, p.reason + by_default) for p in backup]
        problems += targets.any_address("proxy.bind_address", self.proxy.bind_address)
        problems += targets.no_acme("proxy.acme.enabled", self.proxy.acme.enabled, off="false")
        return problems


def _prod_limits(resources: Resources) -> list[Problem]:
    """Prod runs nothing without a memory and CPU limit."""
    return [
        Problem(f"resources.{field}", "is required in prod (e.g. memory: 512Mi, cpus: 1)")
        for field in ("memory", "cpus")
        if getattr(resources, field) is None
    ]
