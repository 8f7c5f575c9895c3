"""API throughput through the proxy on the three-node Swarm lab with 1, 2 and 3 API replicas (issue 14, item 3).

The stack is the lab's (``tests/swarm/stack_lab.py``: ``target: swarm``, proxy in host mode on the
manager, one uvicorn worker and 1 CPU per API task) deployed by the real ``pulumi up``. Per replica
count, one ``pulumi up`` changing only ``api.replicas`` (timed, and until Swarm reports that many tasks
Running, i.e. healthy), a short untimed warm-up, then a fixed-duration closed-loop load: ``wrk`` with
N connections (each sends its next request when the previous answer arrives) from the host to the
proxy's host-mode port, GET /api/health. Prints a table; asserts nothing about timing.

The lab's three nodes share the host's cores with wrk itself and with the proxy, so on a small
machine the figures show where CPU runs out, not what three real hosts would give.

    .venv/bin/python bench/swarm_scale.py [--seconds 10] [--connections 16] [--replicas 1,2,3]

Brings the lab up (``scripts/swarm-lab up``) and always tears down: the stack is destroyed and the
lab removed (``swarm-lab down``), also on failure or SIGTERM; ``--keep-lab`` leaves the lab running.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "swarm")]

from stack_lab import DOCKER, HTTP_PORT, PLACEMENT, PROJECT, SOCKET, VERSIONS, StackOnLab, prepare_lab  # noqa: E402

from bench.proxy import wrk  # noqa: E402

LAB = REPO / "scripts" / "swarm-lab"
RESULTS = REPO / "bench" / "results" / "swarm-latest.json"
SERVICE = "docker:index/service:Service"


def log(message: str) -> None:
    print(f"[swarm-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def api_settings(replicas: int) -> dict[str, Any]:
    """stack_lab.stack_config's API block with only the replica count changed."""
    return {
        "pythonVersion": VERSIONS["python"],
        "workers": 1,
        "replicas": replicas,
        "resources": {"memory": "512Mi", "cpus": "1"},
    }


def api_tasks(stack: str) -> list[tuple[str, str, str]]:
    """(node, desired state, current state) of every API task Swarm still lists, old ones included."""
    proc = subprocess.run(
        [DOCKER, "service", "ps", f"{PROJECT}-{stack}-api", "--format", "{{.Node}}|{{.DesiredState}}|{{.CurrentState}}"],
        env={"DOCKER_HOST": SOCKET}, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return [(node, desired, current) for node, desired, current in (line.split("|") for line in proc.stdout.splitlines())]


def api_nodes(stack: str) -> list[str]:
    """Nodes of the API's tasks that Swarm reports Running (only once their health check passes)."""
    return sorted(n for n, desired, current in api_tasks(stack) if desired == "Running" and current.startswith("Running"))


def wait_running(stack: str, replicas: int, timeout: float = 180) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(nodes := api_nodes(stack)) != replicas:
        if time.monotonic() > deadline:
            raise RuntimeError(f"API of {stack}: {len(nodes)} tasks Running after {timeout:.0f} s, want {replicas}")
        time.sleep(0.5)
    return nodes


def proxy_url() -> str:
    out = subprocess.run(
        [DOCKER, "inspect", "-f", '{{(index .NetworkSettings.Networks "swarm-lab-net").IPAddress}}', PLACEMENT["proxy"]],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return f"http://{out.stdout.strip()}:{HTTP_PORT}"


def scale_to(deployment: StackOnLab, replicas: int) -> dict[str, Any]:
    """One `pulumi up` changing only api.replicas: its time, the time until every task is Running, what changed."""
    deployment.configure(api=api_settings(replicas))
    start = time.monotonic()
    outcome = deployment.up()
    up_s = time.monotonic() - start
    nodes = wait_running(deployment.stack_name, replicas)
    converged_s = time.monotonic() - start
    # a pure scale keeps the running tasks; a task shut down by this `up` means Swarm rolled the task template
    stopped = sum(1 for _n, desired, _c in api_tasks(deployment.stack_name) if desired == "Shutdown")
    changed = sorted(f"{name} {op}" for name, _typ, op in outcome.steps if op != "same" and not _typ.startswith(f"{PROJECT}:"))
    return {"up_s": up_s, "converged_s": converged_s, "nodes": nodes, "changed": changed, "shut_down_total": stopped}


def load_runs(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """A 2 s warm-up (connections, nginx's resolver cache), then ``--reps`` runs: the median run by req/s, and the range."""
    wrk(url, 2, args.threads, args.connections)
    runs = []
    for _ in range(args.reps):
        runs.append({**wrk(url, args.seconds, args.threads, args.connections), "load1": os.getloadavg()[0]})
    runs.sort(key=lambda r: r["rps"])
    median = runs[len(runs) // 2]
    return {**median, "rps_min": runs[0]["rps"], "rps_max": runs[-1]["rps"], "runs": runs}


def row(replicas: int, step: dict[str, Any], load: dict[str, Any], base_rps: float) -> str:
    spread = ", ".join(f"{n.removeprefix('swarm-lab-')}" for n in step["nodes"])
    return (
        f"| {replicas} | {spread} | {step['up_s']:.1f} / {step['converged_s']:.1f} | {step['shut_down_total']} | "
        f"{load['rps']:.0f} ({load['rps_min']:.0f}-{load['rps_max']:.0f}) | {load['rps'] / base_rps:.2f} | "
        f"{load['p50_ms']:.1f} | {load['p99_ms']:.1f} | {sum(r['non_2xx'] + r['socket_errors'] for r in load['runs'])} | "
        f"{min(r['load1'] for r in load['runs']):.1f}-{max(r['load1'] for r in load['runs']):.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each load run (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients, wrk -c (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--reps", type=int, default=3, help="load runs per replica count; the median is shown (default 3)")
    parser.add_argument("--replicas", default="1,2,3", help="API replica counts in order (default 1,2,3)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up afterwards (the stack is destroyed either way)")
    args = parser.parse_args()
    counts = [int(n) for n in args.replicas.split(",")]
    if not (REPO / ".tools/bin/pulumi").exists():
        parser.error("needs the real CLI and providers in .tools/bin (scripts/build-tools)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # SystemExit runs the clean-up below

    name = f"sb{uuid.uuid4().hex[:6]}"
    tmp = Path(tempfile.mkdtemp(prefix=f"swarm-bench-{name}-"))
    deployment: StackOnLab | None = None
    results: list[dict[str, Any]] = []
    try:
        log("swarm-lab up")
        subprocess.run([str(LAB), "up"], check=True, timeout=900)
        prepare_lab(name)
        deployment = StackOnLab(name, tmp, api=api_settings(counts[0]))
        log(f"first pulumi up of {name} (api.replicas={counts[0]})")
        first = scale_to(deployment, counts[0])
        first["first_deploy"] = True
        url = f"{proxy_url()}/api/health"
        for i, replicas in enumerate(counts):
            step = first if i == 0 else scale_to(deployment, replicas)
            log(f"api.replicas={replicas}: up {step['up_s']:.1f} s, Running {step['converged_s']:.1f} s on {step['nodes']}")
            load = load_runs(url, args)
            log(f"api.replicas={replicas}: {load['rps']:.0f} req/s, p50 {load['p50_ms']:.1f} ms, p99 {load['p99_ms']:.1f} ms")
            results.append({"replicas": replicas, **step, **load})
        deployment.expect_no_changes()
    finally:
        if deployment is not None:
            log(f"destroying {name}")
            deployment.teardown()
        shutil.rmtree(tmp, ignore_errors=True)
        if not args.keep_lab:
            log("swarm-lab down")
            subprocess.run([str(LAB), "down"], check=False, capture_output=True, timeout=900)

    base = results[0]["rps"]
    load_text = f"{args.reps} x wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, "
    load_text += "GET /api/health via the proxy's host-mode port"
    print(f"\n{load_text}; 'up / Running': the `pulumi up` changing api.replicas, then every task Running (s)\n")
    print(
        "| API replicas | tasks on | up / Running (s) | tasks shut down so far | req/s median (range) | vs first "
        "| p50 ms | p99 ms | errors | host load1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(row(r["replicas"], r, r, base))
    print("\nfirst row's `up`: the whole stack's first deploy; resources each scale changed:")
    for r in results[1:]:
        print(f"  -> {r['replicas']}: {', '.join(r['changed']) or 'nothing'}")
    RESULTS.write_text(
        json.dumps({"measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": load_text, "runs": results}, indent=2)
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
