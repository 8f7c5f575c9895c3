"""`pulumi up` of the prod stack against `docker compose up --wait` of the same stack, on one engine.

The engine is the one ``DOCKER_HOST`` names (default: the local socket); e.g. the engine lab's
Docker 26 (``eval "$(scripts/engine-lab env)"``). The Compose file is generated from what the
program registered (bench/compose_side_by_side_file.py: the stack's exported state after an untimed
warm-up ``pulumi up``, which also builds the images), so both sides run the same images (by ID),
health checks, files, limits, networks (same subnets) and start order. Each repetition deploys both
from nothing, alternating which goes first, and tears each down before the other starts:

- Pulumi: ``bench.healthy.BenchStack`` (prod config, stack ``prod-healthy-bench``, the CLI and
  providers of .tools/bin), ``pulumi up`` timed, then the untimed ``preview --expect-no-changes``;
- Compose: ``docker compose up -d --wait`` (Compose 2.26, $COMPOSE; default: the standalone
  binary of the engine lab's image, copied to bench/.work/docker-compose).

Time to all-healthy (both sides): from the command's start to the end of the last long-running
container's first passing probe (``docker inspect``). Compose 2.26's ``--wait`` also counts the
proxy's one-shot reload job, which exits 0, as a failure: the command's status is not the verdict;
every one-shot exiting 0 and every service healthy is.
  usage: .venv/bin/python -m bench.compose_side_by_side [--reps N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if os.environ.get("DOCKER_HOST", "").startswith("unix://"):  # tests/e2e's engine client reads this at import
    os.environ.setdefault("STANDARD_STACK_DOCKER_SOCKET", os.environ["DOCKER_HOST"][len("unix://") :])

import yaml

from .common import DOCKER, WORK, docker, log, stats
from .compose_side_by_side_file import CONTAINER, compose_file, plain

PROJECT = "compose-side-by-side"
IMAGE_TAG = "compose-side-by-side"  # the images by ID under a name Compose resolves without pulling
LAB_IMAGE = "engine-lab-node"  # scripts/engine-lab's image: Debian trixie's Compose 2.26 inside


def compose_cli() -> str:
    """$COMPOSE, or Compose 2.26 copied out of the engine lab's image (built on the host engine)."""
    if os.environ.get("COMPOSE"):
        return os.environ["COMPOSE"]
    target = WORK / "docker-compose"
    if not target.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            proc = subprocess.run(
                [DOCKER, "run", "--rm", "--entrypoint", "cat", LAB_IMAGE, "/usr/libexec/docker/cli-plugins/docker-compose"],
                stdout=out, env={**os.environ, "DOCKER_HOST": ""},
            )  # fmt: skip
        if proc.returncode != 0:
            target.unlink()
            sys.exit(
                "compose_side_by_side: no Compose CLI: set COMPOSE to a Compose v2 binary, "
                f"or build {LAB_IMAGE} (scripts/engine-lab up)"
            )
        target.chmod(0o755)
    return str(target)


class ComposeStack:
    """The generated Compose project: ``up`` from nothing, ``down`` with its volumes."""

    def __init__(self, file: Path, cli: str) -> None:
        self.cmd = [cli, "-p", PROJECT, "-f", str(file)]

    def up(self) -> tuple[float, float, str]:
        t0 = time.time()
        start = time.monotonic()
        proc = subprocess.run([*self.cmd, "up", "-d", "--wait"], capture_output=True, text=True, timeout=600)
        return t0, round(time.monotonic() - start, 3), proc.stdout + proc.stderr

    def containers(self) -> list[dict]:
        ids = subprocess.run([*self.cmd, "ps", "-aq"], capture_output=True, text=True, check=True).stdout.split()
        return json.loads(docker("inspect", *ids).stdout) if ids else []

    def down(self) -> None:
        subprocess.run([*self.cmd, "down", "-v", "--remove-orphans"], capture_output=True, text=True, check=True)


def verdict(timeline: dict[str, dict[str, Any]], side: str, output: str = "") -> float:
    """Seconds to all-healthy; an error unless every one-shot exited 0 and every service is healthy."""
    bad = {k: v.get("status") for k, v in timeline.items() if v.get("status") not in ("healthy", "exited 0")}
    if bad:
        raise RuntimeError(f"{side}: not every container ended healthy or exited 0: {bad}\n{output[-3000:]}")
    return max(v["healthy_s"] for v in timeline.values() if "healthy_s" in v)


def export_state(stack: Any) -> list[dict]:
    proc = stack.run.cli("stack", "export", "--show-secrets")
    return json.loads(proc.stdout)["deployment"]["resources"]


def tag_images(resources: list[dict]) -> dict[str, str]:
    ids = {plain(r["inputs"])["image"] for r in resources if r["type"] == CONTAINER}
    images = {i: f"{IMAGE_TAG}:{i.split(':')[-1][:12]}" for i in sorted(ids)}
    for image_id, tag in images.items():
        docker("tag", image_id, tag)
    return images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions (each deploys both from nothing)")
    args = parser.parse_args()
    if args.reps < 1:
        parser.error(f"--reps must be at least 1 (got {args.reps})")
    from . import healthy  # imports tests/e2e (engine client) after STANDARD_STACK_DOCKER_SOCKET is set

    engine = docker("version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})").stdout.strip()
    cli = compose_cli()
    log(f"engine {engine} at {os.environ.get('DOCKER_HOST') or 'the local socket'}; compose: {cli}")
    stack = healthy.BenchStack()
    images: dict[str, str] = {}
    compose: ComposeStack | None = None
    runs: list[dict[str, Any]] = []
    try:
        log("warm-up pulumi up (builds the images; not counted)")
        stack.up()
        resources = export_state(stack)
        images = tag_images(resources)
        file = stack.tmp / "compose.yaml"  # holds the stack's secrets: in the stack's private (0700) directory
        file.write_text(yaml.safe_dump(compose_file(resources, images), sort_keys=False))
        file.chmod(0o600)
        compose = ComposeStack(file, cli)
        stack.reset()
        for rep in range(args.reps):
            order = ("pulumi", "compose") if rep % 2 == 0 else ("compose", "pulumi")
            run: dict[str, Any] = {"order": order}
            for side in order:
                if side == "pulumi":
                    t0, seconds, _ = stack.up()
                    timeline = healthy.service_timeline(stack.containers(), t0)
                    run["pulumi"] = {"command_s": seconds, "healthy_s": verdict(timeline, side), "timeline": timeline}
                    stack.reset()
                else:
                    t0, seconds, output = compose.up()
                    timeline = healthy.service_timeline(compose.containers(), t0)
                    run["compose"] = {"command_s": seconds, "healthy_s": verdict(timeline, side, output), "timeline": timeline}
                    compose.down()
            runs.append(run)
            p, c = run["pulumi"], run["compose"]
            log(
                f"rep {rep + 1}/{args.reps} ({' then '.join(order)}): "
                f"pulumi up {p['command_s']} s, all healthy {p['healthy_s']} s; "
                f"compose up --wait {c['command_s']} s, all healthy {c['healthy_s']} s; "
                f"ratio {p['healthy_s'] / c['healthy_s']:.2f}"
            )
    finally:
        if compose is not None:
            compose.down()
        stack.teardown()
        for tag in images.values():
            docker("image", "rm", tag, check=False)
    result = {
        "engine": engine,
        "pulumi_healthy_s": stats([r["pulumi"]["healthy_s"] for r in runs]),
        "compose_healthy_s": stats([r["compose"]["healthy_s"] for r in runs]),
        "pulumi_up_s": stats([r["pulumi"]["command_s"] for r in runs]),
        "compose_up_wait_s": stats([r["compose"]["command_s"] for r in runs]),
        "runs": runs,
    }
    out = WORK / f"compose-side-by-side-{engine.split()[0]}.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=1))
    log(f"written {out}")


if __name__ == "__main__":
    main()
