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

On the Pulumi side each repetition then also times, on the deployed stack: ``pulumi preview`` and a
no-op ``pulumi up`` (target ≤ 3 s; both must report no change), the API image's own build after a
one-line change to the copy's API source (``docker build`` with the inputs the program gave the docker
provider, cache-warm like a developer's rebuild), and ``pulumi up`` after another one-line change (the
API-only redeploy; target ≤ (that build + the new API's own start-to-healthy) x 1.3). Health checks
carry ``start_interval`` where the engine takes it (the program asks the engine: ``healthStartInterval:
auto``), on both sides, since the Compose file is generated from the registered inputs.
Results: bench/results/compose-side-by-side-<engine version>.{json,md}.
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

from .common import DOCKER, LABEL, RESULTS, WORK, docker, log, stats
from .compose_side_by_side_file import compose_file, image_ids, plain

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


def done(timeline: dict[str, dict[str, Any]]) -> float:
    """Seconds until the last container was healthy or had exited: the proxy's reload job included."""
    return max(v.get("healthy_s", v.get("finished_s", 0)) for v in timeline.values())


def export_state(stack: Any) -> list[dict]:
    proc = stack.run.cli("stack", "export", "--show-secrets")
    return json.loads(proc.stdout)["deployment"]["resources"]


def tag_images(resources: list[dict]) -> dict[str, str]:
    images = {i: f"{IMAGE_TAG}:{i.split(':')[-1][:12]}" for i in sorted(image_ids(resources))}
    for image_id, tag in images.items():
        docker("tag", image_id, tag)
    return images


def api_build(stack: Any, resources: list[dict], nonce: str) -> float:
    """Seconds of ``docker build`` of the copy's API image after a one-line change, with the build inputs the
    program gave the docker provider (context, Dockerfile, target, args, platform), on the same engine."""
    image = next(r for r in resources if r["type"] == "docker:index/image:Image" and r["urn"].endswith("::api-image"))
    build = plain(image["inputs"])["build"]
    stack.change_api_source(f"build {nonce}")
    tag = f"standard-stack-bench/api-build:{nonce}"
    cmd = ["build", "-q", "-f", build["dockerfile"], "-t", tag, "--label", LABEL]
    cmd += ["--platform", build["platform"]] if build.get("platform") else []
    cmd += ["--target", build["target"]] if build.get("target") else []
    for key, value in sorted((build.get("args") or {}).items()):
        cmd += ["--build-arg", f"{key}={value}"]
    start = time.monotonic()
    proc = subprocess.run([DOCKER, *cmd, build["context"]], cwd=stack.program, capture_output=True, text=True,
                          env={**os.environ, "DOCKER_BUILDKIT": "1"}, timeout=1800)  # fmt: skip
    seconds = round(time.monotonic() - start, 3)
    if proc.returncode != 0:
        raise RuntimeError(f"docker build of the API failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    docker("image", "rm", tag, check=False)
    return seconds


def timed_cli(op: Any) -> tuple[float, dict[str, str]]:
    """Seconds of a Pulumi operation of the Automation API, and the resources it reported any change to."""
    start = time.monotonic()
    outcome = op()
    return round(time.monotonic() - start, 3), healthy_changes(outcome)


def healthy_changes(outcome: Any) -> dict[str, str]:
    return {name: op for name, op in outcome.actions.items() if op not in ("same", "read")}  # read: the StackReference


def deployed_figures(stack: Any, resources: list[dict], rep: int) -> dict[str, Any]:
    """On the stack just deployed: preview, no-op up, the API's own build, and the API-only redeploy."""
    from . import healthy

    out: dict[str, Any] = {}
    out["preview_s"], changed = timed_cli(stack.run.preview)
    out["noop_up_s"], changed_noop = timed_cli(stack.run.up)
    if changed or changed_noop:
        raise RuntimeError(f"a deploy of nothing changed something: preview {changed}, up {changed_noop}")
    nonce = f"{rep}-{os.urandom(3).hex()}"
    source = stack.program / healthy.API_SOURCE
    original = source.read_text()
    try:
        out["api_build_s"] = api_build(stack, resources, nonce)
        stack.change_api_source(f"redeploy {nonce}")  # the provider builds the same one-line change again
        t0, seconds, outcome = stack.up()
    finally:  # the next repetition deploys the warm-up's sources again, as every other one did
        source.write_text(original)
    timeline = healthy.with_runs(healthy.service_timeline(stack.containers(), t0), stack.events, t0)
    api = timeline["api"]
    out["redeploy"] = {
        "command_s": seconds,
        "api_healthy_s": api.get("healthy_s"),
        "api_own_s": api.get("own_s"),
        "changed": healthy_changes(outcome),
        "timeline": timeline,
    }
    out["redeploy_bound_s"] = round((out["api_build_s"] + (api.get("own_s") or 0)) * 1.3, 3)
    return out


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
                    timeline = healthy.with_runs(healthy.service_timeline(stack.containers(), t0), stack.events, t0)
                    run["pulumi"] = {"command_s": seconds, "healthy_s": verdict(timeline, side), "timeline": timeline}
                    run["pulumi"]["done_s"] = done(timeline)
                    run["pulumi"].update(deployed_figures(stack, resources, rep))
                    stack.reset()
                else:
                    t0, seconds, output = compose.up()
                    timeline = healthy.service_timeline(compose.containers(), t0)
                    run["compose"] = {"command_s": seconds, "healthy_s": verdict(timeline, side, output), "timeline": timeline}
                    run["compose"]["done_s"] = done(timeline)
                    compose.down()
            runs.append(run)
            p, c = run["pulumi"], run["compose"]
            log(
                f"rep {rep + 1}/{args.reps} ({' then '.join(order)}): "
                f"pulumi up {p['command_s']} s, all healthy {p['healthy_s']} s; "
                f"compose up --wait {c['command_s']} s, all healthy {c['healthy_s']} s; "
                f"ratio {p['healthy_s'] / c['healthy_s']:.2f}; preview {p['preview_s']} s, no-op up {p['noop_up_s']} s; "
                f"API build {p['api_build_s']} s, API-only redeploy {p['redeploy']['command_s']} s "
                f"(bound {p['redeploy_bound_s']} s)"
            )
    finally:
        if compose is not None:
            compose.down()
        stack.teardown()
        for tag in images.values():
            docker("image", "rm", tag, check=False)
    pulumi = [r["pulumi"] for r in runs]
    result = {
        "engine": engine,
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": os.getloadavg(),
        "pulumi_healthy_s": stats([p["healthy_s"] for p in pulumi]),
        "compose_healthy_s": stats([r["compose"]["healthy_s"] for r in runs]),
        "ratio": stats([r["pulumi"]["healthy_s"] / r["compose"]["healthy_s"] for r in runs]),
        "pulumi_done_s": stats([p["done_s"] for p in pulumi]),
        "compose_done_s": stats([r["compose"]["done_s"] for r in runs]),
        "pulumi_up_s": stats([p["command_s"] for p in pulumi]),
        "compose_up_wait_s": stats([r["compose"]["command_s"] for r in runs]),
        "preview_s": stats([p["preview_s"] for p in pulumi]),
        "noop_up_s": stats([p["noop_up_s"] for p in pulumi]),
        "api_build_s": stats([p["api_build_s"] for p in pulumi]),
        "redeploy_s": stats([p["redeploy"]["command_s"] for p in pulumi]),
        "redeploy_api_own_s": stats([p["redeploy"]["api_own_s"] for p in pulumi]),
        "redeploy_bound_s": stats([p["redeploy_bound_s"] for p in pulumi]),
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"compose-side-by-side-{engine.split()[0]}.json"
    out.write_text(json.dumps(result, indent=1))
    (out.with_suffix(".md")).write_text(report(result))
    print(report(result))
    log(f"written {out} and {out.with_suffix('.md')}")


def _stat(s: dict[str, Any], unit: str = " s") -> str:
    return f"{s['median']}{unit} ({s['min']}-{s['max']})"


def report(result: dict[str, Any]) -> str:
    """The figures as a Markdown table, the targets beside them, then Pulumi's per-service timeline (medians)."""
    ratio, noop, redeploy, bound = result["ratio"], result["noop_up_s"], result["redeploy_s"], result["redeploy_bound_s"]
    done_ratio = result["pulumi_done_s"]["median"] / result["compose_done_s"]["median"]
    rows = [
        f"Docker {result['engine']}, {result['measured']}, {len(result['runs'])} alternating repetitions, "
        f"load average {' / '.join(f'{x:.1f}' for x in result['load_average'])} at the end; medians (min-max)",
        "",
        "| figure | Pulumi | Docker Compose / bound | ratio | target | met |",
        "|---|---|---|---|---|---|",
        f"| prod stack from nothing to all healthy | {_stat(result['pulumi_healthy_s'])} | {_stat(result['compose_healthy_s'])} "
        f"| {ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f}) | ≤ 1.0 (0.8 the aim) | "
        f"{'yes' if ratio['median'] <= 1.0 else '**no**'} |",
        f"| ... to the last container healthy or exited (the proxy's reload job included) | {_stat(result['pulumi_done_s'])} "
        f"| {_stat(result['compose_done_s'])} | {done_ratio:.2f} | | |",
        f"| the command (`pulumi up` / `docker compose up -d --wait`) | {_stat(result['pulumi_up_s'])} "
        f"| {_stat(result['compose_up_wait_s'])} | | | |",
        f"| API-only redeploy (`pulumi up` after a one-line change) | {_stat(redeploy)} | (API build "
        f"{result['api_build_s']['median']} s + own start-to-healthy {result['redeploy_api_own_s']['median']} s) x 1.3 = "
        f"{_stat(bound)} | {redeploy['median'] / bound['median']:.2f} | ≤ 1.0 | "
        f"{'yes' if redeploy['median'] <= bound['median'] else '**no**'} |",
        f"| no-op `pulumi up` | {_stat(noop)} | | | ≤ 3 s | {'yes' if noop['median'] <= 3 else '**no**'} |",
        f"| `pulumi preview` (no changes) | {_stat(result['preview_s'])} | | | - | - |",
        "",
        "Pulumi's timeline, s from the start of `pulumi up` (medians): started → healthy / exited",
        "",
    ]
    services = sorted({s for r in result["runs"] for s in r["pulumi"]["timeline"]})

    def median(side: str, service: str, key: str) -> str:
        values = [r[side]["timeline"][service][key] for r in result["runs"] if key in r[side]["timeline"].get(service, {})]
        return f"{stats(values)['median']}" if values else "-"

    rows += ["| container | Pulumi started | healthy / exited | Compose started | healthy / exited |", "|---|---|---|---|---|"]
    for service in sorted(
        services, key=lambda s: float(median("pulumi", s, "started_s")) if median("pulumi", s, "started_s") != "-" else 0
    ):
        done = (
            "healthy_s" if any("healthy_s" in r["pulumi"]["timeline"].get(service, {}) for r in result["runs"]) else "finished_s"
        )
        rows.append(
            f"| {service} | {median('pulumi', service, 'started_s')} | {median('pulumi', service, done)} "
            f"| {median('compose', service, 'started_s')} | {median('compose', service, done)} |"
        )
    redeploys = [r["pulumi"]["redeploy"].get("timeline", {}) for r in result["runs"]]
    if any(redeploys):
        rows += ["", "API-only redeploy, s from the start of `pulumi up` (medians): the new containers", ""]
        rows += ["| container | started | healthy / exited |", "|---|---|---|"]
        for service in sorted({s for t in redeploys for s in t}):
            runs = [t[service] for t in redeploys if service in t and t[service]["started_s"] >= 0]
            if runs:
                key = "healthy_s" if "healthy_s" in runs[0] else "finished_s"
                started, finished = stats([e["started_s"] for e in runs]), stats([e.get(key, 0) for e in runs])
                rows.append(f"| {service} | {started['median']} | {finished['median']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
