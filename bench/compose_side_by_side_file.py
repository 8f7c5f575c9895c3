"""A Compose file equivalent to a deployed stack, generated from the inputs the program registered.

The source is the stack's own state (`pulumi stack export --show-secrets`): every docker Container,
one-shot run, Network and Volume the program registered, with the inputs the provider received, so the
file is never hand-kept. Each container becomes a service with the same image (by ID), command, user,
environment, limits, health check, mounts, networks and aliases; the provider's ``uploads`` become
Compose ``configs`` with inline ``content`` (copied into the container before it starts, as the
provider's uploads are). A one-shot run (``standard_stack.one_shot.OneShot``: file loaders, password
rotations, the nginx reload, the ACME init) becomes a service from its ``spec``, the Engine API
``ContainerCreate`` body it runs (bench/compose_run_service.py), its ``files`` configs like the uploads.
Pulumi's dependency edges become ``depends_on``: on a one-shot (a run, or a container with ``mustRun:
false``: the migration) ``service_completed_successfully``, on a service with a health check
``service_healthy`` (the provider's ``wait: true`` gate), else ``service_started``. An input this module
does not translate is an error, not a silent omission.
"""

from __future__ import annotations

import json
from typing import Any

from .compose_run_service import ONE_SHOT_TYPES, add_configs, pid, run_service, tmpfs

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in exported state

# inputs with no Compose counterpart that change nothing a deploy's timing or behaviour depends on:
# the provider's own bookkeeping (how it attaches, waits, names and removes)
PROVIDER_ONLY = {
    "__defaults", "attach", "containerReadRefreshTimeoutMilliseconds", "destroyGraceSeconds", "logs", "mustRun",
    "name", "removeVolumes", "rm", "start", "stdinOpen", "tty", "wait", "waitTimeout",
}  # fmt: skip


def plain(value: Any) -> Any:
    """A value with Pulumi's secret wrappers removed (they nest: a list of secret objects)."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return plain(json.loads(value["plaintext"]))
        return {k: plain(v) for k, v in value.items() if k != "__defaults"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def short_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def image_ids(resources: list[dict[str, Any]]) -> set[str]:
    """The image IDs the containers and the one-shot runs name."""
    ids = {plain(r["inputs"])["image"] for r in resources if r["type"] == CONTAINER}
    return ids | {plain(r["inputs"])["spec"]["Image"] for r in resources if r["type"] in ONE_SHOT_TYPES}


def _condition(other: dict[str, Any]) -> str:
    """How a service waits for ``other``, a container or a one-shot run it depends on."""
    if other["type"] in ONE_SHOT_TYPES:
        return "service_completed_successfully"
    inputs = plain(other["inputs"])
    if not inputs.get("mustRun", True):
        return "service_completed_successfully"
    return "service_healthy" if inputs.get("healthcheck") else "service_started"


def compose_file(resources: list[dict[str, Any]], images: dict[str, str]) -> dict[str, Any]:
    """The Compose document for ``resources`` (an exported deployment's); ``images`` maps the image IDs
    the containers and runs name to tags (Compose resolves names, and never pulls: ``pull_policy: never``)."""
    by_urn = {r["urn"]: r for r in resources}
    containers = [r for r in resources if r["type"] == CONTAINER]
    runs = [r for r in resources if r["type"] in ONE_SHOT_TYPES]
    ids = {r["id"]: short_name(r["urn"]) for r in containers}
    volumes = {plain(r["inputs"])["name"]: short_name(r["urn"]) for r in resources if r["type"] == VOLUME}
    networks = {}
    doc: dict[str, Any] = {"services": {}, "networks": {}, "volumes": {}, "configs": {}}
    for r in resources:
        if r["type"] == NETWORK:
            inputs = plain(r["inputs"])
            key = short_name(r["urn"])
            networks[inputs["name"]] = key
            net: dict[str, Any] = {"driver": inputs.get("driver", "bridge"), "internal": bool(inputs.get("internal"))}
            # the same subnet: settings derived from it (the API's FORWARDED_ALLOW_IPS) stay true
            subnets = [c["subnet"] for c in r.get("outputs", {}).get("ipamConfigs") or [] if c.get("subnet")]
            if subnets:
                net["ipam"] = {"config": [{"subnet": s} for s in subnets]}
            net["labels"] = {x["label"]: x["value"] for x in inputs.get("labels", [])}
            doc["networks"][key] = net
        elif r["type"] == VOLUME:
            inputs = plain(r["inputs"])
            doc["volumes"][short_name(r["urn"])] = {"labels": {x["label"]: x["value"] for x in inputs.get("labels", [])}}
    for r in containers + runs:
        name = short_name(r["urn"])
        if r["type"] == CONTAINER:
            service = _service(name, plain(r["inputs"]), images, ids, volumes, networks, doc["configs"])
        else:
            service = run_service(name, plain(r["inputs"]), images, ids, volumes, networks, doc["configs"])
        depends = {}
        for dep in r.get("dependencies", []):
            other = by_urn.get(dep)
            if other is not None and (other["type"] == CONTAINER or other["type"] in ONE_SHOT_TYPES):
                depends[short_name(dep)] = {"condition": _condition(other)}
        if depends:
            service["depends_on"] = depends
        doc["services"][name] = service
    return escape({k: v for k, v in doc.items() if v})


def escape(value: Any) -> Any:
    """Every ``$`` doubled: Compose interpolates variables in every string; the provider sends them verbatim."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape(v) for v in value]
    return value


def _duration(text: str) -> str:
    return text  # the provider's Go durations (5s, 1m0s, 500ms) are Compose durations too


def _service(
    name: str,
    inputs: dict[str, Any],
    images: dict[str, str],
    ids: dict[str, str],
    volumes: dict[str, str],
    networks: dict[str, str],
    configs: dict[str, Any],
) -> dict[str, Any]:
    s: dict[str, Any] = {"image": images.get(inputs["image"], inputs["image"]), "pull_policy": "never"}
    handled = set(PROVIDER_ONLY) | {"image"}

    def take(key: str) -> Any:
        handled.add(key)
        return inputs.get(key)

    if take("entrypoints") is not None:
        s["entrypoint"] = inputs["entrypoints"]
    if take("command") is not None:
        s["command"] = inputs["command"]
    if take("envs"):
        s["environment"] = inputs["envs"]
    for key, out in (("user", "user"), ("init", "init"), ("readOnly", "read_only"), ("shmSize", None)):
        value = take(key)
        if value is None or value == "":
            continue
        if key == "shmSize":
            s["shm_size"] = f"{value}m"
        else:
            s[out] = value
    if take("stopSignal"):
        s["stop_signal"] = inputs["stopSignal"]
    if take("stopTimeout") is not None:
        s["stop_grace_period"] = f"{inputs['stopTimeout']}s"
    s["restart"] = take("restart") or "no"
    if take("labels"):
        s["labels"] = {x["label"]: x["value"] for x in inputs["labels"]}
    if take("capabilities"):
        if inputs["capabilities"].get("adds"):
            s["cap_add"] = inputs["capabilities"]["adds"]
        if inputs["capabilities"].get("drops"):
            s["cap_drop"] = inputs["capabilities"]["drops"]
    if take("securityOpts"):
        s["security_opt"] = inputs["securityOpts"]
    if take("tmpfs"):
        s["tmpfs"] = tmpfs(inputs["tmpfs"])
    if take("memory"):
        s["mem_limit"] = f"{inputs['memory']}m"
    if take("memoryReservation"):
        s["mem_reservation"] = f"{inputs['memoryReservation']}m"
    if take("memorySwap"):
        s["memswap_limit"] = f"{inputs['memorySwap']}m"
    if take("cpus"):
        s["cpus"] = float(inputs["cpus"])
    if take("logDriver"):
        s["logging"] = {"driver": inputs["logDriver"], "options": inputs.get("logOpts") or {}}
    handled.add("logOpts")
    hc = take("healthcheck")
    if hc:
        s["healthcheck"] = {
            "test": hc["tests"],
            "interval": _duration(hc.get("interval", "0s")),
            "timeout": _duration(hc.get("timeout", "0s")),
            "start_period": _duration(hc.get("startPeriod", "0s")),
            "retries": hc.get("retries", 0),
        }
        if hc.get("startInterval", "0s") != "0s":
            s["healthcheck"]["start_interval"] = hc["startInterval"]
    mode = take("networkMode")
    attached = take("networksAdvanced") or []
    if attached:
        s["networks"] = {networks[n["name"]]: {"aliases": n.get("aliases", [])} for n in attached}
    elif mode and mode != "bridge":
        s["network_mode"] = mode
    if take("pidMode"):
        s["pid"] = pid(inputs["pidMode"], ids)
    if take("ports"):
        s["ports"] = [
            {
                "target": p["internal"],
                "published": str(p["external"]),
                "host_ip": p.get("ip", ""),
                "protocol": p.get("protocol", "tcp"),
            }
            for p in inputs["ports"]
        ]
    mounts = []
    for v in take("volumes") or []:
        if v.get("volumeName"):
            kind, source = "volume", volumes[v["volumeName"]]
        elif v.get("hostPath"):
            kind, source = "bind", v["hostPath"]
        else:
            raise ValueError(f"{name}: a volume mount without volumeName or hostPath: {v}")
        mounts.append({"type": kind, "source": source, "target": v["containerPath"], "read_only": bool(v.get("readOnly"))})
    if mounts:
        s["volumes"] = mounts
    uploads = take("uploads") or []
    for u in uploads:
        if "content" not in u:
            raise ValueError(f"{name}: upload {u.get('file')} has no inline content (source/contentBase64 not translated)")
    add_configs(s, name, [(u["file"], u["content"], int(u.get("permissions") or "0644", 8)) for u in uploads], configs)
    unknown = sorted(set(inputs) - handled)
    if unknown:
        raise ValueError(f"{name}: container inputs not translated to Compose: {', '.join(unknown)}")
    return s
