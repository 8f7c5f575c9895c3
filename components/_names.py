"""Docker names of a stack's containers: ``<project>-<stack>-<role>``, what an operator reads in ``docker ps``.

Compose users know ``<project>-<service>-1``; here every container of a stack starts with its project
and stack (``shop-prod-postgres``, ``shop-prod-api-migrate``), so dev and prod on one host never
clash and each tells whose it is. Names are explicit: the library does not depend on the program's
``pulumi:autonaming`` configuration (an explicit name is used as given whatever that says).

- A container replaced **delete-first** (data services, the proxy, one-shot jobs, file loaders) keeps
  one fixed name: the old one is gone before the new one is created.
- A container replaced **create-first** (apps, workers) runs beside its successor for a moment, so
  its name ends in 7 random hex digits (``shop-prod-api-3f9c2e1``), as Pulumi's own auto-names do:
  every replacement gets another name, also ``pulumi up --replace`` of unchanged inputs and a
  replacement for drift (a digest of the inputs would repeat the old name there, and the create fails
  on Docker's name conflict). Each run proposes a fresh suffix; it is ignored (below) until the
  container is replaced, so a deploy without changes renames nothing.

Every named container ignores later changes of its name (``ignore_changes=["name"]``): a stack
deployed before these names keeps its containers (``api-becdaa7``, ``postgres-63299d5``) instead of
replacing them for a rename; a container takes its new name when it is next replaced for another
reason, because the engine checks a replacement's inputs afresh, without the ignored old values
(pulumi/pulumi pkg/resource/deploy/step_generator.go: "If we are going to perform a replacement, we
need to recompute the default values", ``prov.Check`` with ``goal.Properties``; a targeted
``--replace`` checks ``goal.Properties`` too).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_docker as docker

if TYPE_CHECKING:
    from ._models import Runtime

MAX_LENGTH = 63
"""At most one DNS label: a container's name is also its host name on the stack's networks."""
DIGEST_LENGTH = 7
VALID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
"""Docker's rule for container names (daemon/names: ``RestrictedNameChars``)."""


def stack_prefix(project: str, stack: str) -> str:
    """``<project>-<stack>``, refused with the setting's name when Docker would refuse the names built on it."""
    for setting, value in (("project", project), ("stack", stack)):
        if not VALID.match(value):
            raise pulumi.RunError(
                f"runtime.{setting} {value!r} cannot start a Docker container name: use letters, digits, '_', '.' "
                "and '-', starting with a letter or digit"
            )
    return f"{project}-{stack}"


def container_name(project: str, stack: str, role: str, *, suffix: bool = False) -> str:
    """``<project>-<stack>-<role>``, at most ``MAX_LENGTH`` characters with room for a ``-<suffix>``.

    A longer one keeps its beginning and ends in a digest of the whole, so it stays unique and the
    same for the same stack and role.
    """
    full = f"{stack_prefix(project, stack)}-{role}"
    if not VALID.match(full):
        raise pulumi.RunError(f"container name {full!r}: {role!r} must use letters, digits, '_', '.' and '-' only")
    limit = MAX_LENGTH - (DIGEST_LENGTH + 1 if suffix else 0)
    if len(full) <= limit:
        return full
    head = full[: limit - DIGEST_LENGTH - 1].rstrip("-_.")
    return f"{head}-{hashlib.sha256(full.encode()).hexdigest()[:DIGEST_LENGTH]}"


def instance_suffix() -> str:
    """7 random hex digits: a create-first container's successor never takes its name."""
    return secrets.token_hex(4)[:DIGEST_LENGTH]


def named_container(
    resource_name: str, *, runtime: Runtime, role: str, opts: pulumi.ResourceOptions, **inputs: Any
) -> docker.Container:
    """A ``docker.Container`` named ``<project>-<stack>-<role>`` (see the module's docstring).

    Create-first (``opts.delete_before_replace`` explicitly False) adds ``instance_suffix()``; a
    ``name`` among ``inputs`` is used as given. Either way the name's later changes are ignored; a new
    start interval (``health_start_interval`` reaching an existing stack) replaces a create-first container
    and waits for a delete-first one's next replacement.
    """
    create_first = opts.delete_before_replace is False
    if "name" not in inputs:
        base = container_name(runtime.project, runtime.stack, role, suffix=create_first)
        inputs["name"] = f"{base}-{instance_suffix()}" if create_first else base
    # The provider's healthcheck is ForceNew but its nested start_interval is not: a new start interval alone
    # is planned as an update its Update cannot apply (the live probe stays; after a refresh the diff is back).
    # So a delete-first container (a data service, the proxy) ignores it until replaced for another reason,
    # and a create-first one (an app, a worker) is replaced for it, create-first, like any other change.
    if create_first:
        changes = pulumi.ResourceOptions(ignore_changes=["name"], replace_on_changes=["healthcheck"])
    else:
        changes = pulumi.ResourceOptions(ignore_changes=["name", "healthcheck.startInterval"])
    named = pulumi.ResourceOptions.merge(opts, changes)
    return docker.Container(resource_name, opts=named, **inputs)
