"""Rules for ``docker:index/container:Container`` and one-shot runs (``props.ONE_SHOT_TYPES``).

``read`` gives the rules a container shares with a Swarm service (workloads.py: health, user, limits,
environment) what they judge; ``validate_published_ports`` is the container's own: only the proxy
publishes, and in dev only on 127.0.0.1. A one-shot run is read through ``props.container_inputs`` (its
``spec`` as a container's inputs): judged as the exited containers these runs were, for its user, its
environment and its ports, never for a health check or limits (it runs once and is removed).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import ResourceValidationArgs

from .props import (
    CONTAINER,
    DATA_SERVICES,
    UNKNOWN,
    SecretValue,
    container_inputs,
    describe,
    environment,
    is_long_running,
    kind_of,
    who,
)
from .workloads import Report, Words, Workload, workload

PROXY_KIND = "proxy"
LOOPBACK = "127.0.0.1"
RESTART_POLICIES = ("on-failure", "always", "unless-stopped")
WORDS = Words(
    runs="runs",
    user="user",
    health="healthcheck (tests=['CMD', ...] or ['CMD-SHELL', '...'], interval, timeout, retries) and wait=True",
    unhealthy="",
    limits_file="Pulumi.prod.yaml",
    secret_file="a file (a read-only secrets volume)",
    env="envs",
    ports="ports",
)
RUN_WORDS = Words(
    runs="runs",
    user="spec.User",
    health="",  # never asked: a run is not long-running
    unhealthy="",
    limits_file="",  # never asked: a run is not long-running
    secret_file="a file (the run's files, or a read-only secrets volume)",
    env="spec.Env",
    ports="spec.HostConfig.PortBindings",
)


def _container(args: ResourceValidationArgs) -> tuple[dict[str, Any], Words] | None:
    """A container's inputs, or a one-shot run's spec read as such, with the words its messages use."""
    props = container_inputs(args.resource_type, args.props)
    if props is None:
        return None
    return props, WORDS if args.resource_type == CONTAINER else RUN_WORDS


def read(args: ResourceValidationArgs) -> Workload | None:
    """What the rules a container shares with a Swarm service read of this resource, or None for another type."""
    found = _container(args)
    if found is None:
        return None
    props, words = found
    long_running = args.resource_type == CONTAINER and is_long_running(props)
    lacks = _lacks_in_prod(props) if long_running else []
    return workload(args, props, props, long_running, lacks, _env(props.get("envs")), words)


def _lacks_in_prod(props: dict[str, Any]) -> list[str]:
    missing = []
    memory = props.get("memory")
    if memory is not UNKNOWN and not (isinstance(memory, (int, float)) and memory > 0):
        missing.append("memory (a hard limit in MiB)")
    cpus = props.get("cpus")
    if cpus is not UNKNOWN and not cpus:
        missing.append("cpus (a CPU limit such as '0.5')")
    restart = props.get("restart")
    if restart is not UNKNOWN and restart not in RESTART_POLICIES:
        missing.append(f"restart (is {restart or 'unset'}; use unless-stopped, always or on-failure)")
    return missing


def _env(envs: Any) -> SecretValue | list[tuple[str, Any]]:
    """``NAME=value`` entries as (name, value); one secret entry makes the engine mark the whole list (names kept)."""
    if isinstance(envs, SecretValue):
        return SecretValue(sorted(_key(entry) for entry in envs.value) if isinstance(envs.value, list) else [])
    if not isinstance(envs, list):
        return []
    pairs: list[tuple[str, Any]] = []
    for entry in envs:
        if isinstance(entry, SecretValue):
            pairs.append((_key(entry.value), entry))
        elif isinstance(entry, str):
            pairs.append((_key(entry), entry.partition("=")[2]))
    return pairs


def _key(entry: Any) -> str:
    return str(entry).split("=", 1)[0] if isinstance(entry, str) else "?"


def validate_published_ports(args: ResourceValidationArgs, report_violation: Report) -> None:
    found = _container(args)
    if found is None:
        return
    props, words = found
    ports = props.get("ports")
    if not isinstance(ports, list) or not ports:
        return
    config = args.get_config()
    env = environment(props, config)
    kind = kind_of(props)
    name = describe(args.resource_type, args.name)
    data_ports_allowed = env == "dev" and kind in DATA_SERVICES and config.get("allowDataServicePortsInDev", True)
    if kind != PROXY_KIND and not data_ports_allowed:
        report_violation(
            f"{name} ({who(props)}) publishes host ports; only the reverse proxy may. "
            f"Fix: remove {words.ports} and reach the service through the proxy "
            "(data services: hostPort only in dev, on 127.0.0.1)."
        )
        return
    if env != "dev":
        return
    for port in ports:
        if not isinstance(port, dict) or port.get("ip") is UNKNOWN:
            continue
        ip = port.get("ip") or "0.0.0.0"  # the provider's default
        if ip != LOOPBACK:
            report_violation(
                f"{name} publishes port {_number(port.get('external'))} on {ip} in dev. "
                f"Fix: bind it to {LOOPBACK} (proxy.bindAddress: {LOOPBACK} in Pulumi.dev.yaml)."
            )


def _number(value: Any) -> Any:
    """The engine sends numbers as floats: 8080.0 reads better as 8080."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
