"""Shared pieces of the benchmark: paths, the Docker CLI, statistics over repeated runs, clean-up.

Everything the benchmark creates on the engine carries `standard-stack.bench=1` (images built
here) or belongs to a stack whose name ends in `-bench` (its containers, networks and volumes carry
the program's own `dev.standard-stack.stack=<name>` label; tests/e2e/deploy.py, `labelled`), so
clean-up removes exactly what this run made.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
WORK = BENCH / ".work"  # git-ignored scratch: copies of build contexts and of the program
RESULTS = BENCH / "results"
E2E = REPO / "tests" / "e2e"
DOCKER = os.environ.get("STANDARD_STACK_DOCKER_CLI", "/usr/bin/docker")
LABEL = "standard-stack.bench=1"
IMAGE_REPO = "standard-stack-bench"  # images built here: standard-stack-bench/<what>:<variant>

# Base versions the local stand-in images really contain (same as tests/e2e/overrides.yaml).
PYTHON_VERSION, NODE_VERSION, NGINX_VERSION = "3.11", "22", "1.22"
BASES = {
    "api": f"python:{PYTHON_VERSION}-slim-bookworm",
    "web": f"node:{NODE_VERSION}-bookworm-slim",
    "proxy": f"nginx:{NGINX_VERSION}",
}
BUILD_ARGS = {
    "api": f"PYTHON_VERSION={PYTHON_VERSION}",
    "web": f"NODE_VERSION={NODE_VERSION}",
    "proxy": f"NGINX_VERSION={NGINX_VERSION}",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def docker(*args: str, check: bool = True, timeout: float | None = 1800) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-30:])
        raise RuntimeError(f"docker {' '.join(args[:3])} ... failed ({proc.returncode}):\n{tail}")
    return proc


def image_size(ref: str) -> int:
    """Bytes of the image with all its layers, as `docker images` counts them."""
    return int(docker("image", "inspect", "-f", "{{.Size}}", ref).stdout.strip())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.monotonic()
    value = fn()
    return round(time.monotonic() - start, 3), value


def stats(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """Median with min and max: the form every figure is reported in."""
    vals = [float(v) for v in values]
    if not vals:
        return {"median": None, "min": None, "max": None, "n": 0, "runs": []}
    return {
        "median": round(statistics.median(vals), digits),
        "min": round(min(vals), digits),
        "max": round(max(vals), digits),
        "n": len(vals),
        "runs": [round(v, digits) for v in vals],
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def copy_tree(src: Path, dst: Path) -> Path:
    """A private copy of a build context (the repo's sources are never edited)."""
    if dst.exists():
        shutil.rmtree(dst)
    ignore = shutil.ignore_patterns("node_modules", ".next", ".venv", "__pycache__", ".pytest_cache", "*.tsbuildinfo")
    shutil.copytree(src, dst, ignore=ignore, symlinks=True)
    return dst


def append_line(path: Path, line: str) -> None:
    """The one-line source change of the rebuild measurements."""
    with path.open("a") as fh:
        fh.write(line.rstrip("\n") + "\n")


def remove_bench_images() -> list[str]:
    """Remove every image this benchmark built (labelled), dangling or tagged."""
    ids = docker("image", "ls", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    removed = []
    for image_id in dict.fromkeys(ids):
        if docker("image", "rm", "-f", image_id, check=False).returncode == 0:
            removed.append(image_id)
    return removed
