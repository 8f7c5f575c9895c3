"""The Python API: built from images/api, migrated once per deploy, replaced without downtime.

A preset of ``App``. On ``runtime.target == "swarm"`` the API is a Swarm service (``_swarm``) with its
passwords as Docker secrets; the migration stays a one-off container on the manager, run before the
service moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pydantic import Field, model_validator

from . import versions
from ._app_image import OwnSettingsArgs, check_hot_reload, check_target, own_contract, own_problems, preset_args
from ._models import CamelModel, ImageBuild, InputInt, InputStr, Resources, Runtime, StrictModel
from .app import App, AppArgs, AppJob, HealthCheck
from .releases import ReleaseArgs
from .versions import Version

PORT = 8000
SECRETS_PATH = "/run/secrets"
APP_USER = "10001:0"  # the image's app user; group 0 reads the 0440 secret files
COMMAND = ["python", "-m", "app"]
"""images/api's CMD (its runtime stage); the dev stage's is DEV_COMMAND. The env wrapper runs them."""
DEV_COMMAND = ["uvicorn", "app.main:app", "--reload", "--host", "0.0.0.0", "--port", str(PORT)]
OWN_SECRETS = frozenset({"postgres_password", "redis_password"})
"""The preset's own secret files (the API reads them from SECRETS_DIR): never exported as variables."""


class DatabaseConnection(StrictModel):
    host: InputStr
    port: InputInt
    database: InputStr
    user: InputStr
    password: InputStr = Field(description="Secret.")


class RedisConnection(StrictModel):
    host: InputStr
    port: InputInt
    password: InputStr = Field(description="Secret.")


class ApiOptions(CamelModel):
    """What a stack chooses about its API: PythonApiArgs' own, and the stack file's ``api`` section (with
    pythonVersion, a release to roll back to and its own env and secrets by config key)."""

    build: ImageBuild = Field(ImageBuild(context="images/api"), description="How to build the API image.")
    python_version: Version = Field(versions.PYTHON, description="Python base image version (build arg PYTHON_VERSION).")
    workers: int = Field(2, ge=1, le=64, description="uvicorn worker processes.")
    replicas: int = Field(1, ge=1, le=100, description="Swarm tasks of the API (target: swarm); one host runs one.")
    resources: Resources = Resources()


class PythonApiArgs(ApiOptions, OwnSettingsArgs):
    runtime: Runtime
    registry: str | None = None
    database: DatabaseConnection
    redis: RedisConnection
    frontend_network: InputStr
    backend_network: InputStr
    frontend_network_id: InputStr | None = Field(None, description="Swarm: the frontend network's id (tasks join by id).")
    backend_network_id: InputStr | None = Field(
        None, description="Swarm: the backend network's id; the network must be an attachable overlay (the migration joins it)."
    )
    alias: str = Field("api", description="Host name on both networks.")
    app_env: str = "prod"
    log_level: str = "info"
    root_path: str = Field("/api", description="Public path prefix the proxy serves the API under.")
    trusted_proxies: InputStr = Field(
        "127.0.0.1", description="Addresses or CIDRs whose X-Forwarded-For the API believes: the proxy's network."
    )
    migrate_command: list[str] = Field(default_factory=lambda: ["alembic", "upgrade", "head"])
    hot_reload_source: str | None = Field(None, description="Dev: host directory bind-mounted at /app/app, run with --reload.")
    release: ReleaseArgs = Field(ReleaseArgs(), description="Run a pinned earlier release; which releases stay on the host.")
    depends_on: Sequence[pulumi.Resource] = Field(default_factory=list, description="Healthy data services to wait for.")
    database_ready: Sequence[pulumi.Resource] | None = Field(
        None, description="What the migration waits for (the database alone, so it need not wait for Redis); default depends_on."
    )

    @model_validator(mode="after")
    def _own_names(self) -> PythonApiArgs:
        problems = own_problems(self, preset_env=_settings(self), preset_secrets=OWN_SECRETS)
        if problems:
            raise ValueError("; ".join(problems))
        return self


class PythonApi(App):
    """A preset of ``App``: this repository's API (images/api) with its contract filled in.

    Outputs and attributes: those of ``App``, and one more.

    Attributes: ``migration`` (the one-shot container that ran ``alembic upgrade head`` for this image).
    """

    def __init__(self, name: str, args: PythonApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_target(
            name,
            args,
            network_ids={"frontend_network_id": args.frontend_network_id, "backend_network_id": args.backend_network_id},
        )
        check_hot_reload(name, args.hot_reload_source)
        self.hot_reload_source = args.hot_reload_source
        super().__init__(name, app_args(args), opts, type_="standard-stack:index:PythonApi")
        self.migration = self.job

    def _env_secret_names(self, args: AppArgs) -> list[str]:
        return sorted(set(args.secrets) - OWN_SECRETS)


def app_args(args: PythonApiArgs) -> AppArgs:
    """The API's contract: port 8000, /health probed with python, the passwords as files, alembic first;
    the user's own env and secrets after the preset's."""
    return AppArgs(
        **preset_args(
            args,
            version_arg="PYTHON_VERSION",
            version=args.python_version,
            networks=[args.frontend_network, args.backend_network],
            network_ids=[args.frontend_network_id, args.backend_network_id],
        ),
        port=PORT,
        health=HealthCheck(http_path="/health", prober="python", start_period="20s"),
        user=APP_USER,
        env={**_settings(args), **args.env},
        secrets={"postgres_password": args.database.password, "redis_password": args.redis.password, **args.secrets},
        **own_contract(args, command=DEV_COMMAND if args.hot_reload_source is not None else COMMAND),
        secrets_path=SECRETS_PATH,
        job=AppJob(
            command=args.migrate_command,
            name="migrate",
            what="database migration",
            component="api-migration",
            networks=[args.backend_network],
            depends_on=args.database_ready,
        ),
        tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
        source_mounts={args.hot_reload_source: "/app/app"} if args.hot_reload_source is not None else {},
        component="api",
        depends_on=args.depends_on,
    )


def _settings(args: PythonApiArgs) -> dict[str, InputStr | InputInt]:
    """Plain settings only, sorted; the passwords are files under SECRETS_PATH."""
    plain = {
        "APP_ENV": args.app_env,
        "LOG_LEVEL": args.log_level,
        "API_WORKERS": str(args.workers),
        "API_PORT": str(PORT),
        "API_ROOT_PATH": args.root_path,
        "SECRETS_DIR": SECRETS_PATH,
        # the access log shows the real client, as the proxy reports it, and nobody else can
        "FORWARDED_ALLOW_IPS": args.trusted_proxies,
        "POSTGRES_HOST": args.database.host,
        "POSTGRES_PORT": args.database.port,
        "POSTGRES_DB": args.database.database,
        "POSTGRES_USER": args.database.user,
        "REDIS_HOST": args.redis.host,
        "REDIS_PORT": args.redis.port,
    }
    return dict(sorted(plain.items()))
