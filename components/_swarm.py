"""The Swarm side of the shared wiring: one service description, registered as a ``docker.Service``.

A component describes its service once (image, envs, health check, limits, labels, networks,
secret files), as for ``_containers.service_container``; with ``Runtime.target == "swarm"`` it hands
that description here instead. What Swarm adds is decided in this module, for every component alike:
replicas, rolling updates that start the new task first and roll back on failure, the restart
policy, DNS round-robin endpoints and, for data services, a node label pinning them to their volume.

Behaviour relied on, read in the provider this repo builds (tools/pulumi-resource-docker/go.mod:
kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4, wrapped by pulumi-docker 5.1.0):

- ``converge_config`` makes ``pulumi up`` wait: on create until every replica is ``running``
  (internal/provider/resource_docker_service_funcs.go, resourceDockerServiceCreateRefreshFunc and
  replicatedConsoleLogUpdater.update), on update until Swarm reports the update ``completed``; a
  rolled-back update fails the deploy with "service rollback completed"
  (resourceDockerServiceUpdateRefreshFunc). Without it the provider returns at once.
- Only ``running`` tasks count as converged (same function): a one-off job, whose task ends
  ``complete``, never converges, and the provider has no job mode (resource_docker_service.go,
  "mode": replicated or global). So jobs stay containers on the manager (``_containers.one_shot_job``).
- A secret file is root-owned 0444 unless told (resource_docker_service.go, "file_mode" default
  0o444); the services here get 0440, as FileBundle's files: services read them through group 0.
- ``docker_secret.data`` is base64 and ForceNew (resource_docker_secret.go; the provider decodes it
  with base64.StdEncoding in resourceDockerSecretCreate); ``name`` is left to Pulumi's auto-naming
  (tools/pulumi-resource-docker/resources.go, ``prov.SetAutonaming``), so a changed secret is a new
  Docker secret created before the service moves to it and the old one is deleted.
- ``docker_config.data`` is base64 and ForceNew as well (resource_docker_config.go, validated by
  validateStringIsBase64Encoded), auto-named the same way: a changed config (the nginx site) is a
  new Docker config under a new name, so the service spec changes and its tasks roll.
- Hardening: capabilities are dropped as on the host (``cap_drop``/``cap_add`` in the container
  spec), and tasks run as the same non-root users on read-only roots (the policy pack's service-*
  rules check it). No-new-privileges cannot be set per service here: the provider's container spec
  has no field for it (resource_docker_service.go: its ``privileges`` block holds credential_spec
  and se_linux_context only), and Swarm itself takes ``ContainerSpec.Privileges.NoNewPrivileges``
  only from API 1.44, Engine 25 (moby api/server/router/swarm/helpers.go, adjustForAPIVersion, clears
  it for older clients; Engine 20.10 speaks 1.41). The daemon has it as a default (Engine 20.10 too)
  that applies to Swarm tasks too (dockerd ``--no-new-privileges``, ``"no-new-privileges": true`` in
  daemon.json: daemon_unix.go, parseSecurityOpt), so that is how a Swarm node gets it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Literal

import pulumi
import pulumi_docker as docker
from pydantic import Field

from ._containers import ServiceSpec, labels, probe
from ._models import InputStr, Resources, RestartPolicy, Runtime, StrictModel
from .units import to_bytes

UpdateOrder = Literal["start-first", "stop-first"]
SECRET_MODE = 0o440

_CONDITION: dict[RestartPolicy, str] = {"no": "none", "on-failure": "on-failure", "always": "any", "unless-stopped": "any"}
"""Swarm's restart conditions for the host's restart policies (a stopped task is always restarted by Swarm)."""


def restart_policy(restart: RestartPolicy) -> docker.ServiceTaskSpecRestartPolicyArgs:
    """``window`` is explicit at its default (0s, unbounded): the provider sends a window even when
    none is given (expandServiceRestartPolicy parses the empty string to 0) and reads it back as
    "0s" (flattenServiceRestartPolicy: ``if in.Window != nil``), so an unset one showed
    ``- window: "0s"`` on every preview after ``up`` (measured on tests/swarm's lab)."""
    return docker.ServiceTaskSpecRestartPolicyArgs(condition=_CONDITION[restart], delay="5s", window="0s")


def task_resources(resources: Resources) -> docker.ServiceTaskSpecResourcesArgs | None:
    """Limits in Swarm's units: bytes and nano-CPUs. The reservation is what the scheduler places by."""
    limits = docker.ServiceTaskSpecResourcesLimitsArgs(
        memory_bytes=to_bytes(resources.memory) if resources.memory else None,
        nano_cpus=round(float(resources.cpus) * 1e9) if resources.cpus else None,
    )
    reservation = (
        docker.ServiceTaskSpecResourcesReservationArgs(memory_bytes=to_bytes(resources.memory_reservation))
        if resources.memory_reservation
        else None
    )
    if not (resources.memory or resources.cpus or reservation):
        return None
    return docker.ServiceTaskSpecResourcesArgs(limits=limits, reservation=reservation)


def task_healthcheck(health: docker.ContainerHealthcheckArgs) -> docker.ServiceTaskSpecContainerSpecHealthcheckArgs:
    """The host's health check, unchanged. Swarm starts a task, waits for it to turn healthy and only
    then adds it to the service's DNS (moby daemon/cluster/executor/container/controller.go,
    ``controller.Start``: "wait for container to be healthy", then ``activateServiceBinding``); an
    unhealthy task is shut down. So a start-first update only retires an old task for a healthy one."""
    return docker.ServiceTaskSpecContainerSpecHealthcheckArgs(**probe(health))


class TaskNetwork(StrictModel):
    """A network a service's tasks join, by the network's **id**: the provider reads back the id
    (resource_docker_service_structures.go, flattenTaskNetworksAdvanced: ``m["id"] = v.Target``), so a
    name would show a change on every preview; its ``name`` field is deprecated for that reason."""

    id: InputStr
    aliases: list[str] = Field(default_factory=list)


def task_networks(networks: Sequence[TaskNetwork]) -> list[docker.ServiceTaskSpecNetworksAdvancedArgs]:
    return [docker.ServiceTaskSpecNetworksAdvancedArgs(id=n.id, aliases=n.aliases or None) for n in networks]


def tmpfs_mounts(tmpfs: Mapping[str, str]) -> list[docker.ServiceTaskSpecContainerSpecMountArgs]:
    """The host's ``tmpfs`` map (``{"/tmp": "rw,noexec,nosuid,size=64m"}``) as Swarm mounts.

    A Swarm tmpfs mount takes a size and a mode only (TmpfsOptions); the flags are the daemon's.
    """
    mounts = []
    for target, options in sorted(tmpfs.items()):
        size = next((o.split("=", 1)[1] for o in options.split(",") if o.startswith("size=")), None)
        mounts.append(
            docker.ServiceTaskSpecContainerSpecMountArgs(
                target=target,
                type="tmpfs",
                tmpfs_options=docker.ServiceTaskSpecContainerSpecMountTmpfsOptionsArgs(size_bytes=_size_bytes(size))
                if size
                else None,
            )
        )
    return mounts


def _size_bytes(size: str) -> int:
    """Docker's tmpfs sizes (``64m``, ``1g``, ``512k``, bytes) are powers of 1024."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    unit = size[-1].lower()
    return int(size[:-1]) * units[unit] if unit in units else int(size)


def secret_files(
    name: str, *, runtime: Runtime, service: str, files: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource
) -> list[docker.ServiceTaskSpecContainerSpecSecretArgs]:
    """One Docker secret per file (``<name>-secret-<file>``), mounted at ``/run/secrets/<file>``, root-owned 0440.

    The value stays a Pulumi secret: only its base64 form reaches the provider, and Swarm keeps it
    encrypted in the managers' Raft log, handing it to a task's tmpfs only.
    """
    refs = []
    for file, value in sorted(files.items()):
        secret = docker.Secret(
            f"{name}-secret-{file.replace('_', '-')}",
            data=pulumi.Output.secret(value).apply(_base64),
            labels=[
                docker.SecretLabelArgs(label=lab.label, value=lab.value) for lab in labels(runtime, service, component="secret")
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        refs.append(
            docker.ServiceTaskSpecContainerSpecSecretArgs(
                secret_id=secret.id, secret_name=secret.name, file_name=file, file_uid="0", file_gid="0", file_mode=SECRET_MODE
            )
        )
    return refs


def _base64(text: str) -> str:
    """Secrets and configs carry their data base64-encoded (the provider decodes it before the API call)."""
    return base64.b64encode(text.encode()).decode()


def config_files(
    name: str, *, runtime: Runtime, service: str, files: Mapping[str, pulumi.Input[str]], parent: pulumi.Resource
) -> list[docker.ServiceTaskSpecContainerSpecConfigArgs]:
    """One Docker config per file (``<name>-config-<file name>``), mounted at its absolute path, root-owned 0440.

    For what may be read by anyone who can inspect the service (a site, init SQL): a config is
    stored unencrypted. Passwords and keys go through ``secret_files``.
    """
    refs = []
    for path, value in sorted(files.items()):
        if not path.startswith("/"):
            raise ValueError(f"{name}: config file {path!r} must be an absolute path")
        config = docker.ServiceConfig(
            f"{name}-config-{path.rsplit('/', 1)[1].replace('_', '-')}",
            data=pulumi.Output.from_input(value).apply(_base64),
            labels=[
                docker.ServiceConfigLabelArgs(label=lab.label, value=lab.value)
                for lab in labels(runtime, service, component="config")
            ],
            opts=pulumi.ResourceOptions(parent=parent),
        )
        refs.append(
            docker.ServiceTaskSpecContainerSpecConfigArgs(
                config_id=config.id, config_name=config.name, file_name=path, file_uid="0", file_gid="0", file_mode=SECRET_MODE
            )
        )
    return refs


def volume_mount(
    volume: str, target: str, *, runtime: Runtime, service: str, component: str
) -> docker.ServiceTaskSpecContainerSpecMountArgs:
    """A named local volume, created by the engine of the node the task runs on at its first start,
    labelled as the host's data volumes. Removing the service never removes it (a volume is only
    deleted by ``docker volume rm``), so the data outlives every service update and replacement."""
    return docker.ServiceTaskSpecContainerSpecMountArgs(
        target=target,
        type="volume",
        source=volume,
        volume_options=docker.ServiceTaskSpecContainerSpecMountVolumeOptionsArgs(
            labels=[
                docker.ServiceTaskSpecContainerSpecMountVolumeOptionsLabelArgs(label=lab.label, value=lab.value)
                for lab in labels(runtime, service, component=component)
            ]
        ),
    )


def node_label(runtime: Runtime, service: str) -> str:
    """The node label a data service is pinned by: ``dev.standard-stack.<project>-<stack>-<service>``.

    A named local volume lives on one node only, so its service must always run there. An operator
    labels that node once: ``docker node update --label-add dev.standard-stack.shop-prod-postgres=true <node>``.
    """
    return f"dev.standard-stack.{runtime.prefix}-{service}"


def swarm_service(
    resource_name: str,
    spec: ServiceSpec,
    *,
    networks: Sequence[TaskNetwork],
    opts: pulumi.ResourceOptions,
    replicas: int = 1,
    envs: Mapping[str, pulumi.Input[str]] | None = None,
    secrets: Sequence[docker.ServiceTaskSpecContainerSpecSecretArgs] = (),
    configs: Sequence[docker.ServiceTaskSpecContainerSpecConfigArgs] = (),
    mounts: Sequence[docker.ServiceTaskSpecContainerSpecMountArgs] = (),
    stop_signal: str | None = None,
    tmpfs: Mapping[str, str] | None = None,
    user: str | None = None,
    groups: Sequence[str] = (),
    read_only: bool = False,
    command: Sequence[str] | None = None,
    args: Sequence[str] | None = None,
    init: bool = True,
    add_capabilities: Sequence[str] = (),
    extra_labels: Mapping[str, pulumi.Input[str]] | None = None,
    order: UpdateOrder = "start-first",
    node_label: str | None = None,
    ports: Sequence[docker.ServiceEndpointSpecPortArgs] | None = None,
    converge_timeout: str = "5m",
) -> docker.Service:
    """A long-running Swarm service named ``<project>-<stack>-<service>``.

    ``order``: ``start-first`` for apps (a new task is healthy before an old one stops);
    ``stop-first`` for a data service, whose two tasks must never share a volume. A failed update
    rolls back (``failure_action``) and the deploy fails (``converge_config``). ``node_label``
    places the tasks on the nodes labelled ``<node_label>=true`` (where the volume lives).
    Endpoints are DNS round robin (``dnsrr``): a kernel without IPVS has no service VIPs, and
    ``ports`` must then be published in ``host`` mode (tests/swarm/README.md).
    """
    if replicas < 1:
        raise ValueError(f"{resource_name}: replicas must be at least 1; got {replicas}")
    runtime, service, health = spec["runtime"], spec["service"], spec["health"]
    every_label = labels(runtime, service, extra_labels, component=spec["component"])
    return docker.Service(
        resource_name,
        name=f"{runtime.prefix}-{service}",
        labels=[docker.ServiceLabelArgs(label=lab.label, value=lab.value) for lab in every_label],
        mode=docker.ServiceModeArgs(replicated=docker.ServiceModeReplicatedArgs(replicas=replicas)),
        # one task at a time, each watched 10 s; the first failure rolls the whole update back
        update_config=docker.ServiceUpdateConfigArgs(
            parallelism=1, delay="0s", order=order, monitor="10s", max_failure_ratio="0", failure_action="rollback"
        ),
        # a rollback that fails too stops where it is, for an operator to look at
        rollback_config=docker.ServiceRollbackConfigArgs(
            parallelism=1, delay="0s", order=order, monitor="10s", max_failure_ratio="0", failure_action="pause"
        ),
        converge_config=docker.ServiceConvergeConfigArgs(delay="5s", timeout=converge_timeout),
        endpoint_spec=docker.ServiceEndpointSpecArgs(mode="dnsrr", ports=list(ports) if ports else None),
        task_spec=docker.ServiceTaskSpecArgs(
            container_spec=docker.ServiceTaskSpecContainerSpecArgs(
                image=spec["image"],
                commands=list(command) if command else None,
                args=list(args) if args else None,
                env=dict(sorted((envs or {}).items())) or None,
                user=user,
                groups=list(groups) or None,
                read_only=read_only,
                init=init,
                cap_drops=["ALL"],
                cap_adds=sorted(add_capabilities) or None,
                healthcheck=task_healthcheck(health) if health is not None else None,
                secrets=list(secrets) or None,
                configs=list(configs) or None,
                mounts=[*mounts, *tmpfs_mounts(tmpfs or {})] or None,
                stop_signal=stop_signal,
                labels=[docker.ServiceTaskSpecContainerSpecLabelArgs(label=lab.label, value=lab.value) for lab in every_label],
                stop_grace_period=f"{runtime.stop_grace_seconds}s",
            ),
            networks_advanceds=task_networks(networks),
            resources=task_resources(spec["resources"]),
            restart_policy=restart_policy(runtime.restart),
            placement=docker.ServiceTaskSpecPlacementArgs(constraints=[f"node.labels.{node_label}==true"])
            if node_label
            else None,
            log_driver=docker.ServiceTaskSpecLogDriverArgs(
                name="json-file",
                options=runtime.logging.driver_options(),
            ),
        ),
        opts=opts,
    )
