"""`docker:index/network:Network`: every input forces replacement; duplicate names fail."""

from __future__ import annotations

import time

from .. import engine_api as api
from ..wire import InputError
from .base import LABEL_KEY, Applied, ApplyError, Context, Handler, check_nested

TOKEN = "docker:index/network:Network"
_IPAM_KEYS = {"subnet", "ipRange", "gateway", "auxAddress"}


class NetworkHandler(Handler):
    token = TOKEN
    known = frozenset(
        {"name", "driver", "internal", "attachable", "labels", "ipamConfigs", "ipamDriver", "options", "ipv6", "checkDuplicate"}
    )
    set_like = frozenset({"labels", "ipamConfigs"})
    auto_name = True

    def default_delete_before_replace(self, inputs: dict) -> bool:
        return "name" in inputs  # an explicit auto-name field makes tfbridge delete first

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        labels = {item["label"]: item.get("value", "") for item in inputs.get("labels") or []}
        labels[LABEL_KEY] = ctx.label
        body = {
            "Name": inputs["name"],
            "CheckDuplicate": True,
            "Driver": inputs.get("driver", "bridge") or "bridge",
            "Internal": bool(inputs.get("internal", False)),
            "Attachable": bool(inputs.get("attachable", False)),
            "EnableIPv6": bool(inputs.get("ipv6", False)),
            "Options": inputs.get("options") or {},
            "Labels": labels,
        }
        ipam = inputs.get("ipamConfigs") or []
        if ipam or inputs.get("ipamDriver"):
            check_nested(ipam, _IPAM_KEYS, f"{TOKEN} '{name}' ipamConfigs")
            body["IPAM"] = {
                "Driver": inputs.get("ipamDriver", "default") or "default",
                "Config": [
                    {
                        "Subnet": c.get("subnet", ""),
                        "IPRange": c.get("ipRange", ""),
                        "Gateway": c.get("gateway", ""),
                        "AuxiliaryAddresses": c.get("auxAddress") or {},
                    }
                    for c in ipam
                ],
            }
        if "checkDuplicate" in inputs and not inputs["checkDuplicate"]:
            raise InputError(f"{TOKEN} '{name}': checkDuplicate=false is not implemented")
        try:
            created = api.post_json("/networks/create", body, what="Unable to create network")
        except api.EngineError as err:
            raise ApplyError(str(err)) from err
        outputs = dict(inputs)
        outputs.update({"name": inputs["name"], "scope": "local", "driver": body["Driver"]})
        return Applied(created["Id"], outputs, {"kind": "network", "id": created["Id"]})

    def delete(self, ctx: Context, record: dict) -> None:
        nid = record["docker"]["id"]
        deadline = time.monotonic() + 30
        while True:
            try:
                api.delete(f"/networks/{nid}")
                return
            except api.EngineError as err:
                if err.status == 404:
                    return
                if time.monotonic() >= deadline:
                    raise ApplyError(f"Error removing network {nid}: {err.message}") from err
                time.sleep(1)
