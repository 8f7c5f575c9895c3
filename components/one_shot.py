"""A one-shot run: a container that runs once per change of its inputs and is removed when it has exited.

File loaders, password rotations and reloads need a container for a moment, not afterwards. As a
``docker.Container`` each stayed behind exited (``docker ps -a`` showed nine per stack), and removing one
by hand broke the stack: ``pulumi refresh`` drops a container that is gone from the state, so the next
``up`` runs it again and replaces whatever followed its id. ``OneShot`` is a run, not a container:

- **create** runs it through the Engine API (create, copy ``files`` in, start, wait, read the log,
  remove) and fails the deploy with the exit code and the log's tail when it exits non-zero;
- **read** (``pulumi refresh``) returns what was recorded: a run that happened stays in the state;
- **diff** replaces it when ``spec`` or ``files`` change, so it runs again, and ignores how the engine
  is reached and how the run is described;
- its id (the run's container id) is the revision that services follow.

A stack deployed while these were exited ``docker.Container``\\ s upgrades in place: each ``OneShot`` is an
alias of the container of its name, and the engine then diffs the container's state with this provider
(pulumi/pulumi pkg/resource/deploy/step_generator.go, ``providerChanged``: the dynamic provider answers
no ``DiffConfig``, so the provider change alone forces no replacement). A loader whose uploads were
exactly these files is updated: it keeps its id, so nothing that follows it is replaced, and its exited
container is removed. Any other container is replaced by a run.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, ResourceProvider, UpdateResult

from . import engine
from ._models import Runtime
from ._names import container_name

DIFFED = ("spec", "files")
"""What the run is; everything else (the engine's address, names, messages) is how it is reached or described."""
CONTAINER_TYPE = "docker:index/container:Container"
"""What a one-shot was before: the same resource name, this type, the docker provider."""
LOG_TAIL = 4000
TIMEOUT_SECONDS = 600


class EngineError(Exception):
    """The Engine API refused a request."""


class _Engine:
    """The few Engine API calls a run needs, one connection each (``engine.connection``)."""

    def __init__(self, address: Mapping[str, Any], timeout: float) -> None:
        self.host = address["host"]
        self.cert_path = address.get("certPath")
        self.ssh_options = address.get("sshOpts") or []
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        tar: bytes | None = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> bytes:
        url = path + (f"?{urlencode(query)}" if query else "")
        headers, payload = {}, None
        if tar is not None:
            headers, payload = {"Content-Type": "application/x-tar"}, tar
        elif body is not None:
            headers, payload = {"Content-Type": "application/json"}, json.dumps(body).encode()
        connection = engine.connection(self.host, self.timeout, self.cert_path, self.ssh_options)
        try:
            connection.request(method, url, body=payload, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status not in ok:
            raise EngineError(f"{method} {path}: {response.status} {data.decode(errors='replace').strip()}")
        return data

    def remove(self, container: str) -> None:
        self.call("DELETE", f"/containers/{quote(container)}", query={"force": "1"}, ok=(200, 204, 404))


def _archive(files: Mapping[str, str], directory: str) -> bytes:
    """``files`` (by path from ``/``, all under ``directory``) as a tar to unpack in ``directory``: root-owned 0440.

    Unpacked in the volume mounted there, not at ``/``: the daemon takes an archive into a volume of a
    container whose root is read-only, never into that root (moby daemon/archive.go, ``containerExtractToDir``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, content in sorted(files.items()):
            data = content.encode()
            info = tarfile.TarInfo(path.removeprefix(directory.rstrip("/") + "/"))
            info.size, info.mode, info.uid, info.gid = len(data), 0o440, 0, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def demultiplex(stream: bytes) -> str:
    """A container's log as the Engine API sends it: for a non-TTY container, frames of an 8-byte header
    (stream, size) and the payload; a TTY container's stream is not multiplexed."""
    out, at = [], 0
    while at + 8 <= len(stream):
        size = int.from_bytes(stream[at + 4 : at + 8], "big")
        out.append(stream[at + 8 : at + 8 + size])
        at += 8 + size
    if at < len(stream):
        return stream.decode(errors="replace")
    return b"".join(out).decode(errors="replace")


def run(props: Mapping[str, Any]) -> str:
    """Runs the container ``props`` describe once and removes it; its id."""
    api = _Engine(props["engine"], float(props.get("timeoutSeconds") or TIMEOUT_SECONDS))
    files: Mapping[str, str] = props.get("files") or {}
    name = props["name"]
    api.remove(name)  # a run cut short, or the exited container of a stack deployed before one-shot runs
    created = json.loads(api.call("POST", "/containers/create", query={"name": name}, body=props["spec"]))
    container = created["Id"]
    try:
        if files:
            directory = props["filesPath"]
            api.call("PUT", f"/containers/{container}/archive", query={"path": directory}, tar=_archive(files, directory))
        api.call("POST", f"/containers/{container}/start")
        exit_code = json.loads(api.call("POST", f"/containers/{container}/wait"))["StatusCode"]
        if exit_code != 0:
            log = demultiplex(api.call("GET", f"/containers/{container}/logs", query={"stdout": "1", "stderr": "1"}))
            raise EngineError(
                f"{props['description']} failed with exit code {exit_code}; {props['consequence']}.\n"
                f"--- {props['description']} log ---\n{log.strip()[-LOG_TAIL:]}\n---"
            )
    finally:
        api.remove(container)
    return str(container)


def _loaded_same_files(container_state: Mapping[str, Any], files: Mapping[str, str]) -> bool:
    """A ``docker.Container``'s state (a loader before one-shot runs) whose uploads were exactly ``files``, 0440."""
    uploads = container_state.get("uploads") or []
    loaded = {u.get("file"): u.get("content") for u in uploads if u.get("permissions") == "0440"}
    return bool(files) and len(loaded) == len(uploads) and loaded == dict(files)


class OneShotProvider(ResourceProvider):
    """The dynamic provider behind ``OneShot`` (see the module's docstring)."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(run(props), dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if "spec" not in olds:  # the exited docker.Container this run replaces (see the module's docstring)
            same = _loaded_same_files(olds, news.get("files") or {})
            return DiffResult(changes=True, replaces=[] if same else ["spec"], delete_before_replace=True)
        changed = [key for key in DIFFED if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=True)

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only a loader container that held these files is updated: it keeps its id, its container goes."""
        _Engine(news["engine"], TIMEOUT_SECONDS).remove(id_)
        return UpdateResult(dict(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to remove: the run's container went when it exited."""


@dataclass(frozen=True)
class PackageResource:
    """The resource type (and package version) a component package's provider serves ``OneShot`` as."""

    type_: str
    version: str


IN_PACKAGE: ContextVar[PackageResource | None] = ContextVar("IN_PACKAGE", default=None)
"""Set while the component package's provider constructs components (components/package/server.py): a
program in another language has no Python virtualenv for the dynamic provider, so that provider serves the
runs itself. Unset in a Python program."""


class OneShot(Resource, module="standard-stack", name="OneShot"):
    """A container run once per change of ``spec`` (an Engine API ``ContainerCreate`` body) or ``files``, then
    removed. Its ``id`` is the revision: a new one with every run."""

    def __init__(self, name: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=CONTAINER_TYPE)]))
        package = IN_PACKAGE.get()
        if package is None:
            super().__init__(OneShotProvider(), name, dict(props), opts)
        else:  # the package's resource, same props, served by OneShotProvider in the package's provider
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(version=package.version))
            pulumi.CustomResource.__init__(self, package.type_, name, dict(props), opts)


def engine_address(runtime: Runtime) -> dict[str, Any]:
    """Where the runs go: the engine the docker provider uses (``docker:host``, ``docker:certPath`` and
    ``docker:sshOpts``, else the environment's ``DOCKER_HOST``), unless ``runtime.docker_host`` names it (a
    program with its own provider)."""
    config = pulumi.Config("docker")
    return {
        "host": runtime.docker_host or engine.docker_host(config.get("host")),
        "certPath": config.get("certPath"),
        "sshOpts": config.get_object("sshOpts") or [],
    }


def one_shot(
    resource_name: str,
    *,
    runtime: Runtime,
    role: str,
    image: pulumi.Input[str],
    labels: Mapping[str, pulumi.Input[str]],
    user: str,
    description: str,
    consequence: str,
    opts: pulumi.ResourceOptions,
    entrypoint: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
    env: Sequence[pulumi.Input[str]] = (),
    volumes: Sequence[tuple[pulumi.Input[str], str, bool]] = (),
    network: pulumi.Input[str] | None = None,
    pid_container: pulumi.Input[str] | None = None,
    tmpfs: Mapping[str, str] | None = None,
    add_capabilities: Sequence[str] = (),
    files: Mapping[str, pulumi.Input[str]] | None = None,
    files_path: str | None = None,
) -> OneShot:
    """A ``OneShot`` named ``<project>-<stack>-<role>`` while it runs: read-only root, no capability unless
    named, no privilege gain, no network unless ``network``; ``volumes`` as (volume, path, read-only);
    ``files`` (path -> content, under ``files_path``, a volume among ``volumes``) copied in before the start;
    ``description`` and ``consequence`` say in a failure what failed and what it means."""
    host_config: dict[str, Any] = {
        "Binds": [pulumi.Output.concat(volume, f":{path}:{'ro' if read_only else 'rw'}") for volume, path, read_only in volumes],
        "NetworkMode": network if network is not None else "none",
        "CapDrop": ["ALL"],
        "CapAdd": sorted(add_capabilities),
        "SecurityOpt": ["no-new-privileges:true"],
        "ReadonlyRootfs": True,
        "RestartPolicy": {"Name": "no"},
        "LogConfig": {"Type": "json-file", "Config": runtime.logging.driver_options()},
    }
    if pid_container is not None:
        host_config["PidMode"] = pulumi.Output.concat("container:", pid_container)
    if tmpfs:
        host_config["Tmpfs"] = dict(tmpfs)
    spec: dict[str, Any] = {
        "Image": image,
        "User": user,
        "Env": list(env),
        "Labels": dict(sorted(labels.items())),
        "HostConfig": host_config,
    }
    if entrypoint is not None:
        spec["Entrypoint"] = list(entrypoint)
    if command is not None:
        spec["Cmd"] = list(command)
    props: dict[str, Any] = {
        "engine": engine_address(runtime),
        "name": container_name(runtime.project, runtime.stack, role),
        "description": description,
        "consequence": consequence,
        "spec": spec,
        "files": dict(files or {}),
        "filesPath": files_path,
    }
    return OneShot(resource_name, props, opts)
