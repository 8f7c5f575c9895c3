"""Image size and build cache, measured with BuildKit on private copies of the build contexts.

Sizes: each final image beside its base image and beside a naive single-stage build of the same
app (bench/naive/*.Dockerfile), all built in the same run. Build cache: a cold build (the engine's
whole build cache pruned first, cache mounts included), a no-op rebuild and a rebuild after a
one-line source change, for the API and the web app. The repo's sources are never edited: every
repetition copies images/<app> to bench/.work/ctx/<app> and changes the copy.
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


def build(app: str, variant: str, context: Path, dockerfile: Path | None = None) -> dict[str, Any]:
    """One BuildKit build; returns seconds and how many steps ran (were not cached)."""
    args = ["build", "--progress=plain", "--label", LABEL, "--build-arg", BUILD_ARGS[app], "-t", tag(app, variant)]
    if dockerfile is not None:
        args += ["-f", str(dockerfile)]
    seconds, proc = timed(lambda: docker(*args, str(context)))
    return {"seconds": seconds, "steps_run": steps_run(proc.stderr), "steps_cached": proc.stderr.count(" CACHED\n")}


def steps_run(progress: str) -> int:
    """Dockerfile steps BuildKit executed (not CACHED), from `--progress=plain` output."""
    steps = set(re.findall(r"^#(\d+) \[[^\]]*\d+/\d+\] ", progress, flags=re.M))
    cached = set(re.findall(r"^#(\d+) CACHED$", progress, flags=re.M))
    return len(steps - cached)


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
    """Per repetition: prune, cold builds, no-op rebuilds, one-line-change rebuilds."""
    runs: dict[str, list[dict[str, Any]]] = {"api": [], "web": []}
    for rep in range(reps):
        ctxs = {app: copy_tree(REPO / "images" / app, WORK / "ctx" / app) for app in runs}
        log(f"build cache {rep + 1}/{reps}: docker builder prune -af (the whole build cache, mounts too)")
        docker("builder", "prune", "-af")
        row: dict[str, dict[str, Any]] = {app: {} for app in runs}
        for kind in ("cold", "noop", "change"):
            for app, ctx in ctxs.items():
                if kind == "change":
                    rel, line = CHANGE[app]
                    with (ctx / rel).open("a") as fh:
                        fh.write(line.format(nonce=secrets.token_hex(4)) + "\n")
                result = build(app, "cache", ctx)
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
