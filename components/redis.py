"""Redis with a required password, append-only persistence and a memory ceiling.

The password is in a config file and a password file on the service's file volume: never on the
command line (visible in ``ps``) nor in the environment (visible in ``docker inspect``).

On ``runtime.target == "swarm"`` both files are Docker secrets (``_data_service``): a new password
is a new secret, so the task restarts stop-first on the new files (SIGTERM saves the data first);
no rotation job, and the connections open at that moment are closed.
"""

from __future__ import annotations

import hashlib
from typing import Literal
from urllib.parse import quote

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import versions
from ._containers import healthcheck
from ._data_service import DataService
from ._files import FileBundle
from ._models import CamelModel, InputStr, Resources, Runtime
from .nginx import Port
from .one_shot import OneShot
from .units import Memory, to_bytes

DATA_PATH = "/data"
FILES_PATH = "/run/secrets"
PORT = 6379
REDIS_UID = 999  # the official image's redis user
KIND = "redis"
ROTATION_PATH = "/run/rotation"


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


class RedisOptions(CamelModel):
    """What a stack chooses about its Redis: RedisServiceArgs' own, and the stack file's ``redis`` section (with version)."""

    maxmemory: Memory = Field("256Mi", description="Redis maxmemory; keep it below the container memory limit.")
    maxmemory_policy: EvictionPolicy = Field("allkeys-lru", description="Eviction policy once maxmemory is reached.")
    host_port: Port | None = Field(None, description="Publish on 127.0.0.1:<port> for local tools (dev only).")
    resources: Resources = Resources()


class RedisServiceArgs(RedisOptions):
    runtime: Runtime
    network: InputStr = Field(description="Backend network name.")
    network_id: InputStr | None = Field(None, description="Backend network id; required on swarm (tasks join by id).")
    image: str = Field(f"redis:{versions.REDIS}", description="Pinned official redis image reference.")
    password: InputStr | None = Field(None, description="Secret; generated when None.")
    alias: str = "redis"
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


def redis_url(password: pulumi.Input[str], host: str) -> pulumi.Output[str]:
    """``redis://:password@host:6379/0``, what an app takes as ``REDIS_URL`` (redis-py, Celery). The
    password is percent-encoded (redis-py decodes it): a given one with ``@``, ``/`` or ``:`` would
    otherwise break the URL. Secret."""
    return pulumi.Output.secret(
        pulumi.Output.from_input(password).apply(lambda pw: f"redis://:{quote(pw, safe='')}@{host}:{PORT}/0")
    )


class RedisService(DataService):
    """Outputs: those of every data service (``DataService``; ``url`` is an app's ``REDIS_URL``)."""

    def __init__(self, name: str, args: RedisServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        runtime = args.runtime
        super().__init__("standard-stack:index:RedisService", name, args, kind=KIND, uid=REDIS_UID, opts=opts)
        password = self.password
        self.rotation: OneShot | None = None
        self.container: docker.Container | docker.Service
        conf = password.apply(lambda pw: render_redis_conf(pw, args.maxmemory, args.maxmemory_policy))
        ping = f'REDISCLI_AUTH="$(cat {FILES_PATH}/redis_password)" redis-cli -p {PORT} ping | grep -q PONG'
        if runtime.target == "swarm":
            self.container = self._swarm_server(
                name,
                health=healthcheck(["CMD-SHELL", ping], start_period="10s"),
                data_path=DATA_PATH,
                secrets={"redis.conf": conf, "redis_password": password},
                tmpfs={"/tmp": "rw,noexec,nosuid,size=16m"},
                command=["redis-server", f"{FILES_PATH}/redis.conf"],
                init=False,  # redis-server is PID 1, as on the host
            )
            self._publish_redis(name, args)
            return
        # The new password first goes to its own bundle; a one-shot job reads the *old* password from
        # the server's file volume (before the new files replace it) and sets the new one in the
        # running server (CONFIG SET requirepass): no restart, the connections already open stay
        # authenticated, and only then is the file volume rewritten for the next start.
        rotation_files = FileBundle(
            f"{name}-rotation",
            runtime=runtime,
            service=f"{name}-rotation",
            image=self.image.image_id,
            mount_path=ROTATION_PATH,
            files={"new_password": password},
            parent=self,
        )

        def rotation_job(volume: docker.Volume) -> list[pulumi.Resource]:
            self.rotation = self._password_rotation(name, args, volume, rotation_files)
            return [self.rotation]

        files = FileBundle(
            f"{name}-secrets",
            runtime=runtime,
            service=name,
            image=self.image.image_id,
            mount_path=FILES_PATH,
            files={"redis.conf": conf, "redis_password": password},
            parent=self,
            before_loading=rotation_job,
        )
        # Replaced when the non-secret configuration changes; a new password alone is applied in place.
        config_revision = hashlib.sha256(render_redis_conf("", args.maxmemory, args.maxmemory_policy).encode()).hexdigest()[:16]
        # non-root from the start: reads the 0440 root-owned files through group 0. redis-server is
        # PID 1: SIGTERM makes it fsync the append-only file, save and exit 0 (server.c,
        # prepareForShutdown); nothing for an init to reap.
        self.container = self._server(
            name,
            health=healthcheck(["CMD-SHELL", ping], start_period="10s"),
            port=PORT,
            tmp_size="16m",
            command=["redis-server", f"{FILES_PATH}/redis.conf"],
            volumes=[docker.ContainerVolumeArgs(volume_name=self._host_volume().name, container_path=DATA_PATH), files.mount()],
            extra_labels={"dev.standard-stack.config-revision": config_revision},
            depends_on=[files.loader],
        )

        self._publish_redis(name, args)

    def _publish_redis(self, name: str, args: RedisServiceArgs) -> None:
        self._publish(
            name,
            port=PORT,
            url=redis_url(self.password, args.alias),
            container=self.container,
            rotation=self.rotation,
        )

    def _password_rotation(
        self, name: str, args: RedisServiceArgs, server_files: docker.Volume, rotation_files: FileBundle
    ) -> OneShot:
        """``CONFIG SET requirepass <new>`` authenticated with the old password, when a server runs.

        No server answering (the first deploy: nothing runs yet) or no old password file means
        there is nothing to rotate: the server will start from the new files. Passwords travel as
        files and stdin only (``REDISCLI_AUTH``, ``redis-cli -x``), never as arguments.
        """
        script = (
            "set -uo pipefail\n"
            f"old={FILES_PATH}/redis_password new={ROTATION_PATH}/new_password\n"
            f'if [ ! -s "$old" ]; then echo "no current password file: nothing to rotate"; exit 0; fi\n'
            f"if ! timeout 5 redis-cli -h {args.alias} -p {PORT} ping >/dev/null 2>&1; then\n"
            '  echo "no Redis server answers: it will start with the new password"; exit 0\n'
            "fi\n"
            'if cmp -s "$old" "$new"; then echo "password unchanged"; exit 0; fi\n'
            f'out=$(REDISCLI_AUTH="$(cat "$old")" redis-cli --no-auth-warning -h {args.alias} -p {PORT} '
            '-x CONFIG SET requirepass <"$new" 2>&1)\n'
            'if [ "$out" != OK ]; then echo "CONFIG SET requirepass failed: $out"; exit 1; fi\n'
            'echo "requirepass set in the running server"\n'
        )
        return self._rotation_job(
            name,
            script=script,
            files_revision=rotation_files.revision,
            network=args.network,
            consequence="the server keeps its old password",
            volumes=[(server_files.name, FILES_PATH, True), (rotation_files.volume.name, rotation_files.mount_path, True)],
            depends_on=[rotation_files.loader, server_files],
        )
