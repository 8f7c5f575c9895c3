"""`docker:index/image:Image` and `docker:index/remoteImage:RemoteImage` on a registry-less engine.

Image: a BuildKit build (`DOCKER_BUILDKIT=1 docker build`) with the program's context, Dockerfile
(relative to the program's working directory, as pulumi-docker resolves it), target, args and
platform, tagged `imageName`. With `skipPush` the provider returns the local image id as
`repoDigest`. The provider rebuilds when the context hash changes and never replaces: the harness
builds on every run (cache-warm builds take seconds) and calls the resource unchanged when the
resulting image id is the one it had.
"""

from __future__ import annotations

import os
import threading

from .. import engine_api as api
from ..wire import InputError
from .base import Applied, ApplyError, Context, Handler, check_nested, require

IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
_BUILD_KEYS = {"context", "dockerfile", "target", "args", "platform", "builderVersion", "network", "addHosts"}
_host_platform: list = []
_lock = threading.Lock()


def host_platform() -> str:
    with _lock:
        if not _host_platform:
            info = api.get_json("/version")
            _host_platform.append(f"{info['Os']}/{info['Arch']}")
        return _host_platform[0]


class ImageHandler(Handler):
    token = IMAGE
    known = frozenset({"imageName", "build", "skipPush", "buildOnPreview"})
    always_refresh = True

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        image_name = require(inputs, "imageName", name, IMAGE)
        if not inputs.get("skipPush", False):
            raise InputError(
                f"{IMAGE} '{name}': skipPush is not true, so pulumi-docker would push "
                f"'{image_name}' to a registry; there is none here (set skip_push=True "
                f"for a local daemon)"
            )
        build = inputs.get("build") or {}
        check_nested(build, _BUILD_KEYS, f"{IMAGE} '{name}' build")
        if build.get("builderVersion") not in (None, "BuilderBuildKit"):
            raise InputError(
                f"{IMAGE} '{name}': builderVersion {build['builderVersion']!r}: the harness builds with BuildKit only"
            )
        context = build.get("context") or "."
        dockerfile = build.get("dockerfile") or os.path.join(context, "Dockerfile")
        args = ["build", "--tag", image_name, "--file", dockerfile]
        if build.get("target"):
            args += ["--target", build["target"]]
        for key, value in sorted((build.get("args") or {}).items()):
            args += ["--build-arg", f"{key}={value}"]
        if build.get("platform") and build["platform"] != host_platform():
            args += ["--platform", build["platform"]]
        if build.get("network"):
            args += ["--network", build["network"]]
        for host in build.get("addHosts") or []:
            args += ["--add-host", host]
        args.append(context)
        ctx.journal("image-build-start", name=name, image=image_name)
        proc = api.cli(*args, env={"DOCKER_BUILDKIT": "1"}, cwd=ctx.program_dir)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-40:])
            raise ApplyError(
                f"docker build of '{image_name}' (context {context}, Dockerfile "
                f"{dockerfile}, run in {ctx.program_dir}) failed:\n{tail}"
            )
        image_id = api.get_json(f"/images/{image_name}/json")["Id"]
        ctx.journal("image-built", name=name, image=image_name, image_id=image_id)
        outputs = dict(inputs)
        outputs.update(
            {
                "imageName": image_name,
                "repoDigest": image_id,
                "context": context,
                "dockerfile": dockerfile,
                "platform": build.get("platform", ""),
                "baseImageName": image_name,
                "registryServer": "",
            }
        )
        return Applied(image_name, outputs, {"kind": "image", "id": image_id})

    def delete(self, ctx: Context, record: dict) -> None:
        """pulumi-docker's Image delete removes nothing (neither the tag nor the image)."""


class RemoteImageHandler(Handler):
    token = REMOTE_IMAGE
    known = frozenset({"name", "keepLocally", "forceRemove", "triggers", "pullTriggers"})

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        image = require(inputs, "name", name, REMOTE_IMAGE)
        try:
            info = api.get_json(f"/images/{image}/json")
        except api.EngineError as err:
            raise ApplyError(
                f"image '{image}' is not present on the engine and it cannot be pulled here (no registry): {err.message}"
            ) from err
        outputs = dict(inputs)
        digests = info.get("RepoDigests") or []
        outputs.update({"imageId": info["Id"], "repoDigest": digests[0] if digests else ""})
        return Applied(f"{info['Id']}{image}", outputs, {"kind": "image", "id": info["Id"]})

    def delete(self, ctx: Context, record: dict) -> None:
        inputs = record["inputs_live"]
        if not inputs.get("keepLocally", False):
            # The provider would remove the image. The engine here is shared and holds the
            # stand-in base images, so the harness keeps it and says so.
            ctx.note(
                f"RemoteImage '{record['name']}': keep_locally is false, pulumi-docker would "
                f"remove image {inputs.get('name')} on delete; the harness kept it"
            )
