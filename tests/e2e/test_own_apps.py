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
import secrets
from collections import Counter
from collections.abc import Iterator

import engine_api
import pytest
from pulumi import automation as auto
from stack import BackgroundLoop, RequestLoop, docker_exec, http, wait_until
from user_program import BASE_IMAGES, UserProgram, deployed

pytestmark = pytest.mark.e2e

PROJECT = "own-apps"
STACK = "own-apps-e2e"
HTTP_PORT = 28780
SECRET_KEY = f"sk-{secrets.token_hex(16)}"
URL = f"http://127.0.0.1:{HTTP_PORT}"


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
def own_apps(toolchain, tmp_path_factory) -> Iterator[UserProgram]:
    config = {key: auto.ConfigValue(value=value) for key, value in {"httpPort": str(HTTP_PORT), **BASE_IMAGES}.items()}
    program = UserProgram(
        tmp_path_factory.mktemp("own-apps"),
        program="own_apps",
        app="fastapi-app",
        project=PROJECT,
        stack=STACK,
        config={"secretKey": auto.ConfigValue(value=SECRET_KEY, secret=True), **config},
    )
    with deployed(program):
        yield program


def secret_values(own_apps: UserProgram) -> list[str]:
    """Every secret the stack hands its apps: the key, both URLs and both passwords."""
    return [SECRET_KEY, *own_apps.outputs()["secret_values"]]


def container_of(own_apps: UserProgram, output: str) -> dict:
    name = own_apps.outputs()[output]
    return engine_api.get_json(f"/containers/{name}/json")


def test_the_api_answers_through_the_proxy_as_the_images_own_user(own_apps):
    status, _, body = http("GET", f"{URL}/health/")
    assert status == 200, body
    uid = docker_exec(container_of(own_apps, "api_container")["Id"], "id", "-u").stdout.strip()
    assert uid == "1001"


def test_a_note_is_written_read_back_and_signed_with_the_secret_key_from_the_environment(own_apps):
    import hashlib
    import hmac

    status, _, body = http("POST", f"{URL}/notes", {"body": "written through the proxy"})
    assert status == 201, body
    note = json.loads(body)
    status, _, body = http("GET", f"{URL}/notes/{note['id']}")
    assert status == 200 and json.loads(body)["body"] == "written through the proxy", body
    expected = hmac.new(SECRET_KEY.encode(), f"note:{note['id']}".encode(), hashlib.sha256).hexdigest()
    assert note["signature"] == expected


def test_the_worker_completes_a_task_through_redis_and_the_api_reads_its_note(own_apps):
    status, _, body = http("POST", f"{URL}/tasks/notes", {"body": "written by the worker"})
    assert status == 202, body
    task_id = json.loads(body)["task_id"]

    def done() -> dict | None:
        state = json.loads(http("GET", f"{URL}/tasks/{task_id}")[2])
        return state if state["state"] in ("SUCCESS", "FAILURE") else None

    state = wait_until(done, 90, "the Celery task to finish")
    assert state["state"] == "SUCCESS", state
    status, _, body = http("GET", f"{URL}/notes/{state['note_id']}")
    assert status == 200 and json.loads(body)["source"] == "worker", body


def test_a_second_preview_changes_nothing(own_apps):
    own_apps.run("preview", expect_no_changes=True, diff=True)


def test_no_container_shows_a_secret_value_in_docker_inspect(own_apps):
    values = secret_values(own_apps)
    containers = own_apps.objects()["containers"]
    assert {"notes", "notes-worker", "notes-migrate"} <= {c["Labels"]["dev.standard-stack.service"] for c in containers}
    for container in containers:
        inspected = json.dumps(engine_api.get_json(f"/containers/{container['Id']}/json"))
        leaked = [f"{value[:4]}…" for value in values if value in inspected]
        assert not leaked, f"{container['Names'][0]} shows secret values in docker inspect: {leaked}"


def test_the_state_holds_no_secret_value_in_plain_text(own_apps):
    state = own_apps.exported_state()
    assert '"ciphertext"' in state  # the secrets are there, encrypted
    assert not [value[:4] for value in secret_values(own_apps) if value in state]


def test_a_source_change_deploys_the_api_and_worker_create_first_with_no_failed_request_or_lost_task(own_apps):
    before = own_apps.outputs()
    status, _, body = http("POST", f"{URL}/notes", {"body": "read during the deploy"})
    assert status == 201, body
    note = json.loads(body)["id"]
    (own_apps.app / "app" / "release_note.py").write_text('"""A new release of the notes API."""\n')
    with (
        RequestLoop([f"{URL}/health/", f"{URL}/notes/{note}"], interval=0.05) as loop,
        TaskLoop(URL) as tasks,
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
        states = [json.loads(http("GET", f"{URL}/tasks/{task}")[2])["state"] for task in tasks.task_ids]
        return None if any(state in ("PENDING", "STARTED", "RETRY") for state in states) else Counter(states)

    states = wait_until(finished, 120, "the tasks queued during the deploy")
    print(f"worker replacement: {len(tasks.task_ids)} tasks queued during the deploy, states {dict(states)}")
    assert tasks.failures == [] and len(tasks.task_ids) > 10
    assert states == {"SUCCESS": len(tasks.task_ids)}
    own_apps.run("preview", expect_no_changes=True, diff=True)
