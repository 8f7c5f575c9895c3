"""The skeleton PostgresService and RedisService share, so the two data services cannot drift apart.

Each is an official image run as its own non-root user, on a data volume that outlives the
container, behind a password (given or generated) that a one-shot job applies to the running
server in place. The subclass says what differs: the server's command, health check and files,
and the rotation script.

On ``runtime.target == "swarm"`` the server is a Swarm service of one task (``_swarm``): updated
stop-first (two servers must never share a data directory), pinned by a node label to the node its
named local volume lives on, with its password and configuration as Docker secrets instead of a
file volume filled by a loader container. The volume is created by that node's engine at the first
start (``_swarm.volume_mount``): a ``docker.Volume`` registered through the manager would exist on
the manager only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pulumi
import pulumi_docker as docker

from . import targets
from ._containers import (
    ServiceSpec,
    data_volume,
    label_values,
    loopback_port,
    pulled_image,
    secret_password,
    service_container,
)
from ._models import InputStr, Resources, Runtime
from ._swarm import TaskNetwork, node_label, secret_files, swarm_service, volume_mount
from .one_shot import OneShot, one_shot
from .problems import Problem, refuse


class DataServiceArgs(Protocol):
    """The settings both argument models (PostgresServiceArgs, RedisServiceArgs) have."""

    @property
    def runtime(self) -> Runtime: ...
    @property
    def network(self) -> InputStr: ...
    @property
    def image(self) -> str: ...
    @property
    def password(self) -> InputStr | None: ...
    @property
    def alias(self) -> str: ...
    @property
    def host_port(self) -> int | None: ...
    @property
    def resources(self) -> Resources: ...
    @property
    def protect_data(self) -> bool: ...
    @property
    def network_id(self) -> InputStr | None: ...


class DataService(pulumi.ComponentResource):
    """Registers the password (when none is given), the pulled image and the data volume.

    ``uid`` is the image's own user: the server and its jobs run as ``<uid>:0`` (group 0 reads the
    0440 files of a FileBundle).

    Outputs: ``host``, ``port``, ``password`` (secret), ``url`` (secret), ``container_name``,
    ``password_rotated`` (an ordering handle: set once a changed password is in force, so whatever
    depends on the service waits for it).

    Attributes: ``container`` (the server's container; on swarm its service).
    """

    def __init__(
        self,
        type_: str,
        name: str,
        args: DataServiceArgs,
        *,
        kind: str,
        uid: int,
        opts: pulumi.ResourceOptions | None,
        docker_name: str | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        self._check_target(name, args, problems)
        super().__init__(type_, name, None, opts)
        runtime = args.runtime
        self._settings, self.kind, self.uid = args, kind, uid
        self.password: pulumi.Output[str] = secret_password(name, args.password, parent=self)
        self.image = pulled_image(name, runtime=runtime, reference=args.image, parent=self)
        self.volume_name = f"{runtime.prefix}-{docker_name or name}-data"
        self.data: docker.Volume | None = None
        if runtime.target == "host":
            self.data = data_volume(
                name, runtime=runtime, component=kind, protect=args.protect_data, parent=self, docker_name=docker_name
            )

    def _host_volume(self) -> docker.Volume:
        assert self.data is not None, "the data volume is registered on target host only"
        return self.data

    @staticmethod
    def _check_target(name: str, args: DataServiceArgs, problems: Sequence[Problem]) -> None:
        """What swarm needs of a data service, refused before anything registers, every problem at once.

        ``problems``: the subclass's own (settings it has not ported to swarm)."""
        if args.runtime.target != "swarm":
            return
        network = targets.network_ids({"network_id": args.network_id})
        refuse(name, [*problems, *network, *targets.no_host_port("host_port", args.host_port)])

    def _swarm_server(
        self,
        name: str,
        *,
        health: docker.ContainerHealthcheckArgs,
        data_path: str,
        secrets: Mapping[str, pulumi.Input[str]],
        tmpfs: Mapping[str, str],
        **kwargs: Any,
    ) -> docker.Service:
        """The server as one Swarm task on the node labelled for it (``_swarm.node_label``), its data on
        the named volume there, its ``secrets`` as files in ``/run/secrets`` (root-owned 0440, read
        through group 0 as on the host). The image is the pulled one, by digest: every node pulls
        exactly what the manager pulled, and the provider reads back the same reference
        (tests/swarm/README.md: a tag-only image never previews clean)."""
        args = self._settings
        runtime = args.runtime
        assert args.network_id is not None  # _check_target
        return swarm_service(
            name,
            ServiceSpec(
                runtime=runtime,
                service=name,
                component=self.kind,
                image=self.image.repo_digest,
                resources=args.resources,
                health=health,
            ),
            networks=[TaskNetwork(id=args.network_id, aliases=[args.alias])],
            user=f"{self.uid}:0",
            read_only=True,
            tmpfs=tmpfs,
            secrets=secret_files(name, runtime=runtime, service=name, files=secrets, parent=self),
            mounts=[volume_mount(self.volume_name, data_path, runtime=runtime, service=name, component=self.kind)],
            # two tasks must never share the data directory: the old one stops before the new one starts
            order="stop-first",
            # the named local volume exists on one node: the task must always run there
            node_label=node_label(runtime, name),
            # a new name (or mode) replaces the service, and its fixed name must be free first
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
            **kwargs,
        )

    def _server(
        self,
        name: str,
        *,
        health: docker.ContainerHealthcheckArgs,
        port: int,
        tmp_size: str,
        volumes: Sequence[docker.ContainerVolumeArgs],
        depends_on: Sequence[pulumi.Resource],
        extra_labels: Mapping[str, pulumi.Input[str]] | None = None,
        **kwargs: Any,
    ) -> docker.Container:
        """The server: PID 1 (no docker-init, which could not signal another uid), read-only root,
        and replaced delete-first, since two servers on one data directory would corrupt it."""
        args = self._settings
        return service_container(
            name,
            ServiceSpec(
                runtime=args.runtime,
                service=name,
                component=self.kind,
                image=self.image.image_id,
                resources=args.resources,
                health=health,
            ),
            networks=[docker.ContainerNetworksAdvancedArgs(name=args.network, aliases=[args.alias])],
            user=f"{self.uid}:0",
            read_only=True,
            tmpfs={"/tmp": f"rw,noexec,nosuid,size={tmp_size}"},
            init=False,
            volumes=list(volumes),
            ports=loopback_port(port, args.host_port),
            extra_labels=extra_labels,
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=list(depends_on)),
            **kwargs,
        )

    def _rotation_job(
        self,
        name: str,
        *,
        script: str,
        files_revision: pulumi.Input[str],
        volumes: Sequence[tuple[pulumi.Input[str], str, bool]],
        depends_on: Sequence[pulumi.Resource],
        consequence: str,
        extra_labels: Mapping[str, pulumi.Input[str]] | None = None,
        env: Sequence[pulumi.Input[str]] = (),
        network: pulumi.Input[str] | None = None,
    ) -> OneShot:
        """``<name>-password-rotation``: runs ``script`` with bash once per new password file (its revision is a
        label) or per change of ``extra_labels``, and is removed; its failure fails the deploy with its log."""
        runtime = self._settings.runtime
        labels = {"dev.standard-stack.files-revision": files_revision, **(extra_labels or {})}
        return one_shot(
            f"{name}-password-rotation",
            runtime=runtime,
            role=f"{name}-password-rotation",
            labels=label_values(runtime, f"{name}-password-rotation", labels, component=f"{self.kind}-rotation"),
            image=self.image.image_id,
            entrypoint=["bash", "-c"],
            command=[script],
            user=f"{self.uid}:0",
            env=env,
            network=network,
            volumes=volumes,
            description=f"{name}: password rotation",
            consequence=consequence,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

    def _publish(
        self,
        name: str,
        *,
        port: int,
        url: pulumi.Output[str],
        container: docker.Container | docker.Service,
        rotation: OneShot | None,
        **outputs: pulumi.Input[Any],
    ) -> None:
        """Sets and registers the outputs both share; ``outputs`` are the service's own (e.g. ``database``).

        ``rotation`` None (swarm): the server takes a new password when its task restarts on the new secret."""
        rotated: pulumi.Input[str] = rotation.id.apply(lambda _: "ok") if rotation is not None else "on task start"
        self.host = pulumi.Output.from_input(self._settings.alias)
        self.port = pulumi.Output.from_input(port)
        self.url = url
        self.register_outputs(
            {
                "host": self.host,
                "port": self.port,
                **outputs,
                "password": self.password,
                "url": url,
                "container_name": container.name,
                "password_rotated": rotated,
            }
        )
