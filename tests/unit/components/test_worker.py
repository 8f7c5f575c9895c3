"""Worker: the App description without a port, stopped gracefully, replaced create-first."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from standard_stack import HealthCheck, Runtime, Worker, WorkerArgs
from tests.support.program import CONTAINER, RecordingMocks, run_program

RUNTIME = Runtime(project="shop", stack="test")
PULLED, BUILT = "docker:index/remoteImage:RemoteImage", "docker:index/image:Image"
CELERY = ["celery", "-A", "app.tasks", "worker", "--loglevel=info"]


def worker_args(**overrides):
    values = {"runtime": RUNTIME, "image": "ghcr.io/example/notes:1.4.2", "networks": ["backend"], "command": CELERY}
    return WorkerArgs(**{**values, **overrides})


def deploy(**overrides):
    mocks = RecordingMocks()
    captured = {}

    def body():
        captured["worker"] = Worker("worker", worker_args(**overrides))

    run = run_program(mocks, {}, stack="test", program=body)
    return mocks, run, captured["worker"]


def test_a_worker_is_stopped_with_sigterm_and_a_minute_for_a_warm_shutdown():
    mocks, _, _ = deploy()
    box = mocks.named("worker", CONTAINER)
    assert (box.plain("stopSignal"), box.plain("stopTimeout"), box.plain("destroyGraceSeconds")) == ("SIGTERM", 60, 60)


def test_a_worker_is_replaced_create_first():
    _, run, _ = deploy()
    options = run.options("worker")
    assert options.delete_before_replace is False and options.delete_before_replace_defined


def test_a_worker_runs_its_command_from_the_apps_image_and_has_no_url_or_upstream():
    mocks, _, worker = deploy()
    assert mocks.named("worker", CONTAINER).plain("command") == CELERY
    assert worker.url is None and worker.upstream is None


def test_a_worker_can_be_health_checked_by_a_command():
    mocks, _, _ = deploy(health=HealthCheck(command=["celery", "-A", "app.tasks", "inspect", "ping"]))
    assert mocks.named("worker", CONTAINER).plain("healthcheck")["tests"][:3] == ["CMD", "celery", "-A"]


def test_a_worker_with_a_port_is_refused():
    with pytest.raises(ValidationError, match=r"port \(8000\) must be None for a worker"):
        worker_args(port=8000)


def test_a_worker_carries_the_worker_component_label():
    mocks, _, _ = deploy()
    labels = {label["label"]: label["value"] for label in mocks.named("worker", CONTAINER).plain("labels")}
    assert labels["dev.standard-stack.component"] == "worker"


def test_a_worker_runs_the_apis_release_when_given_its_image_name():
    from standard_stack import App, AppArgs, ImageBuild

    mocks = RecordingMocks()

    def body():
        api = App("notes", AppArgs(runtime=RUNTIME, build=ImageBuild(context="images/api"), port=8000, networks=["frontend"]))
        Worker("worker", worker_args(image=api.image_name))

    run = run_program(mocks, {}, stack="test", program=body)
    built = mocks.named("notes-image", "docker:index/image:Image").plain("imageName")
    # pulled only once built: the tag exists on the host then, and no registry is asked for it
    assert run.depends_on("worker-image", "notes-image", typ=PULLED, other_typ=BUILT)
    assert mocks.named("worker-image", PULLED).plain("name") == built
    assert mocks.of_type(BUILT) == [mocks.named("notes-image", BUILT)]
