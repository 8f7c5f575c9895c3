"""Files (secrets, rendered config) handed to a service through a named volume a loader container fills."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pulumi
import pulumi_docker as docker

from ._containers import label_values, object_labels
from ._models import Runtime
from .one_shot import one_shot

LOADER_USER = "65534:65534"
"""nobody: a FileBundle loader only runs ``true``; the daemon writes its files."""


class FileBundle:
    """Files (secrets, rendered config) delivered to a service through a named volume.

    pulumi-docker writes ``uploads`` through the container root, which Docker refuses on a
    read-only root filesystem. So a loader (``one_shot.OneShot``: same image, runs ``true``, removed
    when done) receives the files into a named volume, and the service mounts that volume read-only.
    Files are root-owned 0440: services read them through group 0. ``revision`` (the loader's
    id) goes into the service's labels, so changed files replace the service.

    The daemon unpacks the files (the archive's owner and mode), not the loader's process, so the
    loader runs as nobody with no capability, no privilege gain, no network and a read-only root.
    """

    def __init__(
        self,
        name: str,
        *,
        runtime: Runtime,
        service: str,
        image: pulumi.Input[str],
        mount_path: str,
        files: Mapping[str, pulumi.Input[str]],
        parent: pulumi.Resource,
        before_loading: Callable[[docker.Volume], Sequence[pulumi.Resource]] | None = None,
        depends_on: Sequence[pulumi.Input[pulumi.Resource]] = (),
        loader_entrypoint: Sequence[str] = ("true",),
        volume: docker.Volume | None = None,
    ) -> None:
        """``before_loading`` registers resources that must run after the volume exists and before
        new files replace the old ones (a job that still needs the old files), given the volume.
        ``depends_on``: e.g. the image's release resource, so the loader goes before the image it ran.
        ``loader_entrypoint``: a program of the image that exits 0 (an image without ``true``).
        ``volume``: load into this one instead of a volume of its own (two bundles taking turns in one
        volume, ordered by ``depends_on``: ReverseProxy's start site, then its current site)."""
        self.mount_path = mount_path.rstrip("/")
        self.volume = volume or docker.Volume(
            f"{name}-files",
            name=f"{runtime.prefix}-{name}-files",
            labels=object_labels(runtime, service),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        first = list(before_loading(self.volume)) if before_loading else []
        self.loader = one_shot(
            f"{name}-files-loader",
            runtime=runtime,
            role=f"{name}-files",
            image=image,
            entrypoint=list(loader_entrypoint),
            user=LOADER_USER,
            labels=label_values(runtime, f"{service}-files"),
            volumes=[(self.volume.name, self.mount_path, False)],
            files={f"{self.mount_path}/{path}": content for path, content in sorted(files.items())},
            files_path=self.mount_path,
            description=f"{name}: loading files into {self.mount_path}",
            consequence="the service keeps its previous files",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[*first, *depends_on] or None),
        )
        self.revision: pulumi.Output[str] = self.loader.id

    def mount(self) -> docker.ContainerVolumeArgs:
        return docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=self.mount_path, read_only=True)
