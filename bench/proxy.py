"""Proxy overhead: wrk through the proxy's published HTTPS port and straight to the container.

Same threads, connections and duration for both, run one right after the other, alternating which
goes first between repetitions. Straight to the container means its IP on the stack's frontend
network, reachable from the host on Linux: the API on :8000 (/health, which the proxy serves as
/api/health) and the web app on :3000 (/). Through the proxy includes TLS termination (the prod
stack redirects plain HTTP), on keep-alive connections as wrk opens them once.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from .common import log, stats

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, seconds: int, threads: int, connections: int) -> dict[str, Any]:
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed (bench/run installs Debian's wrk)")
    proc = subprocess.run(
        [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk {url} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return parse_wrk(proc.stdout)


def parse_wrk(text: str) -> dict[str, Any]:
    def latency_ms(label: str) -> float:
        match = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s|m)\s*$", text, flags=re.M)
        if not match:
            raise ValueError(f"no {label} latency in wrk output:\n{text}")
        return float(match.group(1)) * UNITS[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if not rps or not total:
        raise ValueError(f"unexpected wrk output:\n{text}")
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": latency_ms("50%"),
        "p99_ms": latency_ms("99%"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
    }


def frontend_ip(info: dict) -> str:
    networks = info["NetworkSettings"]["Networks"]
    for name, net in networks.items():
        if name.endswith("frontend") and net.get("IPAddress"):
            return str(net["IPAddress"])
    raise RuntimeError(f"{info['Name']} has no address on a frontend network: {sorted(networks)}")


def measure(stack: Any, reps: int, seconds: int, threads: int = 2, connections: int = 16) -> dict[str, Any]:
    """Run on a live BenchStack (bench.healthy)."""
    from .healthy import PUBLIC_URL

    services = stack.service_containers()
    targets = {
        "/api/health": (f"{PUBLIC_URL}/api/health", f"http://{frontend_ip(services['api'])}:8000/health"),
        "/": (f"{PUBLIC_URL}/", f"http://{frontend_ip(services['web'])}:3000/"),
    }
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {path: {"proxy": [], "direct": []} for path in targets}
    for rep in range(reps):
        for path, (via_proxy, direct) in targets.items():
            order = [("proxy", via_proxy), ("direct", direct)]
            if rep % 2:
                order.reverse()
            for kind, url in order:
                result = wrk(url, seconds, threads, connections)
                raw[path][kind].append(result)
                log(
                    f"  wrk {path} {kind}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.2f} ms"
                    + (f", {result['non_2xx']} non-2xx" if result["non_2xx"] else "")
                )
    out: dict[str, Any] = {"wrk": {"threads": threads, "connections": connections, "seconds": seconds}, "paths": {}}
    for path, kinds in raw.items():
        proxy_runs, direct_runs = kinds["proxy"], kinds["direct"]
        out["paths"][path] = {
            "url_proxy": targets[path][0],
            "url_direct": targets[path][1],
            "proxy_rps": stats([r["rps"] for r in proxy_runs], 1),
            "direct_rps": stats([r["rps"] for r in direct_runs], 1),
            "proxy_p99_ms": stats([r["p99_ms"] for r in proxy_runs]),
            "direct_p99_ms": stats([r["p99_ms"] for r in direct_runs]),
            "throughput_ratio": stats([p["rps"] / d["rps"] for p, d in zip(proxy_runs, direct_runs, strict=True)]),
            "p99_added_ms": stats([p["p99_ms"] - d["p99_ms"] for p, d in zip(proxy_runs, direct_runs, strict=True)]),
            "errors": sum(r["non_2xx"] + r["socket_errors"] for r in proxy_runs + direct_runs),
            "runs": kinds,
        }
    return out
