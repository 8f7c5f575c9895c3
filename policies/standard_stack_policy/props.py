"""Reading resource properties the way the engine hands them to a policy pack.

pulumi-policy wraps properties in proxies that raise on values unknown during preview, and may
carry secrets as ``pulumi_policy.Secret`` (or, in raw wire form, as signature-tagged dicts). The
rules should neither crash on an unknown nor miss a secret, so every rule first turns the
properties into plain Python with two explicit markers: ``UNKNOWN`` and ``SecretValue``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Secret, proxy

LABEL_PREFIX = "dev.standard-stack"
SERVICE_LABEL = f"{LABEL_PREFIX}.service"
COMPONENT_LABEL = f"{LABEL_PREFIX}.component"
STACK_LABEL = f"{LABEL_PREFIX}.stack"
CONTAINER = "docker:index/container:Container"
SERVICE = "docker:index/service:Service"
VOLUME = "docker:index/volume:Volume"
NETWORK = "docker:index/network:Network"
IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
ONE_SHOT_TYPES = (
    "pulumi-python:dynamic/standard-stack:OneShot",  # standard_stack.one_shot.OneShot in a Python program
    "standard-stack:index:OneShot",  # the component package's, in a program of any other language
)
"""A one-shot run: a container run once and removed (file loaders, password rotations, reloads, the ACME init)."""
DATA_SERVICES = ("postgres", "redis")
DEFAULT_PROD_STACKS = ("prod", "production")

_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWNS = frozenset(
    {
        proxy.UNKNOWN_ARCHIVE_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_STRING_VALUE,
    }
)


class _Unknown:
    """A value the engine cannot know yet (preview of a resource that depends on new outputs)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class SecretValue:
    """A value the engine marked secret."""

    value: Any


def plain(value: Any) -> Any:
    """Proxies, secret wrappers and unknown sentinels to plain dicts/lists, ``SecretValue`` and ``UNKNOWN``."""
    if isinstance(value, Secret):
        return SecretValue(plain(value.value))
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWNS else value
    if isinstance(value, Mapping):
        target = _target(value)
        if isinstance(target, Mapping):
            if target.get(_SECRET_SIG_KEY) == _SECRET_SIG:
                return SecretValue(plain(target.get("value")))
            return {key: plain(target[key]) for key in target}
    if isinstance(value, Sequence):
        target = _target(value)
        return [plain(item) for item in target]
    return value


def _target(value: Any) -> Any:
    """The container a pulumi-policy proxy wraps, read without tripping its unknown check."""
    try:
        inner = value["__target"]
    except (KeyError, TypeError, IndexError):
        return value
    return inner if isinstance(inner, (dict, list)) else value


def container_inputs(resource_type: str, props: Any) -> dict[str, Any] | None:
    """A ``docker.Container``'s plain inputs, a one-shot run's read as such (``one_shot_as_container``), else None."""
    plain_props = plain(props)
    if not isinstance(plain_props, dict):
        return None
    if resource_type == CONTAINER:
        return plain_props
    if resource_type in ONE_SHOT_TYPES:
        return one_shot_as_container(plain_props)
    return None


def one_shot_as_container(props: Mapping[str, Any]) -> dict[str, Any]:
    """A one-shot run's ``spec`` (an Engine API ``ContainerCreate`` body) as the ``docker.Container`` inputs the
    container rules read: ``image``, ``user``, ``envs``, ``labels``, ``ports``, ``capabilities``, ``securityOpts``
    and ``readOnly``; an unknown spec, all unknown.

    One reader, so every rule that judged the exited containers these runs were judges the runs the same way."""
    spec = props.get("spec")
    secret = isinstance(spec, SecretValue)  # a spec marked secret as a whole: its environment may hold the secret
    if isinstance(spec, SecretValue):
        spec = spec.value
    if not isinstance(spec, dict):
        return dict.fromkeys(("image", "user", "envs", "labels", "ports", *_HARDENING), UNKNOWN)
    host, env = reveal(spec.get("HostConfig")), spec.get("Env")
    return {
        "image": spec.get("Image"),
        "user": reveal(spec.get("User")),
        "envs": SecretValue(env) if secret and env else env,
        "labels": _label_entries(reveal(spec.get("Labels"))),
        "ports": _published(host.get("PortBindings")) if isinstance(host, dict) else host,  # host: unknown or none
        **_hardening(host),
    }


_HARDENING = ("capabilities", "securityOpts", "readOnly")


def _hardening(host: Any) -> dict[str, Any]:
    """``HostConfig``'s ``CapDrop``/``CapAdd``, ``SecurityOpt`` and ``ReadonlyRootfs`` as a container's
    ``capabilities`` (``{drops, adds}``), ``securityOpts`` and ``readOnly``; an unknown host config, all unknown."""
    if not isinstance(host, dict):
        return dict.fromkeys(_HARDENING, UNKNOWN if host is UNKNOWN else None)
    return {
        "capabilities": {"drops": host.get("CapDrop"), "adds": host.get("CapAdd")},
        "securityOpts": host.get("SecurityOpt"),
        "readOnly": host.get("ReadonlyRootfs"),
    }


def _label_entries(values: Any) -> Any:
    """The Engine API's ``{label: value}`` as a container's ``[{label, value}]``."""
    if not isinstance(values, dict):
        return values
    return [{"label": label, "value": value} for label, value in values.items()]


def _published(bindings: Any) -> Any:
    """``HostConfig.PortBindings`` (``{"5432/tcp": [{"HostIp", "HostPort"}]}``) as a container's ``ports``
    (``[{internal, external, ip}]``); an empty ``HostIp`` means every address, as a missing ``ip`` does."""
    if not isinstance(bindings, dict):
        return bindings
    ports: list[dict[str, Any]] = []
    for port, hosts in bindings.items():
        internal = _number(port.split("/", 1)[0])
        for host in hosts if isinstance(hosts, list) and hosts else [{}]:  # none listed: a port the engine picks
            host = host if isinstance(host, dict) else {}
            entry = {"internal": internal, "external": _number(host.get("HostPort"))}
            ports.append(entry | ({"ip": host["HostIp"]} if host.get("HostIp") not in (None, "") else {}))
    return ports


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def reveal(value: Any) -> Any:
    """The value with secret markers removed (for comparisons, never for messages)."""
    if isinstance(value, SecretValue):
        return reveal(value.value)
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    return value


def labels(props: Mapping[str, Any]) -> dict[str, Any]:
    """Docker labels (``[{label, value}]``) as a dict; unknown entries are left out."""
    entries = props.get("labels")
    if not isinstance(entries, list):
        return {}
    out: dict[str, Any] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("label"), str):
            out[entry["label"]] = reveal(entry.get("value"))
    return out


def service_of(props: Mapping[str, Any]) -> str | None:
    """The instance name a program gave the service (``db``, ``edge``): for messages only."""
    value = labels(props).get(SERVICE_LABEL)
    return value if isinstance(value, str) else None


def kind_of(props: Mapping[str, Any]) -> str | None:
    """The component kind (``postgres``, ``proxy``) the rules key on, whatever the instance is called."""
    value = labels(props).get(COMPONENT_LABEL)
    return value if isinstance(value, str) else None


def parent_type(urn: str) -> str | None:
    """The type of the component that registered the resource (``standard-stack:index:App``), from its URN's
    type chain (``urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>``); None at the top level."""
    parts = urn.split("::", 3)
    chain = parts[2].split("$") if len(parts) == 4 else []
    return chain[-2] if len(chain) >= 2 else None


def who(props: Mapping[str, Any]) -> str:
    """``edge (proxy)``: instance and kind, as messages show them."""
    service, kind = service_of(props), kind_of(props)
    if service and kind and service != kind:
        return f"{service}, {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    return service or kind or "unlabelled"


def is_long_running(props: Mapping[str, Any]) -> bool:
    """Services, not one-shot jobs: ``attach`` containers and ``mustRun: false`` loaders run once and exit."""
    return props.get("attach") is not True and props.get("mustRun") is not False


def environment(props: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """``prod`` or ``dev``: the policy config's ``environment`` wins, then the stack label, then $PULUMI_STACK.

    A stack counts as prod when its name is one of the config's ``prodStacks`` (default prod, production).
    """
    configured = config.get("environment")
    if configured in ("dev", "prod"):
        return str(configured)
    stack = labels(props).get(STACK_LABEL)
    if not isinstance(stack, str):
        stack = os.environ.get("PULUMI_STACK", "")
    prod_stacks = config.get("prodStacks") or DEFAULT_PROD_STACKS
    return "prod" if stack in prod_stacks else "dev"


def describe(resource_type: str, name: str) -> str:
    """How messages name a resource: the short type and the Pulumi resource name."""
    short = resource_type.rsplit(":", 1)[-1]
    return f"{short} '{name}'"
