"""Refusals as data: a rule returns what it refuses as ``(field, reason)`` problems.

Whoever shows them names the field in its own terms: a component by its argument (``host_port``), a
program by its setting (``postgres.hostPort`` in a stack file), so a rule is written once, and no
message is parsed back to find which setting it was about.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from types import UnionType
from typing import NamedTuple

from pydantic import BaseModel
from pydantic_core import PydanticCustomError


class Problem(NamedTuple):
    """One refused value."""

    field: str
    """Dotted path of the model's field names from the model checked (``host_port``, ``proxy.acme.enabled``); a map's
    key stands as itself (``apps.admin.port``)."""
    reason: str
    """The rest of the sentence after the field: what is wrong, with the value and the allowed form."""

    def under(self, prefix: str) -> Problem:
        """The same problem one model further out (``host_port`` of ``postgres`` -> ``postgres.host_port``)."""
        return Problem(f"{prefix}.{self.field}" if self.field else prefix, self.reason)


def sentence(problems: Iterable[Problem], spell: typing.Callable[[str], str] = str) -> str:
    """Every problem, ``field reason`` joined by ``; ``, each field as ``spell`` names it."""
    return "; ".join(f"{spell(p.field)} {p.reason}" for p in problems)


def refuse(name: str, problems: Sequence[Problem]) -> None:
    """A component's refusal, before anything is registered: every problem at once, fields by argument name."""
    if problems:
        import pulumi  # only a component refuses this way: the rules themselves need no Pulumi

        raise pulumi.RunError(f"{name}: {sentence(problems)}")


PROBLEMS = "problems"
"""The error type under which a model's cross-field rules reach pydantic's errors (their ``ctx`` holds the problems)."""


def invalid(model: type[BaseModel], problems: Sequence[Problem]) -> None:
    """Raise the problems from a model validator: ``ctx["problems"]`` keeps them structured for a program, the message
    names each field by its key in the model's spelling (aliases), for anyone else."""
    if problems:
        text = sentence(problems, lambda field: key(model, field))
        raise PydanticCustomError(PROBLEMS, "{text}", {"text": text, "problems": list(problems)})


def key(model: type[BaseModel] | None, field: str) -> str:
    """``field`` (a path of field names) by the models' aliases: ``proxy.acme.directory_url`` -> ``proxy.acme.directoryUrl``."""
    spelled: list[str] = []
    parts = field.split(".") if field else []
    while parts:
        part = parts.pop(0)
        info = model.model_fields.get(part) if model is not None else None
        if info is None:
            spelled.append(part)
            continue
        spelled.append(info.alias or part)
        annotation = info.annotation
        model = section_model(annotation)
        if model is not None and typing.get_origin(annotation) is dict and parts:
            spelled.append(parts.pop(0))  # the entry's own name
    return ".".join(spelled)


def section_model(annotation: object) -> type[BaseModel] | None:
    """The model a field holds: itself, inside ``Model | None``, or a map's values (apps, workers), else None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is dict:
        candidates = [args[1]]
    elif typing.get_origin(annotation) in (typing.Union, UnionType):
        candidates = [a for a in args if a is not type(None)]
    else:
        return None
    if len(candidates) == 1 and isinstance(candidates[0], type) and issubclass(candidates[0], BaseModel):
        return candidates[0]
    return None
