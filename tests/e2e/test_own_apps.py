"""An app this repository has never seen, deployed unchanged with App and Worker through the real CLI.

tests/e2e/own_apps is a program of its own (project ``own-apps``): PostgreSQL, Redis, the notes API of
tests/apps/fastapi-app as an ``App`` (DATABASE_URL, REDIS_URL, SECRET_KEY as secrets set in its
environment by the exec wrapper, ``alembic upgrade head`` as its one-shot job), its Celery worker as a
``Worker`` from the same image, and a ReverseProxy. The program and the app are copied into a private
directory (the source change edits the copy); the layout (tests/e2e/own_apps, tests/apps, images, .venv)
is the repository's, so the program's relative paths hold.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import engine_api
import pytest
from deploy import REPO, TOOLS, DeployFailed, Outcome, private_state_dir, summary, tool_env
from pulumi import automation as auto
from stack import BackgroundLoop, RequestLoop, docker_exec, http, wait_until

pytestmark = pytest.mark.e2e

PROJECT = "own-apps"
STACK = "own-apps-e2e"
HTTP_PORT = 28780
SECRET_KEY = f"sk-{secrets.token_hex(16)}"
# the versions the engine's local base images have (as tests/e2e/overrides.yaml selects for the standard stacks)
BASE_IMAGES = {"postgresImage": "postgres:15", "redisImage": "redis:7.0", "nginxVersion": "1.30"}
LABELS = {"label": [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={STACK}"]}


def stack_objects() -> dict[str, list[dict]]:
    """This test's Docker objects, by the labels every component sets (project own-apps is only this test's)."""
    return {
        "containers": engine_api.get_json("/containers/json", {"all": 1, "filters": LABELS}),
        "volumes": engine_api.get_json("/volumes", {"filters": LABELS}).get("Volumes") or [],
        "networks": engine_api.get_json("/networks", {"filters": LABELS}),
    }


def remove_stack_objects() -> None:
    objects = stack_objects()
    for container in objects["containers"]:
        engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
    for volume in objects["volumes"]:
        engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
    for network in objects["networks"]:
        engine_api.delete(f"/networks/{network['Id']}")


class OwnApps:
    """The program's stack, driven through the Automation API (the real CLI and language host)."""

    def __init__(self, tmp: Path) -> None:
        root = tmp / "tree"
        self.program = root / "tests" / "e2e" / "own_apps"
        self.app = root / "tests" / "apps" / "fastapi-app"
        shutil.copytree(REPO / "tests" / "e2e" / "own_apps", self.program, ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
        shutil.copytree(REPO / "tests" / "apps" / "fastapi-app", self.app)
        (root / "images").symlink_to(REPO / "images", target_is_directory=True)
        (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
        self.env = env = tool_env(private_state_dir(tmp / "state"))
        workspace = auto.LocalWorkspace(
            work_dir=str(self.program), env_vars=env, pulumi_command=auto.PulumiCommand(root=str(TOOLS), skip_version_check=True)
        )
        self.stack = auto.Stack.create_or_select(STACK, workspace)
        self.stack.set_config("secretKey", auto.ConfigValue(value=SECRET_KEY, secret=True))
        self.stack.set_config("httpPort", auto.ConfigValue(value=str(HTTP_PORT)))
        for key, value in BASE_IMAGES.items():
            self.stack.set_config(key, auto.ConfigValue(value=value))
        self.url = f"http://127.0.0.1:{HTTP_PORT}"

    def run(self, operation: str, **kwargs: Any) -> Outcome:
        outcome = Outcome()

        def on_event(event: auto.EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre is not None and pre.metadata is not None:
                outcome.steps.append((pre.metadata.urn.rsplit("::", 1)[-1], pre.metadata.type, str(pre.metadata.op.value)))

        started = time.monotonic()
        try:
            result = getattr(self.stack, operation)(on_event=on_event, color="never", **kwargs)
        except auto.CommandError as error:
            raise DeployFailed(f"pulumi {operation} of {STACK} failed:\n{error}") from None
        outcome.stdout = result.stdout
        print(summary(f"pulumi {operation} {STACK} ({time.monotonic() - started:.0f} s)", result.stdout))
        return outcome

    def exported_state(self) -> str:
        """``pulumi stack export`` as an operator runs it (the Automation API's export shows secrets)."""
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), "stack", "export", "--stack", STACK, "--non-interactive"],
            cwd=self.program, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        return proc.stdout

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}

    def secret_values(self) -> list[str]:
        """Every secret the stack hands its apps: the key, both URLs and both passwords."""
        return [SECRET_KEY, *self.outputs()["secret_values"]]


class TaskLoop(BackgroundLoop):
    """Queue a Celery task through the proxy every ``interval`` seconds; keep each task's id."""

    def __init__(self, url: str, interval: float = 0.25) -> None:
        self.url, self.interval = url, interval
        self.task_ids: list[str] = []
        self.failures: list[str] = []
        super().__init__()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status, _, body = http("POST", f"{self.url}/tasks/notes", {"body": f"queued {len(self.task_ids)}"})
                if status == 202:
                    self.task_ids.append(json.loads(body)["task_id"])
                else:
                    self.failures.append(f"{status}: {body[:200]}")
            except Exception as exc:
                self.failures.append(repr(exc))
            self._stop.wait(self.interval)


@pytest.fixture(scope="module")
def own_apps(toolchain, tmp_path_factory) -> Iterator[OwnApps]:
    remove_stack_objects()  # left by an interrupted run of this test: nothing else uses project own-apps
    deployment = OwnApps(tmp_path_factory.mktemp("own-apps"))
    try:
        deployment.run("up")
        yield deployment
    finally:
        try:
            deployment.run("destroy")
        finally:
            remove_stack_objects()
            deployment.stack.workspace.remove_stack(STACK, force=True)


def container_of(own_apps: OwnApps, output: str) -> dict:
    name = own_apps.outputs()[output]
    return engine_api.get_json(f"/containers/{name}/json")


def test_the_api_answers_through_the_proxy_as_the_images_own_user(own_apps):
    status, _, body = http("GET", f"{own_apps.url}/health/")
    assert status == 200, body
    uid = docker_exec(container_of(own_apps, "api_container")["Id"], "id", "-u").stdout.strip()
    assert uid == "1001"


def test_a_note_is_written_read_back_and_signed_with_the_secret_key_from_the_environment(own_apps):
    import hashlib
    import hmac

    status, _, body = http("POST", f"{own_apps.url}/notes", {"body": "written through the proxy"})
    assert status == 201, body
    note = json.loads(body)
    status, _, body = http("GET", f"{own_apps.url}/notes/{note['id']}")
    assert status == 200 and json.loads(body)["body"] == "written through the proxy", body
    expected = hmac.new(SECRET_KEY.encode(), f"note:{note['id']}".encode(), hashlib.sha256).hexdigest()
    assert note["signature"] == expected


def test_the_worker_completes_a_task_through_redis_and_the_api_reads_its_note(own_apps):
    status, _, body = http("POST", f"{own_apps.url}/tasks/notes", {"body": "written by the worker"})
    assert status == 202, body
    task_id = json.loads(body)["task_id"]

    def done() -> dict | None:
        state = json.loads(http("GET", f"{own_apps.url}/tasks/{task_id}")[2])
        return state if state["state"] in ("SUCCESS", "FAILURE") else None

    state = wait_until(done, 90, "the Celery task to finish")
    assert state["state"] == "SUCCESS", state
    status, _, body = http("GET", f"{own_apps.url}/notes/{state['note_id']}")
    assert status == 200 and json.loads(body)["source"] == "worker", body


def test_a_second_preview_changes_nothing(own_apps):
    own_apps.run("preview", expect_no_changes=True, diff=True)


def test_no_container_shows_a_secret_value_in_docker_inspect(own_apps):
    values = own_apps.secret_values()
    containers = stack_objects()["containers"]
    assert {"notes", "notes-worker", "notes-migrate"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_the_state_holds_no_secret_value_in_plain_text(own_apps):
    state = own_apps.exported_state()
    assert '"ciphertext"' in state  # the secrets are there, encrypted
    assert not [value[:4] for value in own_apps.secret_values() if value in state]


def test_a_source_change_deploys_the_api_and_worker_create_first_with_no_failed_request_or_lost_task(own_apps):
    before = own_apps.outputs()
    status, _, body = http("POST", f"{own_apps.url}/notes", {"body": "read during the deploy"})
    assert status == 201, body
    note = json.loads(body)["id"]
    (own_apps.app / "app" / "release_note.py").write_text('"""A new release of the notes API."""\n')
    with (
        RequestLoop([f"{own_apps.url}/health/", f"{own_apps.url}/notes/{note}"], interval=0.05) as loop,
        TaskLoop(own_apps.url) as tasks,
    ):
        outcome = own_apps.run("up")
    after = own_apps.outputs()
    assert after["release"] != before["release"]
    for name in ("notes", "notes-worker"):
        ops = outcome.ops_of(name)
        assert ops.index("create-replacement") < ops.index("delete-replaced"), ops
    print(f"source change: {loop.total} requests through the proxy during the deploy, {len(loop.failures)} failed")
    assert loop.total > 50
    assert loop.failures == []

    # every task queued while the worker was replaced (SIGTERM: a warm shutdown) is completed
    def finished() -> dict[str, int] | None:
        states = [json.loads(http("GET", f"{own_apps.url}/tasks/{task}")[2])["state"] for task in tasks.task_ids]
        return None if any(state in ("PENDING", "STARTED", "RETRY") for state in states) else Counter(states)

    states = wait_until(finished, 120, "the tasks queued during the deploy")
    print(f"worker replacement: {len(tasks.task_ids)} tasks queued during the deploy, states {dict(states)}")
    assert tasks.failures == [] and len(tasks.task_ids) > 10
    assert states == {"SUCCESS": len(tasks.task_ids)}
    own_apps.run("preview", expect_no_changes=True, diff=True)
