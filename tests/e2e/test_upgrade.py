"""Upgrading a stack deployed before StandardStack: the components move under it and nothing is replaced.

The dev stack is deployed from the last commit whose program registered the components at the stack's
root (``BEFORE``), under its own stack name (`upgr`) and ports (450xx), then switched to this tree's
program on the same state. The aliases to the root stack keep every URN: the preview creates and deletes
nothing but StandardStack itself, leaves the data services and volumes alone, and the stack's outputs keep
their names and values.
"""

from __future__ import annotations

import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from deploy import REPO, DeployFailed, Deployment, claim_stack

pytestmark = pytest.mark.e2e

BEFORE = "d8e8796c67a60d506e53cbf586c955734c14a0b6"  # main before `standard_stack` and StandardStack (components at the root)
STACK = "upgr"
OVERRIDES = {
    "publicUrl": "http://localhost:45080",
    "proxy": {"httpPort": 45080, "httpsPort": 45443},
    "postgres": {"hostPort": 45432},
    "redis": {"hostPort": 45479},
}
CHANGES = {"create", "delete", "replace", "create-replacement", "delete-replaced"}


def tree_of(commit: str, dst: Path) -> Path:
    """The files of ``commit`` (from this repository's history), without a checkout."""
    archive = dst.with_suffix(".tar")
    subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dst, filter="data")
    return dst


@pytest.fixture(scope="module")
def upgraded(toolchain, tmp_path_factory):
    """(outputs before, preview of the upgrade, outputs after `pulumi up` with this tree's program, or its failure)."""
    claim_stack(STACK)
    tmp = tmp_path_factory.mktemp("upgrade")
    run = Deployment("dev", tmp, overrides=OVERRIDES, name=STACK, source=tree_of(BEFORE, tmp / "before"))
    try:
        before = run.up().outputs
        run.upgrade_to(REPO)
        preview = run.preview(diff=True)
        print(f"\nupgrade preview: {dict(Counter(op for _, _, op in preview.steps))}")
        try:
            after: dict | DeployFailed = run.up().outputs
        except DeployFailed as error:  # reported by the outputs test; the preview test still judges the plan
            after = error
        yield before, preview, after
    finally:
        run.teardown()


def test_the_upgrade_creates_only_the_new_component_and_deletes_nothing(upgraded):
    """Every old URN is matched by an alias: a lost one would show as a create of the new URN and a delete
    of the old. (A replacement of an existing URN is a matched resource whose inputs changed since
    ``BEFORE``, e.g. the proxy's site after a rendering change: its loader and reload job are replaced.)"""
    _, preview, _ = upgraded
    created_or_deleted = [(name, typ, op) for name, typ, op in preview.steps if op in ("create", "delete")]
    assert created_or_deleted == [("stack", "standard-stack:index:StandardStack", "create")], preview.stdout[-4000:]


def test_the_upgrade_touches_no_data_service_and_no_volume(upgraded):
    _, preview, _ = upgraded
    touched = [
        (name, typ, op)
        for name, typ, op in preview.steps
        if op in CHANGES and (typ == "docker:index/volume:Volume" or name in ("postgres", "redis"))
    ]
    assert touched == [], preview.stdout[-4000:]


def test_the_stack_outputs_keep_their_names_and_values(upgraded):
    before, _, after = upgraded
    assert isinstance(after, dict), after
    # image tags are content digests: an image whose sources changed since BEFORE (the proxy's baked
    # site did) has a new tag; names and every other value stay
    assert {k: v for k, v in after.items() if k != "images"} == {k: v for k, v in before.items() if k != "images"}
    assert after["images"].keys() == before["images"].keys()
