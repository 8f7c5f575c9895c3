"""App with env_wrapper "static": secrets as the environment of an app whose image has no shell (scratch)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pulumi
import pytest
from pydantic import ValidationError

from standard_stack import App, AppArgs, AppJob, HealthCheck, ImageBuild, Runtime, versions
from standard_stack.app import ENV_EXEC, ENV_EXEC_SOURCE, ENV_WRAPPER
from tests.support.one_shot import ONE_SHOT, one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program

RUNTIME = Runtime(project="shop", stack="test")
IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
SECRET_VALUES = {"DATABASE_URL": "postgresql://app:pw-db-5f1c@db:5432/app", "SECRET_KEY": "sk-9a7e2b"}


def static_args(**overrides):
    values = {
        "runtime": RUNTIME,
        "build": ImageBuild(context="tests/apps/go-service"),
        "port": 8080,
        "networks": ["frontend", "backend"],
        "health": HealthCheck(command=["/app", "health"]),
        "entrypoint": [],
        "command": ["/app"],
        "user": "65534:65534",
        "secrets": dict(SECRET_VALUES),
        "secrets_as_env": True,
        "env_wrapper": "static",
        "job": AppJob(command=["/app", "migrate"], name="migrate"),
    }
    return AppArgs(**{**values, **overrides})


def deploy(**overrides):
    mocks = RecordingMocks()
    run = run_program(mocks, {}, stack="test", program=lambda: App("visits", static_args(**overrides)))
    return mocks, run


def test_the_containers_run_an_image_derived_from_the_apps_with_the_pinned_go_wrapper_stage():
    mocks, run = deploy()
    app_image = mocks.named("visits-image", IMAGE).plain("imageName")
    derived = mocks.named("visits-env-exec-image", IMAGE)
    build = derived.plain("build")
    assert Path(build["context"]).resolve() == ENV_EXEC_SOURCE
    assert not Path(build["context"]).is_absolute()  # relative to the program, as an app's own context
    assert Path(build["dockerfile"]).resolve() == ENV_EXEC_SOURCE / "Dockerfile"
    assert build["args"] == {"BASE": app_image, "GO_VERSION": versions.GO}
    assert derived.plain("imageName").startswith("shop-visits-env-exec:test-")
    release = f"visits-release-{app_image.rsplit(':', 1)[1]}"  # the app's build, as the release holds it
    assert run.depends_on("visits-env-exec-image", release, typ=IMAGE, other_typ=REMOTE_IMAGE)
    # the mocks' image id of a build that is not pushed: sha256 of its resource name
    assert mocks.named("visits", CONTAINER).plain("image") == "sha256:" + hashlib.sha256(b"visits-env-exec-image").hexdigest()
    assert run.depends_on("visits", "visits-env-exec-image", other_typ=IMAGE)


def held(mocks):
    """The derived image's holding resources (``<app>-env-exec-release-<tag>``), by resource name."""
    return {r.name: r for r in mocks.of_type(REMOTE_IMAGE) if r.name.startswith("visits-env-exec-release-")}


def test_the_derived_image_is_held_like_a_release_so_its_tag_is_removed_when_it_is_no_longer_declared():
    mocks, _ = deploy()
    derived = mocks.named("visits-env-exec-image", IMAGE).plain("imageName")
    (hold,) = held(mocks).values()
    assert hold.name == f"visits-env-exec-release-{derived.rsplit(':', 1)[1]}"
    assert (hold.plain("name"), hold.plain("keepLocally"), hold.plain("forceRemove")) == (derived, False, False)


def test_the_containers_depend_on_the_held_derived_image_so_they_go_before_its_tag():
    mocks, run = deploy()
    (hold,) = held(mocks)
    for container, typ in (("visits", CONTAINER), ("visits-migrate", CONTAINER), ("visits-secrets-files-loader", ONE_SHOT)):
        assert run.depends_on(container, hold, typ=typ, other_typ=REMOTE_IMAGE), container


def test_a_new_app_release_is_held_under_a_new_name_so_the_previous_derived_image_goes():
    first, _ = deploy()
    second, _ = deploy(build=ImageBuild(context="tests/apps/go-service", args={"RELEASE_NOTE": "2"}))
    assert set(held(first)).isdisjoint(held(second))
    assert len(held(second)) == 1


def test_the_derived_image_is_what_the_app_its_job_and_its_file_loader_run():
    mocks, _ = deploy()
    images = {mocks.named(name, CONTAINER).plain("image") for name in ("visits", "visits-migrate")}
    images.add(one_shot(mocks, "visits-secrets-files-loader").image)
    assert len(images) == 1
    assert mocks.named("visits-image", IMAGE).plain("imageName") not in images


def test_the_app_and_its_job_start_through_the_static_wrapper_naming_only_the_secret_files():
    mocks, _ = deploy()
    pairs = ["DATABASE_URL=/run/secrets/DATABASE_URL", "SECRET_KEY=/run/secrets/SECRET_KEY"]
    app, job = mocks.named("visits", CONTAINER), mocks.named("visits-migrate", CONTAINER)
    assert app.plain("entrypoints") == [ENV_EXEC, *pairs, "--"]
    assert app.plain("command") == ["/app"]
    assert job.plain("entrypoints") == [ENV_EXEC, *pairs, "--"]
    assert job.plain("command") == ["/app", "migrate"]
    for box in (app, job):
        inputs = json.dumps(box.inputs, default=str)
        assert not any(value in inputs for value in SECRET_VALUES.values())
        assert "envs" not in box.inputs


def test_the_file_loader_runs_the_wrapper_check_as_a_scratch_image_has_no_true_and_no_shell_script_is_delivered():
    mocks, _ = deploy()
    loader = one_shot(mocks, "visits-secrets-files-loader")
    assert loader.entrypoint == [ENV_EXEC, "--check"]
    files = set(loader.files)
    assert files == {"/run/secrets/DATABASE_URL", "/run/secrets/SECRET_KEY"}
    assert f"/run/secrets/{ENV_WRAPPER}" not in files


def test_the_entrypoint_the_app_gives_runs_after_the_wrapper():
    mocks, _ = deploy(entrypoint=["/app"], command=["serve"])
    assert mocks.named("visits", CONTAINER).plain("entrypoints")[-2:] == ["--", "/app"]


def test_a_pulled_image_reference_is_the_derived_builds_base():
    mocks, run = deploy(build=None, image="ghcr.io/example/visits:2.0.1")
    assert mocks.named("visits-env-exec-image", IMAGE).plain("build")["args"]["BASE"] == "ghcr.io/example/visits:2.0.1"
    assert run.depends_on("visits-env-exec-image", "visits-image", typ=IMAGE, other_typ=REMOTE_IMAGE)


def test_the_default_sh_wrapper_derives_no_image():
    mocks, _ = deploy(env_wrapper="sh", entrypoint=["/entrypoint.sh"])
    assert [r.name for r in mocks.of_type(IMAGE)] == ["visits-image"]


def test_an_unknown_env_wrapper_is_refused_naming_the_setting_and_the_choices():
    with pytest.raises(ValidationError, match=r"env_wrapper\n  Input should be 'sh' or 'static'"):
        static_args(env_wrapper="bash")


def test_the_static_wrapper_without_secrets_as_env_is_refused():
    with pytest.raises(ValidationError, match="env_wrapper 'static' needs secrets_as_env"):
        static_args(secrets_as_env=False)


def test_the_static_wrapper_needs_an_image_reference_known_before_the_deploy():
    def body():
        static_args(build=None, image=pulumi.Output.from_input("ghcr.io/example/visits:2.0.1"))

    with pytest.raises(ValidationError, match="env_wrapper 'static' needs image as a reference string"):
        run_program(RecordingMocks(), {}, stack="test", program=body)


def test_the_wrappers_go_tests_pass():
    """env-exec's own tests (main_test.go): values verbatim, exec in place, a missing file named, no value printed."""
    go = shutil.which("go")
    assert go is not None, "go is not on PATH: the env-exec wrapper's tests need the Go toolchain"
    proc = subprocess.run(
        [go, "test", "-count=1", "-mod=readonly", "./..."],
        cwd=ENV_EXEC_SOURCE, capture_output=True, text=True, timeout=300, env={**os.environ, "GOTOOLCHAIN": "local"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_on_swarm_the_service_runs_the_pushed_derived_image_through_the_wrapper():
    swarm = Runtime(project="shop", stack="test", target="swarm")
    mocks, _ = deploy(runtime=swarm, network_ids=["fid", "bid"], user="65534:0", registry="registry.example.com/team", job=None)
    derived = mocks.named("visits-env-exec-image", IMAGE)
    assert derived.plain("imageName").startswith("registry.example.com/team/shop-visits-env-exec:test-")
    assert derived.plain("skipPush") is False
    spec = mocks.named("visits", "docker:index/service:Service").plain("taskSpec")["containerSpec"]
    assert spec["image"].startswith("registry.example.com/team/shop-visits-env-exec@sha256:")
    assert spec["commands"] == [ENV_EXEC, "DATABASE_URL=/run/secrets/DATABASE_URL", "SECRET_KEY=/run/secrets/SECRET_KEY", "--"]
    assert sorted(s["fileName"] for s in spec["secrets"]) == sorted(SECRET_VALUES)
