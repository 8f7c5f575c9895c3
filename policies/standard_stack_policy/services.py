"""Rules for ``docker:index/service:Service`` (``runtime.target: swarm``), mirroring the container rules.

A Swarm task is a container the manager describes: the same user, root filesystem, capabilities,
limits, ports and environment matter, read from the service's ``taskSpec.containerSpec``,
``taskSpec.resources`` and ``endpointSpec``. No-new-privileges is not checked: the provider's
service has no field for it (its ``privileges`` block holds credential_spec and se_linux_context),
and Swarm accepts it only from API 1.44 (Engine 25); see components/_swarm.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .containers import NON_ROOT_KINDS, PROXY_KIND, _secret_looking, _uid
from .props import SERVICE, UNKNOWN, SecretValue, describe, environment, kind_of, plain, who

Report = Callable[..., None]


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


def validate_service_non_root(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _service(args)
    if found is None or kind_of(found[0]) not in NON_ROOT_KINDS:
        return
    props, _, spec = found
    user = spec.get("user")
    if user is UNKNOWN:
        return
    if not isinstance(user, str) or not user.strip():
        problem = "sets no user, so its tasks run as the image's user (root unless the image says otherwise)"
    elif _uid(user) in ("0", "root"):
        problem = f"runs its tasks as root (user '{user}')"
    else:
        return
    report_violation(
        f"{describe(args.resource_type, args.name)} ({who(props)}) {problem}. "
        "Fix: set taskSpec.containerSpec.user to the image's unprivileged uid:gid, e.g. '10001:0'."
    )


def validate_service_hardening(args: ResourceValidationArgs, report_violation: Report) -> None:
    """Read-only root and no capabilities: what ``_wiring.hardening`` gives every container, on Swarm."""
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


def validate_service_prod_limits(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _service(args)
    if found is None:
        return
    props, task, _ = found
    if environment(props, args.get_config()) != "prod":
        return
    resources = task.get("resources")
    if resources is UNKNOWN:
        return
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
    if missing:
        report_violation(
            f"{describe(args.resource_type, args.name)} lacks in prod: {', '.join(missing)}. "
            "Fix: give the service resources (memory, cpus) and restart: unless-stopped in the stack file."
        )


def validate_service_health_check(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _service(args)
    if found is None:
        return
    spec = found[2]
    health = spec.get("healthcheck")
    if health is UNKNOWN:
        return
    tests = health.get("tests") if isinstance(health, dict) else None
    if not tests or tests[0] == "NONE":
        report_violation(
            f"{describe(args.resource_type, args.name)} runs tasks without a health check, so Swarm counts a task "
            "ready as soon as it starts. Fix: set taskSpec.containerSpec.healthcheck."
        )


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
            "Fix: remove endpointSpec.ports and reach the service through the proxy."
        )


def validate_service_env_secrets(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _service(args)
    if found is None:
        return
    env = found[2].get("env")
    name = describe(args.resource_type, args.name)
    fix = "Fix: deliver it as a Docker secret (a file in /run/secrets) and pass only its path, e.g. POSTGRES_PASSWORD_FILE."
    if isinstance(env, SecretValue):
        keys = sorted(env.value) if isinstance(env.value, dict) else []
        report_violation(f"{name} carries a secret value in its environment (one of: {', '.join(keys) or 'env'}). {fix}")
        return
    if not isinstance(env, dict):
        return
    for key, value in sorted(env.items()):
        if isinstance(value, SecretValue):
            report_violation(f"{name} carries a secret value in environment variable {key}. {fix}")
        elif _secret_looking(key) and value:
            report_violation(f"{name} sets secret-looking environment variable {key} to a literal value. {fix}")
