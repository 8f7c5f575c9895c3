"""The package's inputs made into the library's argument models, with errors in the schema's names.

A YAML or TypeScript user sees camelCase names (``hostPort``), so a refused value is reported as
``PostgresService 'db': hostPort: ...``, not with a pydantic location in Python names.
"""

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, TypeVar

import pulumi
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class PackageInputError(ValueError):
    """A component's input the library refuses; the message names the input as the schema spells it."""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{camel(part)}" if out else camel(part))
    return out


def model(cls: type[M], component: str, name: str, values: Mapping[str, Any], prefix: str = "") -> M:
    """``cls(**values)``, or a PackageInputError naming every refused input (under ``prefix``) and its allowed form."""
    try:
        return cls(**values)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            given, path = item.get("input"), _path(tuple(item["loc"]))
            if isinstance(given, pulumi.Output):
                reason = "must be a plain value known before deployment, not another resource's output"
            elif not path:  # a rule across inputs: its message names them; the inputs (secrets too) are not repeated
                reason = item["msg"].removeprefix("Value error, ")
            else:
                reason = f"{item['msg']} (got {given!r})"
            problems.append(f"{prefix}{path}: {reason}" if path else f"{prefix}{reason}")
        raise PackageInputError(f"{component} '{name}': " + "; ".join(problems)) from None


def runtime_values(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The runtime input, the project and stack defaulting to the deploying program's."""
    return {"project": pulumi.get_project(), "stack": pulumi.get_stack(), **(given or {})}


def absolute_build(component: str, name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """A build input whose paths are absolute: the provider's working directory is its own, not the program's."""
    for key in ("context", "dockerfile"):
        value = given.get(key)
        if isinstance(value, str) and not PurePosixPath(value).is_absolute():
            raise PackageInputError(
                f"{component} '{name}': build.{key} {value!r} must be an absolute path (the provider runs in its "
                "own directory); in Pulumi YAML write e.g. ${pulumi.cwd}/images/api"
            )
    return dict(given)


def library_args(
    cls: type[M], component: str, name: str, args: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None
) -> M:
    """A component's inputs as its library model: the runtime defaulting to the program's, a build's paths
    absolute, and the component's own dependencies where the model takes them."""
    values: dict[str, Any] = {**args, "runtime": runtime_values(args.get("runtime"))}
    if "build" in args:
        values["build"] = absolute_build(component, name, args["build"])
    if "depends_on" in cls.model_fields:
        values["depends_on"] = dependencies(opts)
    return model(cls, component, name, values)


def dependencies(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    """The component's own dependencies (the program's dependsOn and its inputs' resources)."""
    found = opts.depends_on if opts is not None else None
    if found is None:
        return []
    return [d for d in (found if isinstance(found, list) else [found]) if isinstance(d, pulumi.Resource)]
