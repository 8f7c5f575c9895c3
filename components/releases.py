"""Releases: app images tagged by their content, the last N kept on the Docker host, a pin to roll back.

A release is an image tagged ``<stack>-<12 hex>``: the digest of everything that makes the image
(the Dockerfile, every file of the build context that ``.dockerignore`` lets through, the build
arguments, the target stage and the platform). The same sources give the same tag, so a deploy
without changes changes nothing; any change gives a new tag and the previous release stays on the
host under its own tag, never overwritten.

Each kept release is a ``RemoteImage`` resource (``keep_locally=False``) named after its tag.
The program declares the current release plus the previous ones from ``history`` (the stack's own
``releases`` output, newest first), up to ``keep``; a release that falls out of that window is no
longer declared, so Pulumi deletes its resource, and the provider removes the tag
(terraform-provider-docker ``internal/provider/resource_docker_image_funcs.go``, ``removeImage``:
``ImageRemove(name, Force: force_remove)``). ``force_remove`` stays false: Docker then refuses to
remove an image that any container, running or stopped, still uses, instead of deleting it under
that container. The service's containers depend on their release's resource, so in one deploy the
old containers are removed before the old release they ran.

A pin (``release``) deploys a kept release instead of building: no ``Image`` resource is declared
and the containers run the pinned release's image id.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_docker as docker
from pydantic import Field

from ._models import ImageBuild, Runtime, StrictModel

DIGEST_LENGTH = 12
TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$"


# --- content digest ------------------------------------------------------------------------------
def _ignore_patterns(path: Path) -> list[str]:
    """A .dockerignore read as moby/patternmatcher ``ignorefile.ReadAll`` reads it: comments and blank
    lines dropped, whitespace trimmed, a leading ``!`` marks an exception, paths cleaned, a leading
    ``/`` removed."""
    if not path.is_file():
        return []
    patterns = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        body = line[1:].strip() if negate else line
        body = os.path.normpath(body).replace(os.sep, "/").lstrip("/") if body else body
        if body in ("", "."):
            continue
        patterns.append(("!" if negate else "") + body)
    return patterns


@lru_cache(maxsize=256)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """One pattern as moby/patternmatcher (``Pattern.compile``) turns it into a regular expression:
    ``*`` any run without ``/``, ``?`` one character but ``/``, ``**`` any number of directories
    (``**/`` also none), ``[...]`` a class, ``\\`` escapes; anchored at the context root."""
    out, i = "^", 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i + 1 : i + 2] == "*":
                i += 1
                if pattern[i + 1 : i + 2] == "/":
                    i += 1
                out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                out += "[" + pattern[i + 1 : end].replace("\\", "\\\\") + "]"
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    """moby/patternmatcher ``MatchesOrParentMatches``: the last pattern matching the path or one of
    its parent directories decides; ``!`` patterns re-include."""
    parts = rel.split("/")
    parents = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    matched = False
    for pattern in patterns:
        exception = pattern.startswith("!")
        if exception != matched:
            continue
        regex = _pattern_regex(pattern[1:] if exception else pattern)
        if regex.match(rel) or any(regex.match(p) for p in parents):
            matched = not exception
    return matched


def _file_entry(path: Path, rel: str) -> bytes:
    h = hashlib.sha256()
    if path.is_symlink():
        h.update(os.readlink(path).encode())
        kind = "l"
    else:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        kind = "x" if os.access(path, os.X_OK) else "f"
    return rel.encode() + b"\0" + kind.encode() + h.digest() + b"\0"


def content_digest(build: ImageBuild, *, platform: str, base_dir: Path | str = ".") -> str:
    """Hex SHA-256 of what the image is built from.

    The file set is the one pulumi-docker's context digest covers (tools/pulumi-resource-docker
    ``context.go``, ``hashContext``: the Dockerfile, then every file the ignore file lets through, by
    path, mode and content); the build arguments, target and platform are added, because they change
    the image without touching a file. Directories the ignore file excludes are not walked when no
    ``!`` exception could re-include something inside them (``node_modules`` costs nothing).
    """
    base = Path(base_dir)
    context = base / build.context
    dockerfile = base / (build.dockerfile or f"{build.context.rstrip('/')}/Dockerfile")
    acc = hashlib.sha256()
    settings = {"args": dict(sorted(build.args.items())), "target": build.target or "", "platform": platform}
    acc.update(repr(sorted(settings.items())).encode())
    if not (context.is_dir() and dockerfile.is_file()):
        # Nothing to hash: the provider's Check refuses the build with its own message
        # ("could not open dockerfile at relative path ..."), naming the path to fix.
        acc.update(f"missing:{build.context}:{dockerfile}".encode())
        return acc.hexdigest()
    specific = Path(f"{dockerfile}.dockerignore")
    patterns = _ignore_patterns(specific if specific.is_file() else context / ".dockerignore")
    prune_dirs = not any(p.startswith("!") for p in patterns)
    acc.update(_file_entry(dockerfile, "Dockerfile"))
    for root, dirs, files in os.walk(context):
        rel_root = Path(root).relative_to(context).as_posix()
        prefix = "" if rel_root == "." else f"{rel_root}/"
        if prune_dirs:
            dirs[:] = [d for d in dirs if not _excluded(prefix + d, patterns)]
        dirs.sort()
        for name in sorted(files):
            rel = prefix + name
            if not _excluded(rel, patterns):
                acc.update(_file_entry(Path(root) / name, rel))
    return acc.hexdigest()


def release_tag(runtime: Runtime, build: ImageBuild) -> str:
    """``<stack>-<first 12 hex of the content digest>``: readable, per stack, immutable."""
    return f"{runtime.stack}-{content_digest(build, platform=runtime.platform)[:DIGEST_LENGTH]}"


# --- the build ----------------------------------------------------------------------------------
def build_image(
    name: str,
    *,
    runtime: Runtime,
    service: str,
    build: ImageBuild,
    registry: str | None,
    parent: pulumi.Resource,
    tag: str | None = None,
    depends_on: Sequence[pulumi.Input[pulumi.Resource]] = (),
) -> docker.Image:
    """Build on the Docker host the provider points at; push only when a registry is configured.

    The tag is immutable: ``<stack>-<content digest>`` (``release_tag``) unless
    given. Unchanged sources keep the tag, so an unchanged context is an unchanged resource; changed
    sources get a new tag, and the previous image keeps its own. Containers use ``repo_digest`` (the
    image id when not pushed), so a rebuilt image always replaces them. ``depends_on``: e.g. the image
    a ``FROM`` of this build names.
    """
    if tag is None:
        tag = release_tag(runtime, build)
    repository = f"{registry.rstrip('/')}/{runtime.project}-{service}" if registry else f"{runtime.project}-{service}"
    return docker.Image(
        f"{name}-image",
        image_name=f"{repository}:{tag}",
        build=docker.DockerBuildArgs(
            context=build.context,
            dockerfile=build.dockerfile or f"{build.context.rstrip('/')}/Dockerfile",
            target=build.target,
            args=dict(sorted(build.args.items())) or None,
            # pulumi-docker fills an unset platform with the architecture of the machine running
            # pulumi (provider/image.go, Check): an arm64 laptop would build arm64 images for an
            # amd64 host and every colleague's preview would differ. The host's platform is explicit.
            platform=runtime.platform,
        ),
        skip_push=registry is None,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on) or None),
    )


# --- kept releases and the pin --------------------------------------------------------------------
class ReleaseArgs(StrictModel):
    """Which release a service runs and which earlier ones stay on the Docker host."""

    pin: str | None = Field(None, pattern=TAG_PATTERN, description="Deploy this kept release instead of building.")
    history: Any = Field(
        default_factory=list,
        description="Earlier releases, newest first (list or Output of a list): the stack's `releases` output.",
    )
    keep: int = Field(5, ge=1, le=100, description="Releases kept on the Docker host, the running one included.")
    setting: str = Field("release", description="Config key named in error messages.")


def _tags(value: Any) -> list[str]:
    return [t for t in (value or []) if isinstance(t, str)]


def kept_releases(current: str, history: Sequence[str] | None, keep: int) -> list[str]:
    """The releases to keep, newest first: the current one, then the history without duplicates."""
    ordered = [current, *[t for t in (history or []) if isinstance(t, str)]]
    return list(dict.fromkeys(ordered))[:keep]


class Release:
    """The image one service runs: built from its sources (tagged by content) or a pinned earlier release.

    ``reference`` is what containers run (the image id), ``depends_on`` what they must depend on (the
    running release's resource: removed only after them), ``kept`` the releases on the host after this
    deploy (newest first), ``image`` the build (None when pinned). A pin is checked against the
    history before any release resource is declared.
    """

    def __init__(
        self,
        name: str,
        *,
        runtime: Runtime,
        service: str,
        build: ImageBuild,
        registry: str | None,
        args: ReleaseArgs,
        parent: pulumi.Resource,
    ) -> None:
        repository = f"{registry.rstrip('/')}/{runtime.project}-{service}" if registry else f"{runtime.project}-{service}"
        self.repository = repository
        self.image: docker.Image | None = None
        self._name, self._runtime, self._parent = name, runtime, parent
        pin, setting, keep = args.pin, args.setting, args.keep
        history = pulumi.Output.from_input(args.history)

        if pin is None:
            self.tag = release_tag(runtime, build)
            self.image = build_image(
                name, runtime=runtime, service=service, build=build, registry=registry, parent=parent, tag=self.tag
            )
            current = self._release_image(self.tag, depends_on=[self.image])
            self.reference: pulumi.Output[str] = self.image.repo_digest
            self.depends_on: list[pulumi.Input[pulumi.Resource]] = [current]

            def keep_earlier(value: Any) -> list[str]:
                kept = kept_releases(self.tag, _tags(value), keep)
                for tag in kept[1:]:
                    self._release_image(tag, depends_on=[])
                return kept

            self.kept: pulumi.Output[list[str]] = history.apply(keep_earlier)
        else:
            self.tag = pin

            def keep_pinned(value: Any) -> tuple[list[str], docker.RemoteImage]:
                # Checked before any release resource is declared: a wrong pin changes nothing.
                earlier = _tags(value)
                if pin not in earlier:
                    raise pulumi.RunError(
                        f"{setting}: {pin!r} is not a release of stack {runtime.stack} kept on the Docker host; "
                        f"kept releases, newest first: {', '.join(earlier) or 'none yet'}. Set it to one of them "
                        f"(`scripts/releases {runtime.stack} {service}` lists them), or unset it to build."
                    )
                kept = kept_releases(pin, earlier, keep)
                images = {tag: self._release_image(tag, depends_on=[]) for tag in kept}
                return kept, images[pin]

            pinned = history.apply(keep_pinned)
            self.kept = pinned.apply(lambda result: result[0])
            current_image = pinned.apply(lambda result: result[1])
            self.reference = current_image.apply(lambda image: image.image_id)
            self.depends_on = [current_image]
        self.image_name = f"{repository}:{self.tag}"

    def _release_image(self, tag: str, *, depends_on: list[pulumi.Resource]) -> docker.RemoteImage:
        return held_image(
            f"{self._name}-release-{tag}",
            reference=f"{self.repository}:{tag}",
            runtime=self._runtime,
            parent=self._parent,
            depends_on=depends_on,
        )


def held_image(
    name: str,
    *,
    reference: pulumi.Input[str],
    runtime: Runtime,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Input[pulumi.Resource]],
) -> docker.RemoteImage:
    """The resource that holds one image tag on the host: no longer declared, Pulumi deletes it and
    the provider removes the tag (``keep_locally=False``), never under a container that still uses it
    (``force_remove=False``; the containers depend on it, so they go first in the same deploy)."""
    return docker.RemoteImage(
        name,
        name=reference,
        platform=runtime.platform,
        keep_locally=False,
        force_remove=False,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
