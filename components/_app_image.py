"""What the presets PythonApi and NextApp share beyond ``App``: the runtime's version as a build
argument, a dev target and a bind-mounted source directory for hot reload, their target checks, and
the user's own env and secrets beside the preset's.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

import pulumi
import pulumi_docker as docker
from pydantic import Field

from . import targets
from ._models import ImageBuild, InputStr, Resources, Runtime, StrictModel
from .problems import refuse
from .releases import ReleaseArgs

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_FILE_NAME = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"


class OwnSettingsArgs(StrictModel):
    """The app's own settings beside the preset's: plain env, secrets, and those secrets as its environment."""

    env: dict[str, InputStr] = Field(default_factory=dict, description="More plain environment variables (never secrets).")
    secrets: dict[str, InputStr] = Field(
        default_factory=dict, description="More secrets: name -> value, each the root-owned 0440 file /run/secrets/<name>."
    )
    secrets_as_env: bool = Field(
        False,
        description="Also set each of secrets as an environment variable of the same name inside the app's own process, "
        "read from its file at start by an exec wrapper: never in the container's config, docker inspect or the state.",
    )


def own_problems(args: OwnSettingsArgs, *, preset_env: Collection[str], preset_secrets: Collection[str]) -> list[str]:
    """What is wrong with the app's own env and secrets: their names, and a name the preset sets itself."""
    problems = []
    for key in args.env:
        if not re.fullmatch(_ENV_NAME, key):
            problems.append(f"env key {key!r} must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)")
        elif key in preset_env:
            problems.append(f"env key {key!r} is set by the preset itself; choose another name")
    pattern, form = (_ENV_NAME, "an environment variable name") if args.secrets_as_env else (_FILE_NAME, "a file name")
    for key in args.secrets:
        if not re.fullmatch(pattern, key):
            problems.append(f"secrets key {key!r} must be {form}")
        elif key in preset_secrets or key in preset_env:
            problems.append(f"secrets key {key!r} is used by the preset itself; choose another name")
        elif args.secrets_as_env and key in args.env:
            problems.append(f"{key} is in both env and secrets")
    if args.secrets_as_env and not args.secrets:
        problems.append("secrets_as_env is on but secrets is empty")
    return problems


def own_contract(args: OwnSettingsArgs, *, command: list[str]) -> dict[str, Any]:
    """AppArgs for ``secrets_as_env``: the wrapper runs the image's own ``command`` (its ENTRYPOINT is none)."""
    if not args.secrets_as_env:
        return {}
    return {"secrets_as_env": True, "entrypoint": [], "command": command}


def versioned_build(build: ImageBuild, *, version_arg: str, version: str, dev: bool = False) -> ImageBuild:
    """``build`` with the runtime version as a build argument (an explicit one in ``build.args`` wins)
    and, for hot reload, the Dockerfile's ``dev`` stage."""
    return build.model_copy(update={"args": {version_arg: version, **build.args}, "target": "dev" if dev else build.target})


def source_mount(source: str, container_path: str) -> docker.ContainerVolumeArgs:
    """A host source directory, read-only in the container: the dev server reloads on its changes.

    Resolved to an absolute path, as Docker needs, from the program's working directory."""
    return docker.ContainerVolumeArgs(host_path=str(Path(source).resolve()), container_path=container_path, read_only=True)


class AppServiceArgs(Protocol):
    """The settings both argument models (PythonApiArgs, NextAppArgs) have."""

    @property
    def runtime(self) -> Runtime: ...
    @property
    def build(self) -> ImageBuild: ...
    @property
    def registry(self) -> str | None: ...
    @property
    def release(self) -> ReleaseArgs: ...
    @property
    def alias(self) -> str: ...
    @property
    def hot_reload_source(self) -> str | None: ...
    @property
    def replicas(self) -> int: ...
    @property
    def resources(self) -> Resources: ...


def preset_args(
    args: AppServiceArgs, *, version_arg: str, version: str, networks: list[InputStr], network_ids: list[InputStr | None]
) -> dict[str, Any]:
    """The AppArgs a preset passes on as its user gave them: the image's sources (``versioned_build``) and
    registry, the release, the alias on its ``networks`` (by ``network_ids`` on Swarm), limits and replicas."""
    return {
        "runtime": args.runtime,
        "build": versioned_build(args.build, version_arg=version_arg, version=version, dev=args.hot_reload_source is not None),
        "registry": args.registry,
        "release": args.release,
        "networks": networks,
        "network_ids": network_ids if args.runtime.target == "swarm" else None,
        "aliases": [args.alias],
        "resources": args.resources,
        "replicas": args.replicas,
    }


def check_target(name: str, args: AppServiceArgs, *, network_ids: Mapping[str, InputStr | None]) -> None:
    """What ``runtime.target`` needs of an app, refused before anything is registered, every problem at once.

    ``network_ids``: the args naming the networks' ids, by field name (Swarm tasks join networks by id).
    """
    if args.runtime.target == "host":
        refuse(name, targets.one_replica("replicas", args.replicas))
        return
    problems = [
        *targets.registry("registry", args.registry),
        *targets.network_ids(dict(network_ids)),
        *targets.no_sources("hot_reload_source", args.hot_reload_source is not None, off="None"),
        *targets.no_pinned_release("release.pin", args.release.pin),
    ]
    refuse(name, problems)


def check_hot_reload(name: str, source: str | None) -> None:
    if source == "":
        raise pulumi.RunError(
            f"{name}: hot_reload_source is empty; give the host directory of the app's sources, or None for no hot reload"
        )
