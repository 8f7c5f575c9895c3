"""Docker wiring shared by every component: limits, health checks, logging, labels, hardening, volumes, secrets.

Each component describes *what* its service needs; this module decides *how* that becomes
pulumi-docker inputs, so the components cannot drift apart (one restart policy, one log
rotation, one way to hand over secrets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from ._models import InputStr, Resources, Runtime, Upstream
from ._names import named_container
from .engine import takes_start_interval
from .units import to_mib

LABEL_PREFIX = "dev.standard-stack"
COMPONENT_LABEL = f"{LABEL_PREFIX}.component"
"""The component kind (postgres, redis, api, web, proxy): what policies and tools key on, whatever the instance name."""


class ServiceSpec(TypedDict):
    """What a long-running service is, said once for either target: ``service_container``
    (one host) and ``_swarm.swarm_service`` (a Swarm) take these keywords alike."""

    runtime: Runtime
    service: str
    component: str
    image: pulumi.Input[str]
    resources: Resources
    health: docker.ContainerHealthcheckArgs | None


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
    return docker.ContainerHealthcheckArgs(**probe(health), start_interval=runtime.health_start_interval)


def probe(health: docker.ContainerHealthcheckArgs) -> dict[str, Any]:
    """The test and timing of ``health``, to build another health check from (the SDK's types share no base)."""
    return {
        "tests": health.tests,
        "interval": health.interval,
        "timeout": health.timeout,
        "start_period": health.start_period,
        "retries": health.retries,
    }


def labels(
    runtime: Runtime, service: str, extra: Mapping[str, pulumi.Input[str]] | None = None, *, component: str | None = None
) -> list[docker.ContainerLabelArgs]:
    """Labels that let operators (and the tests) find every object of a stack (``label_values``)."""
    values = label_values(runtime, service, extra, component=component)
    return [docker.ContainerLabelArgs(label=k, value=v) for k, v in sorted(values.items())]


def label_values(
    runtime: Runtime, service: str, extra: Mapping[str, pulumi.Input[str]] | None = None, *, component: str | None = None
) -> dict[str, pulumi.Input[str]]:
    """``service`` is the instance name (``db``, ``orders``); ``component`` the kind (``postgres``),
    which policies key on, so a program may name its instances as it likes."""
    return {
        f"{LABEL_PREFIX}.project": runtime.project,
        f"{LABEL_PREFIX}.stack": runtime.stack,
        f"{LABEL_PREFIX}.service": service,
        **({COMPONENT_LABEL: component} if component else {}),
        **(extra or {}),
    }


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
    spec: ServiceSpec,
    *,
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
    runtime, service, health = spec["runtime"], spec["service"], spec["health"]
    return named_container(
        resource_name,
        runtime=runtime,
        role=service,
        image=spec["image"],
        healthcheck=with_start_interval(health, runtime) if health is not None else None,
        wait=health is not None,
        wait_timeout=wait_timeout,
        restart=runtime.restart,
        log_driver="json-file",
        log_opts=runtime.logging.driver_options(),
        labels=labels(runtime, service, extra_labels, component=spec["component"]),
        networks_advanced=list(networks),
        destroy_grace_seconds=runtime.stop_grace_seconds,
        stop_timeout=runtime.stop_grace_seconds,
        init=init,
        **limits(spec["resources"]),
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
        runtime=runtime,
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
