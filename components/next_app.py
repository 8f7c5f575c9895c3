"""The Next.js app: built from images/web, talks to the API over the frontend network, replaced without downtime.

A preset of ``App``.
On ``runtime.target == "swarm"`` it is a Swarm service (``_swarm``) of ``replicas`` tasks.
"""

from __future__ import annotations

import pulumi
from pydantic import Field, model_validator

from . import versions
from ._app_image import OwnSettingsArgs, check_hot_reload, check_target, own_contract, own_problems, preset_args
from ._models import CamelModel, ImageBuild, InputStr, Resources, Runtime
from .app import App, AppArgs, HealthCheck
from .releases import ReleaseArgs
from .versions import Version

PORT = 3000
APP_USER = "1001:1001"  # the image's nextjs user
COMMAND = ["node", "start.mjs"]
"""images/web's CMD (its runner stage); the dev stage's is DEV_COMMAND. The env wrapper runs them."""
DEV_COMMAND = ["node_modules/.bin/next", "dev", "--hostname", "0.0.0.0", "--port", str(PORT)]


class WebOptions(CamelModel):
    """What a stack chooses about its web app: NextAppArgs' own, and the stack file's ``web`` section (with
    nodeVersion, a release to roll back to and its own env and secrets by config key)."""

    build: ImageBuild = Field(ImageBuild(context="images/web"), description="How to build the web image.")
    node_version: Version = Field(versions.NODE, description="Node.js base image version (build arg NODE_VERSION).")
    replicas: int = Field(1, ge=1, le=100, description="Swarm tasks of the web app (target: swarm); one host runs one.")
    resources: Resources = Resources()


class NextAppArgs(WebOptions, OwnSettingsArgs):
    runtime: Runtime
    registry: str | None = None
    network: InputStr = Field(description="Frontend network name.")
    network_id: InputStr | None = Field(None, description="Swarm: the frontend network's id (tasks join by id).")
    api_url: InputStr = Field(description="Internal URL of the API, used server-side only.")
    public_url: str
    alias: str = "web"
    hot_reload_source: str | None = Field(None, description="Dev: host directory bind-mounted at /app/src, run with next dev.")
    release: ReleaseArgs = Field(ReleaseArgs(), description="Run a pinned earlier release; which releases stay on the host.")

    @model_validator(mode="after")
    def _own_names(self) -> NextAppArgs:
        problems = own_problems(self, preset_env=_settings(self), preset_secrets=())
        if problems:
            raise ValueError("; ".join(problems))
        return self


class NextApp(App):
    """A preset of ``App``: this repository's web app (images/web) with its contract filled in.

    Outputs and attributes: those of ``App``.
    """

    def __init__(self, name: str, args: NextAppArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        check_target(name, args, network_ids={"network_id": args.network_id})
        check_hot_reload(name, args.hot_reload_source)
        self.hot_reload_source = args.hot_reload_source
        super().__init__(name, app_args(args), opts, type_="standard-stack:index:NextApp")


def app_args(args: NextAppArgs) -> AppArgs:
    """The web app's contract: port 3000, /health probed with node, read-only root but for two tmpfs.

    Hot reload: next dev writes .next and watches the sources, so the root is writable and the sources
    are mounted read-only. ``/app/.next/cache`` is owned by the app's user on one host (tmpfs
    ``uid=``/``gid=``); a Swarm tmpfs takes a size and a mode only, and its default mode is 1777
    (docs.docker.com/engine/storage/tmpfs, "tmpfs-mode ... Defaults to 1777 or world-writable"), so
    the user can write it as well.
    """
    hot = args.hot_reload_source is not None
    return AppArgs(
        **preset_args(
            args, version_arg="NODE_VERSION", version=args.node_version, networks=[args.network], network_ids=[args.network_id]
        ),
        port=PORT,
        health=HealthCheck(http_path="/health", prober="node", start_period="20s"),
        user=APP_USER,
        env={**_settings(args), **args.env},
        secrets=dict(args.secrets),
        **own_contract(args, command=DEV_COMMAND if hot else COMMAND),
        read_only=not hot,
        tmpfs={}
        if hot
        else {"/tmp": "rw,noexec,nosuid,size=64m", "/app/.next/cache": "rw,noexec,nosuid,size=128m,uid=1001,gid=1001"},
        source_mounts={args.hot_reload_source: "/app/src"} if args.hot_reload_source is not None else {},
        component="web",
    )


def _settings(args: NextAppArgs) -> dict[str, InputStr]:
    """The preset's plain settings; the user's own env comes after them."""
    return {"API_INTERNAL_URL": args.api_url, "PUBLIC_URL": args.public_url, "PORT": str(PORT), "HOSTNAME": "0.0.0.0"}
