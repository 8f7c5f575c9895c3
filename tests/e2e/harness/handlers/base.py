"""What every resource handler provides to the engine, and the context it works in."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..wire import InputError

LABEL_KEY = "standard-stack.e2e"


class ApplyError(Exception):
    """Applying a resource failed; the message carries the engine's own error text."""


class Tainted(ApplyError):
    """Create failed after the object existed: it stays in state and is replaced next run."""

    def __init__(self, message: str, docker: dict):
        super().__init__(message)
        self.docker = docker


@dataclass
class Context:
    """Per-run facts a handler needs: where the program runs and how to label what it creates."""

    program_dir: str
    label: str
    journal: Callable[..., None]
    notes: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, text: str) -> None:
        """Record something the harness could not mirror for this run (reported, never silent)."""
        with self.lock:
            self.notes.append(text)


@dataclass
class Applied:
    """Result of create/update: the physical id, the outputs the program sees, the engine object."""

    id: str
    outputs: dict
    docker: dict | None = None  # {"kind": "container"|"network"|"volume"|"image", "id": ...}


class Handler:
    """Base: a type token, the inputs it implements, and which input changes need what."""

    token = ""
    known: frozenset = frozenset()
    in_place: frozenset = frozenset()  # applied to the live object (docker update)
    state_only: frozenset = frozenset()  # the provider records them; nothing live changes
    set_like: frozenset = frozenset()  # provider-side sets: order does not count in a diff
    auto_name = False  # tfbridge auto-names `name` when absent
    always_refresh = False  # re-run create to decide (Image: the context may change)

    def check(self, name: str, inputs: dict) -> None:
        unknown = sorted(set(inputs) - self.known)
        if unknown:
            raise InputError(
                f"input(s) {', '.join(unknown)} of {self.token} '{name}' are not implemented "
                f"by the e2e harness (implemented: {', '.join(sorted(self.known))})"
            )

    def default_delete_before_replace(self, inputs: dict) -> bool:
        return False

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        raise NotImplementedError

    def update(self, ctx: Context, name: str, inputs: dict, old: dict, changed: set) -> Applied:
        """In-place update; the default only records the new inputs (state-only changes)."""
        outputs = dict(old["outputs"])
        outputs.update(inputs)
        return Applied(old["id"], outputs, old.get("docker"))

    def delete(self, ctx: Context, record: dict) -> None:
        raise NotImplementedError


def auto_name(resource_name: str) -> str:
    """Pulumi's auto-name: `<resource name>-<7 hex>`."""
    return f"{resource_name}-{secrets.token_hex(4)[:7]}"


def require(inputs: dict, key: str, name: str, token: str) -> Any:
    if key not in inputs or inputs[key] in (None, ""):
        raise InputError(f"{token} '{name}': required input '{key}' is missing")
    return inputs[key]


def check_nested(items: Any, allowed: set, what: str) -> None:
    """Fail loudly on keys of nested objects (ports, uploads, ...) the harness does not apply."""
    for item in items if isinstance(items, list) else [items]:
        if not isinstance(item, dict):
            raise InputError(f"{what}: expected an object, got {item!r}")
        extra = sorted(set(item) - allowed)
        if extra:
            raise InputError(
                f"{what}: key(s) {', '.join(extra)} not implemented by the e2e harness "
                f"(implemented: {', '.join(sorted(allowed))})"
            )
