"""What the presets PythonApi and NextApp share beyond ``App``: the runtime's version as a build
argument, a dev target and a bind-mounted source directory for hot reload, and their target checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_docker as docker

from ._wiring import ImageBuild, InputStr, Runtime
from .releases import ReleaseArgs


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


def check_target(name: str, args: AppServiceArgs, *, network_ids: Mapping[str, InputStr | None]) -> None:
    """What ``runtime.target`` needs of an app, refused before anything is registered, every problem at once.

    ``network_ids``: the args naming the networks' ids, by field name (Swarm tasks join networks by id).
    """
    problems = []
    if args.runtime.target == "host":
        if args.replicas != 1:
            problems.append(f"replicas ({args.replicas}) needs runtime.target 'swarm'; one Docker host runs 1")
    else:
        if args.registry is None:
            problems.append("registry is required on swarm: every node pulls the image from it (e.g. registry.example.com/team)")
        missing = [field for field, value in network_ids.items() if value is None]
        if missing:
            verb = "are" if len(missing) > 1 else "is"
            problems.append(f"{' and '.join(missing)} {verb} required on swarm: tasks join networks by id")
        if args.hot_reload_source is not None:
            problems.append("hot_reload_source must be None on swarm: the sources are on one host")
        if args.release.pin is not None:
            problems.append(f"release.pin ({args.release.pin}) is not supported on swarm yet: a kept release is on one host")
    if problems:
        raise pulumi.RunError(f"{name}: " + "; ".join(problems))


def check_hot_reload(name: str, source: str | None) -> None:
    if source == "":
        raise pulumi.RunError(
            f"{name}: hot_reload_source is empty; give the host directory of the app's sources, or None for no hot reload"
        )
