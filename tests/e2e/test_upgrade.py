"""Upgrading a deployed stack to this tree: no resource is lost or deleted, data services and volumes untouched.

The dev stack is deployed from an earlier commit under its own stack name and ports, then switched to
this tree's program on the same state:

- ``BEFORE``, the last commit whose program registered the components at the stack's root (`upgr`,
  ports 295xx): the aliases to the root stack keep every URN, and StandardStack itself is the one new
  component;
- ``MAIN_BEFORE_APP``, main before PythonApi and NextApp became presets of the generic App
  (`upgr-main`, ports 291xx): the presets keep every resource's name, type and parent;
- ``MAIN_BEFORE_ONE_SHOT``, main while file loaders, rotations and the reload were exited containers
  (`upgr-oneshot`, ports 293xx): each becomes a one-shot run of the same name; a loader keeps its id (the
  revision its service follows) and its container goes, a job is run once more, and afterwards the
  migration's is the only exited container of the stack.

Either way the preview deletes nothing, creates nothing but the new release image of an app whose
sources changed since, leaves the data services and volumes alone, replaces the proxy only when its own
image is new (images/proxy changed since: then the image is the only input the provider names as the
cause), and the stack's outputs keep their names and values.
"""

from __future__ import annotations

import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from deploy import CONTAINER, REPO, DeployFailed, Deployment, claim_stack, labelled

pytestmark = pytest.mark.e2e

BEFORE = "d8e8796c67a60d506e53cbf586c955734c14a0b6"  # main before `standard_stack` and StandardStack (components at the root)
MAIN_BEFORE_APP = "fdc875d289cbd0f9c871271fd453d0fb0aa4897e"  # main before the generic App (and issue 21's hardening)
MAIN_BEFORE_ONE_SHOT = "edbfbfe8c77a87a9b1e7a9b373afa01fe3949794"  # main with exited helper containers


def overrides(base_port: int) -> dict:
    return {
        "publicUrl": f"http://localhost:{base_port + 80}",
        "proxy": {"httpPort": base_port + 80, "httpsPort": base_port + 443},
        "postgres": {"hostPort": base_port + 432},
        "redis": {"hostPort": base_port + 479},
    }


# (commit, stack name, ports from, whether StandardStack is new)
UPGRADES = {
    # every port below the ephemeral range (32768-), where the CLI's and plugins' own listeners never land
    "from-root-components": (BEFORE, "upgr", 29500, True),
    "from-main-before-app": (MAIN_BEFORE_APP, "upgr-main", 29100, False),
    "from-main-before-one-shot": (MAIN_BEFORE_ONE_SHOT, "upgr-oneshot", 29300, False),
}
ONE_SHOT = "pulumi-python:dynamic/standard-stack:OneShot"
LOADER_SUFFIX = "-files-loader"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
CHANGES = {"create", "delete", "replace", "create-replacement", "delete-replaced"}


def tree_of(commit: str, dst: Path) -> Path:
    """The files of ``commit`` (from this repository's history), without a checkout."""
    archive = dst.with_suffix(".tar")
    subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), commit], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dst, filter="data")
    return dst


@pytest.fixture(scope="module", params=list(UPGRADES))
def upgraded(request, toolchain, tmp_path_factory):
    """(outputs before, preview of the upgrade, outputs after `pulumi up` with this tree's program, or its failure,
    whether StandardStack is new, the stack's containers after the upgrade: name -> state, the commit)."""
    commit, stack, ports, new_component = UPGRADES[request.param]
    claim_stack(stack)
    tmp = tmp_path_factory.mktemp("upgrade")
    run = Deployment("dev", tmp, overrides=overrides(ports), name=stack, source=tree_of(commit, tmp / "before"))
    try:
        before = run.up().outputs
        run.upgrade_to(REPO)
        preview = run.preview(diff=True)
        print(f"\nupgrade preview: {dict(Counter(op for _, _, op in preview.steps))}")
        print(f"replaced: {sorted(name for name, _, op in preview.steps if op == 'replace')}")
        try:
            after: dict | DeployFailed = run.up().outputs
        except DeployFailed as error:  # reported by the outputs test; the preview test still judges the plan
            after = error
        containers = {c["Names"][0].lstrip("/"): c["State"] for c in labelled(stack, "containers")}
        yield before, preview, after, new_component, containers, commit
    finally:
        run.teardown()


def apps_with_new_release(before: dict, after: dict) -> set[str]:
    """Apps whose image sources changed since ``BEFORE``: release tags are content digests, so theirs is new."""
    return {app for app, tags in after["releases"].items() if tags[0] != before["releases"][app][0]}


def test_the_upgrade_creates_only_the_new_component_and_new_releases_and_deletes_nothing(upgraded):
    """Every old URN is matched by an alias: a lost one would show as a create of the new URN and a delete
    of the old. Besides StandardStack, only the release image of an app whose sources changed since
    ``BEFORE`` is new (the old release stays on the host for rollback), and the provider of one-shot runs.
    (A replacement of an existing URN is a matched resource whose inputs changed, e.g. that app's container,
    or the proxy's site after a rendering change: its loader and reload job are replaced.)"""
    before, preview, after, new_component, _, commit = upgraded
    assert isinstance(after, dict), after
    deleted = [(name, typ, op) for name, typ, op in preview.steps if op == "delete"]
    assert deleted == [], preview.stdout[-4000:]
    created = sorted((name, typ) for name, typ, op in preview.steps if op == "create")
    releases = [(f"{app}-release-{after['releases'][app][0]}", REMOTE_IMAGE) for app in apps_with_new_release(before, after)]
    component = [("stack", "standard-stack:index:StandardStack")] if new_component else []
    # the loader of nginx's start site (the proxy starts beside the apps, issue 20) is newer than the first two
    start_site = [] if commit == MAIN_BEFORE_ONE_SHOT else [("proxy-site-start-files-loader", ONE_SHOT)]
    # one-shot runs (loaders, rotations, the reload) are served by the dynamic provider of the program's language
    dynamic_provider = [("default", "pulumi:providers:pulumi-python")]
    assert created == sorted([*component, *releases, *start_site, *dynamic_provider]), preview.stdout[-4000:]


def test_the_proxy_is_replaced_only_for_a_new_image_of_its_own(upgraded):
    """The proxy container stays unless its own image changed: its tag is a content digest of images/proxy
    (the Dockerfile, nginx.conf, the baked site ...), so a new tag means new proxy content, and then the
    image must be the only input that forces the replacement (no name, label, network or setting the
    presets or the upgrade itself changed)."""
    before, preview, after, _, _, _ = upgraded
    assert isinstance(after, dict), after
    replaced = [op for op in preview.ops_of("proxy") if op in CHANGES]
    keys = preview.replace_keys.get(("proxy", CONTAINER))
    print(f"proxy image {before['images']['proxy']} -> {after['images']['proxy']}; proxy steps {replaced}, replace keys {keys}")
    if after["images"]["proxy"] == before["images"]["proxy"]:
        assert replaced == [], preview.stdout[-4000:]
    else:
        assert keys == ["image"], preview.stdout[-4000:]


def test_the_upgrade_touches_no_data_service_and_no_volume(upgraded):
    _, preview, _, _, _, _ = upgraded
    touched = [
        (name, typ, op)
        for name, typ, op in preview.steps
        if op in CHANGES and (typ == "docker:index/volume:Volume" or name in ("postgres", "redis"))
    ]
    assert touched == [], preview.stdout[-4000:]


def test_the_stack_outputs_keep_their_names_and_values(upgraded):
    """Names and values stay; an app with a new release (its sources changed since ``BEFORE``) lists it first,
    the old one still kept, and names its new container. Image tags are content digests, so an image whose
    sources changed (the proxy's baked site did) has a new tag."""
    before, _, after, _, _, _ = upgraded
    assert isinstance(after, dict), after
    changed = apps_with_new_release(before, after)
    per_app = ("images", "containers", "releases")
    assert {k: v for k, v in after.items() if k not in per_app} == {k: v for k, v in before.items() if k not in per_app}
    assert after["images"].keys() == before["images"].keys()
    assert after["containers"].keys() == before["containers"].keys()
    for app, tags in after["releases"].items():
        kept = tags[1:] if app in changed else tags
        assert kept == before["releases"][app], (app, tags)
    unchanged = {app: name for app, name in after["containers"].items() if app not in changed}
    assert unchanged == {app: name for app, name in before["containers"].items() if app not in changed}


def test_every_loader_becomes_a_one_shot_run_of_the_same_name_and_keeps_its_id_where_its_files_are_the_same(upgraded):
    """The alias holds every loader (updated or replaced, never created anew beside a deleted container). From
    main just before one-shot runs, whose files this tree does not change, every loader is updated in place:
    same id, so no service that follows it is replaced."""
    _, preview, after, _, _, commit = upgraded
    assert isinstance(after, dict), after
    loaders = {name: op for name, typ, op in preview.steps if typ == ONE_SHOT and name.endswith(LOADER_SUFFIX)}
    print(f"loaders: {loaders}")
    assert loaders and set(loaders.values()) <= {"update", "replace", "create-replacement", "delete-replaced"} | (
        {"create"} if commit != MAIN_BEFORE_ONE_SHOT else set()
    ), preview.stdout[-4000:]
    if commit == MAIN_BEFORE_ONE_SHOT:
        assert set(loaders.values()) == {"update"}, preview.stdout[-4000:]


def test_after_the_upgrade_the_migrations_is_the_only_exited_container(upgraded):
    _, _, after, _, containers, _ = upgraded
    assert isinstance(after, dict), after
    exited = sorted(name for name, state in containers.items() if state != "running")
    assert len(exited) == 1 and exited[0].endswith("-api-migrate"), sorted(containers.items())
