"""What Docker Swarm mode does on this machine (issue 14's groundwork): a real three-node Swarm of
nested Debian engines plus Debian's registry, brought up by scripts/swarm-lab and torn down after.

Tests that need a kernel feature this machine's kernel was built without (IPVS for the routing
mesh, ESP/GCM for encrypted overlays; no loadable modules) are strict xfails: they fail loudly the
day the kernel gains the feature. Run alone: `.venv/bin/python -m pytest -m swarm tests/swarm`.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lab_env import ADDRESS, DOCKER, NODE_PORT, SOCKET
from lab_env import REGISTRY as HOST_REGISTRY
from lab_timings import TIMINGS

pytestmark = pytest.mark.swarm

ROOT = Path(__file__).resolve().parents[2]
MANAGER, WORKERS = "swarm-lab-manager", ("swarm-lab-worker1", "swarm-lab-worker2")
NODES = (MANAGER, *WORKERS)
REGISTRY = "swarm-lab-registry:5000"
WEB = f"{REGISTRY}/lab/web"
PROBE = (Path(__file__).parent / "probe.sh").read_text()


def kernel_lacks(option: str) -> bool:
    """True when /proc/config.gz says CONFIG_<option> is not set (unknown kernels: False)."""
    try:
        config = gzip.decompress(Path("/proc/config.gz").read_bytes()).decode()
    except OSError:
        return False
    return f"# CONFIG_{option} is not set" in config


def run(*args: str, stdin: str | None = None, timeout: float = 180) -> str:
    result = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stderr}{result.stdout}")
    return result.stdout


def lab(*args: str) -> str:
    return run(str(ROOT / "scripts/swarm-lab"), *args, timeout=900)


def on(node: str, *args: str, stdin: str | None = None, timeout: float = 180) -> str:
    """The docker CLI inside a lab node (its own nested engine)."""
    return run(DOCKER, "exec", "-i", node, "docker", *args, stdin=stdin, timeout=timeout)


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)
    return time.monotonic() - start


def timed(name: str, action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    TIMINGS[name] = time.monotonic() - start
    return TIMINGS[name]


def running_tasks(service: str) -> list[tuple[str, str]]:
    """(node, image) of each task whose current state is Running."""
    out = on(
        MANAGER,
        "service",
        "ps",
        service,
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}}|{{.Image}}|{{.CurrentState}}",
    )
    rows = [line.split("|") for line in out.splitlines()]
    return [(node, image) for node, image, state in rows if state.startswith("Running")]


def probe(network: str, *args: str, name: str = "swarm-lab-probe") -> str:
    """probe.sh in a throwaway container on an attachable overlay network, run from the manager."""
    return on(MANAGER, "run", "--rm", "-i", "--name", name, "--network", network, f"{WEB}:1", "bash", "-s", *args, stdin=PROBE)


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
    return body.decode().strip()


def create_service(name: str, *args: str, image: str = f"{WEB}:1") -> None:
    on(
        MANAGER,
        "service",
        "create",
        "-q",
        "--detach",
        "--name",
        name,
        "--hostname",
        "{{.Node.Hostname}}-{{.Task.Slot}}",
        *args,
        image,
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    timed("cluster up (scripts/swarm-lab up)", lambda: lab("up"))
    try:
        yield
    finally:
        lab("down")


@pytest.fixture(scope="module")
def pushed(cluster: None) -> None:
    """Debian's base from the host engine, loaded into the manager; the test image built there on it
    (busybox copied from the node) in two versions and pushed to the lab registry."""
    load = subprocess.Popen([DOCKER, "save", "debian:bookworm-slim"], stdout=subprocess.PIPE)
    timed(
        "load debian:bookworm-slim into manager",
        lambda: subprocess.run(
            [DOCKER, "exec", "-i", MANAGER, "docker", "load", "-q"], stdin=load.stdout, check=True, capture_output=True
        ),
    )
    load.wait()
    tar = subprocess.run(["tar", "-C", str(Path(__file__).parent / "web"), "-c", "."], capture_output=True, check=True).stdout
    subprocess.run(
        [
            DOCKER,
            "exec",
            "-i",
            MANAGER,
            "sh",
            "-c",
            "rm -rf /tmp/web && mkdir /tmp/web && tar -x -C /tmp/web && cp /bin/busybox /tmp/web/",
        ],
        input=tar,
        check=True,
    )
    for version in ("1", "2"):
        on(MANAGER, "build", "-q", "--build-arg", f"VERSION=v{version}", "-t", f"{WEB}:{version}", "/tmp/web")
    timed("push 2 tags to the registry", lambda: [on(MANAGER, "push", "-q", f"{WEB}:{v}") for v in "12"])


@pytest.fixture(scope="module")
def web(pushed: None) -> str:
    """lab-web: 3 replicas on an attachable overlay, DNS round robin (no VIP: that needs IPVS),
    start-first rolling updates, no published port (start-first cannot rebind a host port)."""
    on(MANAGER, "network", "create", "-d", "overlay", "--attachable", "swarm-lab-app")
    start = time.monotonic()
    create_service(
        "lab-web",
        "--replicas",
        "3",
        "--endpoint-mode",
        "dnsrr",
        "--network",
        "swarm-lab-app",
        "--update-order",
        "start-first",
        "--update-delay",
        "0s",
    )
    wait_until("3 running lab-web tasks", lambda: len(running_tasks("lab-web")) == 3, 120)
    TIMINGS["service converge (3 replicas, registry pull)"] = time.monotonic() - start
    return "lab-web"


def test_three_nodes_are_ready_on_a_nested_storage_driver(cluster: None) -> None:
    status = lab("status")
    assert len(re.findall(r"swarm-lab-\S+ +Ready +Active", status)) == 3, status
    assert re.search(r"storage drivers: manager=(overlay2|vfs) worker1=(overlay2|vfs) worker2=(overlay2|vfs)", status), status


def test_up_again_changes_nothing(cluster: None) -> None:
    ids = run(DOCKER, "ps", "-q", "--filter", "label=dev.standard-stack.lab=swarm")
    lab("up")
    assert run(DOCKER, "ps", "-q", "--filter", "label=dev.standard-stack.lab=swarm") == ids


def test_pushed_tags_are_listed_by_the_registry(pushed: None) -> None:
    tags = json.loads(http_get(f"http://{HOST_REGISTRY}/v2/lab/web/tags/list"))["tags"]
    assert sorted(tags) == ["1", "2"]


def test_three_replicas_from_the_registry_spread_over_the_three_nodes(web: str) -> None:
    assert sorted(node for node, _ in running_tasks(web)) == sorted(NODES)


def test_every_replica_answers_http_across_the_overlay(web: str) -> None:
    answers = probe("swarm-lab-app", "each", web).splitlines()
    assert sorted(line.split()[-1].rsplit("-", 1)[0] for line in answers) == sorted(NODES), answers


def test_a_host_mode_port_answers_from_the_host_on_every_node(pushed: None) -> None:
    create_service("lab-edge", "--mode", "global", "--publish", "mode=host,published=8080,target=8080")
    wait_until("lab-edge on 3 nodes", lambda: len(running_tasks("lab-edge")) == 3, 120)
    answers = [http_get(f"http://{ADDRESS}:{NODE_PORT + i}/cgi-bin/id") for i in range(3)]
    assert [a.split()[-1].rsplit("-", 1)[0] for a in answers] == list(NODES), answers


def test_an_image_pushed_from_the_host_runs_on_every_node_under_the_same_name(pushed: None, tmp_path: Path) -> None:
    """The host engine pushes to <lab address>:<registry port> and every node pulls that same name (each
    node forwards it to the registry): what a Pulumi program building on the host will need."""
    image = f"{HOST_REGISTRY}/lab/host-web:1"
    for source in (Path(__file__).parent / "web").iterdir():
        shutil.copy(source, tmp_path)
    busybox = run(DOCKER, "run", "--rm", "--entrypoint", "base64", "swarm-lab-node", "/bin/busybox")
    (tmp_path / "busybox").write_bytes(base64.b64decode(busybox))
    (tmp_path / "busybox").chmod(0o755)
    build = [DOCKER, "build", "-q", "--label", "dev.standard-stack.lab=swarm", "--build-arg", "VERSION=host"]
    run(*build, "-t", image, str(tmp_path))
    try:
        timed("host engine push to the lab registry", lambda: run(DOCKER, "push", image))
        create_service("lab-host-web", "--replicas", "3", image=image)
        wait_until("3 running lab-host-web tasks", lambda: len(running_tasks("lab-host-web")) == 3, 120)
        assert sorted(node for node, _ in running_tasks("lab-host-web")) == sorted(NODES)
    finally:
        run(DOCKER, "rmi", image)


def node_ip(node: str) -> str:
    return run(DOCKER, "inspect", "-f", '{{(index .NetworkSettings.Networks "swarm-lab-net").IPAddress}}', node).strip()


@pytest.mark.xfail(
    kernel_lacks("IP_VS"),
    strict=True,
    reason="kernel built without CONFIG_IP_VS: dockerd logs 'Could not get ipvs family "
    "information from the kernel ... Native loadbalancing will not work'",
)
def test_a_routing_mesh_port_answers_from_the_host_on_a_node_without_a_task(pushed: None) -> None:
    create_service(
        "lab-mesh", "--replicas", "1", "--constraint", f"node.hostname=={MANAGER}", "--publish", "published=8081,target=8080"
    )
    wait_until("lab-mesh running", lambda: len(running_tasks("lab-mesh")) == 1, 120)
    assert http_get(f"http://{node_ip(WORKERS[0])}:8081/cgi-bin/id").startswith("v1 ")


@pytest.mark.xfail(
    kernel_lacks("INET_ESP") or kernel_lacks("CRYPTO_GCM"),
    strict=True,
    reason="kernel built without CONFIG_INET_ESP/CONFIG_CRYPTO_GCM: dockerd logs "
    "'Failed Adding rSA{... Proto: esp ... rfc4106(gcm(aes)) ...}: function not "
    "implemented' and cross-node traffic is dropped",
)
def test_an_encrypted_overlay_carries_traffic_between_nodes(pushed: None) -> None:
    on(MANAGER, "network", "create", "-d", "overlay", "--attachable", "--opt", "encrypted", "swarm-lab-secure")
    create_service("lab-secure", "--replicas", "3", "--endpoint-mode", "dnsrr", "--network", "swarm-lab-secure")
    wait_until("3 running lab-secure tasks", lambda: len(running_tasks("lab-secure")) == 3, 120)
    answers = probe("swarm-lab-secure", "each", "lab-secure").splitlines()
    assert len(answers) == 3 and not [a for a in answers if a.endswith("FAIL")], answers


def test_a_start_first_rolling_update_replaces_every_replica_while_it_answers(web: str) -> None:
    client = subprocess.Popen(
        [
            DOCKER,
            "exec",
            "-i",
            MANAGER,
            "docker",
            "run",
            "--rm",
            "-i",
            "--name",
            "swarm-lab-loop",
            "--network",
            "swarm-lab-app",
            f"{WEB}:1",
            "bash",
            "-s",
            "loop",
            web,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert client.stdin is not None
    client.stdin.write(PROBE)
    client.stdin.close()
    time.sleep(3)
    timed(
        "rolling update, 3 replicas start-first",
        lambda: on(MANAGER, "service", "update", "-q", "--image", f"{WEB}:2", web, timeout=300),
    )
    time.sleep(2)
    on(MANAGER, "rm", "-f", "swarm-lab-loop")
    assert client.stdout is not None
    lines = client.stdout.read().splitlines()
    client.wait(timeout=30)
    failed = [line for line in lines if line.startswith("FAIL")]
    TIMINGS["requests during update (count)"] = len(lines)
    TIMINGS["failed requests during update (count)"] = len(failed)
    assert on(MANAGER, "service", "inspect", web, "--format", "{{.UpdateStatus.State}}").strip() == "completed"
    assert sorted(image for _, image in running_tasks(web)) == [f"{WEB}:2"] * 3
    assert len(lines) > 20 and not failed, f"{len(failed)} of {len(lines)} requests failed: {failed[:5]}"


def moved(service: str, away_from: str) -> bool:
    nodes = [node for node, _ in running_tasks(service)]
    return len(nodes) == 3 and away_from not in nodes


def test_a_stopped_worker_s_tasks_move_to_the_other_nodes(web: str) -> None:
    stopped = WORKERS[1]
    run(DOCKER, "stop", "-t", "5", stopped)
    try:
        timed(
            "worker stopped -> its task running elsewhere",
            lambda: wait_until("3 lab-web tasks, none on the stopped worker", lambda: moved(web, stopped), 180),
        )
        assert {node for node, _ in running_tasks(web)} <= {MANAGER, WORKERS[0]}
    finally:
        timed("worker back Ready (scripts/swarm-lab up)", lambda: lab("up"))


def registry_digest(repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{HOST_REGISTRY}/v2/{repository}/manifests/{tag}",
        method="HEAD",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        digest: str = response.headers["Docker-Content-Digest"]
    return digest


def pulumi_project(program: str, tmp_path: Path) -> Callable[..., str]:
    """The real CLI and providers of .tools/bin on a copy of tests/swarm/<program> (a file backend in
    tmp_path, this interpreter's environment): ``pulumi(*args)`` runs one command, asserts exit 0, returns stdout."""
    tools = ROOT / ".tools/bin"
    assert (tools / "pulumi").exists() and (tools / "pulumi-resource-docker").exists(), (
        f"no Pulumi CLI and docker provider in {tools}: run scripts/build-tools"
    )
    shutil.copy(Path(__file__).parent / program / "__main__.py", tmp_path)
    (tmp_path / "Pulumi.yaml").write_text(
        f"name: swarm-lab\nruntime:\n  name: python\n  options:\n    virtualenv: {sys.prefix}\n"
    )
    env = {
        **os.environ,
        "PATH": f"{tools}:{os.environ['PATH']}",
        "PULUMI_HOME": str(tmp_path / "home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path}/state",
        "PULUMI_CONFIG_PASSPHRASE": "swarm-lab",
        "PULUMI_SKIP_UPDATE_CHECK": "1",
    }
    (tmp_path / "state").mkdir()

    def pulumi(*args: str) -> str:
        result = subprocess.run(["pulumi", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"pulumi {' '.join(args)}:\n{result.stdout}{result.stderr}"
        return result.stdout

    return pulumi


def test_the_real_provider_deploys_a_service_that_previews_clean_when_pinned_by_digest(pushed: None, tmp_path: Path) -> None:
    pulumi = pulumi_project("pulumi_service", tmp_path)
    pulumi("stack", "init", f"swarm-lab-{uuid.uuid4().hex[:8]}")
    pulumi("config", "set", "dockerHost", SOCKET)
    pulumi("config", "set", "--secret", "password", uuid.uuid4().hex)
    pulumi("config", "set", "image", f"{WEB}:1@{registry_digest('lab/web', '1')}")
    try:
        timed("pulumi up: overlay, secret, 3-replica service", lambda: pulumi("up", "--yes", "--skip-preview"))
        assert sorted(node for node, _ in running_tasks("lab-pulumi-web")) == sorted(NODES)
        pulumi("preview", "--expect-no-changes")
        pulumi("config", "set", "image", f"{WEB}:2@{registry_digest('lab/web', '2')}")
        timed("pulumi up: start-first update of 3 replicas", lambda: pulumi("up", "--yes", "--skip-preview"))
        assert sorted(image for _, image in running_tasks("lab-pulumi-web")) == [f"{WEB}:2"] * 3
        pulumi("preview", "--expect-no-changes")
    finally:
        pulumi("destroy", "--yes", "--skip-preview")


def summary(stdout: str) -> str:
    """Pulumi's ``Resources:`` block onwards, for the CI log (scripts/test runs this tier with -rP)."""
    return stdout[stdout.find("Resources:") :] if "Resources:" in stdout else stdout


Deployed = tuple[Callable[..., str], str]  # the pulumi command of a deployed project, and a name it deployed


@pytest.fixture(scope="module")
def encrypted_backend(pushed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The stack's own StackNetworks (tests/swarm/pulumi_networks) on the manager with target swarm and the
    default networks.backendEncrypted, and a service on the backend (debian:bookworm-slim, loaded by ``pushed``),
    by the real ``pulumi up``; destroyed after. Yields (pulumi, backend name)."""
    pulumi = pulumi_project("pulumi_networks", tmp_path_factory.mktemp("networks"))
    stack = f"net{uuid.uuid4().hex[:6]}"
    pulumi("stack", "init", stack)
    pulumi("config", "set", "dockerHost", SOCKET)
    try:
        print(summary(pulumi("up", "--yes", "--skip-preview")))
        yield pulumi, f"swarm-lab-{stack}-backend"
    finally:
        pulumi("destroy", "--yes", "--skip-preview")


def test_the_stacks_backend_overlay_is_created_with_dockers_encrypted_option(encrypted_backend: Deployed) -> None:
    """All that this kernel lets us prove (see the encrypted overlay xfail): the engine holds the option that makes
    every node set up IPsec for the network; the network of the frontend has none."""
    _, backend = encrypted_backend
    options = json.loads(on(MANAGER, "network", "inspect", backend, "--format", "{{json .Options}}"))
    assert "encrypted" in options, options
    frontend = json.loads(
        on(MANAGER, "network", "inspect", backend.replace("-backend", "-frontend"), "--format", "{{json .Options}}")
    )
    assert "encrypted" not in frontend, frontend


def test_a_preview_after_up_proposes_no_changes_to_the_encrypted_overlay(encrypted_backend: Deployed) -> None:
    """The provider reads the options back with Swarm's VXLAN id added: ignored, it is no diff (components/networks.py)."""
    pulumi, _ = encrypted_backend
    print(summary(pulumi("preview", "--expect-no-changes")))


def test_turning_encryption_off_moves_the_service_to_an_unencrypted_backend_of_its_own_name(encrypted_backend: Deployed) -> None:
    """Swarm refuses two networks of one name and deleting one a service uses: a new network first, the
    service replaced onto it, the old network last (components/networks.py)."""
    pulumi, backend = encrypted_backend
    pulumi("config", "set", "backendEncrypted", "false")
    preview = json.loads(pulumi("preview", "--json"))
    changed = {step["urn"].rsplit("::", 1)[1]: step["op"] for step in preview["steps"] if step["op"] != "same"}
    assert changed == {"networks-backend": "replace", "db": "replace"}, changed
    print(summary(pulumi("up", "--yes", "--skip-preview")))
    unencrypted = json.loads(on(MANAGER, "network", "inspect", f"{backend}-unencrypted", "--format", "{{json .}}"))
    assert "encrypted" not in unencrypted["Options"], unencrypted["Options"]
    service = backend.removesuffix("-backend") + "-db"
    joined = json.loads(on(MANAGER, "service", "inspect", service, "--format", "{{json .Spec.TaskTemplate.Networks}}"))
    assert [n["Target"] for n in joined] == [unencrypted["Id"]]
    wait_until(f"{service} running", lambda: len(running_tasks(service)) == 1, 60)
    assert on(MANAGER, "network", "ls", "-q", "--filter", f"name=^{backend}$").strip() == ""
    print(summary(pulumi("preview", "--expect-no-changes")))
