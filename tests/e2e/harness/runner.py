"""Run a Pulumi program under the engine mocks, like `pulumi up` against a state file.

The program's `__main__.py` runs fresh on every call (its own modules are dropped from
`sys.modules` first), inside `run_in_stack` like the Python language host does, with the stack's
config set through `set_all_config` and the secret keys marked secret. After a successful run the
resources the program no longer registers (and those replaced create-first) are deleted, newest
dependents first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import runpy
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml
from google.protobuf import empty_pb2
from pulumi import Output
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.stack import run_in_stack

from . import engine_api as api
from . import wire
from .engine import EngineMocks, EngineMonitor, ResourceFailed, delete_in_reverse_order
from .handlers.base import LABEL_KEY
from .state import State

log = logging.getLogger("e2e.harness")


class DeployFailed(Exception):
    """`pulumi up` would have failed; `result` holds what happened up to the failure."""

    def __init__(self, message: str, result: RunResult):
        super().__init__(message)
        self.result = result


@dataclass
class RunResult:
    label: str
    outputs: dict = field(default_factory=dict)  # stack exports, secrets revealed
    secret_outputs: set = field(default_factory=set)  # names of exports that are secret
    actions: dict = field(default_factory=dict)  # resource name → create/same/update/replace/delete
    events: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0


def load_config(program_dir: str, stack_yaml_paths: Sequence[str], project: str) -> tuple[dict[str, str], list[str]]:
    """Merge Pulumi.yaml defaults and the stack files, later files winning.

    The first stack file replaces Pulumi.yaml defaults key by key, as Pulumi does; later files
    (overrides) are merged into objects, so `postgres: {version: "15"}` keeps the other fields.

    `secure:` values cannot be decrypted here: a later file must give the plain value, either as
    a plain value (the key stays secret) or as `{secret: value}` (a harness-only form that also
    marks a key secret that was not `secure:` before).
    """
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()

    def qualify(key: str) -> str:
        return key if ":" in key else f"{project}:{key}"

    project_file = os.path.join(program_dir, "Pulumi.yaml")
    if os.path.exists(project_file):
        with open(project_file) as fh:
            project_cfg = (yaml.safe_load(fh) or {}).get("config") or {}
        for key, spec in project_cfg.items():
            if isinstance(spec, dict):
                if "default" in spec or "value" in spec:
                    values[qualify(key)] = spec.get("value", spec.get("default"))
                if spec.get("secret"):
                    secret_keys.add(qualify(key))
            else:
                values[qualify(key)] = spec
    for path in stack_yaml_paths:
        with open(path) as fh:
            layer = (yaml.safe_load(fh) or {}).get("config") or {}
        for key, value in layer.items():
            key = qualify(key)
            if isinstance(value, dict) and set(value) == {"secure"}:
                secret_keys.add(key)
                values[key] = _Secure(path)
            elif isinstance(value, dict) and set(value) == {"secret"}:
                secret_keys.add(key)
                values[key] = value["secret"]
            elif isinstance(value, dict) and isinstance(values.get(key), dict) and path != stack_yaml_paths[0]:
                values[key] = _deep_merge(values[key], value)  # an override file adjusts objects
            else:
                values[key] = value
    missing = sorted(k for k, v in values.items() if isinstance(v, _Secure))
    if missing:
        raise ValueError(
            f"config {', '.join(missing)} are encrypted (`secure:`) and no later stack file gives a plain value for the e2e run"
        )
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}
    return as_strings, sorted(secret_keys)


def _deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class _Secure:
    def __init__(self, path: str):
        self.path = path


def run_program(
    program_dir: str,
    stack_yaml_paths: Sequence[str],
    state_path: str,
    project: str = "standard-stack",
    stack: str = "dev",
    label: str | None = None,
    max_workers: int = 32,
    replace: Sequence[str] = (),
) -> RunResult:
    """Deploy the program against `state_path`; raise DeployFailed with every resource error.

    `replace` names resources to replace even if unchanged (`pulumi up --replace`).
    """
    program_dir = os.path.abspath(program_dir)
    config, secret_keys = load_config(program_dir, stack_yaml_paths, project)
    state = State(state_path, label)
    mocks = EngineMocks(state, program_dir, frozenset(replace))
    result = RunResult(label=state.label)
    started = time.monotonic()
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: None)  # failures are reported below, once
    executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="e2e-apply")
    loop.set_default_executor(executor)
    old_cwd, old_path = os.getcwd(), list(sys.path)
    failure: BaseException | None = None
    try:
        asyncio.set_event_loop(loop)
        _configure_runtime(mocks, project, stack, program_dir)
        pulumi_config.set_all_config(config, secret_keys)
        _forget_program_modules(program_dir)
        os.chdir(program_dir)
        sys.path.insert(0, program_dir)
        main = os.path.join(program_dir, "__main__.py")
        roots: list = []

        def program() -> None:
            roots.append(pulumi_settings.get_root_resource())  # the Stack lives in the task's context
            runpy.run_path(main, run_name="__main__")

        try:
            loop.run_until_complete(run_in_stack(program))
            _collect_outputs(loop, roots[0], result)
        except BaseException as exc:
            failure = exc
    finally:
        _cancel_pending(loop)
        executor.shutdown(wait=True)  # resources still applying finish before the state is final
        os.chdir(old_cwd)
        sys.path[:] = old_path
        asyncio.set_event_loop(None)
        loop.close()
    if failure is None and not mocks.errors:
        try:
            mocks.finish()
        except Exception as exc:
            failure = exc
    state.save()
    result.actions = mocks.actions()
    result.events = list(mocks.events)
    result.errors = list(mocks.errors)
    result.notes = list(mocks.ctx.notes)
    result.seconds = round(time.monotonic() - started, 2)
    if failure is not None or mocks.errors:
        lines = list(mocks.errors)
        if failure is not None and not isinstance(failure, ResourceFailed) and not lines:
            lines.append(f"the program failed: {type(failure).__name__}: {failure}")
        elif failure is not None and str(failure) not in "\n".join(lines):
            lines.append(f"{type(failure).__name__}: {failure}")
        raise DeployFailed("deploy failed:\n" + "\n".join(lines), result) from failure
    return result


def destroy(state_path: str, include_protected: bool = False) -> RunResult:
    """`pulumi destroy`: everything in the state, dependents first; protected kept unless asked."""
    state = State(state_path)
    mocks = EngineMocks(state, os.getcwd())
    result = RunResult(label=state.label)
    try:
        delete_in_reverse_order(mocks, list(state.resources), include_protected)
    finally:
        state.save()
        result.events = list(mocks.events)
        result.actions = mocks.actions()
        result.notes = list(mocks.ctx.notes)
    return result


def remove_labelled(label: str) -> list[str]:
    """Safety net for fixtures: force-remove every container, network, volume with the label."""
    removed = []
    flt = {"label": [f"{LABEL_KEY}={label}"]}
    for c in api.get_json("/containers/json", {"all": 1, "filters": flt}):
        api.delete(f"/containers/{c['Id']}", {"force": 1, "v": 1})
        removed.append(f"container {c['Names'][0]}")
    for n in api.get_json("/networks", {"filters": flt}):
        api.delete(f"/networks/{n['Id']}")
        removed.append(f"network {n['Name']}")
    for v in api.get_json("/volumes", {"filters": flt}).get("Volumes") or []:
        api.delete(f"/volumes/{v['Name']}", {"force": 1})
        removed.append(f"volume {v['Name']}")
    return removed


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    """After a failed program, the SDK leaves tasks waiting on outputs that never resolve."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def _configure_runtime(mocks: EngineMocks, project: str, stack: str, program_dir: str) -> None:
    monitor = EngineMonitor(mocks)
    features = set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures)
    pulumi_settings.ROOT.set(None)
    pulumi_settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=MockEngine(log),
            project=project,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
            root_directory=program_dir,
            parallel=None,
            legacy_apply_enabled=False,
            package_refs={},
            base_providers_by_ref={},
        )
    )
    pulumi_settings.SETTINGS.outputs.clear()


def _forget_program_modules(program_dir: str) -> None:
    """Drop the program's own modules (components/...) so edits between runs are picked up.

    Never the virtualenv's: it may live inside the program directory (.venv), and re-importing
    pulumi or protobuf in one process crashes the interpreter.
    """
    prefix = program_dir.rstrip(os.sep) + os.sep
    venv = os.path.realpath(sys.prefix) + os.sep
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if (
            path.startswith(prefix)
            and not os.path.realpath(path).startswith(venv)
            and f"{os.sep}site-packages{os.sep}" not in path
            and "harness" not in name
        ):
            del sys.modules[name]


def _collect_outputs(loop: asyncio.AbstractEventLoop, root: Any, result: RunResult) -> None:
    exports = dict(getattr(root, "outputs", {}) or {})

    async def gather() -> None:
        for name, value in exports.items():
            out = Output.from_input(value)
            result.outputs[name] = wire.reveal(await out.future(with_unknowns=True))
            if await out.is_secret():
                result.secret_outputs.add(name)

    loop.run_until_complete(gather())
