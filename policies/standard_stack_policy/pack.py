"""The policies of the standard-stack pack, with their default enforcement levels and config schemas.

Security and data rules are mandatory (a violation blocks ``pulumi up``); operational hygiene is
advisory (reported, not blocking). Every level can be changed per stack with a policy config file
(``pulumi preview --policy-pack policies --policy-pack-config policies/policy-config.prod.json``).
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

from . import containers, services
from .containers import validate_published_ports
from .data import validate_data_networks_internal, validate_protected_data_volume
from .hardening import validate_container_hardening
from .images import validate_pinned_image
from .services import validate_service_hardening, validate_service_published_ports
from .workloads import Check, env_secrets, health_check, non_root, prod_limits, validation

PACK_NAME = "standard-stack"
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

_ENVIRONMENT: dict[str, dict[str, Any]] = {
    "environment": {"type": "string", "enum": ["dev", "prod"], "description": "Override: which rules apply."},
    "prodStacks": {"type": "array", "items": {"type": "string"}, "description": "Stack names treated as prod."},
}


def _schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**_ENVIRONMENT, **extra})


def _twins(rule: str, check: Check, description: str, level: EnforcementLevel, *, configured: bool = False) -> list[Policy]:
    """``container-<rule>`` and ``service-<rule>``: one check and one description, for a container (and a one-shot
    run, read as one: ``{or_run}``) and for a Swarm service (whose tasks are containers the manager describes)."""
    readers = (("container", "container", containers.read), ("service", "Swarm service", services.read))
    return [
        ResourceValidationPolicy(
            name=f"{prefix}-{rule}",
            description=description.format(subject=subject, or_run=" or one-shot run" if prefix == "container" else ""),
            validate=validation(read, check),
            enforcement_level=level,
            config_schema=_schema() if configured else None,
        )
        for prefix, subject, read in readers
    ]


POLICIES: list[Policy] = [
    *_twins("health-check", health_check, "Every long-running {subject} has a health check.", ADVISORY),
    *_twins(
        "non-root",
        non_root,
        "Every {subject}{or_run} of the stack's kinds (API, web, proxy, Postgres, Redis and their jobs), and in prod of your "
        "own Apps and Workers (and their jobs), runs as a non-root user.",
        MANDATORY,
        configured=True,
    ),
    *_twins(
        "prod-limits",
        prod_limits,
        "In prod every long-running {subject} has memory and CPU limits and a restart policy.",
        ADVISORY,
        configured=True,
    ),
    *_twins("env-no-secrets", env_secrets, "The environment of no {subject}{or_run} carries a secret.", MANDATORY),
    ResourceValidationPolicy(
        name="container-published-ports",
        description="Only the reverse proxy publishes host ports; in dev every published port binds 127.0.0.1.",
        validate=validate_published_ports,
        enforcement_level=MANDATORY,
        config_schema=_schema(
            allowDataServicePortsInDev={"type": "boolean", "description": "Postgres/Redis may publish on loopback in dev."}
        ),
    ),
    StackValidationPolicy(
        name="data-services-internal-networks",
        description="Postgres and Redis containers are attached only to internal networks.",
        validate=validate_data_networks_internal,
        enforcement_level=MANDATORY,
        config_schema=_schema(
            allowLoopbackDataPortsInDev={
                "type": "boolean",
                "description": "In dev a data service publishing only on 127.0.0.1 may use a routed network.",
            }
        ),
    ),
    ResourceValidationPolicy(
        name="container-hardening",
        description="Every container and one-shot run drops all capabilities (adding back only its kind's allowance), "
        "sets no-new-privileges and runs on a read-only root (but a dev hot-reload target).",
        validate=validate_container_hardening,
        enforcement_level=ADVISORY,
        config_schema=_schema(),
    ),
    ResourceValidationPolicy(
        name="service-hardening",
        description="Swarm tasks run on a read-only root filesystem with every capability dropped.",
        validate=validate_service_hardening,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="service-published-ports",
        description="Only the reverse proxy's Swarm service publishes ports.",
        validate=validate_service_published_ports,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="images-pinned",
        description="Images are pinned to a version tag or digest (no latest, no untagged names).",
        validate=validate_pinned_image,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="prod-data-volumes-protected",
        description="In prod the Postgres and Redis data volumes are protected from deletion.",
        validate=validate_protected_data_volume,
        enforcement_level=MANDATORY,
        config_schema=_schema(),
    ),
]
