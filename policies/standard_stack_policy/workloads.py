"""The rules a container and a Swarm service share, written once.

A Swarm task is a container the manager describes: the same user, health check, limits and environment
matter, read from other fields. containers.py and services.py each read their resource type into a
``Workload`` (the values, and the words messages use for that type); the checks here judge a ``Workload``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import ResourceValidationArgs

from .props import UNKNOWN, SecretValue, describe, environment, kind_of, parent_type, who

Report = Callable[..., None]
NON_ROOT_KINDS = (
    "api",
    "api-migration",
    "web",
    "proxy",
    "postgres",
    "redis",
    "postgres-backup",
    "postgres-rotation",
    "redis-rotation",
    "proxy-acme",
)
OWN_APP_KINDS = {"app": "App", "worker": "Worker"}
"""The component labels ``App`` and ``Worker`` give your own images (components/app.py), and what a fix sets:
their one-shot jobs are ``<label>-<job name>`` (``app-migrate``) and run the same user. Held to non-root in
prod only: a dev stack may try an image as it comes."""
OWN_APP_TYPES = {"standard-stack:index:App": "App", "standard-stack:index:Worker": "Worker"}
"""The same components by the type that registers their containers, whatever ``component`` label a program gives."""
SECRET_NAME_PATTERNS = ("*PASSWORD*", "*SECRET*", "*TOKEN*", "*KEY*")
PATH_SUFFIXES = ("_FILE", "_DIR", "_PATH")  # where a secret lives, not the secret: POSTGRES_PASSWORD_FILE, SECRETS_DIR


@dataclass(frozen=True)
class Words:
    """How messages about one resource type say what it does and name the fields a fix sets."""

    runs: str  # "runs" (a container), "runs its tasks" (a service)
    user: str
    health: str
    unhealthy: str  # what a missing health check costs, after the problem ("" when nothing to add)
    limits_file: str
    secret_file: str  # where a secret goes instead of the environment
    env: str  # the environment's field, named when a secret value hides its keys
    ports: str  # the published ports' field, which a fix removes


@dataclass(frozen=True)
class Workload:
    """A container or a Swarm service as the shared rules read it."""

    name: str  # props.describe: "Container 'api'"
    props: Mapping[str, Any]
    parent_type: str | None  # props.parent_type: the component that registered it
    environment: str  # props.environment: dev or prod
    long_running: bool  # one-shot jobs need no health check or limits
    user: Any
    health: Any  # the health check block
    lacks_in_prod: list[str]  # limits and restart policy missing, in the type's own terms
    env: SecretValue | list[tuple[str, Any]]  # (name, value) pairs, or all of it secret (SecretValue of the names)
    words: Words


Check = Callable[[Workload], list[str]]


def workload(
    args: ResourceValidationArgs,
    props: dict[str, Any],
    spec: dict[str, Any],
    long_running: bool,
    lacks_in_prod: list[str],
    env: SecretValue | list[tuple[str, Any]],
    words: Words,
) -> Workload:
    """The resource ``props`` whose container is described by ``spec`` (the resource itself, or its task's spec)."""
    name, environment_ = describe(args.resource_type, args.name), environment(props, args.get_config())
    user, health = spec.get("user"), spec.get("healthcheck")
    parent = parent_type(args.urn)
    return Workload(name, props, parent, environment_, long_running, user, health, lacks_in_prod, env, words)


def validation(
    read: Callable[[ResourceValidationArgs], Workload | None], check: Check
) -> Callable[[ResourceValidationArgs, Report], None]:
    """A pulumi-policy resource validation: ``check`` on what ``read`` makes of the resource, one report a problem."""

    def validate(args: ResourceValidationArgs, report_violation: Report) -> None:
        found = read(args)
        for message in check(found) if found is not None else []:
            report_violation(message)

    return validate


def health_check(workload: Workload) -> list[str]:
    health = workload.health
    if not workload.long_running or health is UNKNOWN:
        return []
    tests = health.get("tests") if isinstance(health, dict) else None
    if tests and tests[0] != "NONE":
        return []
    words = workload.words
    return [f"{workload.name} {words.runs} without a health check{words.unhealthy}. Fix: set {words.health}."]


def _uid(user: str) -> str:
    return user.split(":", 1)[0].strip()


def _own_app(workload: Workload) -> str | None:
    """``App`` or ``Worker`` for their containers, services and jobs; None for any other resource."""
    kind = kind_of(workload.props)
    for label, component in OWN_APP_KINDS.items():
        if kind is not None and (kind == label or kind.startswith(f"{label}-")):
            return component
    return OWN_APP_TYPES.get(workload.parent_type or "")


def non_root(workload: Workload) -> list[str]:
    user, kind = workload.user, kind_of(workload.props)
    own_app = _own_app(workload) if workload.environment == "prod" else None
    if (kind not in NON_ROOT_KINDS and own_app is None) or user is UNKNOWN:
        return []
    if not isinstance(user, str) or not user.strip():
        problem = f"sets no user, so it {workload.words.runs} as the image's user (root unless the image says otherwise)"
    elif _uid(user) in ("0", "root"):
        problem = f"{workload.words.runs} as root (user '{user}')"
    else:
        return []
    if own_app is not None:
        fix = f"set the {own_app}'s user to a non-root uid:gid such as '1001:1001' (the image's unprivileged user)"
    else:
        fix = f"set {workload.words.user} to the image's unprivileged uid:gid, e.g. '10001:0'"
    return [f"{workload.name} ({who(workload.props)}) {problem}. Fix: {fix}."]


def prod_limits(workload: Workload) -> list[str]:
    if not workload.long_running or workload.environment != "prod" or not workload.lacks_in_prod:
        return []
    return [
        f"{workload.name} lacks in prod: {', '.join(workload.lacks_in_prod)}. "
        f"Fix: give the service resources (memory, cpus) and restart: unless-stopped in {workload.words.limits_file}."
    ]


def _secret_looking(name: str) -> bool:
    upper = name.upper()
    if upper.endswith(PATH_SUFFIXES):
        return False
    return any(fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS)


def env_secrets(workload: Workload) -> list[str]:
    name, env, words = workload.name, workload.env, workload.words
    fix = f"Fix: deliver it as {words.secret_file} and pass only its path, e.g. POSTGRES_PASSWORD_FILE."
    if isinstance(env, SecretValue):
        return [f"{name} carries a secret value in its environment (one of: {', '.join(env.value) or words.env}). {fix}"]
    messages = []
    for key, value in env:
        if isinstance(value, SecretValue):
            messages.append(f"{name} carries a secret value in environment variable {key}. {fix}")
        elif _secret_looking(key) and value:
            messages.append(f"{name} sets secret-looking environment variable {key} to a literal value. {fix}")
    return messages
