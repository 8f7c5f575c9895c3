"""Data rules: prod data volumes are protected; Postgres and Redis sit only on internal networks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from .props import (
    CONTAINER,
    DATA_SERVICES,
    NETWORK,
    VOLUME,
    describe,
    environment,
    kind_of,
    plain,
    reveal,
    who,
)

Report = Callable[..., None]
LOOPBACK = "127.0.0.1"


def validate_protected_data_volume(args: ResourceValidationArgs, report_violation: Report) -> None:
    if args.resource_type != VOLUME:
        return
    props = plain(args.props)
    if kind_of(props) not in DATA_SERVICES:
        return
    docker_name = reveal(props.get("name"))
    if not (args.name.endswith("-data") or (isinstance(docker_name, str) and docker_name.endswith("-data"))):
        return
    if environment(props, args.get_config()) != "prod" or args.opts.protect:
        return
    report_violation(
        f"{describe(args.resource_type, args.name)} holds {who(props)} data in prod but is not protected. "
        "Fix: register it with ResourceOptions(protect=True, retain_on_delete=True) (protectData: true in Pulumi.prod.yaml)."
    )


def _internal_networks(resources: Iterable[PolicyResource]) -> tuple[dict[str, bool], dict[str, bool]]:
    """Networks of the stack, by Docker name and by URN: whether each is ``internal``."""
    by_name: dict[str, bool] = {}
    by_urn: dict[str, bool] = {}
    for resource in resources:
        if resource.resource_type != NETWORK:
            continue
        props = plain(resource.props)
        internal = props.get("internal") is True
        by_urn[resource.urn] = internal
        name = reveal(props.get("name"))
        if isinstance(name, str):
            by_name[name] = internal
    return by_name, by_urn


def _dev_loopback_exempt(props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    """Docker cannot publish ports from internal-only networks; dev data ports on loopback need a routed one."""
    if environment(props, config) != "dev" or not config.get("allowLoopbackDataPortsInDev", True):
        return False
    ports = props.get("ports")
    return isinstance(ports, list) and bool(ports) and all(isinstance(p, dict) and p.get("ip") == LOOPBACK for p in ports)


def validate_data_networks_internal(args: StackValidationArgs, report_violation: Report) -> None:
    config = args.get_config()
    by_name, by_urn = _internal_networks(args.resources)
    for resource in args.resources:
        if resource.resource_type != CONTAINER:
            continue
        props = plain(resource.props)
        if kind_of(props) not in DATA_SERVICES or _dev_loopback_exempt(props, config):
            continue
        name = describe(resource.resource_type, resource.name)
        fix = (
            "Fix: attach it only to the backend network and create that network with internal=True "
            "(networks.backendInternal: true)."
        )
        entries = props.get("networksAdvanced")
        if not isinstance(entries, list) or not entries:
            report_violation(f"{name} ({who(props)}) is on Docker's default bridge network. {fix}", resource.urn)
            continue
        linked = [dep.urn for dep in resource.property_dependencies.get("networksAdvanced", []) if dep.urn in by_urn]
        for entry in entries:
            network = reveal(entry.get("name")) if isinstance(entry, dict) else None
            if isinstance(network, str) and network in by_name:
                internal = by_name[network]
            elif linked:  # name unknown during preview: judge by the Network resources it came from
                internal = all(by_urn[urn] for urn in linked)
            else:
                internal = False
            if not internal:
                report_violation(
                    f"{name} ({who(props)}) joins network '{network}', which is not an internal network of this stack. " + fix,
                    resource.urn,
                )
