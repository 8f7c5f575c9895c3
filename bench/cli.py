"""The real Pulumi CLI and providers: how long a deploy, a no-op deploy and a preview take, and the binaries' build.

Two parts, each measured on its own (``bench/run --only cli --cli-parts build,deploy``); a part not
measured in a run keeps its figures from the previous ``bench/results/cli-latest.json``, with the time
it was measured:

- ``build``: ``scripts/build-tools`` (tools/README.md) in a copy of ``scripts/`` and ``tools/`` under
  ``bench/.work/cli-build/``, with ``GOMODCACHE`` and ``GOCACHE`` pointed at empty directories there:
  the cold build of a machine that never built Go, downloads included. Reported with the size of
  what it downloaded (the module zips under ``GOMODCACHE/cache/download``), of the extracted module
  cache and of the build cache. Then, in the repository itself with the shared caches: the warm no-op
  run (every stamp current) and one warm ``--force`` rebuild.
- ``deploy``: the dev and prod stacks deployed by the e2e tier's ``Deployment``
  (tests/e2e/deploy.py: a private copy of the repository, a local file backend, passphrase secrets,
  the CLI and plugins from ``.tools/bin``) under the stack names ``dev-bench`` and ``prod-bench``
  (Docker names ``standard-stack-<stack>-bench-...``) with published ports of their own. Timed: the
  first ``pulumi up`` (images built cache-warm by the docker provider), ``pulumi preview`` of the
  deployed stack, a no-op ``pulumi up``, and ``pulumi up`` after a comment is appended to the copy's
  ``images/api/app/main.py``; after every ``up`` a ``pulumi preview --expect-no-changes`` checks that a
  second deploy changes nothing (not timed). Each figure is wall time around the Automation API call,
  which runs ``pulumi up --yes --skip-preview`` / ``pulumi preview`` as a subprocess
  (pulumi/automation/_stack.py, ``Stack.up`` and ``Stack.preview``); the steps the engine reported are
  kept beside each figure, so a "no-op" that changed something shows.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import E2E, REPO, RESULTS, WORK, docker, load_average, log, stats

PARTS = ("build", "deploy")
BUILD_WORK = WORK / "cli-build"
STACKS = ("dev", "prod")
# Published host ports of the benchmark's stacks: a range of their own (the e2e tier uses 28xxx, the
# lead's stacks the committed ones), so a benchmark can run beside an e2e run on the same engine.
PORTS = {
    "dev": {
        "postgres": {"hostPort": 37132},
        "redis": {"hostPort": 37179},
        "proxy": {"httpPort": 37180},
        "publicUrl": "http://localhost:37180",
    },
    "prod": {
        "proxy": {"httpPort": 37280, "httpsPort": 37243, "bindAddress": "127.0.0.1", "serverName": "localhost"},
        "publicUrl": "https://localhost:37243",
    },
}
API_SOURCE = "images/api/app/main.py"


# --- sizes ---------------------------------------------------------------------------------------
def du_bytes(path: Path) -> int:
    """Bytes on disk under ``path`` (``du -sb``: apparent sizes, as a download is counted)."""
    if not path.exists():
        return 0
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def remove_tree(path: Path) -> None:
    """Remove a directory the Go module cache made read-only (module files are 0444, dirs 0555)."""
    if not path.exists():
        return
    subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
    shutil.rmtree(path, ignore_errors=True)


# --- build ---------------------------------------------------------------------------------------
def _run_build_tools(root: Path, env: dict[str, str], *args: str) -> tuple[float, dict[str, float], str]:
    """Run ``scripts/build-tools`` of ``root``; wall seconds, per-binary build seconds it printed, stdout."""
    start = time.monotonic()
    proc = subprocess.run(
        ["bash", str(root / "scripts" / "build-tools"), *args], cwd=root, env=env, capture_output=True, text=True, timeout=3600
    )
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/build-tools {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    per_binary = {m[1]: float(m[2]) for m in re.finditer(r"^(\S+)\s+\S+\s+\d+ MiB\s+built in (\d+) s$", proc.stdout, re.M)}
    return round(elapsed, 3), per_binary, proc.stdout


def _binary_sizes(bin_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(bin_dir.iterdir()) if p.is_file()}


def measure_build(reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {"measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_start": load_average()}
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the cli build benchmark needs 'go' on PATH (scripts/build-tools builds with it)")
    out["go"] = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()

    # Cold: a copy of the build script and the tool modules, empty module and build caches.
    remove_tree(BUILD_WORK)
    root = BUILD_WORK / "root"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "build-tools", root / "scripts" / "build-tools")
    shutil.copytree(REPO / "tools", root / "tools", ignore=shutil.ignore_patterns("*_test.go"))
    modcache, gocache = BUILD_WORK / "gomodcache", BUILD_WORK / "gocache"
    modcache.mkdir()
    gocache.mkdir()
    cold_env = {**os.environ, "GOMODCACHE": str(modcache), "GOCACHE": str(gocache)}
    try:
        log("cli build: scripts/build-tools with empty GOMODCACHE and GOCACHE (cold; about 10-15 min on 2 cores)")
        seconds, per_binary, stdout = _run_build_tools(root, cold_env)
        out["cold"] = {
            "seconds": seconds,
            "per_binary_s": per_binary,
            "download_bytes": du_bytes(modcache / "cache" / "download"),
            "module_cache_bytes": du_bytes(modcache),
            "build_cache_bytes": du_bytes(gocache),
            "binaries_bytes": _binary_sizes(root / ".tools" / "bin"),
            "summary": stdout.strip().splitlines(),
        }
        cold = out["cold"]
        log(
            f"cli build: cold {seconds:.0f} s, downloaded {cold['download_bytes'] / 1e6:.0f} MB, "
            f"module cache {cold['module_cache_bytes'] / 1e6:.0f} MB, build cache {cold['build_cache_bytes'] / 1e6:.0f} MB"
        )
    finally:
        remove_tree(BUILD_WORK)

    # Warm, in the repository with the shared caches: make sure it is built, then time no-op runs.
    env = dict(os.environ)
    _run_build_tools(REPO, env)
    noop = [_run_build_tools(REPO, env)[0] for _ in range(reps)]
    out["warm_noop"] = stats(noop)
    log(f"cli build: warm no-op {out['warm_noop']['median']} s")
    seconds, per_binary, _ = _run_build_tools(REPO, env, "--force")
    out["warm_force"] = {"seconds": seconds, "per_binary_s": per_binary}
    log(f"cli build: warm --force rebuild {seconds:.0f} s")
    out["load_end"] = load_average()
    return out


# --- deploy --------------------------------------------------------------------------------------
def _e2e() -> Any:
    """tests/e2e's deploy and stack modules (they import each other by their plain names)."""
    for path in (str(REPO), str(E2E)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import deploy  # tests/e2e is on sys.path only from here on
    import stack

    return deploy, stack


def _changes(outcome: Any) -> dict[str, str]:
    """Resources whose step was anything but `same` (empty for a no-op)."""
    return {name: op for name, op in outcome.actions.items() if op != "same"}


def _timed_op(label: str, op: Callable[[], Any]) -> tuple[float, Any]:
    start = time.monotonic()
    outcome = op()
    seconds = round(time.monotonic() - start, 3)
    changed = _changes(outcome)
    log(
        f"cli {label}: {seconds:.1f} s"
        + (f"; changed: {', '.join(f'{n} ({o})' for n, o in changed.items())}" if changed else "; no changes")
    )
    return seconds, outcome


def _epoch(stamp: str) -> float | None:
    """Seconds since the epoch of a Docker timestamp (RFC 3339, nanoseconds); None for the zero time."""
    if not stamp or stamp.startswith("0001-"):
        return None
    head, _, frac = stamp.rstrip("Z").partition(".")
    whole = datetime.datetime.fromisoformat(head).replace(tzinfo=datetime.UTC).timestamp()
    return whole + (float(f"0.{frac}") if frac else 0.0)


def _timeline(stack_module: Any, name: str, t0: float) -> dict[str, dict[str, float]]:
    """Containers of the stack created after ``t0``: when each was created, started, first healthy, exited
    (seconds after ``t0``, from `docker inspect`; healthy = end of the first passing probe still in the log)."""
    out: dict[str, dict[str, float]] = {}
    for info in stack_module.containers(name):
        created = _epoch(info["Created"])
        if created is None or created < t0:
            continue
        state = info["State"]
        marks = {"created": created, "started": _epoch(state.get("StartedAt", ""))}
        passing = [_epoch(h["End"]) for h in (state.get("Health") or {}).get("Log") or [] if h.get("ExitCode") == 0]
        marks["healthy"] = min((t for t in passing if t), default=None)
        if not state.get("Running"):
            marks["exited"] = _epoch(state.get("FinishedAt", ""))
        out[info["Name"].lstrip("/")] = {k: round(v - t0, 2) for k, v in marks.items() if v is not None}
    return dict(sorted(out.items(), key=lambda item: item[1]["created"]))


def _stack_images(name: str) -> set[str]:
    """Ids of the images the stack's docker provider built (tagged ``standard-stack-<service>:<stack>``)."""
    ids = set()
    for service in ("api", "web", "proxy"):
        proc = docker("image", "inspect", "-f", "{{.Id}}", f"standard-stack-{service}:{name}", check=False)
        if proc.returncode == 0:
            ids.add(proc.stdout.strip())
    return ids


def stack_tags(refs: list[str], name: str) -> list[str]:
    """Of ``refs`` (``repository:tag``), the stack's: tagged ``<stack>`` or ``<stack>-<content digest>``
    (components/releases.py, ``release_tag``)."""
    return [ref for ref in refs if ref.rpartition(":")[2] == name or ref.rpartition(":")[2].startswith(f"{name}-")]


def _remove_stack_images(name: str, ids: set[str]) -> None:
    """Untag the stack's images, then remove the ids it built if nothing else refers to them (never forced).
    The stack's ``docker.Image`` delete leaves a tag whose image another tag shares (the same content built
    for another stack)."""
    for service in ("api", "web", "proxy"):
        refs = docker("images", "--format", "{{.Repository}}:{{.Tag}}", f"standard-stack-{service}").stdout.split()
        for ref in stack_tags(refs, name):
            docker("image", "rm", ref, check=False)
    for image_id in ids:
        docker("image", "rm", image_id, check=False)  # refused while another tag or a container uses it


def measure_stack(stack_name: str, reps: int) -> dict[str, Any]:
    deploy, stack = _e2e()
    name = f"{stack_name}-bench"
    leftovers = deploy.labelled(name, "containers") + deploy.labelled(name, "volumes")
    if leftovers:
        log(f"cli {name}: removing {len(leftovers)} object(s) an earlier benchmark run left")
        deploy.remove_stack_objects(name)
    tmp = Path(tempfile.mkdtemp(prefix=f"cli-{name}-", dir=WORK))
    secrets_: dict[str, str] = {}
    if stack_name == "prod":
        cert, key = stack.self_signed_cert(tmp)
        secrets_ = {
            "postgresPassword": os.urandom(12).hex(),
            "redisPassword": os.urandom(12).hex(),
            "tlsCertificate": cert,
            "tlsPrivateKey": key,
        }
    out: dict[str, Any] = {"stack": name, "measured": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_start": load_average()}
    image_ids: set[str] = set()
    run = None
    try:
        run = deploy.Deployment(stack_name, tmp, overrides=PORTS[stack_name], secrets_=secrets_, name=name)

        t0 = time.time()
        seconds, _ = _timed_op(f"{name} first up", run.up)
        out["first_up"] = {
            "seconds": seconds,
            "resources_in_state": len(run.stack.export_stack().deployment["resources"]),
            "containers": _timeline(stack, name, t0),
        }
        image_ids |= _stack_images(name)
        run.expect_no_changes()

        previews, preview_changes = [], {}
        for i in range(reps):
            seconds, outcome = _timed_op(f"{name} preview {i + 1}", run.preview)
            previews.append(seconds)
            preview_changes.update(_changes(outcome))
        out["preview"] = {**stats(previews), "changes": preview_changes}

        noops, noop_changes = [], {}
        for i in range(reps):
            seconds, outcome = _timed_op(f"{name} no-op up {i + 1}", run.up)
            noops.append(seconds)
            noop_changes.update(_changes(outcome))
            run.expect_no_changes()
        out["noop_up"] = {**stats(noops), "changes": noop_changes}

        source = run.program_dir / API_SOURCE
        with source.open("a") as fh:
            fh.write("# bench: an API-only source change\n")
        t0 = time.time()
        seconds, outcome = _timed_op(f"{name} up after an API-only change", run.up)
        out["api_change_up"] = {"seconds": seconds, "changes": _changes(outcome), "containers": _timeline(stack, name, t0)}
        image_ids |= _stack_images(name)
        run.expect_no_changes()

        start = time.monotonic()
        run.teardown()
        out["teardown_s"] = round(time.monotonic() - start, 3)  # unprotect, destroy, remove retained volumes
        run = None
    finally:
        if run is not None:
            run.teardown()
        _remove_stack_images(name, image_ids)
        shutil.rmtree(tmp, ignore_errors=True)
    out["load_end"] = load_average()
    return out


def prepare() -> None:
    """The binaries current and the base images present: what every real deploy needs (also bench.healthy)."""
    for script in ("build-tools", "base-images"):
        proc = subprocess.run([str(REPO / "scripts" / script)], cwd=REPO, capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/{script} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")


def measure_deploy(reps: int) -> dict[str, Any]:
    """Both stacks, one after the other, with the binaries current and the base images present."""
    prepare()
    pulumi = str(REPO / ".tools" / "bin" / "pulumi")
    version = subprocess.run([pulumi, "version"], capture_output=True, text=True, check=True)
    out: dict[str, Any] = {"pulumi": version.stdout.strip()}
    # The CLI's own start-up, the floor under every command: `pulumi version` starts the binary and nothing else.
    starts = []
    for _ in range(reps):
        start = time.monotonic()
        subprocess.run([pulumi, "version"], capture_output=True, check=True)
        starts.append(time.monotonic() - start)
    out["cli_start"] = stats(starts)
    for stack_name in STACKS:
        out[stack_name] = measure_stack(stack_name, reps)
    return out


# --- results -------------------------------------------------------------------------------------
def measure(results: dict[str, Any], parts: list[str], reps: int) -> None:
    """Measure ``parts`` into ``results`` (filled as it goes, so a failure keeps what was measured);
    the other parts keep their figures from the previous cli-latest.json."""
    previous: dict[str, Any] = {}
    latest = RESULTS / "cli-latest.json"
    if latest.exists():
        previous = json.loads(latest.read_text())
    for part in PARTS:
        if part not in parts and part in previous:
            results[part] = {**previous[part], "kept_from_previous_run": True}
    for part in PARTS:
        if part in parts:
            results[part] = measure_build(reps) if part == "build" else measure_deploy(reps)


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _stat(stat: dict[str, Any], digits: int = 1) -> str:
    if stat.get("median") is None:
        return "n/a"
    return f"{stat['median']:.{digits}f} ({stat['min']:.{digits}f} to {stat['max']:.{digits}f})"


def _marks(containers: dict[str, dict[str, float]]) -> str:
    return "; ".join(f"`{n}` " + ", ".join(f"{k} {v:.1f}" for k, v in m.items()) for n, m in containers.items()) or "none"


def _changed(changes: dict[str, str]) -> str:
    return ", ".join(f"{n} ({o})" for n, o in changes.items()) or "none"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# standard-stack benchmark results: the real Pulumi CLI and providers",
        "",
        f"Written {meta['finished']} on {meta['machine']}; Docker {meta['docker']}; commit {meta['commit']}. "
        f"Parts measured in this run: {', '.join(meta['parts_measured'])} (a part not measured keeps its figures "
        "from the previous run, with the time it was measured). Figures: seconds of wall time, median (min to max) "
        f"of {meta['reps']} runs where repeated, else one run. {meta['note']}.",
        "",
    ]
    if meta.get("error"):
        lines += [f"**This run failed**: {meta['error']}", ""]
    deploy = results.get("deploy")
    if deploy:
        lines += [
            f"## Deploys ({deploy['pulumi']}, Automation API, local file backend)",
            "",
            "| stack | first `pulumi up` | `pulumi preview`, no changes | no-op `pulumi up` "
            "| `pulumi up` after an API-only change | teardown (destroy) |",
            "|---|---|---|---|---|---|",
        ]
        for stack_name in STACKS:
            d = deploy.get(stack_name)
            if not d:
                continue
            lines.append(
                f"| {stack_name} | {_s(d['first_up']['seconds'])} ({d['first_up']['resources_in_state']} resources) | "
                f"{_stat(d['preview'])} | {_stat(d['noop_up'])} | {_s(d['api_change_up']['seconds'])} | "
                f"{_s(d.get('teardown_s'))} |"
            )
        lines.append("")
        for stack_name in STACKS:
            d = deploy.get(stack_name)
            if not d:
                continue
            lines += [
                f"- {stack_name} (stack `{d['stack']}`, measured {d['measured']}, "
                f"load average {d['load_start']} → {d['load_end']}): "
                f"changes reported by the previews: {_changed(d['preview']['changes'])}; by the no-op ups: "
                f"{_changed(d['noop_up']['changes'])}; by the API-only change: {_changed(d['api_change_up']['changes'])}.",
                f"  - containers the API-only change created (s after the start of `pulumi up`): "
                f"{_marks(d['api_change_up']['containers'])}",
                f"  - containers of the first `up`: {_marks(d['first_up']['containers'])}",
            ]
        lines += ["", f"The CLI's own start-up (`pulumi version`): {_stat(deploy['cli_start'], 2)} s.", ""]
    build = results.get("build")
    if build:
        cold = build["cold"]
        lines += [
            f"## Building the binaries (`scripts/build-tools`, {build['go']}, measured {build['measured']})",
            "",
            "| figure | value |",
            "|---|---|",
            f"| cold build (empty `GOMODCACHE` and `GOCACHE`), wall time "
            f"| {cold['seconds']:.0f} s ({cold['seconds'] / 60:.1f} min) |",
            "| per binary (as the script printed it) | "
            + ", ".join(f"{b} {s:.0f} s" for b, s in cold["per_binary_s"].items())
            + " |",
            f"| downloaded (module zips, `GOMODCACHE/cache/download`) | {cold['download_bytes'] / 1e6:.0f} MB |",
            f"| module cache after the build (zips and extracted sources) | {cold['module_cache_bytes'] / 1e6:.0f} MB |",
            f"| build cache (`GOCACHE`) after the build | {cold['build_cache_bytes'] / 1e6:.0f} MB |",
            f"| binaries in `.tools/bin` | {sum(cold['binaries_bytes'].values()) / 1e6:.0f} MB "
            f"({len(cold['binaries_bytes'])} files) |",
            f"| warm no-op run (every stamp current) | {_stat(build['warm_noop'], 2)} s |",
            f"| warm `--force` rebuild (caches full) | {build['warm_force']['seconds']:.0f} s |",
            "",
            f"Load average {build['load_start']} → {build['load_end']}.",
            "",
        ]
    return "\n".join(lines)


def write(results: dict[str, Any], stem: str = "cli-latest") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    path = RESULTS / f"{stem}.md"
    path.write_text(markdown(results))
    return path
