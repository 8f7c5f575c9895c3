"""Every resource the stack program registers, per stack, against a committed snapshot.

A refactoring of the components must leave these identical: a changed type, name, parent,
dependency, option or input is a changed deploy (a replacement, a lost volume, a new URN). When a
change is meant, regenerate with ``UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest
tests/unit/test_registered_resources.py`` and review the diff of ``tests/unit/snapshots/``.

Normalised so the snapshot follows the program, not the machine or the app sources: the
checkout's path is ``<repo>``, each built image's content tag is ``<NAME-tag>`` (release tags have
their own tests), a create-first container's name (a random suffix) is ``<NAME-name>``, and
secret values are ``{"secret": <sha256 prefix>}``.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from typing import Any

import pytest
from pulumi.runtime import rpc

from tests.support.program import RecordingMocks, run_stack
from tests.support.stacks import PROD_SECRETS, REPO

SNAPSHOTS = REPO / "tests" / "unit" / "snapshots"
PASSWORDS = {k: v for k, v in PROD_SECRETS.items() if k.endswith("Password")}
VARIANTS: dict[str, dict[str, Any]] = {
    "dev": {"stack": "dev"},
    "prod": {"stack": "prod", "secrets": PROD_SECRETS},
    # the paths the two committed stacks leave out: hot reload and init SQL, ACME and an off-host backup copy
    # (overrides are merged into the stack file key by key at every depth: tests/support/stacks.py)
    "dev-hot-reload": {
        "stack": "dev",
        "overrides": {
            "standard-stack:hotReload": True,
            "standard-stack:postgres": {"initSql": {"10-ext.sql": "CREATE EXTENSION citext;"}},
        },
    },
    "prod-acme": {
        "stack": "prod",
        "secrets": PASSWORDS,
        "overrides": {
            "standard-stack:proxy": {
                "acme": {"enabled": True, "email": "ops@example.com", "directoryUrl": "https://ca.internal/dir"}
            },
            "standard-stack:postgres": {"backup": {"copyTo": "/mnt/offsite"}},
        },
    },
}


def _secret(value: Any) -> dict[str, str]:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]
    return {"secret": digest}


def _normal(value: Any, replace: dict[str, str]) -> Any:
    if rpc.is_rpc_secret(value):
        return _secret(_normal(rpc.unwrap_rpc_secret(value), replace))
    if isinstance(value, dict):
        return {k: _normal(v, replace) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v, replace) for v in value]
    if isinstance(value, str):
        for old, new in replace.items():
            value = value.replace(old, new)
    return value


def snapshot(run: Any) -> str:
    """The registrations, sorted by type and name, as stable JSON text."""
    replace = {str(REPO): "<repo>"}
    for r in run.mocks.registered:
        if r.typ == "docker:index/image:Image":
            replace[r.plain("imageName").rsplit(":", 1)[1]] = f"<{r.name}-tag>"
        o = run.monitor.options[(r.typ, r.name)]
        if r.typ == "docker:index/container:Container" and o.delete_before_replace_defined and not o.delete_before_replace:
            # create-first: ends in a random suffix; nginx's upstream names spell it with "_"
            replace[r.plain("name")] = replace[r.plain("name").replace("-", "_")] = f"<{r.name}-name>"
    out = []
    for r in sorted(run.mocks.registered, key=lambda r: (r.typ, r.name)):
        o = run.monitor.options[(r.typ, r.name)]
        entry = {
            "type": r.typ,
            "name": r.name,
            "parent": o.parent,
            "dependencies": sorted(o.dependencies),
            "protect": o.protect,
            "retain_on_delete": o.retain_on_delete,
            "delete_before_replace": o.delete_before_replace if o.delete_before_replace_defined else None,
            "aliases": sorted(o.aliases),
            "inputs": r.inputs,
        }
        out.append(_normal(entry, replace))
    return json.dumps(out, indent=1, sort_keys=True) + "\n"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_registered_resources_match_the_snapshot(variant):
    spec = VARIANTS[variant]
    run = run_stack(spec["stack"], overrides=spec.get("overrides"), secrets=spec.get("secrets"), mocks=RecordingMocks())
    actual = snapshot(run)
    path = SNAPSHOTS / f"{variant}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual)
    expected = path.read_text() if path.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "registered", n=2))
    assert actual == expected, f"registered resources of {variant} changed (UPDATE_SNAPSHOTS=1 if meant):\n{diff[:6000]}"
