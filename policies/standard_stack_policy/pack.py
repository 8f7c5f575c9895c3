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

from .containers import (
    validate_env_secrets,
    validate_health_check,
    validate_non_root,
    validate_prod_limits,
    validate_published_ports,
)
from .data import validate_data_networks_internal, validate_protected_data_volume
from .images import validate_pinned_image
from .services import (
    validate_service_env_secrets,
    validate_service_hardening,
    validate_service_health_check,
    validate_service_non_root,
    validate_service_prod_limits,
    validate_service_published_ports,
)

PACK_NAME = "standard-stack"
MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

_ENVIRONMENT: dict[str, dict[str, Any]] = {
    "environment": {"type": "string", "enum": ["dev", "prod"], "description": "Override: which rules apply."},
    "prodStacks": {"type": "array", "items": {"type": "string"}, "description": "Stack names treated as prod."},
}


def _schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**_ENVIRONMENT, **extra})


POLICIES: list[Policy] = [
    ResourceValidationPolicy(
        name="container-health-check",
        description="Every long-running container has a health check.",
        validate=validate_health_check,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="container-non-root",
        description="Service containers (API, web, proxy, Postgres, Redis) do not run as root.",
        validate=validate_non_root,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="container-prod-limits",
        description="In prod every long-running container has memory and CPU limits and a restart policy.",
        validate=validate_prod_limits,
        enforcement_level=ADVISORY,
        config_schema=_schema(),
    ),
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
        name="container-env-no-secrets",
        description="No container environment variable carries a secret.",
        validate=validate_env_secrets,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="service-health-check",
        description="Every Swarm service's tasks have a health check.",
        validate=validate_service_health_check,
        enforcement_level=ADVISORY,
    ),
    ResourceValidationPolicy(
        name="service-non-root",
        description="Swarm services of the stack's kinds run their tasks as a non-root user.",
        validate=validate_service_non_root,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="service-hardening",
        description="Swarm tasks run on a read-only root filesystem with every capability dropped.",
        validate=validate_service_hardening,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="service-prod-limits",
        description="In prod every Swarm service has memory and CPU limits and a restart policy.",
        validate=validate_service_prod_limits,
        enforcement_level=ADVISORY,
        config_schema=_schema(),
    ),
    ResourceValidationPolicy(
        name="service-published-ports",
        description="Only the reverse proxy's Swarm service publishes ports.",
        validate=validate_service_published_ports,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="service-env-no-secrets",
        description="No Swarm service's environment carries a secret.",
        validate=validate_service_env_secrets,
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
