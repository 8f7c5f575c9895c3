"""Rules for ``docker:index/service:Service`` (``runtime.target: swarm``).

A Swarm task is a container the manager describes: ``read`` gives the rules it shares with a container
(workloads.py: health, user, limits, environment) the service's ``taskSpec.containerSpec`` and
``taskSpec.resources``; a read-only root with no capabilities and ``endpointSpec`` ports are judged here.
No-new-privileges is not checked: the provider's service has no field for it (its ``privileges`` block
holds credential_spec and se_linux_context), and Swarm accepts it only from API 1.44 (Engine 25); see
components/_swarm.py.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationArgs

from .containers import PROXY_KIND
from .props import SERVICE, UNKNOWN, SecretValue, describe, kind_of, plain, who
from .workloads import Report, Words, Workload, workload

WORDS = Words(
    runs="runs its tasks",
    user="taskSpec.containerSpec.user",
    health="taskSpec.containerSpec.healthcheck",
    unhealthy=", so Swarm counts a task ready as soon as it starts",
    limits_file="the stack file",
    secret_file="a Docker secret (a file in /run/secrets)",
    env="env",
    ports="endpointSpec.ports",
)


def _service(args: ResourceValidationArgs) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None:
    """(the service, its task spec, its container spec), or None for any other resource."""
    if args.resource_type != SERVICE:
        return None
    props = plain(args.props)
    if not isinstance(props, dict):
        return None
    task = props.get("taskSpec")
    task = task if isinstance(task, dict) else {}
    spec = task.get("containerSpec")
    return props, task, spec if isinstance(spec, dict) else {}


def read(args: ResourceValidationArgs) -> Workload | None:
    """What the rules a Swarm service shares with a container read of this resource, or None for another type."""
    found = _service(args)
    if found is None:
        return None
    props, task, spec = found
    return workload(args, props, spec, True, _lacks_in_prod(task), _env(spec.get("env")), WORDS)


def _lacks_in_prod(task: dict[str, Any]) -> list[str]:
    resources = task.get("resources")
    if resources is UNKNOWN:
        return []
    limits = resources.get("limits") if isinstance(resources, dict) else None
    limits = limits if isinstance(limits, dict) else {}
    missing = []
    if not limits.get("memoryBytes"):
        missing.append("a memory limit (taskSpec.resources.limits.memoryBytes)")
    if not limits.get("nanoCpus"):
        missing.append("a CPU limit (taskSpec.resources.limits.nanoCpus)")
    restart = task.get("restartPolicy")
    condition = restart.get("condition") if isinstance(restart, dict) else None
    if condition is not UNKNOWN and condition in (None, "none"):
        missing.append(f"a restart policy (condition is {condition or 'unset'}; use any or on-failure)")
    return missing


def _env(env: Any) -> SecretValue | list[tuple[str, Any]]:
    """The env map as sorted (name, value) pairs; all of it secret: the names only."""
    if isinstance(env, SecretValue):
        return SecretValue(sorted(env.value) if isinstance(env.value, dict) else [])
    return sorted(env.items()) if isinstance(env, dict) else []


def validate_service_hardening(args: ResourceValidationArgs, report_violation: Report) -> None:
    """Read-only root and no capabilities: what ``_containers.hardening`` gives every container, on Swarm."""
    found = _service(args)
    if found is None:
        return
    props, _, spec = found
    problems = []
    if spec.get("readOnly") is not UNKNOWN and spec.get("readOnly") is not True:
        problems.append("a writable root filesystem (set readOnly: true, tmpfs mounts for scratch)")
    drops = spec.get("capDrops")
    if drops is not UNKNOWN and not (isinstance(drops, list) and "ALL" in drops):
        problems.append("Docker's default capabilities (set capDrops: ['ALL'] and add back only what it needs)")
    if problems:
        report_violation(f"{describe(args.resource_type, args.name)} ({who(props)}) runs with {' and '.join(problems)}.")


def validate_service_published_ports(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _service(args)
    if found is None:
        return
    props = found[0]
    endpoint = props.get("endpointSpec")
    ports = endpoint.get("ports") if isinstance(endpoint, dict) else None
    if isinstance(ports, list) and ports and kind_of(props) != PROXY_KIND:
        report_violation(
            f"{describe(args.resource_type, args.name)} ({who(props)}) publishes ports; only the reverse proxy may. "
            f"Fix: remove {WORDS.ports} and reach the service through the proxy."
        )
