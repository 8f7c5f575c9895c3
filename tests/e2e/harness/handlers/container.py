"""`docker:index/container:Container` applied the way terraform-provider-docker does it.

Create order (resourceDockerContainerCreate): find the image locally → POST /containers/create
with the provider's Config/HostConfig (Init always sent, false when unset) → if networks_advanced:
disconnect `bridge`, connect each network with its aliases → uploads as a tar copied to `/` while
the container is created but not started (fails on a read-only rootfs, like the engine) → start →
`wait`: poll health every second, only "healthy" ends it → `attach`: wait for exit, `logs`
captures output → read: a container that is not running while `must_run` is removed and fails.
"""

from __future__ import annotations

import base64
import io
import tarfile
import time

from .. import engine_api as api
from ..wire import InputError, as_int, go_duration_ns
from .base import LABEL_KEY, Applied, ApplyError, Context, Handler, Tainted, check_nested, require

TOKEN = "docker:index/container:Container"

_PORT_KEYS = {"internal", "external", "ip", "protocol"}
_NET_KEYS = {"name", "aliases", "ipv4Address", "ipv6Address"}
_HEALTH_KEYS = {"tests", "interval", "timeout", "startPeriod", "retries"}
_UPLOAD_KEYS = {"file", "content", "contentBase64", "source", "sourceHash", "executable", "permissions"}
_VOLUME_KEYS = {"volumeName", "hostPath", "containerPath", "readOnly", "fromContainer"}
_MOUNT_KEYS = {"target", "type", "source", "readOnly", "bindOptions", "tmpfsOptions"}
_LABEL_KEYS = {"label", "value"}
_CAP_KEYS = {"adds", "drops"}


class ContainerHandler(Handler):
    token = TOKEN
    known = frozenset(
        {
            "name",
            "image",
            "envs",
            "command",
            "entrypoints",
            "user",
            "workingDir",
            "hostname",
            "domainname",
            "ports",
            "networksAdvanced",
            "healthcheck",
            "wait",
            "waitTimeout",
            "restart",
            "maxRetryCount",
            "memory",
            "memoryReservation",
            "memorySwap",
            "cpus",
            "cpuShares",
            "cpuSet",
            "readOnly",
            "tmpfs",
            "uploads",
            "volumes",
            "mounts",
            "capabilities",
            "securityOpts",
            "init",
            "logDriver",
            "logOpts",
            "labels",
            "mustRun",
            "attach",
            "logs",
            "rm",
            "start",
            "destroyGraceSeconds",
            "removeVolumes",
            "stopSignal",
            "stopTimeout",
            "shmSize",
            "networkMode",
        }
    )
    # resourceDockerContainerUpdate: ContainerUpdate with restart policy and resources.
    in_place = frozenset({"restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "memorySwap", "cpuSet", "cpus"})
    # Not ForceNew in the schema and not applied to a live container.
    state_only = frozenset(
        {
            "wait",
            "waitTimeout",
            "mustRun",
            "attach",
            "logs",
            "rm",
            "start",
            "destroyGraceSeconds",
            "removeVolumes",
            "healthcheck",
            "tmpfs",
            "init",
        }
    )
    set_like = frozenset({"envs", "securityOpts", "labels", "uploads", "volumes", "mounts", "networksAdvanced"})
    auto_name = True

    def default_delete_before_replace(self, inputs: dict) -> bool:
        return True  # pulumi-docker marks container replacements delete-before-replace

    # --- create ---------------------------------------------------------------------------
    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        image = require(inputs, "image", name, TOKEN)
        cname = inputs["name"]
        config, host = self._build_config(ctx, name, inputs)
        self._find_image(image, name)
        try:
            created = api.post_json(
                "/containers/create", {**config, "HostConfig": host}, query={"name": cname}, what="Unable to create container"
            )
        except api.EngineError as err:
            raise ApplyError(str(err)) from err
        cid = created["Id"]
        ctx.journal("container-created", name=name, container=cid, container_name=cname)
        docker = {"kind": "container", "id": cid}
        try:
            self._connect_networks(cid, inputs)
            self._upload(cid, inputs, name)
            if inputs.get("start", True):
                api.request("POST", f"/containers/{cid}/start", what="Unable to start container")
            if inputs.get("wait", False):
                self._wait_healthy(cid, inputs)
            logs = None
            if inputs.get("attach", False):
                api.post_json(
                    f"/containers/{cid}/wait",
                    query={"condition": "not-running"},
                    timeout=None,
                    what="Unable to wait container end of execution",
                )
                if inputs.get("logs", False):
                    logs = api.container_logs(cid)
            return Applied(cid, self._read(cid, inputs, cname, logs, name), docker)
        except (api.EngineError, ApplyError) as err:
            # The provider has set the id already: the container stays in state (tainted).
            raise Tainted(str(err), docker) from err

    def _find_image(self, image: str, name: str) -> None:
        if not api.exists(f"/images/{image}/json"):
            raise ApplyError(
                f"Unable to create container with image {image}: the image is not "
                f"present locally and no registry is reachable from the e2e engine"
            )

    def _build_config(self, ctx: Context, name: str, inputs: dict) -> tuple[dict, dict]:
        what = f"{TOKEN} '{name}'"
        config: dict = {
            "Image": inputs["image"],
            "Hostname": inputs.get("hostname", ""),
            "Domainname": inputs.get("domainname", ""),
            "Tty": False,
            "OpenStdin": False,
        }
        if inputs.get("envs"):
            config["Env"] = list(inputs["envs"])
        if inputs.get("command"):
            if any(part == "" for part in inputs["command"]):
                raise ApplyError("values for command may not be empty")
            config["Cmd"] = list(inputs["command"])
        if inputs.get("entrypoints"):
            config["Entrypoint"] = list(inputs["entrypoints"])
        if inputs.get("user"):
            config["User"] = inputs["user"]
        if inputs.get("workingDir"):
            config["WorkingDir"] = inputs["workingDir"]
        if inputs.get("stopSignal"):
            config["StopSignal"] = inputs["stopSignal"]
        if "stopTimeout" in inputs:
            config["StopTimeout"] = as_int(inputs["stopTimeout"], f"{what} stopTimeout")
        labels = {}
        if inputs.get("labels"):
            check_nested(inputs["labels"], _LABEL_KEYS, f"{what} labels")
            labels = {item["label"]: item.get("value", "") for item in inputs["labels"]}
        labels[LABEL_KEY] = ctx.label
        config["Labels"] = labels

        exposed, bindings = {}, {}
        for port in inputs.get("ports") or []:
            check_nested(port, _PORT_KEYS, f"{what} ports")
            key = f"{as_int(port['internal'], f'{what} ports.internal')}/{port.get('protocol') or 'tcp'}"
            exposed[key] = {}
            external = port.get("external")
            bindings.setdefault(key, []).append(
                {
                    "HostIp": port.get("ip") or "0.0.0.0",
                    "HostPort": str(as_int(external, f"{what} ports.external")) if external else "",
                }
            )
        if exposed:
            config["ExposedPorts"] = exposed

        if "healthcheck" in inputs:
            hc = inputs["healthcheck"]
            check_nested(hc, _HEALTH_KEYS, f"{what} healthcheck")
            config["Healthcheck"] = {
                "Test": list(hc.get("tests") or []),
                "Interval": go_duration_ns(hc.get("interval", "0s"), f"{what} healthcheck.interval"),
                "Timeout": go_duration_ns(hc.get("timeout", "0s"), f"{what} healthcheck.timeout"),
                "StartPeriod": go_duration_ns(hc.get("startPeriod", "0s"), f"{what} healthcheck.startPeriod"),
                "Retries": as_int(hc.get("retries", 0), f"{what} healthcheck.retries"),
            }

        volumes, binds, volumes_from = {}, [], []
        for vol in inputs.get("volumes") or []:
            check_nested(vol, _VOLUME_KEYS, f"{what} volumes")
            if vol.get("fromContainer"):
                volumes_from.append(vol["fromContainer"])
                continue
            path = vol.get("containerPath")
            if not path:
                raise InputError(f"{what} volumes: containerPath is required here")
            source = vol.get("hostPath") or vol.get("volumeName")
            if source:
                binds.append(f"{source}:{path}" + (":ro" if vol.get("readOnly") else ""))
            else:
                volumes[path] = {}
        if volumes:
            config["Volumes"] = volumes

        mounts = []
        for m in inputs.get("mounts") or []:
            check_nested(m, _MOUNT_KEYS, f"{what} mounts")
            mount = {
                "Type": m["type"],
                "Target": m["target"],
                "Source": m.get("source", ""),
                "ReadOnly": bool(m.get("readOnly", False)),
            }
            if m["type"] == "bind" and m.get("bindOptions"):
                check_nested(m["bindOptions"], {"propagation"}, f"{what} mounts.bindOptions")
                mount["BindOptions"] = {"Propagation": m["bindOptions"].get("propagation", "")}
            if m["type"] == "tmpfs" and m.get("tmpfsOptions"):
                check_nested(m["tmpfsOptions"], {"sizeBytes", "mode"}, f"{what} mounts.tmpfsOptions")
                opts = m["tmpfsOptions"]
                mount["TmpfsOptions"] = {
                    k: as_int(opts[src], f"{what} mounts.tmpfsOptions.{src}")
                    for src, k in (("sizeBytes", "SizeBytes"), ("mode", "Mode"))
                    if src in opts
                }
            mounts.append(mount)

        restart = inputs.get("restart", "no")
        host: dict = {
            "Privileged": False,
            "PublishAllPorts": False,
            "RestartPolicy": {
                "Name": restart,
                "MaximumRetryCount": as_int(inputs.get("maxRetryCount", 0), f"{what} maxRetryCount"),
            },
            "Mounts": mounts,
            "AutoRemove": bool(inputs.get("rm", False)),
            "ReadonlyRootfs": bool(inputs.get("readOnly", False)),
            "LogConfig": {"Type": inputs.get("logDriver", "")},
            "Init": bool(inputs.get("init", False)),
        }
        if inputs.get("tmpfs"):
            host["Tmpfs"] = {k: str(v) for k, v in inputs["tmpfs"].items()}
        if bindings:
            host["PortBindings"] = bindings
        if binds:
            host["Binds"] = binds
        if volumes_from:
            host["VolumesFrom"] = volumes_from
        if inputs.get("capabilities"):
            check_nested(inputs["capabilities"], _CAP_KEYS, f"{what} capabilities")
            host["CapAdd"] = list(inputs["capabilities"].get("adds") or [])
            host["CapDrop"] = list(inputs["capabilities"].get("drops") or [])
        if inputs.get("securityOpts"):
            host["SecurityOpt"] = list(inputs["securityOpts"])
        host.update(_resources(inputs, what))
        if inputs.get("logOpts"):
            host["LogConfig"]["Config"] = {k: str(v) for k, v in inputs["logOpts"].items()}
        if inputs.get("networkMode"):
            host["NetworkMode"] = inputs["networkMode"]
        if inputs.get("shmSize"):
            host["ShmSize"] = as_int(inputs["shmSize"], f"{what} shmSize") * 1024 * 1024
        return config, host

    def _connect_networks(self, cid: str, inputs: dict) -> None:
        nets = inputs.get("networksAdvanced") or []
        if not nets:
            return
        check_nested(nets, _NET_KEYS, f"{TOKEN} networksAdvanced")
        try:
            api.post_json("/networks/bridge/disconnect", {"Container": cid, "Force": False})
        except api.EngineError as err:
            if "is not connected to the network bridge" not in err.message:
                raise ApplyError(f"Unable to disconnect the default network: {err.message}") from err
        for net in nets:
            endpoint = {
                "Aliases": list(net.get("aliases") or []),
                "IPAMConfig": {"IPv4Address": net.get("ipv4Address", ""), "IPv6Address": net.get("ipv6Address", "")},
            }
            try:
                api.post_json(f"/networks/{net['name']}/connect", {"Container": cid, "EndpointConfig": endpoint})
            except api.EngineError as err:
                raise ApplyError(f"Unable to connect to network '{net['name']}': {err.message}") from err

    def _upload(self, cid: str, inputs: dict, name: str) -> None:
        uploads = inputs.get("uploads") or []
        if not uploads:
            return
        check_nested(uploads, _UPLOAD_KEYS, f"{TOKEN} '{name}' uploads")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
            for up in uploads:
                sources = [k for k in ("content", "contentBase64", "source") if up.get(k)]
                if len(sources) != 1:
                    raise ApplyError(
                        "error with upload content: exactly one of 'content', 'content_base64', or 'source' must be set"
                    )
                if up.get("content"):
                    data = up["content"].encode()
                elif up.get("contentBase64"):
                    data = base64.b64decode(up["contentBase64"])
                else:
                    with open(up["source"], "rb") as fh:
                        data = fh.read()
                default_mode = 0o744 if up.get("executable") else 0o644
                mode = int(up["permissions"], 8) if up.get("permissions") else default_mode
                info = tarfile.TarInfo(up["file"])
                info.size, info.mode, info.uid, info.gid = len(data), mode, 0, 0
                info.mtime = int(time.time())
                tar.addfile(info, io.BytesIO(data))
        try:
            api.request(
                "PUT",
                f"/containers/{cid}/archive",
                query={"path": "/"},
                raw_body=buf.getvalue(),
                content_type="application/x-tar",
            )
        except api.EngineError as err:
            raise ApplyError(f"Unable to upload volume content: {err.message}") from err

    def _wait_healthy(self, cid: str, inputs: dict) -> None:
        timeout = as_int(inputs.get("waitTimeout", 60), "waitTimeout")
        deadline = time.monotonic() + timeout
        while True:
            state = api.get_json(f"/containers/{cid}/json")["State"]
            health = state.get("Health")
            if health is None:
                raise ApplyError(
                    f"container {cid[:12]} has no health check (neither in the inputs "
                    f"nor in the image), so `wait` can never see it healthy"
                )
            if health.get("Status") == "healthy":
                return
            if time.monotonic() >= deadline:
                tail = api.container_logs(cid, tail=30)
                probes = "; ".join((h.get("Output") or "").strip()[:200] for h in health.get("Log") or [])
                raise ApplyError(
                    f"container {cid[:12]} failed to be in healthy state after "
                    f"{timeout} seconds (status {health.get('Status')}, running "
                    f"{state.get('Running')}). [harness diagnostics] last probes: "
                    f"{probes}\nlast logs:\n{tail}"
                )
            time.sleep(1)

    def _read(self, cid: str, inputs: dict, cname: str, logs, name: str) -> dict:
        time.sleep(0.1)  # containerReadRefreshDelay
        info = api.get_json(f"/containers/{cid}/json")
        state = info["State"]
        if not state["Running"] and inputs.get("mustRun", True):
            tail = api.container_logs(cid, tail=30)
            self._remove(cid, inputs)
            raise ApplyError(
                f"container failed to be in running state (exit code "
                f"{state.get('ExitCode')}). [harness diagnostics] last logs:\n{tail}"
            )
        outputs = dict(inputs)
        outputs.update({"name": info["Name"].lstrip("/"), "id": cid, "bridge": "", "networkDatas": _network_data(info)})
        if not state["Running"]:
            outputs["exitCode"] = state.get("ExitCode")
        if logs is not None:
            outputs["containerLogs"] = logs
        if inputs.get("ports"):
            outputs["ports"] = _ports_out(inputs["ports"], info)
        return outputs

    # --- update / delete --------------------------------------------------------------------
    def update(self, ctx: Context, name: str, inputs: dict, old: dict, changed: set) -> Applied:
        cid = old["docker"]["id"]
        if changed & self.in_place:
            body = {
                "RestartPolicy": {
                    "Name": inputs.get("restart", "no"),
                    "MaximumRetryCount": as_int(inputs.get("maxRetryCount", 0), "maxRetryCount"),
                }
            }
            body.update(_resources(inputs, f"{TOKEN} '{name}'"))
            try:
                api.post_json(f"/containers/{cid}/update", body, what="Unable to update a container")
            except api.EngineError as err:
                raise ApplyError(str(err)) from err
        outputs = dict(old["outputs"])
        outputs.update(inputs)
        return Applied(old["id"], outputs, old["docker"])

    def delete(self, ctx: Context, record: dict) -> None:
        inputs = record["inputs_live"]
        if inputs.get("rm"):
            return
        self._remove(record["docker"]["id"], inputs)

    def _remove(self, cid: str, inputs: dict) -> None:
        grace = inputs.get("destroyGraceSeconds", 0) or 0
        try:
            if not inputs.get("attach") and grace > 0:
                api.request("POST", f"/containers/{cid}/stop", query={"t": int(grace)}, timeout=grace + 30)
            api.delete(f"/containers/{cid}", query={"v": int(inputs.get("removeVolumes", True)), "force": 1})
        except api.EngineError as err:
            if err.status != 404:
                raise ApplyError(f"Error deleting container {cid}: {err.message}") from err


def _resources(inputs: dict, what: str) -> dict:
    res: dict = {}
    if "memory" in inputs:
        res["Memory"] = as_int(inputs["memory"], f"{what} memory") * 1024 * 1024
    if "memoryReservation" in inputs:
        res["MemoryReservation"] = as_int(inputs["memoryReservation"], f"{what} memoryReservation") * 1024 * 1024
    if "memorySwap" in inputs:
        swap = as_int(inputs["memorySwap"], f"{what} memorySwap")
        res["MemorySwap"] = swap * 1024 * 1024 if swap > 0 else swap
    if "cpuShares" in inputs:
        res["CpuShares"] = as_int(inputs["cpuShares"], f"{what} cpuShares")
    if "cpuSet" in inputs:
        res["CpusetCpus"] = inputs["cpuSet"]
    if "cpus" in inputs:
        try:
            res["NanoCpus"] = round(float(inputs["cpus"]) * 1e9)
        except ValueError as err:
            raise InputError(f"{what} cpus: {inputs['cpus']!r} is not a number") from err
    return res


def _network_data(info: dict) -> list:
    out = []
    for net_name, net in (info.get("NetworkSettings", {}).get("Networks") or {}).items():
        out.append(
            {
                "networkName": net_name,
                "ipAddress": net.get("IPAddress", ""),
                "ipPrefixLength": net.get("IPPrefixLen", 0),
                "gateway": net.get("Gateway", ""),
                "macAddress": net.get("MacAddress", ""),
                "globalIpv6Address": net.get("GlobalIPv6Address", ""),
                "globalIpv6PrefixLength": net.get("GlobalIPv6PrefixLen", 0),
                "ipv6Gateway": net.get("IPv6Gateway", ""),
            }
        )
    return out


def _ports_out(ports: list, info: dict) -> list:
    bound = info.get("NetworkSettings", {}).get("Ports") or {}
    out = []
    for port in ports:
        key = f"{int(port['internal'])}/{port.get('protocol') or 'tcp'}"
        item = dict(port)
        item.setdefault("ip", "0.0.0.0")
        item.setdefault("protocol", "tcp")
        if not item.get("external") and bound.get(key):
            item["external"] = int(bound[key][0]["HostPort"])
        out.append(item)
    return out
