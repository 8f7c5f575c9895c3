"""What each target allows, said once: one Docker host runs one container per app; Swarm has no host paths.

Every component's refusal and the stack file's come from these rules; each caller names the field in its
own terms (``host_port`` of PostgresServiceArgs, ``postgres.host_port`` of the stack's settings) and, where a
field's type says it, the value that turns it off (``None``, ``false``, ``unset``).
"""

from __future__ import annotations

from .problems import Problem

SWARM = "with target: swarm"


def one_replica(field: str, replicas: int) -> list[Problem]:
    """On one Docker host a service runs one container."""
    return [Problem(field, f"({replicas}) needs target: swarm (one Docker host runs 1)")] if replicas != 1 else []


def registry(field: str, value: str | None) -> list[Problem]:
    """Swarm nodes pull what the manager built: from a registry."""
    if value is not None:
        return []
    why = (
        f"is required {SWARM} (got none): every node pulls the images from it. "
        "Set a registry host, optional port and namespace, e.g. registry.example.com/team or 127.0.0.1:5000"
    )
    return [Problem(field, why)]


def network_ids(ids: dict[str, object]) -> list[Problem]:
    """Swarm tasks join networks by id: ``ids`` maps each field naming them to its value."""
    return [Problem(field, f"is required {SWARM}: tasks join networks by id") for field, value in ids.items() if value is None]


def no_sources(field: str, given: bool, *, off: str) -> list[Problem]:
    """Bind-mounted sources live on one host."""
    return [Problem(field, f"must be {off} {SWARM} (sources are bind-mounted from one host)")] if given else []


def no_pinned_release(field: str, pin: str | None) -> list[Problem]:
    """A kept release is an image on one host (releases.py), not in the registry."""
    if pin is None:
        return []
    return [Problem(field, f"({pin}) is not supported {SWARM} yet: a kept release is an image on one host")]


def no_host_port(field: str, port: int | None) -> list[Problem]:
    """A data service publishes nothing on Swarm: a port would be open on every node."""
    if port is None:
        return []
    return [Problem(field, f"({port}) must be unset {SWARM}: only the proxy publishes ports")]


def any_address(field: str, address: str) -> list[Problem]:
    """Swarm's ingress publishes a port on every address of the node."""
    if address == "0.0.0.0":
        return []
    why = f"({address}) must be 0.0.0.0 {SWARM}: a Swarm port is published on every address of its node (firewall the node)"
    return [Problem(field, why)]


def no_backup(field: str, on: bool, *, off: str) -> list[Problem]:
    """The backup container is not ported to Swarm yet."""
    return [Problem(field, f"must be {off} {SWARM}: the backup container is not ported to swarm yet")] if on else []


def no_acme(field: str, on: bool, *, off: str) -> list[Problem]:
    """ACME is not ported to Swarm yet: a certificate is given instead."""
    if not on:
        return []
    return [Problem(field, f"must be {off} {SWARM} (not ported yet): give the TLS certificate and key instead")]
