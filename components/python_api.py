"""The Python API: built from images/api, migrated once per deploy, replaced without downtime."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import versions
from ._wiring import (
    FileBundle,
    ImageBuild,
    InputInt,
    InputStr,
    Resources,
    Runtime,
    StrictModel,
    hardening,
    healthcheck,
    job_succeeded,
    labels,
    service_container,
)
from .releases import Release, ReleaseArgs

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


class PythonApi(pulumi.ComponentResource):
    """Outputs: ``url`` (internal), ``alias``, ``port``, ``image_name``, ``image_digest``, ``container_name``,
    ``release`` (the running release's tag), ``releases`` (kept on the host, newest first).

    ``migration`` is the one-shot container that ran ``alembic upgrade head`` for this image.
    """

    def __init__(self, name: str, args: PythonApiArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:PythonApi", name, None, opts)
        runtime = args.runtime
        self.alias, self.port = args.alias, PORT
        build = args.build.model_copy(
            update={
                "args": {"PYTHON_VERSION": args.python_version, **args.build.args},
                "target": "dev" if args.hot_reload_source else args.build.target,
            }
        )
        self.release = Release(
            name, runtime=runtime, service=name, build=build, registry=args.registry, args=args.release, parent=self
        )
        self.image = self.release.image  # None when a release is pinned: nothing is built
        digest = self.release.reference
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
        self.migration = docker.Container(
            f"{name}-migrate",
            image=digest,
            command=args.migrate_command,
            envs=envs,
            user=APP_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            must_run=False,
            attach=True,
            logs=True,
            restart="no",
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=args.backend_network)],
            volumes=[secrets.mount()],
            labels=labels(runtime, f"{name}-migrate", component="api-migration"),
            **hardening(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[secrets.loader, *uses_image, *args.depends_on]),
        )
        migrated = job_succeeded(self.migration, name=name, what="database migration", consequence="the API was not started")

        volumes = [secrets.mount()]
        if args.hot_reload_source:
            source = str(Path(args.hot_reload_source).resolve())
            volumes.append(docker.ContainerVolumeArgs(host_path=source, container_path="/app/app", read_only=True))
        self.container = service_container(
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

        self.url = pulumi.Output.from_input(f"http://{args.alias}:{PORT}")
        self.image_name = pulumi.Output.from_input(self.release.image_name)
        self.image_digest = digest
        self.container_name = self.container.name
        self.releases = self.release.kept
        self.register_outputs(
            {
                "url": self.url,
                "image_name": self.image_name,
                "image_digest": digest,
                "container_name": self.container_name,
                "release": self.release.tag,
                "releases": self.releases,
            }
        )


def _settings_env(args: PythonApiArgs) -> list[pulumi.Output[str]]:
    """Plain settings only; the passwords are files under SECRETS_PATH."""
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
    return [pulumi.Output.concat(key, "=", pulumi.Output.from_input(value).apply(str)) for key, value in sorted(plain.items())]
