"""Mocks that act like the Pulumi engine plus pulumi-docker: diff against state, then apply.

`EngineMonitor` is the mock resource monitor with one addition: it reads the resource options
(protect, retain_on_delete, delete_before_replace, ignore_changes, replace_on_changes), the
parent and the dependencies from each RegisterResource request, which `MockResourceArgs` does not
carry, and hands them to `EngineMocks.new_resource` (same thread) through a thread-local.

The SDK calls the monitor from its executor threads as each resource's inputs resolve, so
independent resources are applied concurrently, as far as the dependency graph allows.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

from pulumi.runtime.mocks import MockMonitor, MockResourceArgs, Mocks

from . import wire
from .handlers import HANDLERS
from .handlers.base import Applied, Context, Tainted, auto_name
from .state import State


class ResourceFailed(Exception):
    """A resource could not be applied; the message names it and carries the engine's text."""


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    deps: list = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    delete_before_replace_defined: bool = False
    ignore_changes: list = field(default_factory=list)
    replace_on_changes: list = field(default_factory=list)

    def opts(self) -> dict:
        return {
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "deleteBeforeReplace": self.delete_before_replace,
            "deleteBeforeReplaceDefined": self.delete_before_replace_defined,
            "ignoreChanges": self.ignore_changes,
            "replaceOnChanges": self.replace_on_changes,
        }


class EngineMonitor(MockMonitor):
    def RegisterResource(self, request):
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        reg = Registration(
            urn=self.make_urn(request.parent, request.type, request.name),
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            deps=sorted(set(request.dependencies)),
            protect=request.HasField("protect") and request.protect,
            retain_on_delete=request.HasField("retainOnDelete") and request.retainOnDelete,
            delete_before_replace=request.deleteBeforeReplace,
            delete_before_replace_defined=request.deleteBeforeReplaceDefined,
            ignore_changes=list(request.ignoreChanges),
            replace_on_changes=list(request.replaceOnChanges),
        )
        self.mocks.tls.registration = reg
        try:
            return super().RegisterResource(request)
        finally:
            self.mocks.tls.registration = None

    def ReadResource(self, request):
        raise ResourceFailed(
            f"{request.type} '{request.name}': reading existing resources (Resource.get) is not implemented by the e2e harness"
        )


class EngineMocks(Mocks):
    def __init__(self, state: State, program_dir: str, replace: frozenset = frozenset()):
        self.state = state
        self.replace = frozenset(replace)  # `pulumi up --replace`: resource names forced to replace
        self.old = {k: v for k, v in state.resources.items() if not v.get("condemned")}
        self.registered: set[str] = set()
        self.errors: list[str] = []
        self.events: list[dict] = []
        self._events_lock = threading.Lock()
        self.tls = threading.local()
        self.ctx = Context(program_dir, state.label, self.journal)
        self.t0 = time.monotonic()

    # --- journal ------------------------------------------------------------------------------
    def journal(self, event: str, **fields) -> None:
        with self._events_lock:
            self.events.append({"t": round(time.monotonic() - self.t0, 3), "event": event, **fields})

    def actions(self) -> dict[str, str]:
        """Resource name → what this run did to it: create / same / update / replace / delete."""
        out: dict[str, str] = {}
        for ev in self.events:
            counted = ev["event"] in ("create", "same", "update", "replace", "delete") and ev.get("custom", True)
            if counted and out.get(ev["name"]) != "replace":  # deleting the replaced one is part of it
                out[ev["name"]] = ev["event"]
        return out

    # --- Mocks interface ----------------------------------------------------------------------
    def call(self, args):
        raise ResourceFailed(f"invoke {args.token} is not implemented by the e2e harness")

    def new_resource(self, args: MockResourceArgs):
        reg = getattr(self.tls, "registration", None)
        if reg is None or reg.name != args.name:
            raise ResourceFailed(f"{args.typ} '{args.name}': registered without the harness monitor")
        try:
            return self._apply(reg, args.inputs)
        except Exception as err:
            message = f"{reg.type} '{reg.name}': {err}"
            with self._events_lock:
                self.errors.append(message)
            self.journal("error", name=reg.name, type=reg.type, error=str(err))
            raise ResourceFailed(message) from None

    # --- planning -----------------------------------------------------------------------------
    def _apply(self, reg: Registration, inputs: dict):
        with self.state.lock:
            if reg.urn in self.registered:
                raise ResourceFailed(f"duplicate resource URN {reg.urn}")
            self.registered.add(reg.urn)
        if not reg.custom:
            self._remember(reg, {}, {}, inputs, Applied("", {}), action="same" if reg.urn in self.old else "create")
            return "", {}
        handler = HANDLERS.get(reg.type)
        if handler is None:
            raise wire.InputError(f"resource type {reg.type} is not implemented by the e2e harness")
        hole = wire.find_unknown(inputs)
        if hole:
            raise wire.InputError(f"input {hole} is unknown at apply time")
        handler.check(reg.name, inputs)
        fp = wire.fingerprint(_normalize(inputs, handler.set_like), self.state.key)
        old = self.old.get(reg.urn)
        if old is None:
            return self._create(reg, handler, inputs, fp, action="create")
        changed = {k for k in set(fp) | set(old["inputs_fp"]) if fp.get(k) != old["inputs_fp"].get(k)} - set(reg.ignore_changes)
        if old["type"] != reg.type or old.get("status") == "tainted" or reg.name in self.replace:
            return self._replace(reg, handler, inputs, fp, old, changed or {"<type, taint or --replace>"})
        if handler.always_refresh:
            return self._refresh(reg, handler, inputs, fp, old, changed)
        if not changed:
            self._remember(
                reg,
                fp,
                old["inputs_live"],
                inputs,
                Applied(old["id"], old["outputs"], old.get("docker")),
                action="same",
                seq=old["seq"],
            )
            return old["id"], old["outputs"]
        forced = (changed - handler.in_place - handler.state_only) | (changed & set(reg.replace_on_changes))
        if forced:
            return self._replace(reg, handler, inputs, fp, old, forced)
        live = self._live_inputs(handler, reg, inputs, old)
        self.journal("update-start", name=reg.name, changed=sorted(changed))
        applied = handler.update(self.ctx, reg.name, wire.reveal(live), old, changed)
        applied.outputs = _secret_like(applied.outputs, live)
        self._remember(reg, fp, live, inputs, applied, action="update", seq=old["seq"], changed=sorted(changed))
        return applied.id, applied.outputs

    def _refresh(self, reg, handler, inputs, fp, old, changed):
        live = self._live_inputs(handler, reg, inputs, old)
        applied = handler.create(self.ctx, reg.name, wire.reveal(live))
        applied.outputs = _secret_like(applied.outputs, live)
        same = not changed and applied.docker == old.get("docker")
        self._remember(
            reg,
            fp,
            live,
            inputs,
            applied,
            action="same" if same else "update",
            seq=old["seq"],
            changed=sorted(changed) or ["<build result>"],
        )
        return applied.id, applied.outputs

    def _replace(self, reg, handler, inputs, fp, old, reasons):
        if old["opts"].get("protect") or reg.protect:
            raise ResourceFailed(f"resource {reg.urn} is protected and would be replaced (changed: {', '.join(sorted(reasons))})")
        dbr = reg.delete_before_replace if reg.delete_before_replace_defined else handler.default_delete_before_replace(inputs)
        self.journal("replace-start", name=reg.name, changed=sorted(reasons), order="delete-first" if dbr else "create-first")
        if dbr:
            self._delete(self.state.resources[reg.urn], reg.urn)
            return self._create(reg, handler, inputs, fp, action="replace")
        condemned_key = f"{reg.urn}#condemned-{old['seq']}"
        with self.state.lock:
            self.state.resources[condemned_key] = {**old, "condemned": True}
        return self._create(reg, handler, inputs, fp, action="replace")

    def _live_inputs(self, handler, reg, inputs, old) -> dict:
        live = copy.deepcopy(inputs)
        if handler.auto_name and "name" not in live:
            live["name"] = (old or {}).get("inputs_live", {}).get("name") or auto_name(reg.name)
        return live

    def _create(self, reg, handler, inputs, fp, action):
        live = self._live_inputs(handler, reg, inputs, None)
        self.journal("create-start", name=reg.name, type=reg.type)
        try:
            applied = handler.create(self.ctx, reg.name, wire.reveal(live))
        except Tainted as err:
            self._remember(reg, fp, live, inputs, Applied("", {}, err.docker), action="failed", status="tainted")
            raise
        applied.outputs = _secret_like(applied.outputs, live)
        self._remember(reg, fp, live, inputs, applied, action=action)
        return applied.id, applied.outputs

    def _remember(
        self, reg, fp, live, inputs, applied: Applied, action: str, seq: int | None = None, status: str = "ok", changed=None
    ) -> None:
        record = {
            "urn": reg.urn,
            "type": reg.type,
            "name": reg.name,
            "custom": reg.custom,
            "parent": reg.parent,
            "deps": reg.deps,
            "opts": reg.opts(),
            "inputs_fp": fp,
            "inputs_live": live,
            "outputs": applied.outputs,
            "id": applied.id,
            "docker": applied.docker,
            "seq": seq or self.state.next_seq(),
            "status": status,
        }
        self.state.put(reg.urn, record)
        fields = {"changed": changed} if changed else {}
        self.journal(action, name=reg.name, type=reg.type, docker=applied.docker, custom=reg.custom, **fields)

    # --- deletes ------------------------------------------------------------------------------
    def _delete(self, record: dict, key: str) -> None:
        if record["opts"].get("retainOnDelete"):
            self.journal("retain", name=record["name"], type=record["type"])
            self.state.pop(key)
            return
        handler = HANDLERS.get(record["type"])
        if handler is not None and record.get("docker") is not None:
            self.journal("delete-start", name=record["name"], type=record["type"])
            handler.delete(self.ctx, {**record, "inputs_live": wire.reveal(record["inputs_live"])})
        self.state.pop(key)
        self.journal("delete", name=record["name"], type=record["type"], docker=record.get("docker"), custom=record["custom"])

    def finish(self) -> None:
        """After a successful program run: delete condemned and no-longer-registered resources."""
        with self.state.lock:
            keys = [k for k, r in self.state.resources.items() if r.get("condemned") or r["urn"] not in self.registered]
        delete_in_reverse_order(self, keys, include_protected=False)


def delete_in_reverse_order(mocks: EngineMocks, keys: list[str], include_protected: bool) -> None:
    """Delete dependents before what they depend on (deps and parents), newest first on ties."""
    state = mocks.state
    pending = set(keys)
    blocked = []
    while pending:
        recs = {k: state.resources[k] for k in pending}
        needed = set()
        for _k, rec in recs.items():
            needed.update(rec["deps"])
            if rec["parent"]:
                needed.add(rec["parent"])
        ready = [k for k, rec in recs.items() if rec["urn"] not in needed] or list(recs)
        key = max(ready, key=lambda k: recs[k]["seq"])
        pending.discard(key)
        rec = recs[key]
        if rec["opts"].get("protect") and not include_protected and not rec.get("condemned"):
            blocked.append(rec["urn"])
            continue
        mocks._delete(rec, key)
    if blocked:
        raise ResourceFailed("protected resource(s) cannot be deleted: " + ", ".join(blocked))


def _normalize(inputs: dict, set_like: frozenset) -> dict:
    """Sort provider-side sets so only real changes show up as diffs."""
    out = {}
    for key, value in inputs.items():
        if key in set_like and isinstance(value, list):
            value = sorted(value, key=lambda v: wire.canonical(wire.reveal(v)))
        out[key] = value
    return out


def _secret_like(outputs: dict, inputs: dict) -> dict:
    """Outputs echoing a secret input stay secret, as the Pulumi engine makes them."""
    out = dict(outputs)
    for key, value in inputs.items():
        if key in out and wire.contains_secret(value) and not wire.is_secret(out[key]):
            out[key] = wire.secret(wire.reveal(out[key]))
    return out
