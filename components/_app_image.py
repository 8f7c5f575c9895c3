"""The skeleton PythonApi and NextApp share: an app built from its sources into a release, with a
dev target and a bind-mounted source directory for hot reload, and the same outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import pulumi
import pulumi_docker as docker

from ._wiring import ImageBuild, InputStr, Runtime, Upstream, container_upstream
from .releases import Release, ReleaseArgs


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


class AppService(pulumi.ComponentResource):
    """Registers the app's release (built from its sources, or a pinned earlier one) under the component.

    ``hot_reload_source`` (a host directory) selects the Dockerfile's ``dev`` stage; None builds the
    production stage. The subclass registers ``container`` and calls ``_publish``.
    """

    def __init__(
        self,
        type_: str,
        name: str,
        args: AppServiceArgs,
        *,
        version: tuple[str, str],
        port: int,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        """``version``: the build argument naming the runtime's version, and its value."""
        super().__init__(type_, name, None, opts)
        if args.hot_reload_source == "":
            raise pulumi.RunError(
                f"{name}: hot_reload_source is empty; give the host directory of the app's sources, or None for no hot reload"
            )
        self.alias, self.port = args.alias, port
        # what a proxy route names: the alias on one host (the proxy is switched to the current container
        # through ``upstream``); on swarm every healthy task of the dnsrr service, by Docker's documented
        # ``tasks.<service name>`` DNS name (the service is named ``<project>-<stack>-<name>``)
        self.proxy_host = args.alias if args.runtime.target == "host" else f"tasks.{args.runtime.prefix}-{name}"
        self.hot_reload_source = args.hot_reload_source
        version_arg, value = version
        build = versioned_build(args.build, version_arg=version_arg, version=value, dev=self.hot_reload_source is not None)
        self.release = Release(
            name, runtime=args.runtime, service=name, build=build, registry=args.registry, args=args.release, parent=self
        )
        self.image = self.release.image  # None when a release is pinned: nothing is built
        self.image_digest = self.release.reference

    def _publish(self, container: docker.Container | docker.Service, *, proxy_network: InputStr | None = None) -> None:
        """Outputs: ``url`` (internal), ``image_name``, ``image_digest``, ``container_name`` (on swarm: the
        service's name), ``release``, ``releases``.

        ``upstream`` (not an output: the reverse proxy's input) names this very container, so a proxy
        that routes to it is switched to a replacement explicitly, before the old container goes. On
        swarm it is None: a service's tasks are replaced by Swarm's rolling update, which adds a new task
        to the service's DNS only once it is healthy; the proxy routes by ``tasks.<service>``.
        """
        self.container = container
        self.upstream: Upstream | None = (
            container_upstream(container, proxy_network)
            if isinstance(container, docker.Container) and proxy_network is not None
            else None
        )
        self.url = pulumi.Output.from_input(f"http://{self.alias}:{self.port}")
        self.image_name = pulumi.Output.from_input(self.release.image_name)
        self.container_name = container.name
        self.releases = self.release.kept
        self.register_outputs(
            {
                "url": self.url,
                "image_name": self.image_name,
                "image_digest": self.image_digest,
                "container_name": self.container_name,
                "release": self.release.tag,
                "releases": self.releases,
            }
        )
