"""The Python API: built from images/api, migrated once per deploy, replaced without downtime.

On ``runtime.target == "swarm"`` the API is a Swarm service (``_swarm``) with its passwords as
Docker secrets; the migration stays a one-off container on the manager, run before the service moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import versions
from ._app_image import AppService, check_target, source_mount
from ._swarm import TaskNetwork, secret_files, swarm_service
from ._wiring import (
    FileBundle,
    ImageBuild,
    InputInt,
    InputStr,
    Resources,
    Runtime,
    StrictModel,
    healthcheck,
    job_succeeded,
    one_shot_job,
    service_container,
)
from .releases import ReleaseArgs

PORT = 8000
SECRETS_PATH = "/run/secrets"
APP_USER = "10001:0"  # the image's app user; group 0 reads the 0440 secret files
HEALTH = ["CMD", "python", "-c", f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{PORT}/health', timeout=3)"]


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


class PythonApiArgs(StrictModel):
    runtime: Runtime
    build: ImageBuild = ImageBuild(context="images/api")
    python_version: str = versions.PYTHON
    registry: str | None = None
    database: DatabaseConnection
    redis: RedisConnection
    frontend_network: InputStr
    backend_network: InputStr
    frontend_network_id: InputStr | None = Field(None, description="Swarm: the frontend network's id (tasks join by id).")
    backend_network_id: InputStr | None = Field(
        None, description="Swarm: the backend network's id; the network must be an attachable overlay (the migration joins it)."
    )
    replicas: int = Field(1, ge=1, description="Swarm tasks of the API; one Docker host runs 1.")
    alias: str = Field("api", description="Host name on both networks.")
    app_env: str = "prod"
    log_level: str = "info"
    workers: int = 2
    root_path: str = Field("/api", description="Public path prefix the proxy serves the API under.")
    trusted_proxies: InputStr = Field(
        "127.0.0.1", description="Addresses or CIDRs whose X-Forwarded-For the API believes: the proxy's network."
    )
    migrate_command: list[str] = Field(default_factory=lambda: ["alembic", "upgrade", "head"])
    hot_reload_source: str | None = Field(None, description="Dev: host directory bind-mounted at /app/app, run with --reload.")
    resources: Resources = Resources()
    release: ReleaseArgs = Field(ReleaseArgs(), description="Run a pinned earlier release; which releases stay on the host.")
    depends_on: Sequence[pulumi.Resource] = Field(default_factory=list, description="Healthy data services to wait for.")


class PythonApi(AppService):
    """Outputs: ``url`` (internal), ``alias``, ``port``, ``image_name``, ``image_digest``, ``container_name``,
    ``release`` (the running release's tag), ``releases`` (kept on the host, newest first).

    ``migration`` is the one-shot container that ran ``alembic upgrade head`` for this image.
    """

    def __init__(self, name: str, args: PythonApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        runtime = args.runtime
        check_target(
            name,
            args,
            network_ids={"frontend_network_id": args.frontend_network_id, "backend_network_id": args.backend_network_id},
        )
        version = ("PYTHON_VERSION", args.python_version)
        super().__init__("standard-stack:index:PythonApi", name, args, version=version, port=PORT, opts=opts)
        if runtime.target == "swarm":
            self._publish(self._on_swarm(name, args))
            return
        digest = self.image_digest
        uses_image = self.release.depends_on

        secrets = FileBundle(
            f"{name}-secrets",
            runtime=runtime,
            service=name,
            image=digest,
            mount_path=SECRETS_PATH,
            files={"postgres_password": args.database.password, "redis_password": args.redis.password},
            parent=self,
            depends_on=uses_image,
        )
        envs = _settings_env(args)
        self.migration = one_shot_job(
            f"{name}-migrate",
            runtime=runtime,
            service=f"{name}-migrate",
            component="api-migration",
            image=digest,
            command=args.migrate_command,
            envs=envs,
            user=APP_USER,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.backend_network)],
            volumes=[secrets.mount()],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secrets.loader, *uses_image, *args.depends_on]),
        )
        migrated = job_succeeded(self.migration, name=name, what="database migration", consequence="the API was not started")

        volumes = [secrets.mount()]
        if self.hot_reload_source is not None:
            volumes.append(source_mount(self.hot_reload_source, "/app/app"))
        container = service_container(
            name,
            runtime=runtime,
            service=name,
            component="api",
            image=digest,
            resources=args.resources,
            health=healthcheck(HEALTH, start_period="20s"),
            networks=[
                docker.ContainerNetworksAdvancedArgs(name=args.frontend_network, aliases=[args.alias]),
                docker.ContainerNetworksAdvancedArgs(name=args.backend_network, aliases=[args.alias]),
            ],
            envs=envs,
            user=APP_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            volumes=volumes,
            extra_labels={"dev.standard-stack.files-revision": secrets.revision, "dev.standard-stack.migrated": migrated},
            # no fixed name: a new container starts and turns healthy before the old one is removed
            opts=pulumi.ResourceOptions(
                parent=self,
                delete_before_replace=False,
                depends_on=[self.migration, secrets.loader, *uses_image, *args.depends_on],
            ),
        )
        self._publish(container, proxy_network=args.frontend_network)

    def _on_swarm(self, name: str, args: PythonApiArgs) -> docker.Service:
        """The migration (a container on the manager, as on one host: Swarm has no job the provider
        waits for, see ``_swarm``), then the API as a service whose passwords are Docker secrets.

        The migration's files still go through a FileBundle on the manager: a plain container cannot
        mount a Swarm secret. ``migrated`` is a service label, so the service updates only after a
        migration succeeded, and a failed migration fails the deploy before the service moves.
        """
        runtime, digest, uses_image = args.runtime, self.image_digest, self.release.depends_on
        passwords = {"postgres_password": args.database.password, "redis_password": args.redis.password}
        job_files = FileBundle(
            f"{name}-migrate-secrets",
            runtime=runtime,
            service=f"{name}-migrate",
            image=digest,
            mount_path=SECRETS_PATH,
            files=passwords,
            parent=self,
            depends_on=uses_image,
        )
        self.migration = one_shot_job(
            f"{name}-migrate",
            runtime=runtime,
            service=f"{name}-migrate",
            component="api-migration",
            image=digest,
            command=args.migrate_command,
            envs=_settings_env(args),
            user=APP_USER,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.backend_network)],
            volumes=[job_files.mount()],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[job_files.loader, *uses_image, *args.depends_on]),
        )
        migrated = job_succeeded(self.migration, name=name, what="database migration", consequence="the API was not updated")
        assert args.frontend_network_id is not None and args.backend_network_id is not None  # check_target
        return swarm_service(
            name,
            runtime=runtime,
            service=name,
            component="api",
            image=digest,
            resources=args.resources,
            health=healthcheck(HEALTH, start_period="20s"),
            networks=[
                TaskNetwork(id=args.frontend_network_id, aliases=[args.alias]),
                TaskNetwork(id=args.backend_network_id, aliases=[args.alias]),
            ],
            replicas=args.replicas,
            envs={key: pulumi.Output.from_input(value).apply(str) for key, value in _settings(args).items()},
            secrets=secret_files(name, runtime=runtime, service=name, files=passwords, parent=self),
            user=APP_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            extra_labels={"dev.standard-stack.migrated": migrated},
            # a service is updated in place (a rolling update); only a new name or mode replaces it,
            # and its fixed name must be free first
            opts=pulumi.ResourceOptions(
                parent=self, delete_before_replace=True, depends_on=[self.migration, *uses_image, *args.depends_on]
            ),
        )


def _settings_env(args: PythonApiArgs) -> list[pulumi.Output[str]]:
    """``KEY=value`` for a container."""
    return [pulumi.Output.concat(key, "=", pulumi.Output.from_input(value).apply(str)) for key, value in _settings(args).items()]


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
