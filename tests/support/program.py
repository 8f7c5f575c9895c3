"""Run a Pulumi program of this repo under Pulumi's mocks and record what it registers.

Used by the unit tests (``RecordingMocks``) and, with mocks that apply to a real engine, by the
end-to-end tests: the program is the real ``__main__.py``, run the way the language host runs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import runpy
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func

from tests.support.stacks import PROJECT, REPO, stack_config

CONTAINER = "docker:index/container:Container"
ONE_SHOT = "pulumi-python:dynamic/standard-stack:OneShot"
"""``standard_stack.one_shot.OneShot``'s type token (``pulumi-python:dynamic/<module>:<name>``): tests/support/one_shot.py."""


def to_runtime_config(config: Mapping[str, Any]) -> dict[str, str]:
    """Pulumi hands the program text: objects as JSON, scalars as strings."""
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


@dataclass
class Options:
    """Resource options as the engine receives them (mocks' MockResourceArgs omit these)."""

    parent: str
    dependencies: list[str]
    delete_before_replace: bool
    delete_before_replace_defined: bool
    protect: bool
    retain_on_delete: bool
    aliases: list[str] = field(default_factory=list)
    ignore_changes: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that also keeps each registration's options, keyed by (type, name).

    Components and their main container share a name ("postgres"), so the type is part of the key.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[tuple[str, str], Options] = {}

    def RegisterResource(self, request):
        self.options[(request.type, request.name)] = Options(
            parent=request.parent,
            dependencies=list(request.dependencies),
            delete_before_replace=request.deleteBeforeReplace,
            delete_before_replace_defined=request.deleteBeforeReplaceDefined,
            protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            aliases=[str(a) for a in request.aliasURNs] + [str(a) for a in getattr(request, "aliases", [])],
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
        )
        return super().RegisterResource(request)

    def ReadResource(self, request):
        """Reads (a StackReference) have no replacement or protection options of their own."""
        self.options[(request.type, request.name)] = Options(
            parent=request.parent,
            dependencies=list(request.dependencies),
            delete_before_replace=False,
            delete_before_replace_defined=False,
            protect=False,
            retain_on_delete=False,
        )
        return super().ReadResource(request)

    def urn_of(self, name: str, typ: str = CONTAINER) -> str:
        return next(urn for urn in self.resources if urn.endswith(f"{typ}::{name}"))


class RecordingMocks(pulumi.runtime.Mocks):
    """Deterministic stand-ins for provider outputs; records every registration.

    ``stack_outputs`` are what a StackReference reads: the outputs of the stack's previous deploy.
    """

    def __init__(self, stack_outputs: Mapping[str, Any] | None = None) -> None:
        self.registered: list[Registered] = []
        self.stack_outputs = dict(stack_outputs or {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):  # type: ignore[override]
        self.registered.append(Registered(args.typ, args.name, dict(args.inputs)))
        outputs = dict(args.inputs)
        fake = "sha256:" + hashlib.sha256(args.name.encode()).hexdigest()
        if args.typ == "docker:index/container:Container":
            outputs.setdefault("name", f"{args.name}-mock")
            # what Docker assigns on start, one deterministic address per attached network
            outputs["networkDatas"] = [
                {"networkName": network["name"], "ipAddress": f"172.30.{n}.{int(fake[7:9], 16) % 250 + 2}"}
                for n, network in enumerate(args.inputs.get("networksAdvanced") or [])
            ]
            if args.inputs.get("attach"):
                outputs.update(exitCode=0, containerLogs="")
        elif args.typ == ONE_SHOT:
            # the provider's: the run's container id, which the services that follow the run read
            outputs["revision"] = f"{args.name}-id"
        elif args.typ == "docker:index/image:Image":
            # the provider's form: the image id when kept local, repository@digest once pushed
            pushed = args.inputs.get("skipPush") is False
            outputs["repoDigest"] = f"{args.inputs['imageName'].rsplit(':', 1)[0]}@{fake}" if pushed else fake
        elif args.typ == "docker:index/remoteImage:RemoteImage":
            # a pulled image's repository@digest, as Docker's RepoDigests has it (no tag)
            outputs.update(imageId=fake, repoDigest=f"{args.inputs['name'].split('@')[0].rsplit(':', 1)[0]}@{fake}")
        elif args.typ == "pulumi:pulumi:StackReference":
            outputs.update(outputs=self.stack_outputs, secretOutputNames=[])
        elif args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"generated-{args.name}-0123456789abcdef"
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):  # type: ignore[override]
        raise NotImplementedError(f"unexpected invoke {args.token}")

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.registered if r.typ == typ]

    def named(self, name: str, typ: str | None = None) -> Registered:
        """The one registration called ``name`` (a component and its container share names: give ``typ``)."""
        matches = [r for r in self.registered if r.name == name and (typ is None or r.typ == typ)]
        assert len(matches) == 1, f"{name}: {len(matches)} registrations"
        return matches[0]


@dataclass
class ProgramRun:
    mocks: pulumi.runtime.Mocks
    monitor: RecordingMonitor
    exports: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, bool] = field(default_factory=dict)

    def options(self, name: str, typ: str = CONTAINER) -> Options:
        return self.monitor.options[(typ, name)]

    def depends_on(self, name: str, other: str, *, typ: str = CONTAINER, other_typ: str = CONTAINER) -> bool:
        """True when resource ``name`` was registered with ``other`` among its dependencies."""
        return self.monitor.urn_of(other, other_typ) in self.options(name, typ).dependencies


def run_program(
    mocks: pulumi.runtime.Mocks,
    config: Mapping[str, Any],
    *,
    stack: str,
    secret_keys: Iterable[str] = (),
    program: Path | Callable[[], None] = REPO / "__main__.py",
    preview: bool = False,
) -> ProgramRun:
    """Run ``program`` (a file, or a function for small test programs) to completion under ``mocks``.

    Exceptions from the program propagate.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    runtime_settings.reset_options()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    set_all_config(to_runtime_config(config), [k if ":" in k else f"{PROJECT}:{k}" for k in secret_keys])
    run = ProgramRun(mocks, monitor)
    exports = run.exports
    real_export = pulumi.export

    def record_export(name: str, value: Any) -> None:
        exports[name] = value
        real_export(name, value)

    if callable(program):
        body, workdir = program, REPO
    else:
        path = program
        body, workdir = (lambda: runpy.run_path(str(path), run_name="__main__")), path.parent
    sys.path.insert(0, str(workdir))
    pulumi.export = record_export  # type: ignore[assignment]
    cwd = Path.cwd()
    try:
        os.chdir(workdir)  # Pulumi runs programs from the project directory
        loop.run_until_complete(run_pulumi_func(body))
        for key, value in exports.items():
            output = pulumi.Output.from_input(value)
            run.values[key] = unwrap(loop.run_until_complete(output.future()))
            run.secret[key] = loop.run_until_complete(output.is_secret())
    finally:
        os.chdir(cwd)
        pulumi.export = real_export  # type: ignore[assignment]
        sys.path.remove(str(workdir))
        loop.close()
        asyncio.set_event_loop(None)
    return run


def run_stack(
    stack: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
) -> ProgramRun:
    """The real program with the committed Pulumi.<stack>.yaml, ``overrides`` merged in, ``secrets`` as secrets."""
    config = stack_config(REPO / f"Pulumi.{stack}.yaml", overrides={**(overrides or {}), **(secrets or {})})
    return run_program(mocks or RecordingMocks(), config, stack=stack, secret_keys=list(secrets or {}))
