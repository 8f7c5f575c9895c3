"""``container-hardening``: the least privilege every component gives its containers and one-shot runs
(components/_containers.py ``hardening``, ``one_shot_job``; components/one_shot.py ``one_shot``), held for
containers a program builds itself too, or an ``App``/``Worker`` with ``read_only`` off.

Every capability dropped (only a kind's allowance added back), no privilege gain through setuid binaries,
and a read-only root. A run is read through ``props.container_inputs``, its ``spec.HostConfig`` as a
container's ``capabilities``, ``securityOpts`` and ``readOnly``. Unknown values (outputs during a preview) pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .props import CONTAINER, UNKNOWN, container_inputs, describe, environment, kind_of, parent_type, service_of, who
from .workloads import OWN_APP_TYPES, Report

ACME_INIT_KIND = "proxy-acme-init"
CAPABILITY_ALLOWANCES: dict[str, frozenset[str]] = {
    # takes over the certificate volume nginx's uid wrote, as 0:0 (components/acme.py INIT_CAPABILITIES)
    ACME_INIT_KIND: frozenset({"CHOWN", "DAC_OVERRIDE", "FOWNER"}),
}
"""The capabilities a kind may add back after dropping ALL: what today's components need, nothing for the rest."""
REVERSE_PROXY = "standard-stack:index:ReverseProxy"
ACME_INIT_ROLE_SUFFIX = "-acme-init"
NO_NEW_PRIVILEGES = "no-new-privileges:true"

_FIELDS = {  # (drops, adds, security options, read-only root), as the resource type names them
    CONTAINER: ("capabilities.drops", "capabilities.adds", "securityOpts", "readOnly"),
    "run": ("spec.HostConfig.CapDrop", "spec.HostConfig.CapAdd", "spec.HostConfig.SecurityOpt", "spec.HostConfig.ReadonlyRootfs"),
}


def _kind(props: Mapping[str, Any], urn: str) -> str | None:
    """The component label; the ACME init has none (components/acme.py labels it with its role only,
    ``<proxy>-acme-init``), so it is known as the ReverseProxy's run of that role, whatever the proxy is called."""
    kind = kind_of(props)
    if kind is not None:
        return kind
    role = service_of(props) or ""
    return ACME_INIT_KIND if parent_type(urn) == REVERSE_PROXY and role.endswith(ACME_INIT_ROLE_SUFFIX) else None


def _capability(name: str) -> str:
    """Docker's forms (``chown``, ``CAP_CHOWN``) as one: ``CHOWN``."""
    upper = name.strip().upper()
    return upper.removeprefix("CAP_")


def _known_strings(values: Any) -> list[str] | None:
    """A list's entries, or None while it (or an entry) is unknown; a missing list is empty."""
    if values is UNKNOWN or (isinstance(values, list) and any(v is UNKNOWN for v in values)):
        return None
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _hot_reload_target(props: Mapping[str, Any], env: str) -> bool:
    """A dev hot-reload target: its sources are bind-mounted from the host (a ``hostPath`` volume) and its dev
    server writes into the image's tree (``next dev`` writes ``.next``), so its root is writable on purpose."""
    volumes = props.get("volumes")
    return env == "dev" and isinstance(volumes, list) and any(isinstance(v, dict) and v.get("hostPath") for v in volumes)


def _capability_problems(props: Mapping[str, Any], kind: str | None, drops_field: str, adds_field: str) -> list[str]:
    capabilities = props.get("capabilities")
    if capabilities is UNKNOWN:
        return []
    capabilities = capabilities if isinstance(capabilities, dict) else {}
    problems = []
    drops = _known_strings(capabilities.get("drops"))
    if drops is not None and "ALL" not in {_capability(d) for d in drops}:
        problems.append(
            f"keeps Docker's default capabilities ({drops_field} is {drops or 'empty'}). "
            f"Fix: set {drops_field} to ['ALL'] and add back in {adds_field} only what it needs"
        )
    allowed = CAPABILITY_ALLOWANCES.get(kind or "", frozenset())
    extra = sorted({_capability(a) for a in _known_strings(capabilities.get("adds")) or []} - allowed)
    if extra:
        may = f"only {', '.join(sorted(allowed))}" if allowed else "none"
        problems.append(
            f"adds capabilities {', '.join(extra)} ({adds_field}; its kind may add {may}). Fix: remove them from {adds_field}"
        )
    return problems


def _privilege_problems(props: Mapping[str, Any], opts_field: str) -> list[str]:
    opts = _known_strings(props.get("securityOpts"))
    if opts is None or any(o.replace("=", ":") in (NO_NEW_PRIVILEGES, "no-new-privileges") for o in opts):
        return []
    return [
        f"may gain privileges through setuid binaries ({opts_field} is {opts or 'empty'}). "
        f"Fix: add '{NO_NEW_PRIVILEGES}' to {opts_field}"
    ]


def _root_problems(props: Mapping[str, Any], env: str, root_field: str, own_app: str | None) -> list[str]:
    read_only = props.get("readOnly")
    if read_only is UNKNOWN or read_only is True or _hot_reload_target(props, env):
        return []
    if own_app is not None:
        fix = f"set the {own_app}'s read_only to true (read_only: true in the stack file), writable paths as tmpfs"
    else:
        fix = f"set {root_field} to true and give scratch paths as tmpfs"
    shown = "unset" if read_only is None else read_only
    return [f"has a writable root filesystem ({root_field} is {shown}). Fix: {fix}"]


def validate_container_hardening(args: ResourceValidationArgs, report_violation: Report) -> None:
    props = container_inputs(args.resource_type, args.props)
    if props is None:
        return
    fields = _FIELDS.get(args.resource_type, _FIELDS["run"])
    own_app = OWN_APP_TYPES.get(parent_type(args.urn) or "")
    env = environment(props, args.get_config())
    name = describe(args.resource_type, args.name)
    drops_field, adds_field, opts_field, root_field = fields
    problems = [
        *_capability_problems(props, _kind(props, args.urn), drops_field, adds_field),
        *_privilege_problems(props, opts_field),
        *_root_problems(props, env, root_field, own_app),
    ]
    for problem in problems:
        report_violation(f"{name} ({who(props)}) {problem}.")
