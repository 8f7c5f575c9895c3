"""The Next.js app: built from images/web, talks to the API over the frontend network, replaced without downtime.

On ``runtime.target == "swarm"`` it is a Swarm service (``_swarm``) of ``replicas`` tasks.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import versions
from ._app_image import AppService, check_target, source_mount
from ._swarm import TaskNetwork, swarm_service
from ._wiring import ImageBuild, InputStr, Resources, Runtime, StrictModel, healthcheck, service_container
from .releases import ReleaseArgs

PORT = 3000
APP_USER = "1001:1001"  # the image's nextjs user
HEALTH = ["CMD", "node", "-e", f"fetch('http://127.0.0.1:{PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]


class NextAppArgs(StrictModel):
    runtime: Runtime
    build: ImageBuild = ImageBuild(context="images/web")
    node_version: str = versions.NODE
    registry: str | None = None
    network: InputStr = Field(description="Frontend network name.")
    network_id: InputStr | None = Field(None, description="Swarm: the frontend network's id (tasks join by id).")
    replicas: int = Field(1, ge=1, description="Swarm tasks of the app; one Docker host runs 1.")
    api_url: InputStr = Field(description="Internal URL of the API, used server-side only.")
    public_url: str
    alias: str = "web"
    hot_reload_source: str | None = Field(None, description="Dev: host directory bind-mounted at /app/src, run with next dev.")
    resources: Resources = Resources()
    release: ReleaseArgs = Field(ReleaseArgs(), description="Run a pinned earlier release; which releases stay on the host.")


class NextApp(AppService):
    """Outputs: ``url`` (internal), ``alias``, ``port``, ``image_name``, ``image_digest``, ``container_name``,
    ``release`` (the running release's tag), ``releases`` (kept on the host, newest first)."""

    def __init__(self, name: str, args: NextAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        runtime = args.runtime
        check_target(name, args, network_ids={"network_id": args.network_id})
        version = ("NODE_VERSION", args.node_version)
        super().__init__("standard-stack:index:NextApp", name, args, version=version, port=PORT, opts=opts)
        if runtime.target == "swarm":
            self._publish(self._on_swarm(name, args))
            return
        kwargs: dict[str, Any] = {}
        if self.hot_reload_source is not None:
            # next dev writes .next and watches the sources: writable root, sources mounted read-only
            kwargs["volumes"] = [source_mount(self.hot_reload_source, "/app/src")]
        else:
            kwargs["read_only"] = True
            kwargs["tmpfs"] = {
                "/tmp": "rw,noexec,nosuid,size=64m",
                "/app/.next/cache": "rw,noexec,nosuid,size=128m,uid=1001,gid=1001",
            }
        container = service_container(
            name,
            runtime=runtime,
            service=name,
            component="web",
            image=self.image_digest,
            resources=args.resources,
            health=healthcheck(HEALTH, start_period="20s"),
            networks=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[args.alias])],
            envs=[
                pulumi.Output.concat("API_INTERNAL_URL=", args.api_url),
                f"PUBLIC_URL={args.public_url}",
                f"PORT={PORT}",
                "HOSTNAME=0.0.0.0",
            ],
            user=APP_USER,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=False, depends_on=self.release.depends_on),
            **kwargs,
        )
        self._publish(container, proxy_network=args.network)

    def _on_swarm(self, name: str, args: NextAppArgs) -> docker.Service:
        """The same description as the container: read-only root, the two tmpfs, the health check.

        ``/app/.next/cache`` is owned by the app's user on one host (tmpfs ``uid=``/``gid=``); a Swarm
        tmpfs takes a size and a mode only, and its default mode is 1777 (docs.docker.com/engine/storage/tmpfs,
        "tmpfs-mode ... Defaults to 1777 or world-writable"), so the user can write it as well.
        """
        assert args.network_id is not None  # check_target
        return swarm_service(
            name,
            runtime=args.runtime,
            service=name,
            component="web",
            image=self.image_digest,
            resources=args.resources,
            health=healthcheck(HEALTH, start_period="20s"),
            networks=[TaskNetwork(id=args.network_id, aliases=[args.alias])],
            replicas=args.replicas,
            envs={"API_INTERNAL_URL": args.api_url, "PUBLIC_URL": args.public_url, "PORT": str(PORT), "HOSTNAME": "0.0.0.0"},
            user=APP_USER,
            read_only=True,
            tmpfs={"/tmp": "rw,noexec,nosuid,size=64m", "/app/.next/cache": "rw,noexec,nosuid,size=128m"},
            # updated in place (rolling); only a new name or mode replaces it, and its fixed name must be free first
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=self.release.depends_on),
        )
