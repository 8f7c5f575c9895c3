"""Docker wiring shared by every component: limits, health checks, logging, labels, hardening, secret files.

Each component describes *what* its service needs; this module decides *how* that becomes
pulumi-docker inputs, so the five components cannot drift apart (one restart policy, one log
rotation, one way to hand over secrets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pulumi
import pulumi_docker as docker
import pulumi_random as random
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from . import versions
from ._names import named_container
from .engine import go_duration, takes_start_interval
from .units import Cpus, Memory, to_mib

if TYPE_CHECKING:
    InputStr = pulumi.Input[str]
    InputInt = pulumi.Input[int]
else:  # pydantic cannot build validators for Output/Awaitable; values are passed through as given
    InputStr = Any
    InputInt = Any

LABEL_PREFIX = "dev.standard-stack"
COMPONENT_LABEL = f"{LABEL_PREFIX}.component"
"""The component kind (postgres, redis, api, web, proxy): what policies and tools key on, whatever the instance name."""
Platform = Annotated[
    str,
    Field(pattern=r"^linux/(amd64|arm64|arm/v7|arm/v6|386|ppc64le|s390x|riscv64)$", examples=["linux/amd64", "linux/arm64"]),
]
GoDuration = Annotated[str, AfterValidator(go_duration), Field(examples=["1s", "500ms", "1m30s"])]
"""A duration as the engine reads it back (Go's spelling: ``60s`` is kept as ``1m0s``), at least 1 ms."""
RestartPolicy = Literal["no", "on-failure", "always", "unless-stopped"]
Target = Literal["host", "swarm"]
"""Where a stack runs: containers on one Docker host, or services on a Docker Swarm (``_swarm``)."""


class StrictModel(BaseModel):
    """Base for argument models: unknown fields are errors, Pulumi outputs are allowed as values."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class CamelModel(StrictModel):
    """Also readable from stack files, where keys are camelCase."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class Resources(CamelModel):
    """Limits for one container. Unset means unlimited (fine for dev, refused in prod)."""

    memory: Memory | None = Field(None, description="Hard memory limit, e.g. 512Mi.")
    memory_reservation: Memory | None = Field(None, description="Soft memory reservation, e.g. 256Mi.")
    cpus: Cpus | None = Field(None, description="CPU limit, e.g. 0.5 or 1.5.")


class LogRotation(CamelModel):
    """json-file rotation: without it a chatty container fills the host's disk."""

    max_size: str = Field(
        "10m", pattern=r"^[0-9]+[kmg]$", examples=["10m", "100k", "1g"], description="Rotate at this size (10m, 1g)."
    )
    max_file: int = Field(3, ge=1, le=100, description="Rotated files kept.")


class Runtime(StrictModel):
    """Operational settings every long-running container of a stack shares."""

    project: str = "standard-stack"
    stack: str = "dev"
    restart: RestartPolicy = "unless-stopped"
    logging: LogRotation = LogRotation()
    stop_grace_seconds: int = Field(20, ge=0, le=600)
    platform: Platform = Field(
        "linux/amd64",
        description="Platform of the Docker host: images are built and pulled for it, whatever machine runs pulumi.",
    )
    target: Target = Field("host", description="host: containers on the engine; swarm: services on its Swarm.")
    health_start_interval: GoDuration | None = Field(
        versions.HEALTH_START_INTERVAL,
        description="Health probes this often during the start period (Go duration); None: never sent.",
    )
    engine_api_version: str | None = Field(
        None,
        pattern=r"^[0-9]+\.[0-9]+$",
        description="Engine API version of the Docker host (engine.api_version); None: unknown, nothing version-gated is sent.",
    )

    @property
    def prefix(self) -> str:
        """Docker object names: unique per project and stack on one host."""
        return f"{self.project}-{self.stack}"


def limits(resources: Resources) -> dict[str, Any]:
    """Container keyword arguments in the provider's units (MiB integers, CPU string)."""
    out: dict[str, Any] = {}
    if resources.memory:
        out["memory"] = to_mib(resources.memory)
        out["memory_swap"] = to_mib(resources.memory)  # no swap beyond the limit
    if resources.memory_reservation:
        out["memory_reservation"] = to_mib(resources.memory_reservation)
    if resources.cpus:
        out["cpus"] = resources.cpus
    return out


def healthcheck(
    test: Sequence[str], *, interval: str = "5s", timeout: str = "3s", start_period: str = "10s", retries: int = 5
) -> docker.ContainerHealthcheckArgs:
    """Every health gate of a deploy costs about one ``interval``: Docker (before API 1.44's
    start_interval) runs the first probe one interval after start. 5 s keeps a deploy's chain
    short (postgres -> migration -> api) without probing a busy host every second.
    """
    return docker.ContainerHealthcheckArgs(
        tests=list(test), interval=interval, timeout=timeout, start_period=start_period, retries=retries
    )


def with_start_interval(health: docker.ContainerHealthcheckArgs, runtime: Runtime) -> docker.ContainerHealthcheckArgs:
    """``health`` probing every ``runtime.health_start_interval`` during its start period, where the
    engine takes it (API >= 1.44, see ``engine``): a 20.10 engine's client refuses the create. Unchanged
    on an older or unknown engine, and on swarm, whose service health checks never carry it (the SDK's
    ``ServiceTaskSpecContainerSpecHealthcheckArgs`` has no such field; ``_swarm.task_healthcheck``)."""
    if runtime.target != "host" or runtime.health_start_interval is None:
        return health
    if not takes_start_interval(runtime.engine_api_version):
        return health
    return docker.ContainerHealthcheckArgs(
        tests=health.tests,
        interval=health.interval,
        timeout=health.timeout,
        start_period=health.start_period,
        start_interval=runtime.health_start_interval,
        retries=health.retries,
    )


def labels(
    runtime: Runtime, service: str, extra: Mapping[str, pulumi.Input[str]] | None = None, *, component: str | None = None
) -> list[docker.ContainerLabelArgs]:
    """Labels that let operators (and the tests) find every object of a stack.

    ``service`` is the instance name (``db``, ``orders``); ``component`` the kind (``postgres``),
    which policies key on, so a program may name its instances as it likes.
    """
    values: dict[str, pulumi.Input[str]] = {
        f"{LABEL_PREFIX}.project": runtime.project,
        f"{LABEL_PREFIX}.stack": runtime.stack,
        f"{LABEL_PREFIX}.service": service,
        **({COMPONENT_LABEL: component} if component else {}),
        **(extra or {}),
    }
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(values.items())]


def object_labels(runtime: Runtime, service: str, *, component: str | None = None) -> list[docker.VolumeLabelArgs]:
    """The same labels for networks and volumes (their label type differs in the SDK)."""
    return [docker.VolumeLabelArgs(label=lab.label, value=lab.value) for lab in labels(runtime, service, component=component)]


def network_labels(runtime: Runtime, service: str) -> list[docker.NetworkLabelArgs]:
    return [docker.NetworkLabelArgs(label=lab.label, value=lab.value) for lab in labels(runtime, service, component="network")]


def loopback_port(internal: int, external: int | None) -> list[docker.ContainerPortArgs] | None:
    """A data service's dev-only port for local tools, never on a public address."""
    if external is None:
        return None
    return [docker.ContainerPortArgs(internal=internal, external=external, ip="127.0.0.1")]


def hardening(*, add_capabilities: Sequence[str] = ()) -> dict[str, Any]:
    """Least privilege: no capabilities unless named, no privilege gain through setuid binaries."""
    return {
        "capabilities": docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=sorted(add_capabilities) or None),
        "security_opts": ["no-new-privileges:true"],
    }


class Upstream(StrictModel):
    """The container a proxy route's network alias stands for now: its name and its address on the proxy's network."""

    host: InputStr = Field(description="Container name (Docker's DNS resolves it, also after a restart).")
    address: InputStr = Field(description="IPv4 address on the proxy's network when it was deployed.")


def container_upstream(container: docker.Container, network: InputStr) -> Upstream:
    """``network_datas`` is what the provider read back after the start (terraform-provider-docker,
    resource_docker_container_funcs.go, resourceDockerContainerRead -> flattenContainerNetworks)."""

    def address_on(datas: Sequence[Any], name: str) -> str:
        for data in datas:  # output types are dicts of snake_case keys (pulumi.output_type)
            if data["network_name"] == name and data.get("ip_address"):
                return str(data["ip_address"])
        raise pulumi.RunError(f"container is not attached to network {name!r}: no address to route to")

    address = pulumi.Output.all(container.network_datas, network).apply(lambda values: address_on(values[0], values[1]))
    return Upstream(host=container.name, address=address)


def service_container(
    resource_name: str,
    *,
    runtime: Runtime,
    service: str,
    component: str,
    image: pulumi.Input[str],
    resources: Resources,
    health: docker.ContainerHealthcheckArgs | None,
    networks: Sequence[docker.ContainerNetworksAdvancedArgs],
    opts: pulumi.ResourceOptions,
    extra_labels: Mapping[str, pulumi.Input[str]] | None = None,
    add_capabilities: Sequence[str] = (),
    wait_timeout: int = 120,
    init: bool = True,
    **kwargs: Any,
) -> docker.Container:
    """A long-running service: health-gated start, limits, restart, log rotation, hardening, labels.

    ``stop_timeout`` gives ``docker stop`` and daemon restarts the same grace as a Pulumi delete
    (``destroy_grace_seconds``): every stop is a clean shutdown, never a kill after Docker's 10 s.
    ``init`` (docker-init as PID 1, reaping zombies and forwarding signals) only works when it runs
    as the same user as the service: it has no CAP_KILL to signal another user's process.
    ``health`` None (an app without a probe): the start is not waited for, as the provider's ``wait``
    fails on a container without a health check.
    """
    return named_container(
        resource_name,
        project=runtime.project,
        stack=runtime.stack,
        role=service,
        image=image,
        healthcheck=with_start_interval(health, runtime) if health is not None else None,
        wait=health is not None,
        wait_timeout=wait_timeout,
        restart=runtime.restart,
        log_driver="json-file",
        log_opts={"max-size": runtime.logging.max_size, "max-file": str(runtime.logging.max_file)},
        labels=labels(runtime, service, extra_labels, component=component),
        networks_advanced=list(networks),
        destroy_grace_seconds=runtime.stop_grace_seconds,
        stop_timeout=runtime.stop_grace_seconds,
        init=init,
        **limits(resources),
        **hardening(add_capabilities=add_capabilities),
        **kwargs,
        opts=opts,
    )


def one_shot_job(
    resource_name: str,
    *,
    runtime: Runtime,
    service: str,
    image: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    component: str | None = None,
    extra_labels: Mapping[str, pulumi.Input[str]] | None = None,
    add_capabilities: Sequence[str] = (),
    **kwargs: Any,
) -> docker.Container:
    """A job that runs once per change of its inputs and exits: never restarted, no capabilities
    (unless named), read-only root.

    ``attach`` makes the provider wait for the exit and ``logs`` keeps its output, so
    ``job_succeeded`` can fail the deploy with the job's own log.
    """
    return named_container(
        resource_name,
        project=runtime.project,
        stack=runtime.stack,
        role=service,
        image=image,
        must_run=False,
        attach=True,
        logs=True,
        restart="no",
        read_only=True,
        labels=labels(runtime, service, extra_labels, component=component),
        **hardening(add_capabilities=add_capabilities),
        **kwargs,
        opts=opts,
    )


def job_succeeded(job: docker.Container, *, name: str, what: str, consequence: str) -> pulumi.Output[str]:
    """A one-shot job (``attach``) that must succeed: its failure fails the deploy, with the job's own log.

    The provider records a non-zero exit code without failing (terraform-provider-docker,
    resource_docker_container_funcs.go, resourceDockerContainerCreate: ``attach`` only waits for
    the exit), so the program checks it. Depend on the returned output (e.g. in a label) to order
    what must only happen after the job.
    """

    def check(result: list[Any]) -> str:
        exit_code, logs = result
        if exit_code is None:  # preview of a new job: nothing ran yet
            return "pending"
        if int(exit_code) != 0:
            raise pulumi.RunError(
                f"{name}: {what} failed with exit code {int(exit_code)}; {consequence}.\n"
                f"--- {what} log ---\n{(logs or '').strip()[-4000:]}\n---"
            )
        return "ok"

    return pulumi.Output.all(job.exit_code, job.container_logs).apply(check)


def pulled_image(name: str, *, runtime: Runtime, reference: pulumi.Input[str], parent: pulumi.Resource) -> docker.RemoteImage:
    """An official image, pulled for the Docker host's platform and kept when the stack goes."""
    return docker.RemoteImage(
        f"{name}-image", name=reference, platform=runtime.platform, keep_locally=True, opts=pulumi.ResourceOptions(parent=parent)
    )


def secret_password(name: str, given: InputStr | None, parent: pulumi.Resource) -> pulumi.Output[str]:
    """The given password, or a generated one; secret either way."""
    if given is not None:
        return pulumi.Output.secret(given)
    generated = random.RandomPassword(f"{name}-password", length=32, special=False, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(generated.result)


def data_volume(
    name: str, *, runtime: Runtime, component: str, protect: bool, parent: pulumi.Resource, docker_name: str | None = None
) -> docker.Volume:
    """A named volume for a data service: a stable name, so a new container finds the old data.

    ``protect`` and ``retain_on_delete`` keep it through ``pulumi destroy`` and through a
    deleted resource block: the data outlives the program's mistakes. ``docker_name`` (default
    ``name``) names the Docker volume: a renamed resource keeps its old one.
    """
    return docker.Volume(
        f"{name}-data",
        name=f"{runtime.prefix}-{docker_name or name}-data",
        labels=object_labels(runtime, name, component=component),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect),
    )


LOADER_USER = "65534:65534"
"""nobody: a FileBundle loader only runs ``true``; the daemon writes its files."""


class FileBundle:
    """Files (secrets, rendered config) delivered to a service through a named volume.

    pulumi-docker writes ``uploads`` through the container root, which Docker refuses on a
    read-only root filesystem. So a short-lived loader container (same image, runs ``true``)
    receives the uploads into a named volume, and the service mounts that volume read-only.
    Files are root-owned 0440: services read them through group 0. ``revision`` (the loader's
    id) goes into the service's labels, so changed files replace the service.

    The daemon unpacks the uploads (the archive's owner and mode, ``CopyToContainer``), not the
    loader's process, so the loader runs as nobody with no capability, no privilege gain and no
    network. Its root cannot be read-only: the provider uploads to ``/`` (resource_docker_container_funcs.go,
    ``dstPath := "/"``), and the daemon refuses any upload to a read-only root outside a volume.
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
        self.loader = named_container(
            f"{name}-files-loader",
            project=runtime.project,
            stack=runtime.stack,
            role=f"{name}-files",
            image=image,
            entrypoints=list(loader_entrypoint),
            user=LOADER_USER,
            **hardening(),
            must_run=False,
            attach=True,
            restart="no",
            network_mode="none",
            labels=labels(runtime, f"{service}-files"),
            volumes=[docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=self.mount_path)],
            uploads=[
                docker.ContainerUploadArgs(file=f"{self.mount_path}/{path}", content=content, permissions="0440")
                for path, content in sorted(files.items())
            ],
            opts=pulumi.ResourceOptions(parent=parent, depends_on=[*first, *depends_on] or None),
        )
        self.revision: pulumi.Output[str] = self.loader.id

    def mount(self) -> docker.ContainerVolumeArgs:
        return docker.ContainerVolumeArgs(volume_name=self.volume.name, container_path=self.mount_path, read_only=True)


class ImageBuild(StrictModel):
    """Where an app image comes from; point it at your own app to reuse a component."""

    context: str = Field(description="Build context, relative to the program's working directory.")
    dockerfile: str | None = Field(
        None, description="Relative to the working directory (not the context); default <context>/Dockerfile."
    )
    target: str | None = Field(None, description="Build stage; None builds the Dockerfile's last (production) stage.")
    args: dict[str, str] = Field(default_factory=dict, description="Build arguments.")


def build_image(
    name: str,
    *,
    runtime: Runtime,
    service: str,
    build: ImageBuild,
    registry: str | None,
    parent: pulumi.Resource,
    tag: str | None = None,
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = (),
) -> docker.Image:
    """Build on the Docker host the provider points at; push only when a registry is configured.

    The tag is immutable: ``<stack>-<content digest>`` (``components.releases.release_tag``) unless
    given. Unchanged sources keep the tag, so an unchanged context is an unchanged resource; changed
    sources get a new tag, and the previous image keeps its own. Containers use ``repo_digest`` (the
    image id when not pushed), so a rebuilt image always replaces them. ``depends_on``: e.g. the image
    a ``FROM`` of this build names.
    """
    if tag is None:
        from .releases import release_tag  # releases builds on this module

        tag = release_tag(runtime, build)
    repository = f"{registry.rstrip('/')}/{runtime.project}-{service}" if registry else f"{runtime.project}-{service}"
    return docker.Image(
        f"{name}-image",
        image_name=f"{repository}:{tag}",
        build=docker.DockerBuildArgs(
            context=build.context,
            dockerfile=build.dockerfile or f"{build.context.rstrip('/')}/Dockerfile",
            target=build.target,
            args=dict(sorted(build.args.items())) or None,
            # pulumi-docker fills an unset platform with the architecture of the machine running
            # pulumi (provider/image.go, Check): an arm64 laptop would build arm64 images for an
            # amd64 host and every colleague's preview would differ. The host's platform is explicit.
            platform=runtime.platform,
        ),
        skip_push=registry is None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on) or None),
    )
