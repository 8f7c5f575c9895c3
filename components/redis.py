"""Redis with a required password, append-only persistence and a memory ceiling.

The password is in a config file and a password file on the service's file volume: never on the
command line (visible in ``ps``) nor in the environment (visible in ``docker inspect``).
"""

from __future__ import annotations

from typing import Literal

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
from .units import Memory, to_bytes

DATA_PATH = "/data"
FILES_PATH = "/run/secrets"
PORT = 6379
REDIS_UID = 999  # the official image's redis user
KIND = "redis"


EvictionPolicy = Literal[
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
]


class RedisServiceArgs(StrictModel):
    runtime: Runtime
    network: InputStr = Field(description="Backend network name.")
    image: str = Field("redis:7.4", description="Pinned official redis image reference.")
    password: InputStr | None = Field(None, description="Secret; generated when None.")
    maxmemory: Memory = "256Mi"
    maxmemory_policy: EvictionPolicy = "allkeys-lru"
    alias: str = "redis"
    host_port: int | None = None
    resources: Resources = Resources()
    protect_data: bool = False


def render_redis_conf(password: str, maxmemory: str, policy: str) -> str:
    """The whole server configuration; holds the password, so it travels as a secret file."""
    quoted = password.replace("\\", "\\\\").replace('"', '\\"')
    return "\n".join(
        [
            f"port {PORT}",
            "bind 0.0.0.0",
            "protected-mode no",
            f'requirepass "{quoted}"',
            f"dir {DATA_PATH}",
            "appendonly yes",
            "appendfsync everysec",
            f"maxmemory {to_bytes(maxmemory)}",
            f"maxmemory-policy {policy}",
            "",
        ]
    )


class RedisService(pulumi.ComponentResource):
    """Outputs: ``host``, ``port``, ``password`` (secret), ``url`` (secret), ``container``."""

    def __init__(self, name: str, args: RedisServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("standard-stack:index:RedisService", name, None, opts)
        runtime = args.runtime
        password = secret_password(name, args.password, parent=self)
        conf = password.apply(lambda pw: render_redis_conf(pw, args.maxmemory, args.maxmemory_policy))

        image = pulled_image(name, runtime=runtime, reference=args.image, parent=self)
        data = data_volume(name, runtime=runtime, component=KIND, protect=args.protect_data, parent=self)
        files = FileBundle(
            f"{name}-secrets",
            runtime=runtime,
            service=name,
            image=image.image_id,
            mount_path=FILES_PATH,
            files={"redis.conf": conf, "redis_password": password},
            parent=self,
        )
        ping = f'REDISCLI_AUTH="$(cat {FILES_PATH}/redis_password)" redis-cli -p {PORT} ping | grep -q PONG'
        self.container = service_container(
            name,
            runtime=runtime,
            service=name,
            component=KIND,
            image=image.image_id,
            resources=args.resources,
            health=healthcheck(["CMD-SHELL", ping], start_period="10s"),
            networks=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[args.alias])],
            command=["redis-server", f"{FILES_PATH}/redis.conf"],
            # non-root from the start: reads the 0440 root-owned files through group 0
            user=f"{REDIS_UID}:0",
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
            # redis-server is PID 1: SIGTERM makes it fsync the append-only file, save and exit 0
            # (server.c, prepareForShutdown); nothing for an init to reap.
            init=False,
            volumes=[docker.ContainerVolumeArgs(volume_name=data.name, container_path=DATA_PATH), files.mount()],
            ports=loopback_port(PORT, args.host_port),
            extra_labels={"dev.standard-stack.files-revision": files.revision},
            # one server per append-only file: the old one stops (and saves) before the new one starts
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=[files.loader]),
        )

        self.host = pulumi.Output.from_input(args.alias)
        self.port = pulumi.Output.from_input(PORT)
        self.password = password
        # secret because the password is: Output.format keeps secrecy
        self.url = pulumi.Output.format("redis://:{0}@{1}:{2}/0", password, args.alias, PORT)
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                "password": self.password,
                "url": self.url,
                "container_name": self.container.name,
            }
        )
