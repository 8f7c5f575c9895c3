"""Run a Pulumi program of this repo under Pulumi's mocks and record what it registers.

Used by the unit tests (``RecordingMocks``) and, with mocks that apply to a real engine, by the
end-to-end tests: the program is the real ``__main__.py``, run the way the language host runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import runpy
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc, settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func

REPO = Path(__file__).resolve().parents[2]
PROJECT = "standard-stack"


def stack_config(*paths: Path | str) -> dict[str, Any]:
    """Merge the ``config:`` maps of stack files (later files win, key by key)."""
    merged: dict[str, Any] = {}
    for path in paths:
        document = yaml.safe_load(Path(path).read_text()) or {}
        merged.update(document.get("config") or {})
    return merged


def to_runtime_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Pulumi hands the program text: objects as JSON, scalars as strings."""
    import json

    out = {}
    for key, value in config.items():
        if isinstance(value, Mapping) and "secure" in value:
            raise ValueError(f"{key}: encrypted values cannot be read under mocks; give a plain value in an override file")
        if isinstance(value, (dict, list)):
            out[key] = json.dumps(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


@dataclass
class Registered:
    """One RegisterResource call as the engine would receive it."""

    typ: str
    name: str
    inputs: dict[str, Any]
    parent: str | None = None

    def plain(self, key: str, default: Any = None) -> Any:
        """An input with secret wrappers removed."""
        return unwrap(self.inputs.get(key, default))

    def is_secret(self, key: str) -> bool:
        return contains_secret(self.inputs.get(key))


def unwrap(value: Any) -> Any:
    if rpc.is_rpc_secret(value):
        return unwrap(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


class RecordingMocks(pulumi.runtime.Mocks):
    """Deterministic stand-ins for provider outputs; records every registration."""

    def __init__(self) -> None:
        self.registered: list[Registered] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):  # type: ignore[override]
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        fake = "sha256:" + hashlib.sha256(args.name.encode()).hexdigest()
        if args.typ == "docker:index/container:Container":
            outputs.setdefault("name", f"{args.name}-mock")
            if args.inputs.get("attach"):
                outputs.update(exitCode=0, containerLogs="")
        elif args.typ == "docker:index/image:Image":
            outputs["repoDigest"] = fake
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            outputs.update(imageId=fake, repoDigest="")
        elif args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"generated-{args.name}-0123456789abcdef"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):  # type: ignore[override]
        raise NotImplementedError(f"unexpected invoke {args.token}")

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.registered if r.typ == typ]

    def named(self, name: str) -> Registered:
        matches = [r for r in self.registered if r.name == name]
        assert len(matches) == 1, f"{name}: {len(matches)} registrations"
        return matches[0]


@dataclass
class ProgramRun:
    mocks: pulumi.runtime.Mocks
    exports: dict[str, Any] = field(default_factory=dict)


def run_program(
    mocks: pulumi.runtime.Mocks,
    config: Mapping[str, Any],
    *,
    stack: str,
    secret_keys: Iterable[str] = (),
    program: Path = REPO / "__main__.py",
    preview: bool = False,
) -> ProgramRun:
    """Run ``program`` to completion under ``mocks``; exceptions from the program propagate."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview)
    set_all_config(to_runtime_config(config), list(secret_keys))
    run = ProgramRun(mocks)
    exports = run.exports
    real_export = pulumi.export

    def record_export(name: str, value: Any) -> None:
        exports[name] = value
        real_export(name, value)

    sys.path.insert(0, str(program.parent))
    pulumi.export = record_export  # type: ignore[assignment]
    cwd = Path.cwd()
    try:
        import os

        os.chdir(program.parent)
        loop.run_until_complete(run_pulumi_func(lambda: runpy.run_path(str(program), run_name="__main__")))
    finally:
        os.chdir(cwd)
        pulumi.export = real_export  # type: ignore[assignment]
        sys.path.remove(str(program.parent))
        loop.close()
        asyncio.set_event_loop(None)
    return run


def resolve(output: Any) -> Any:
    """The value of an Output after a run (None when unknown); secrets unwrapped."""
    if not isinstance(output, pulumi.Output):
        return output
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(output.future())
    finally:
        loop.close()
