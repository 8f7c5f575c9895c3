"""`docker:index/volume:Volume`: a fixed name adopts an existing volume; delete force-removes."""

from __future__ import annotations

import time

from .. import engine_api as api
from .base import LABEL_KEY, Applied, ApplyError, Context, Handler

TOKEN = "docker:index/volume:Volume"


class VolumeHandler(Handler):
    token = TOKEN
    known = frozenset({"name", "driver", "driverOpts", "labels"})
    set_like = frozenset({"labels"})
    auto_name = True

    def default_delete_before_replace(self, inputs: dict) -> bool:
        return "name" in inputs

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        labels = {item["label"]: item.get("value", "") for item in inputs.get("labels") or []}
        labels[LABEL_KEY] = ctx.label
        body = {
            "Name": inputs["name"],
            "Driver": inputs.get("driver", "local") or "local",
            "DriverOpts": inputs.get("driverOpts") or {},
            "Labels": labels,
        }
        try:
            created = api.post_json("/volumes/create", body, what="Unable to create volume")
        except api.EngineError as err:
            raise ApplyError(str(err)) from err
        if (created.get("Labels") or {}).get(LABEL_KEY) != ctx.label:
            ctx.journal("volume-adopted", name=name, volume=created["Name"])
        outputs = dict(inputs)
        outputs.update({"name": created["Name"], "driver": created["Driver"], "mountpoint": created.get("Mountpoint", "")})
        return Applied(created["Name"], outputs, {"kind": "volume", "id": created["Name"]})

    def delete(self, ctx: Context, record: dict) -> None:
        vol = record["docker"]["id"]
        deadline = time.monotonic() + 30
        while True:
            try:
                api.delete(f"/volumes/{vol}", query={"force": 1})
                return
            except api.EngineError as err:
                if err.status == 404:
                    return
                if time.monotonic() >= deadline:
                    raise ApplyError(f"Error removing volume {vol}: {err.message}") from err
                time.sleep(1)
