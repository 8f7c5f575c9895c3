"""One-shot runs on the engine (standard_stack.one_shot.run): what an operator and a service see of them.

Each test runs ``run`` (what ``OneShot``'s create does) against the tier's engine with the Redis base
image, and reads the result through the Engine API: files in the volume, containers left, the error.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import engine_api
import pytest
import sshd

from standard_stack.one_shot import EngineError, OneShotProvider, run

pytestmark = pytest.mark.e2e

IMAGE = "redis:7.0"  # a base image both engines have (tests/e2e/overrides.yaml); it has sh, true and stat
LABEL = "dev.standard-stack.test"


@pytest.fixture
def volume(engine) -> Iterator[str]:
    name = f"one-shot-{uuid.uuid4().hex[:8]}"
    engine_api.post_json("/volumes/create", {"Name": name, "Labels": {LABEL: "one-shot"}})
    yield name
    engine_api.delete(f"/volumes/{name}", {"force": "1"})


def props(
    name: str,
    *,
    command: str,
    files: dict[str, str] | None = None,
    volume: str | None = None,
    host: str = "",
    ssh_options: Sequence[str] = (),
) -> dict:
    """What ``one_shot.one_shot`` registers, for a run of ``sh -c command`` as nobody with a read-only root."""
    binds = [f"{volume}:/files:rw"] if volume else []
    return {
        "engine": {"host": host or f"unix://{engine_api.SOCKET_PATH}", "certPath": None, "sshOpts": list(ssh_options)},
        "name": name,
        "description": f"{name}: test run",
        "consequence": "nothing changes",
        "spec": {
            "Image": IMAGE,
            "Entrypoint": ["sh", "-c"],
            "Cmd": [command],
            "User": "65534:65534",
            "Labels": {LABEL: "one-shot"},
            "HostConfig": {"Binds": binds, "NetworkMode": "none", "ReadonlyRootfs": True, "CapDrop": ["ALL"]},
        },
        "files": files or {},
        "filesPath": "/files" if files else None,
    }


def containers_named(name: str) -> list[dict]:
    return engine_api.get_json("/containers/json", {"all": "1", "filters": json.dumps({"name": [f"^/{name}$"]})})


def unique(role: str) -> str:
    return f"one-shot-test-{role}-{uuid.uuid4().hex[:6]}"


def read_back(volume: str, command: str) -> str:
    """``command``'s output in a plain container that mounts ``volume`` at /files (as root, to see owners)."""
    name = unique("reader")
    created = engine_api.post_json(
        "/containers/create",
        {"Image": IMAGE, "Entrypoint": ["sh", "-c"], "Cmd": [command], "HostConfig": {"Binds": [f"{volume}:/files:ro"]}},
        {"name": name},
    )
    try:
        engine_api.post_json(f"/containers/{created['Id']}/start")
        engine_api.post_json(f"/containers/{created['Id']}/wait")
        return engine_api.container_logs(created["Id"]).strip()
    finally:
        engine_api.delete(f"/containers/{created['Id']}", {"force": "1"})


def test_a_run_leaves_no_container_behind_and_its_id_is_the_runs_container_id(engine):
    name = unique("clean")
    revision = run(props(name, command="true"))
    assert re.fullmatch(r"[0-9a-f]{64}", revision)
    assert containers_named(name) == []


def test_files_land_in_the_volume_root_owned_0440_while_the_runs_root_is_read_only(engine, volume):
    files = {"/files/secret": "s3cret\n", "/files/tls/cert.pem": "CERT\n"}
    run(props(unique("files"), command="test -e /files/secret", files=files, volume=volume))
    listing = read_back(volume, "stat -c '%n %u:%g %a' /files/secret /files/tls/cert.pem && cat /files/secret")
    assert listing.splitlines() == ["/files/secret 0:0 440", "/files/tls/cert.pem 0:0 440", "s3cret"]


def test_a_failed_run_fails_with_its_exit_code_and_log_and_leaves_no_container(engine):
    name = unique("fails")
    with pytest.raises(EngineError) as failure:
        run(props(name, command="echo migration refused; exit 3"))
    message = str(failure.value)
    assert f"{name}: test run failed with exit code 3; nothing changes." in message
    assert "migration refused" in message
    assert containers_named(name) == []


def test_a_leftover_container_of_the_runs_name_is_removed_before_the_run(engine):
    name = unique("leftover")
    engine_api.post_json("/containers/create", {"Image": IMAGE, "Cmd": ["true"]}, {"name": name})
    revision = run(props(name, command="true"))
    assert containers_named(name) == []
    assert re.fullmatch(r"[0-9a-f]{64}", revision)


def test_updating_the_exited_loader_of_a_stack_deployed_before_removes_its_container(engine):
    name = unique("old-loader")
    old = engine_api.post_json("/containers/create", {"Image": IMAGE, "Cmd": ["true"]}, {"name": name})
    OneShotProvider().update(old["Id"], {}, props(name, command="true"))
    assert containers_named(name) == []


@pytest.fixture
def tcp_engine(engine) -> Iterator[str]:
    """``tcp://127.0.0.1:<port>``: a loopback forwarder to the engine's unix socket, as a TCP daemon socket."""
    listener = socket.create_server(("127.0.0.1", 0))

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(engine_api.SOCKET_PATH)
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_run_reaches_an_engine_at_a_tcp_address(tcp_engine, volume):
    run(props(unique("tcp"), command="true", files={"/files/over-tcp": "yes\n"}, volume=volume, host=tcp_engine))
    assert read_back(volume, "cat /files/over-tcp") == "yes"


@pytest.fixture
def ssh_engine(engine, tmp_path: Path) -> Iterator[sshd.Sshd]:
    """A throwaway sshd on loopback (tests/e2e/sshd.py) whose sessions reach this tier's engine: the remote
    end of ``ssh://user@127.0.0.1:<port>``, with the client options docker:sshOpts would hold."""
    missing = sshd.missing_binaries()
    if missing:
        pytest.fail(f"no {', '.join(missing)}: {sshd.INSTALL}", pytrace=False)
    with sshd.loopback_sshd(tmp_path, docker_host=f"unix://{engine_api.SOCKET_PATH}") as server:
        yield server


def ssh_children() -> list[str]:
    """This process's ssh children, exited ones (zombies) too: what a run over ssh must not leave."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # gone meanwhile
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 1 :].split()
        state, parent = rest[0], int(rest[1])
        if name == "ssh" and parent == os.getpid():
            found.append(f"ssh pid {stat.parent.name} state {state}")
    return found


def test_a_run_reaches_an_engine_at_an_ssh_address(ssh_engine, volume):
    files = {"/files/over-ssh": "yes\n"}
    run(
        props(
            unique("ssh"), command="true", files=files, volume=volume, host=ssh_engine.address, ssh_options=ssh_engine.ssh_options
        )
    )
    assert read_back(volume, "cat /files/over-ssh") == "yes"


def test_a_run_over_ssh_leaves_no_ssh_process_behind(ssh_engine):
    run(props(unique("ssh-clean"), command="true", host=ssh_engine.address, ssh_options=ssh_engine.ssh_options))
    assert ssh_children() == []


def test_a_run_at_an_ssh_address_nothing_listens_on_fails_at_once_naming_the_host(ssh_engine):
    with socket.socket() as bound:  # bound, never listening: connections to it are refused
        bound.bind(("127.0.0.1", 0))
        address = f"ssh://{ssh_engine.user}@127.0.0.1:{bound.getsockname()[1]}"
        refused = props(unique("ssh-refused"), command="true", host=address, ssh_options=ssh_engine.ssh_options)
        refused["timeoutSeconds"] = 30  # a hang fails the test as a timeout instead of holding it for 10 minutes
        started = time.monotonic()
        with pytest.raises(ConnectionError) as failure:
            run(refused)
    assert time.monotonic() - started < 10
    assert str(failure.value).startswith(f"docker host {address}: ssh exited with status 255 before the engine answered")
    assert "Connection refused" in str(failure.value)
    assert ssh_children() == []
