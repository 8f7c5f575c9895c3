"""Run the benchmark sections, write bench/results/latest.{json,md,png}, print the targets.

The `cli` section (the real Pulumi CLI and providers, bench/cli.py) writes its own
bench/results/cli-latest.{json,md}; a run of `--only cli` leaves latest.* as they are.

Exit status 0 whether targets are met or not; 1 when a measurement could not be taken. Whatever
happens (failure, Ctrl-C, SIGTERM), every Docker object and scratch copy this run made is removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
import traceback
from typing import Any

from . import cli, healthy, images, program, proxy, report
from .common import RESULTS, WORK, docker, load_average, log, remove_bench_images

SECTIONS = ("sizes", "cache", "healthy", "proxy", "upstream", "program", "cli")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} vCPU {cpu}, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "unknown"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (at least 3 for reported figures)")
    parser.add_argument("--program-reps", type=int, default=5, help="repetitions of the program evaluation")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--wrk-seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--wrk-connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--cli-parts",
        default=",".join(cli.PARTS),
        help=f"parts of the cli section, comma-separated subset of {','.join(cli.PARTS)} "
        "(build includes a cold Go build of about 10-15 min); a part left out keeps its previous figures",
    )
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    args.cli_parts = [s.strip() for s in args.cli_parts.split(",") if s.strip()]
    unknown = set(args.cli_parts) - set(cli.PARTS)
    if unknown or not args.cli_parts:
        parser.error(
            f"--cli-parts {','.join(sorted(unknown)) or '(empty)'}: expected a comma-separated subset of {','.join(cli.PARTS)}"
        )
    return args


def cleanup() -> None:
    removed = remove_bench_images()
    log(f"clean-up: removed {len(removed)} labelled image(s)")
    for sub in ("ctx", "ctx-sizes", "stack"):
        shutil.rmtree(WORK / sub, ignore_errors=True)
    cli.remove_tree(cli.BUILD_WORK)
    leftovers = [*WORK.glob("cli-*-bench-*"), *WORK.glob(f"{healthy.NAME}-*")]
    for leftover in leftovers:  # a deploy copy a killed run could not remove itself
        shutil.rmtree(leftover, ignore_errors=True)


def _terminate(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    docker("info", "--format", "{{.ServerVersion}}")
    results: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "machine": machine(),
            "docker": docker("version", "--format", "{{.Server.Version}}").stdout.strip(),
            "commit": git_commit(),
            "reps": args.reps,
            "sections": args.only,
            "load_start": load_average(),
            "note": "2 shared cores: other engineers' builds and tests ran on the same machine and engine",
        }
    }
    failed = False
    cli_results: dict[str, Any] = {"meta": {**results["meta"], "parts_measured": args.cli_parts}}
    cli_done = False
    try:
        if "cli" in args.only:  # first: its cold Go build wants the machine as quiet as it gets
            cli.measure(cli_results, args.cli_parts, args.reps)
            cli_done = True
        if "sizes" in args.only:
            results["sizes"] = images.measure_sizes()
        if "cache" in args.only:
            results["cache"] = images.measure_cache(args.reps)
            results["meta"]["load_after_cache"] = load_average()
        if "healthy" in args.only or "proxy" in args.only:

            def on_last(stack: Any) -> Any:
                if "proxy" not in args.only:
                    return None
                log("proxy overhead: wrk through the proxy and straight to the containers")
                return proxy.measure(stack, args.reps, args.wrk_seconds, args.wrk_threads, args.wrk_connections)

            measured = healthy.measure(args.reps, on_last)
            proxy_results = measured.pop("on_last_stack")
            if "healthy" in args.only:
                results["healthy"] = measured
            if proxy_results:
                results["proxy"] = proxy_results
            results["meta"]["load_after_stack"] = load_average()
        if "upstream" in args.only:
            from . import upstream

            results["upstream"] = upstream.measure(args.reps, args.wrk_seconds, args.wrk_threads, args.wrk_connections)
        if "program" in args.only:
            results["program"] = program.measure(args.program_reps)
    except BaseException as exc:  # reported; the results so far are still written
        failed = True
        results["meta"]["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        cleanup()
    results["meta"]["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    results["meta"]["load_end"] = load_average()
    stem = "failed" if failed else "latest"  # an interrupted run never overwrites the last good results
    if "cli" in args.only:
        keys = ("finished", "load_end") if cli_done else ("finished", "load_end", "error")
        cli_results["meta"].update({k: results["meta"][k] for k in keys if k in results["meta"]})
        cli_stem = "cli-latest" if cli_done else "cli-failed"  # a later section's failure is not the cli's
        path = cli.write(cli_results, cli_stem)
        print(f"\nCLI results: {path} (also {cli_stem}.json)")
    if set(args.only) == {"cli"}:
        if failed:
            print(f"bench: a measurement failed: {results['meta']['error']}", file=sys.stderr)
            return 1
        return 0
    results["targets"] = report.evaluate(results)
    report.write(results, RESULTS, stem)
    print(f"\nResults: {RESULTS / f'{stem}.md'} (also {stem}.json, {stem}.png)")
    print(f"Load average at start {results['meta']['load_start']}, at end {results['meta']['load_end']}")
    for t in results["targets"]:
        print(f"  [{'MET ' if t['met'] else 'MISS'}] {t['target']}: {t['value']} (limit {t['comparison']} {t['limit']})")
    met = sum(t["met"] for t in results["targets"])
    print(f"{met} of {len(results['targets'])} targets met")
    if failed:
        print(f"bench: a measurement failed: {results['meta']['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
