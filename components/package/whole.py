"""StandardStack as a package component: the whole stack from the stack file's settings.

``settings`` takes what a stack file says under ``standard-stack:`` (camelCase keys: ``environment``,
``publicUrl``, ``postgres``, ``proxy``...), validated by the library's StackSettings; its schema is an
object of any values because StackSettings is the one place its shape and rules are declared. Build
contexts in the settings are relative to ``sourceRoot``, as the standard-stack program's are to its
directory: the provider does not run in the program's directory.
"""

from pathlib import PurePosixPath
from typing import Any, NotRequired, TypedDict

import pulumi

from .. import stack as _stack
from ..settings import StackSettings
from .convert import PackageInputError, model


class StandardStackArgs(TypedDict):
    """Inputs of a StandardStack."""

    settings: dict[str, Any]
    """The stack's settings as a stack file gives them under standard-stack: (environment and publicUrl required)."""
    source_root: str
    """Absolute directory the settings' build contexts are relative to (this repository's root, holding images/)."""
    project: NotRequired[str]
    """First part of every Docker object name; unset: the deploying program's Pulumi project."""
    stack: NotRequired[str]
    """Second part of every Docker object name; unset: the deploying program's Pulumi stack."""
    postgres_password: NotRequired[pulumi.Input[str]]
    """PostgreSQL password (secret); generated when not given."""
    redis_password: NotRequired[pulumi.Input[str]]
    """Redis password (secret); generated when not given."""
    tls_certificate: NotRequired[pulumi.Input[str]]
    """PEM chain (secret) for proxy.tls without proxy.acme."""
    tls_private_key: NotRequired[pulumi.Input[str]]
    """PEM key (secret) of tlsCertificate."""


class StandardStack(_stack.StandardStack):
    """PostgreSQL, Redis, the Python API, the Next.js app and nginx on one Docker host, from one settings object."""

    url: pulumi.Output[str]
    """Where users reach the stack."""
    health_url: pulumi.Output[str]
    """The proxy's own health endpoint."""
    images: dict[str, pulumi.Output[str]]
    """Image of each built service (api, web, proxy)."""
    releases: dict[str, pulumi.Output[list[str]]]
    """Releases kept on the Docker host per app (api, web), newest (running) first."""
    containers: dict[str, pulumi.Output[str]]
    """Current container of each service (postgres, redis, api, web, proxy)."""
    database_url: pulumi.Output[str]
    """postgresql:// connection URL (secret)."""
    redis_url: pulumi.Output[str]
    """redis:// connection URL (secret)."""

    def __init__(self, name: str, args: StandardStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        root = args["source_root"]
        if not PurePosixPath(root).is_absolute():
            raise PackageInputError(
                f"StandardStack '{name}': sourceRoot {root!r} must be an absolute path; in Pulumi YAML write e.g. "
                "${pulumi.cwd}/../.."
            )
        settings = _rooted(model(StackSettings, "StandardStack", name, args["settings"], prefix="settings."), root)
        values = {
            **{k: v for k, v in args.items() if k not in ("settings", "source_root")},
            "settings": settings,
            "project": args.get("project", pulumi.get_project()),
            "stack": args.get("stack", pulumi.get_stack()),
        }
        super().__init__(name, model(_stack.StandardStackArgs, "StandardStack", name, values), opts)


def _rooted(settings: StackSettings, root: str) -> StackSettings:
    """The settings with each relative build context and Dockerfile joined onto ``root``."""

    def join(path: str | None) -> str | None:
        return path if path is None or PurePosixPath(path).is_absolute() else str(PurePosixPath(root) / path)

    update = {}
    for service in ("api", "web", "proxy"):
        section = getattr(settings, service)
        build = section.build.model_copy(
            update={"context": join(section.build.context), "dockerfile": join(section.build.dockerfile)}
        )
        update[service] = section.model_copy(update={"build": build})
    return settings.model_copy(update=update)
