"""A one-shot run of the stack's state as a Compose service: the Engine API ``ContainerCreate`` body it runs.

A ``standard_stack.one_shot.OneShot`` (file loaders, password rotations, the nginx reload, the ACME init)
registers ``spec`` (the body the provider posts to ``/containers/create``), ``files`` (absolute path ->
content, copied in root-owned 0440 before the start) and ``filesPath`` (the volume they go into). Compose
runs the same container once with ``restart: "no"``; its dependants wait with
``service_completed_successfully``, as the stack's resources wait for the run.

One difference Compose forces: it copies a config's ``content`` into the container at ``/`` (compose v2.26
pkg/compose/secrets.go, ``injectConfigs``: ``CopyToContainer(ctx, id, "/", ...)`` with the full target in
the archive), and the daemon refuses any copy into a read-only root outside a volume (moby
daemon/archive.go, ``containerExtractToDir``: "container rootfs is marked read-only"), while the run's
provider copies into ``filesPath``, the volume. So a run with files gets a writable root on the Compose
side; the files still land in the volume, root-owned 0440, before the start.
"""

from __future__ import annotations

from typing import Any

ONE_SHOT_TYPES = ("pulumi-python:dynamic/standard-stack:OneShot", "standard-stack:index:OneShot")
"""A run registered by a Python program (the dynamic provider), or by the component package's provider."""
FILE_MODE = 0o440  # what the run's provider gives every file (components/one_shot.py, ``_archive``)

# props that say how the run is reached and described, not what runs
RUN_ONLY = {"__provider", "engine", "name", "description", "consequence", "timeoutSeconds"}
SPEC_KEYS = {"Image", "User", "Env", "Labels", "Entrypoint", "Cmd", "HostConfig"}
HOST_CONFIG_KEYS = {
    "Binds", "NetworkMode", "PidMode", "CapDrop", "CapAdd", "SecurityOpt", "ReadonlyRootfs", "Tmpfs",
    "RestartPolicy", "LogConfig",
}  # fmt: skip
HOST_NETWORK_MODES = {"none", "host", "bridge", "default"}


def pid(mode: str, ids: dict[str, str]) -> str:
    """``container:<id>`` of a container in the file as Compose's ``service:<name>``; any other mode as is."""
    kind, _, ref = mode.partition(":")
    return f"service:{ids[ref]}" if kind == "container" and ref in ids else mode


def tmpfs(mounts: dict[str, str]) -> list[str]:
    return [f"{path}:{opts}" if opts else path for path, opts in mounts.items()]


def add_configs(service: dict[str, Any], name: str, files: list[tuple[str, str, int]], configs: dict[str, Any]) -> None:
    """``files`` (target path, content, mode) as inline ``configs``: Compose copies each in when it creates the
    container (compose v2.26 ``createMobyContainer``), so before every start of ``up``, not after the
    container's own dependencies (bench/README.md, *Beside Docker Compose*)."""
    if not files:
        return
    service["configs"] = []
    for i, (target, content, mode) in enumerate(files):
        key = f"{name}-{i}"
        configs[key] = {"content": content}
        service["configs"].append({"source": key, "target": target, "mode": mode})


def _unknown(name: str, what: str, keys: set[str]) -> None:
    if keys:
        raise ValueError(f"{name}: {what} not translated to Compose: {', '.join(sorted(keys))}")


def _mount(name: str, bind: str, volumes: dict[str, str]) -> dict[str, Any]:
    """``volume:/path[:ro|rw]`` (or a host path for ``volume``) as a Compose long-form mount."""
    parts = bind.split(":")
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
        raise ValueError(f"{name}: bind {bind!r} is not of the form volume:/path[:ro|rw]")
    source, target = parts[0], parts[1]
    read_only = len(parts) == 3 and parts[2] == "ro"
    if source.startswith("/"):
        return {"type": "bind", "source": source, "target": target, "read_only": read_only}
    if source not in volumes:
        raise ValueError(f"{name}: bind {bind!r} names volume {source!r}, which the stack did not register")
    return {"type": "volume", "source": volumes[source], "target": target, "read_only": read_only}


def _network(name: str, service: dict[str, Any], mode: str, ids: dict[str, str], networks: dict[str, str]) -> None:
    """``NetworkMode``: a network of the stack (by its Docker name), another container's, or the engine's own."""
    if mode in networks:  # a network of the stack, by its Docker name
        service["networks"] = {networks[mode]: {}}
    elif mode.startswith("container:"):
        service["network_mode"] = pid(mode, ids)
    elif mode in HOST_NETWORK_MODES:
        service["network_mode"] = mode
    else:
        raise ValueError(
            f"{name}: NetworkMode {mode!r} is neither a network of the stack, container:<id>, nor one of "
            f"{', '.join(sorted(HOST_NETWORK_MODES))}"
        )


def run_service(
    name: str,
    props: dict[str, Any],
    images: dict[str, str],
    ids: dict[str, str],
    volumes: dict[str, str],
    networks: dict[str, str],
    configs: dict[str, Any],
) -> dict[str, Any]:
    """The Compose service for the run ``props`` (secret wrappers removed) describe; its ``files`` added to
    ``configs``. ``ids``, ``volumes`` and ``networks`` map the stack's Docker ids and names to the file's keys."""
    _unknown(name, "one-shot props", set(props) - RUN_ONLY - {"spec", "files", "filesPath"})
    spec = props["spec"]
    _unknown(name, "spec keys", set(spec) - SPEC_KEYS)
    host = spec.get("HostConfig") or {}
    _unknown(name, "HostConfig keys", set(host) - HOST_CONFIG_KEYS)
    files = props.get("files") or {}
    outside = sorted(path for path in files if not path.startswith(f"{str(props.get('filesPath') or '').rstrip('/')}/"))
    if outside:
        raise ValueError(f"{name}: files outside filesPath {props.get('filesPath')!r}: {', '.join(outside)}")

    s: dict[str, Any] = {"image": images.get(spec["Image"], spec["Image"]), "pull_policy": "never"}
    if spec.get("Entrypoint") is not None:
        s["entrypoint"] = spec["Entrypoint"]
    if spec.get("Cmd") is not None:
        s["command"] = spec["Cmd"]
    if spec.get("User"):
        s["user"] = spec["User"]
    if spec.get("Env"):
        s["environment"] = spec["Env"]
    s["restart"] = (host.get("RestartPolicy") or {}).get("Name") or "no"
    if spec.get("Labels"):
        s["labels"] = dict(spec["Labels"])
    # a writable root where Compose must copy files in (see the module's docstring)
    s["read_only"] = bool(host.get("ReadonlyRootfs")) and not files
    if host.get("CapDrop"):
        s["cap_drop"] = host["CapDrop"]
    if host.get("CapAdd"):
        s["cap_add"] = host["CapAdd"]
    if host.get("SecurityOpt"):
        s["security_opt"] = host["SecurityOpt"]
    if host.get("Tmpfs"):
        s["tmpfs"] = tmpfs(host["Tmpfs"])
    if host.get("LogConfig"):
        s["logging"] = {"driver": host["LogConfig"]["Type"], "options": host["LogConfig"].get("Config") or {}}
    if host.get("NetworkMode"):
        _network(name, s, host["NetworkMode"], ids, networks)
    if host.get("PidMode"):
        s["pid"] = pid(host["PidMode"], ids)
    if host.get("Binds"):
        s["volumes"] = [_mount(name, bind, volumes) for bind in host["Binds"]]
    add_configs(s, name, [(path, content, FILE_MODE) for path, content in sorted(files.items())], configs)
    return s
