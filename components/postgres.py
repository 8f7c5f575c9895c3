"""PostgreSQL on a named volume, reachable only on the backend network, password delivered as a file."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker
from pydantic import Field

from ._wiring import (
    FileBundle,
    InputStr,
    Resources,
    Runtime,
    StrictModel,
    data_volume,
    healthcheck,
    loopback_port,
    pulled_image,
    secret_password,
    service_container,
)

DATA_PATH = "/var/lib/postgresql/data"
SECRETS_PATH = "/run/secrets"
PORT = 5432
POSTGRES_UID = 999  # the official image's postgres user
KIND = "postgres"


class PostgresServiceArgs(StrictModel):
    runtime: Runtime
    network: InputStr = Field(description="Backend network name.")
    image: str = Field("postgres:17", description="Pinned official postgres image reference.")
    database: str = "app"
    user: str = "app"
    password: InputStr | None = Field(None, description="Secret; generated when None.")
    alias: str = Field("postgres", description="Host name on the backend network.")
    host_port: int | None = Field(None, description="Publish on 127.0.0.1 (dev tools only).")
    init_sql: dict[str, str] = Field(default_factory=dict, description="File name -> SQL run on first start.")
    resources: Resources = Resources()
    protect_data: bool = False


class PostgresService(pulumi.ComponentResource):
    """Outputs: ``host``, ``port``, ``database``, ``user``, ``password`` (secret), ``url`` (secret), ``container``."""

    def __init__(self, name: str, args: PostgresServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:PostgresService", name, None, opts)
        runtime = args.runtime
        password = secret_password(name, args.password, parent=self)

        image = pulled_image(name, runtime=runtime, reference=args.image, parent=self)
        data = data_volume(name, runtime=runtime, component=KIND, protect=args.protect_data, parent=self)
        secrets = FileBundle(
            f"{name}-secrets",
            runtime=runtime,
            service=name,
            image=image.image_id,
            mount_path=SECRETS_PATH,
            files={"postgres_password": password},
            parent=self,
        )
        mounts = [docker.ContainerVolumeArgs(volume_name=data.name, container_path=DATA_PATH), secrets.mount()]
        extra_labels = {"dev.standard-stack.files-revision": secrets.revision}
        if args.init_sql:
            init = FileBundle(
                f"{name}-initdb",
                runtime=runtime,
                service=name,
                image=image.image_id,
                mount_path="/docker-entrypoint-initdb.d",
                files=dict(args.init_sql),
                parent=self,
            )
            mounts.append(init.mount())
            extra_labels["dev.standard-stack.initdb-revision"] = init.revision

        self.container = service_container(
            name,
            runtime=runtime,
            service=name,
            component=KIND,
            image=image.image_id,
            resources=args.resources,
            health=healthcheck(
                ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", str(PORT), "-U", args.user, "-d", args.database],
                start_period="30s",
            ),
            networks=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[args.alias])],
            envs=[
                f"POSTGRES_DB={args.database}",
                f"POSTGRES_USER={args.user}",
                f"POSTGRES_PASSWORD_FILE={SECRETS_PATH}/postgres_password",
            ],
            volumes=mounts,
            ports=loopback_port(PORT, args.host_port),
            extra_labels=extra_labels,
            # Non-root from the start, no capabilities: the official entrypoint skips its root-only
            # steps (chown, gosu) when started as the postgres user (docker-entrypoint.sh,
            # docker_create_db_directories / _main), and a new named volume takes the image's
            # postgres-owned data directory. Group 0 reads the 0440 secret files.
            user=f"{POSTGRES_UID}:0",
            read_only=True,
            tmpfs={
                "/var/run/postgresql": f"rw,noexec,nosuid,size=1m,uid={POSTGRES_UID},gid=0,mode=3775",
                "/tmp": "rw,noexec,nosuid,size=64m",
            },
            # postgres is PID 1 and handles its own children (postmaster). docker-init would run as
            # root here with no CAP_KILL and could not forward the stop signal to uid 999 (tini:
            # "Operation not permitted"): every stop was a crash followed by recovery. SIGINT is
            # PostgreSQL's "fast shutdown" (postmaster.c, pmdie), the official image's STOPSIGNAL.
            init=False,
            stop_signal="SIGINT",
            shm_size=256,
            # two servers on one data directory would corrupt it: the old one stops before the new one starts
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[secrets.loader]),
        )

        self.host = pulumi.Output.from_input(args.alias)
        self.port = pulumi.Output.from_input(PORT)
        self.database = pulumi.Output.from_input(args.database)
        self.user = pulumi.Output.from_input(args.user)
        self.password = password
        # secret because the password is: Output.format keeps secrecy
        self.url = pulumi.Output.format("postgresql://{0}:{1}@{2}:{3}/{4}", args.user, password, args.alias, PORT, args.database)
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "database": self.database,
                "user": self.user,
                "password": self.password,
                "url": self.url,
                "container_name": self.container.name,
            }
        )
