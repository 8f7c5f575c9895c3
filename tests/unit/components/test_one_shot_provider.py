"""OneShotProvider's decisions without an engine: when a run is run again, what a refresh keeps, how an old
loader container is taken over (the runs themselves: tests/e2e/test_one_shot.py)."""

from __future__ import annotations

import pulumi
import pytest

from standard_stack import Runtime
from standard_stack._files import FileBundle
from standard_stack.one_shot import OneShotProvider
from tests.support.program import RecordingMocks, run_program

SPEC = {"Image": "sha256:abc", "Entrypoint": ["true"], "User": "65534:65534", "HostConfig": {"NetworkMode": "none"}}
FILES = {"/run/secrets/postgres_password": "pw"}


def recorded(**changes: object) -> dict:
    return {
        "engine": {"host": "unix:///var/run/docker.sock", "certPath": None},
        "name": "shop-prod-postgres-secrets-files",
        "description": "postgres-secrets: loading files into /run/secrets",
        "consequence": "the service keeps its previous files",
        "spec": SPEC,
        "files": FILES,
        "filesPath": "/run/secrets",
        **changes,
    }


def old_loader(uploads: list[dict]) -> dict:
    """A docker.Container loader's state, as stacks deployed before one-shot runs hold it."""
    return {"name": "shop-prod-postgres-secrets-files", "image": "sha256:abc", "mustRun": False, "uploads": uploads}


def test_the_same_run_is_not_run_again():
    diff = OneShotProvider().diff("id", recorded(), recorded())
    assert diff.changes is False


@pytest.mark.parametrize("key", ["spec", "files"])
def test_a_new_spec_or_new_files_replace_the_run_so_it_runs_again(key):
    changed = {"spec": {**SPEC, "User": "0:0"}, "files": {**FILES, "/run/secrets/postgres_password": "new"}}[key]
    diff = OneShotProvider().diff("id", recorded(), recorded(**{key: changed}))
    assert (diff.changes, diff.replaces, diff.delete_before_replace) == (True, [key], True)


@pytest.mark.parametrize(
    "key, value",
    [("engine", {"host": "ssh://deploy@db1", "certPath": None}), ("name", "shop-prod-other"), ("description", "reworded")],
)
def test_how_the_engine_is_reached_and_how_the_run_is_named_run_nothing_again(key, value):
    diff = OneShotProvider().diff("id", recorded(), recorded(**{key: value}))
    assert diff.changes is False


def test_a_refresh_keeps_the_recorded_run_although_its_container_is_gone():
    result = OneShotProvider().read("c0ffee", recorded())
    assert (result.id, result.outs) == ("c0ffee", recorded())


def test_an_old_loader_that_uploaded_exactly_these_files_is_updated_in_place_keeping_its_id():
    uploads = [{"file": "/run/secrets/postgres_password", "content": "pw", "permissions": "0440"}]
    diff = OneShotProvider().diff("c0ffee", old_loader(uploads), recorded())
    assert (diff.changes, diff.replaces) == (True, [])


@pytest.mark.parametrize(
    "uploads",
    [
        [{"file": "/run/secrets/postgres_password", "content": "old", "permissions": "0440"}],
        [{"file": "/run/secrets/postgres_password", "content": "pw", "permissions": "0644"}],
        [
            {"file": "/run/secrets/postgres_password", "content": "pw", "permissions": "0440"},
            {"file": "/run/secrets/extra", "content": "x", "permissions": "0440"},
        ],
        [],
    ],
    ids=["other content", "other mode", "other files", "no uploads (an old job)"],
)
def test_any_other_old_container_is_replaced_by_a_run(uploads):
    diff = OneShotProvider().diff("c0ffee", old_loader(uploads), recorded())
    assert (diff.changes, diff.replaces) == (True, ["spec"])


def registered_engine(config: dict, runtime: Runtime) -> dict:
    """The engine address a loader registers under ``config`` (the program's stack config)."""
    from tests.support.one_shot import one_shot as registered

    def program() -> None:
        FileBundle("cfg", runtime=runtime, service="cfg", image="sha256:abc", mount_path="/etc/cfg", files={"a": "1"},
                   parent=pulumi.ComponentResource("test:index:Holder", "holder"))  # fmt: skip

    mocks = RecordingMocks()
    run_program(mocks, config, stack="test", program=program)
    return dict(registered(mocks, "cfg-files-loader").prop("engine"))


def test_runs_go_to_the_docker_providers_host_and_ssh_options(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
    config = {"docker:host": "ssh://deploy@db1", "docker:sshOpts": '["-i", "/keys/deploy"]'}
    engine = registered_engine(config, Runtime(project="shop", stack="test"))
    assert (engine["host"], engine.get("certPath"), engine["sshOpts"]) == ("ssh://deploy@db1", None, ["-i", "/keys/deploy"])


def test_without_docker_host_runs_go_to_DOCKER_HOST(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.5:2376")
    assert registered_engine({}, Runtime(project="shop", stack="test"))["host"] == "tcp://10.0.0.5:2376"


def test_a_runtimes_docker_host_wins_for_a_program_with_its_own_docker_provider(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///elsewhere.sock")
    runtime = Runtime(project="shop", stack="test", docker_host="ssh://ops@box")
    assert registered_engine({"docker:host": "unix:///var/run/docker.sock"}, runtime)["host"] == "ssh://ops@box"
