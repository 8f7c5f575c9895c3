"""The whole stack on the lab's three-node Swarm with ``target: swarm``, deployed by the real ``pulumi up``
(CLI 3.260.0, pulumi-docker 5.1.0 from .tools/bin): every service converged on its nodes, the app
answering through the proxy's host-mode port, a clean second preview, and a rolling update of the API
under a request loop. Run alone: `.venv/bin/python -m pytest -m swarm tests/swarm/test_stack.py`.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_timings import TIMINGS
from stack_lab import DOCKER, HTTP_PORT, PLACEMENT, PROJECT, SOCKET, WEB_SECRET_VALUE, StackOnLab, prepare_lab

pytestmark = pytest.mark.swarm

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = {"api": 2, "web": 2, "postgres": 1, "redis": 1, "proxy": 1}  # stack_lab.stack_config


def manager(*args: str) -> str:
    """The docker CLI against the manager's engine, from the host."""
    proc = subprocess.run([DOCKER, *args], env={"DOCKER_HOST": SOCKET}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def running(stack: str, service: str) -> list[str]:
    """The nodes of the service's tasks that are Running (Swarm reports Running only once healthy)."""
    out = manager(
        "service",
        "ps",
        f"{PROJECT}-{stack}-{service}",
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}}|{{.CurrentState}}",
    )
    return sorted(node for node, state in (line.split("|") for line in out.splitlines()) if state.startswith("Running"))


def node_address(node: str) -> str:
    out = subprocess.run(
        [DOCKER, "inspect", "-f", '{{(index .NetworkSettings.Networks "swarm-lab-net").IPAddress}}', node],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def in_task(stack: str, service: str, *args: str) -> str:
    """A command in the service's (first) task container, as the task's user, through the engine of the node it runs on."""
    node = running(stack, service)[0]
    label = f"label=com.docker.swarm.service.name={PROJECT}-{stack}-{service}"
    container = subprocess.run(
        [DOCKER, "exec", node, "docker", "ps", "-q", "--filter", label], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    proc = subprocess.run([DOCKER, "exec", node, "docker", "exec", container, *args], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def psql(stack: str, sql: str) -> str:
    """SQL as the owner role over the task's own socket (trust in the official pg_hba.conf)."""
    return in_task(
        stack, "postgres", "psql", "-X", "-q", "-t", "-A", "-h", "/var/run/postgresql", "-U", "app", "-d", "app", "-c", sql
    )


class RequestLoop:
    """GETs ``urls`` in turn from a thread (~20/s) until stopped; ``statuses`` holds each answer (0: no answer)."""

    def __init__(self, *urls: str) -> None:
        self.urls, self.statuses, self._stop = urls, [], threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            for url in self.urls:
                try:
                    self.statuses.append(get(url)[0])
                except OSError:
                    self.statuses.append(0)
            time.sleep(0.05)

    def __enter__(self) -> RequestLoop:
        self._thread.start()
        time.sleep(2)
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(2)
        self._stop.set()
        self._thread.join()

    @property
    def failed(self) -> list[int]:
        return [status for status in self.statuses if status != 200]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackOnLab]:
    assert (ROOT / ".tools/bin/pulumi").exists(), "needs the built CLI and providers in .tools/bin (scripts/build-tools)"
    lab = str(ROOT / "scripts/swarm-lab")
    subprocess.run([lab, "up"], check=True, timeout=900)
    name = f"sw{uuid.uuid4().hex[:6]}"
    deployment = None
    try:
        prepare_lab(name)
        deployment = StackOnLab(name, tmp_path_factory.mktemp("swarm-stack"))
        start = time.monotonic()
        deployment.up()
        TIMINGS["pulumi up: the whole stack on swarm"] = time.monotonic() - start
        yield deployment
    finally:
        if deployment is not None:
            deployment.teardown()
        subprocess.run([lab, "down"], check=False, capture_output=True, timeout=900)


@pytest.fixture(scope="module")
def proxy_url(stack: StackOnLab) -> str:
    return f"http://{node_address(PLACEMENT['proxy'])}:{HTTP_PORT}"


@pytest.mark.parametrize("service", sorted(REPLICAS))
def test_every_service_runs_its_replicas_healthy(stack: StackOnLab, service: str) -> None:
    assert len(running(stack.stack_name, service)) == REPLICAS[service]


@pytest.mark.parametrize("service", sorted(PLACEMENT))
def test_data_services_and_the_proxy_run_on_their_labelled_node(stack: StackOnLab, service: str) -> None:
    assert running(stack.stack_name, service) == [PLACEMENT[service]]


def test_the_web_app_answers_through_the_proxys_host_mode_port(proxy_url: str) -> None:
    status, body = get(f"{proxy_url}/")
    assert status == 200 and "<html" in body


def test_the_api_reaches_postgres_and_redis_with_their_secrets_through_the_proxy(proxy_url: str) -> None:
    status, body = get(f"{proxy_url}/api/health/ready")
    ready = json.loads(body)
    assert status == 200 and ready["database"]["ok"] and ready["redis"]["ok"], body


def test_the_web_app_reads_its_own_secret_as_its_user_outside_group_0(stack: StackOnLab) -> None:
    """NextApp runs as 1001:1001; its secret is a root-owned 0440 Docker secret it reads through group 0 (``groups``)."""
    assert in_task(stack.stack_name, "web", "id", "-G").split() == ["1001", "0"]
    assert in_task(stack.stack_name, "web", "cat", "/run/secrets/SESSION_KEY") == WEB_SECRET_VALUE


def test_a_preview_after_up_proposes_no_changes(stack: StackOnLab) -> None:
    stack.expect_no_changes()  # `pulumi preview --expect-no-changes` exits non-zero otherwise


def test_a_rolling_update_of_the_api_fails_no_request_of_a_loop_through_the_proxy(stack: StackOnLab, proxy_url: str) -> None:
    """API_WORKERS changes (api.workers 1 -> 2): Swarm replaces the API's 2 tasks start-first, one at a time."""
    with RequestLoop(f"{proxy_url}/api/health/ready") as loop:
        stack.configure(api={"pythonVersion": "3.11", "workers": 2, "replicas": 2, "resources": {"memory": "512Mi", "cpus": "1"}})
        start = time.monotonic()
        outcome = stack.up()
        TIMINGS["pulumi up: rolling update of 2 API tasks"] = time.monotonic() - start
    results, failed = loop.statuses, loop.failed
    TIMINGS["requests during the API update (count)"] = len(results)
    TIMINGS["failed requests during the API update (count)"] = len(failed)
    print(f"rolling update of the API: {len(failed)} failed of {len(results)} requests")
    assert outcome.ops_of("api", "docker:index/service:Service") == ["update"]
    # the migration job of the new spec ran (and succeeded: job_succeeded) before the service moved
    order = [(name, op) for name, typ, op in outcome.steps if op != "same"]
    assert order.index(("api-migrate", "create-replacement")) < order.index(("api", "update")), order
    env = manager(
        "service", "inspect", f"{PROJECT}-{stack.stack_name}-api", "--format", "{{json .Spec.TaskTemplate.ContainerSpec.Env}}"
    )
    assert "API_WORKERS=2" in json.loads(env)
    assert len(running(stack.stack_name, "api")) == 2
    assert len(results) > 50 and not failed, f"{len(failed)} of {len(results)} requests failed: {sorted(set(failed))}"


def test_a_preview_after_the_update_proposes_no_changes(stack: StackOnLab) -> None:
    stack.expect_no_changes()


def test_postgres_keeps_its_data_and_password_across_a_service_update(stack: StackOnLab, proxy_url: str) -> None:
    """A new memory limit is a new task spec: the task is replaced stop-first on the same node and volume."""
    psql(stack.stack_name, "CREATE TABLE kept (note text); INSERT INTO kept VALUES ('before the update')")
    task = in_task(stack.stack_name, "postgres", "hostname")
    stack.configure(postgres={"version": "15", "resources": {"memory": "640Mi", "cpus": "1"}})
    outcome = stack.up()
    assert outcome.ops_of("postgres", "docker:index/service:Service") == ["update"]
    assert in_task(stack.stack_name, "postgres", "hostname") != task
    assert psql(stack.stack_name, "SELECT note FROM kept") == "before the update"
    status, body = get(f"{proxy_url}/api/health/ready")
    assert status == 200 and json.loads(body)["database"]["ok"], body


def test_a_stopped_worker_s_app_tasks_move_and_the_stack_keeps_answering(stack: StackOnLab, proxy_url: str) -> None:
    """worker2 holds app tasks only (stack_lab.PLACEMENT); Swarm starts them on the other nodes."""
    worker = "swarm-lab-worker2"
    assert worker in running(stack.stack_name, "api") + running(stack.stack_name, "web"), "no app task on worker2 to move"
    with RequestLoop(f"{proxy_url}/", f"{proxy_url}/api/health/ready") as loop:
        subprocess.run([DOCKER, "stop", "-t", "5", worker], check=True, capture_output=True)
        start = time.monotonic()
        while not all(
            len(nodes := running(stack.stack_name, app)) == REPLICAS[app] and worker not in nodes for app in ("api", "web")
        ):
            assert time.monotonic() - start < 180, "app tasks still not running elsewhere after 180 s"
            time.sleep(1)
        TIMINGS["worker stopped -> app tasks running elsewhere"] = time.monotonic() - start
    TIMINGS["requests while a worker stopped (count)"] = len(loop.statuses)
    TIMINGS["failed requests while a worker stopped (count)"] = len(loop.failed)
    print(f"worker stopped: {len(loop.failed)} failed of {len(loop.statuses)} requests ({sorted(set(loop.failed))})")
    assert get(f"{proxy_url}/")[0] == 200 and get(f"{proxy_url}/api/health/ready")[0] == 200
