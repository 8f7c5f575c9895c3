"""Image size and build cache, measured with BuildKit on private copies of the build contexts.

Sizes: each final image beside its base image and beside a naive single-stage build of the same
app (bench/naive/*.Dockerfile), all built in the same run. Build cache: a cold build, a no-op
rebuild and a rebuild after a one-line source change, for the API and the web app. The repo's
sources are never edited: every repetition copies images/<app> to bench/.work/ctx/<app> and changes
the copy.

Cold without touching anyone else's cache (the engine and its build cache are shared; nothing here
prunes it): the cold build runs with `--no-cache`, so no step reuses a cached layer, and the copy's
Dockerfile gives every `RUN --mount=type=cache` an `id` of its own for this repetition, so the
package caches (uv, npm) and Next's build cache start empty too. `--no-cache` alone would leave
those mounts warm: BuildKit keys a cache mount by its id (default: its target path), not by the
step's cache key, and `--no-cache` only stops layer reuse. The no-op and one-line-change rebuilds
that follow run without `--no-cache` on the same copy, so they reuse the cold build's layers and
the repetition's own mounts, as a developer's second build does.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from .common import BASES, BENCH, BUILD_ARGS, IMAGE_REPO, LABEL, REPO, WORK, copy_tree, docker, image_size, log, stats, timed

NAIVE = {"api": BENCH / "naive" / "api.Dockerfile", "web": BENCH / "naive" / "web.Dockerfile"}
# The one-line change per app: a line appended to a source file the image really compiles/bundles.
CHANGE = {
    "api": (Path("app/main.py"), "# bench: one-line change {nonce}"),
    "web": (Path("src/app/page.tsx"), "// bench: one-line change {nonce}"),
}


def tag(app: str, variant: str) -> str:
    return f"{IMAGE_REPO}/{app}:{variant}"


def build(app: str, variant: str, context: Path, dockerfile: Path | None = None, no_cache: bool = False) -> dict[str, Any]:
    """One BuildKit build; returns seconds and how many steps ran (were not cached)."""
    args = ["build", "--progress=plain", "--label", LABEL, "--build-arg", BUILD_ARGS[app], "-t", tag(app, variant)]
    if dockerfile is not None:
        args += ["-f", str(dockerfile)]
    if no_cache:
        args.append("--no-cache")
    seconds, proc = timed(lambda: docker(*args, str(context)))
    return {"seconds": seconds, "steps_run": steps_run(proc.stderr), "steps_cached": proc.stderr.count(" CACHED\n")}


def steps_run(progress: str) -> int:
    """Dockerfile steps BuildKit executed (not CACHED), from `--progress=plain` output."""
    steps = set(re.findall(r"^#(\d+) \[[^\]]*\d+/\d+\] ", progress, flags=re.M))
    cached = set(re.findall(r"^#(\d+) CACHED$", progress, flags=re.M))
    return len(steps - cached)


CACHE_MOUNT = re.compile(r"--mount=type=cache,(\S+)")


def private_cache_mounts(dockerfile: Path, scope: str) -> int:
    """Rewrite the copy's cache mounts to ids under ``scope``; returns how many were rewritten.

    A cache mount without ``id`` is keyed by its target path, shared by every build on the engine
    that mounts the same target (moby/buildkit frontend/dockerfile/dockerfile2llb/convert_runmount.go, dispatchRunMounts:
    ``id`` defaults to the target). ``<scope>:<target>`` is a key no other build uses.
    """

    def rewrite(match: re.Match[str]) -> str:
        options = dict(opt.split("=", 1) for opt in match.group(1).split(",") if "=" in opt)
        if "id" in options:
            raise ValueError(f"{dockerfile}: cache mount {match.group(0)!r} already names an id; bench cannot scope it")
        return f"--mount=type=cache,id={scope}:{options['target']},{match.group(1)}"

    text, count = CACHE_MOUNT.subn(rewrite, dockerfile.read_text())
    dockerfile.write_text(text)
    return count


def measure_sizes() -> dict[str, Any]:
    """Final images (cache-warm builds), base images and naive single-stage builds."""
    out: dict[str, Any] = {}
    for app in ("api", "web", "proxy"):
        ctx = copy_tree(REPO / "images" / app, WORK / "ctx-sizes" / app)
        log(f"sizes: building {app} (final)")
        final = build(app, "final", ctx)
        entry: dict[str, Any] = {
            "base_image": BASES[app],
            "base_bytes": image_size(BASES[app]),
            "final_bytes": image_size(tag(app, "final")),
            "final_build_s": final["seconds"],
        }
        if app in NAIVE:
            log(f"sizes: building {app} (naive single stage)")
            naive = build(app, "naive", ctx, NAIVE[app])
            entry.update(
                naive_bytes=image_size(tag(app, "naive")),
                naive_build_s=naive["seconds"],
                naive_dockerfile=str(NAIVE[app].relative_to(REPO)),
            )
        entry["added_over_base_bytes"] = entry["final_bytes"] - entry["base_bytes"]
        out[app] = entry
    return out


def measure_cache(reps: int) -> dict[str, Any]:
    """Per repetition: cold builds (--no-cache, private cache mounts), no-op rebuilds, one-line-change rebuilds."""
    runs: dict[str, list[dict[str, Any]]] = {"api": [], "web": []}
    for rep in range(reps):
        ctxs = {app: copy_tree(REPO / "images" / app, WORK / "ctx" / app) for app in runs}
        scope = f"{IMAGE_REPO}-{secrets.token_hex(6)}"
        mounts = {app: private_cache_mounts(ctx / "Dockerfile", scope) for app, ctx in ctxs.items()}
        log(f"build cache {rep + 1}/{reps}: cold = --no-cache with cache mounts scoped to {scope} ({mounts})")
        row: dict[str, dict[str, Any]] = {app: {"cache_mount_scope": scope} for app in runs}
        for kind in ("cold", "noop", "change"):
            for app, ctx in ctxs.items():
                if kind == "change":
                    rel, line = CHANGE[app]
                    with (ctx / rel).open("a") as fh:
                        fh.write(line.format(nonce=secrets.token_hex(4)) + "\n")
                result = build(app, "cache", ctx, no_cache=kind == "cold")
                row[app][kind] = result
                if kind == "cold":
                    row[app]["final_bytes"] = image_size(tag(app, "cache"))
                log(f"  {app} {kind}: {result['seconds']} s ({result['steps_run']} steps run)")
        for app in runs:
            runs[app].append(row[app])
    out: dict[str, Any] = {}
    for app, rows in runs.items():
        out[app] = {kind: stats([r[kind]["seconds"] for r in rows]) for kind in ("cold", "noop", "change")}
        out[app]["noop_ratio"] = stats([r["noop"]["seconds"] / r["cold"]["seconds"] for r in rows])
        out[app]["change_ratio"] = stats([r["change"]["seconds"] / r["cold"]["seconds"] for r in rows])
        out[app]["final_bytes"] = stats([r["final_bytes"] for r in rows], digits=0)
        out[app]["runs"] = rows
    return out
