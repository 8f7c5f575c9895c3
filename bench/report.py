"""Targets of issue 6, and the three result files: JSON, a markdown table and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MB = 1e6


def _target(name: str, value: float | None, limit: float, *, at_most: bool = True, unit: str = "") -> dict[str, Any]:
    met = value is not None and (value <= limit if at_most else value >= limit)
    return {"target": name, "value": value, "limit": limit, "comparison": "<=" if at_most else ">=", "unit": unit, "met": met}


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    sizes = results.get("sizes")
    if sizes:
        for app in ("api", "web"):
            s = sizes[app]
            out.append(
                _target(f"{app} image <= base + 70 MB (added MB)", round(s["added_over_base_bytes"] / MB, 1), 70, unit="MB")
            )
            out.append(
                _target(
                    f"{app} image <= 1/3 of its naive build (final/naive)",
                    round(s["final_bytes"] / s["naive_bytes"], 3),
                    round(1 / 3, 3),
                )
            )
    cache = results.get("cache")
    if cache:
        out.append(_target("api one-line-change rebuild <= 10% of cold", cache["api"]["change_ratio"]["median"], 0.10))
        out.append(_target("web one-line-change rebuild <= 30% of cold", cache["web"]["change_ratio"]["median"], 0.30))
        for app in ("api", "web"):
            out.append(_target(f"{app} no-op rebuild <= 5% of cold", cache[app]["noop_ratio"]["median"], 0.05))
    healthy = results.get("healthy")
    if healthy:
        out.append(_target("stack time to healthy <= 1.5 x slowest service", healthy["ratio_stack_to_slowest"]["median"], 1.5))
    proxy = results.get("proxy")
    if proxy:
        for path, p in proxy["paths"].items():
            out.append(
                _target(f"throughput via proxy >= 85% of direct ({path})", p["throughput_ratio"]["median"], 0.85, at_most=False)
            )
            out.append(_target(f"p99 added by the proxy <= 2 ms ({path})", p["p99_added_ms"]["median"], 2.0, unit="ms"))
    upstream = results.get("upstream")
    if upstream:
        for form, f in upstream["forms"].items():
            out.append(
                _target(
                    f"throughput via proxy >= 85% of direct (/api/health, {form})",
                    f["throughput_ratio"]["median"],
                    0.85,
                    at_most=False,
                )
            )
            out.append(
                _target(f"p99 added by the proxy <= 2 ms (/api/health, {form})", f["p99_added_ms"]["median"], 2.0, unit="ms")
            )
    return out


def _fmt(stat: dict[str, Any] | None, digits: int = 2, scale: float = 1.0) -> str:
    if not stat or stat.get("median") is None:
        return "n/a"
    med, lo, hi = (stat[k] / scale for k in ("median", "min", "max"))
    return f"{med:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# standard-stack benchmark results",
        "",
        f"Measured {meta['finished']} on {meta['machine']}; Docker {meta['docker']}. "
        f"Load average (1/5/15 min) at start {meta['load_start']}, at end {meta['load_end']}. "
        f"Repetitions: {meta['reps']}. Figures: median (min to max).",
        "",
    ]
    sizes, cache = results.get("sizes"), results.get("cache")
    if sizes:
        lines += [
            "## Image size (MB)",
            "",
            "| image | base | final | added over base | naive single stage | final / naive |",
            "|---|---|---|---|---|---|",
        ]
        for app, s in sizes.items():
            naive = s.get("naive_bytes")
            lines.append(
                f"| {app} | {s['base_bytes'] / MB:.1f} ({s['base_image']}) | {s['final_bytes'] / MB:.1f} | "
                f"{s['added_over_base_bytes'] / MB:.1f} | {naive / MB:.1f} | {s['final_bytes'] / naive:.2f} |"
                if naive
                else f"| {app} | {s['base_bytes'] / MB:.1f} ({s['base_image']}) | {s['final_bytes'] / MB:.1f} | "
                f"{s['added_over_base_bytes'] / MB:.1f} | - | - |"
            )
        lines.append("")
    if cache:
        lines += [
            "## Build cache (seconds)",
            "",
            "| app | cold | no-op | one-line change | no-op / cold | change / cold |",
            "|---|---|---|---|---|---|",
        ]
        for app, c in cache.items():
            lines.append(
                f"| {app} | {_fmt(c['cold'], 1)} | {_fmt(c['noop'], 2)} | {_fmt(c['change'], 1)} | "
                f"{_fmt(c['noop_ratio'], 3)} | {_fmt(c['change_ratio'], 3)} |"
            )
        lines.append("")
    healthy = results.get("healthy")
    if healthy:
        lines += [
            "## Time to healthy, prod stack (seconds from the start of the deploy)",
            "",
            "| service | container started | healthy | own start-to-healthy |",
            "|---|---|---|---|",
        ]
        for svc, p in healthy["per_service"].items():
            lines.append(f"| {svc} | {_fmt(p['started_s'], 1)} | {_fmt(p['healthy_s'], 1)} | {_fmt(p['own_s'], 1)} |")
        r = healthy["redeploy_api"]
        lines += [
            f"| **whole stack** | | {_fmt(healthy['stack_healthy_s'], 1)} | "
            f"slowest service {_fmt(healthy['slowest_service_s'], 1)} |",
            "",
            f"Stack / slowest service: {_fmt(healthy['ratio_stack_to_slowest'], 2)}. Whole `pulumi up` (images "
            f"rebuilt cache-warm by the docker provider): {_fmt(healthy['deploy_s'], 1)} s.",
            f"Re-deploy changing only the API image: {_fmt(r['deploy_s'], 1)} s in all, API healthy "
            f"{_fmt(r['api_healthy_s'], 1)} s after the start (its own start-to-healthy {_fmt(r['api_own_s'], 1)} s); "
            f"changed: {', '.join(f'{k} ({v})' for k, v in sorted(r['changed'].items()))}.",
            "",
        ]
    proxy = results.get("proxy")
    if proxy:
        w = proxy["wrk"]
        lines += [
            f"## Proxy overhead (wrk -t{w['threads']} -c{w['connections']} -d{w['seconds']}s)",
            "",
            "| path | direct req/s | via proxy req/s | ratio | direct p99 ms | via proxy p99 ms | p99 added ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for path, p in proxy["paths"].items():
            lines.append(
                f"| {path} | {_fmt(p['direct_rps'], 0)} | {_fmt(p['proxy_rps'], 0)} | {_fmt(p['throughput_ratio'], 3)} | "
                f"{_fmt(p['direct_p99_ms'], 2)} | {_fmt(p['proxy_p99_ms'], 2)} | {_fmt(p['p99_added_ms'], 2)} |"
            )
        lines.append("")
    upstream = results.get("upstream")
    if upstream:
        lines += [
            f"## Proxy overhead by upstream form (/api/health, plain HTTP, proxy limited to {upstream['proxy_cpus']} CPU)",
            "",
            f"Straight to the API: {_fmt(upstream['direct_rps'], 0)} req/s, p99 {_fmt(upstream['direct_p99_ms'])} ms.",
            "",
            "| nginx upstream form | req/s | ratio to direct | p99 ms | p99 added ms |",
            "|---|---|---|---|---|",
        ]
        for form, f in upstream["forms"].items():
            cells = [form, _fmt(f["rps"], 0), _fmt(f["throughput_ratio"], 3), _fmt(f["p99_ms"]), _fmt(f["p99_added_ms"])]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    program = results.get("program")
    if program:
        lines += [
            "## Program evaluation under mocks (seconds)",
            "",
            "| stack | resources | program | with interpreter start-up |",
            "|---|---|---|---|",
        ]
        for stack, p in program.items():
            lines.append(f"| {stack} | {p['resources']} | {_fmt(p['program_s'], 2)} | {_fmt(p['process_s'], 2)} |")
        lines.append("")
    lines += ["## Targets", "", "| target | value | limit | met |", "|---|---|---|---|"]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['value']} | {t['comparison']} {t['limit']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(f"standard-stack benchmarks — {results['meta']['finished']}, {results['meta']['machine']}", fontsize=10)

    def err(stats: list[dict[str, Any]]) -> list[list[float]]:
        return [[s["median"] - s["min"] for s in stats], [s["max"] - s["median"] for s in stats]]

    ax = axes[0][0]
    sizes = results.get("sizes") or {}
    apps = list(sizes)
    for i, (key, label) in enumerate((("base_bytes", "base"), ("final_bytes", "final"), ("naive_bytes", "naive single stage"))):
        ax.bar([x + (i - 1) * 0.27 for x in range(len(apps))], [sizes[a].get(key, 0) / MB for a in apps], 0.27, label=label)
    ax.set_xticks(range(len(apps)), apps)
    ax.set_ylabel("MB")
    ax.set_title("Image size")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    cache = results.get("cache") or {}
    apps = list(cache)
    for i, kind in enumerate(("cold", "noop", "change")):
        stats = [cache[a][kind] for a in apps]
        ax.bar(
            [x + (i - 1) * 0.27 for x in range(len(apps))],
            [s["median"] for s in stats],
            0.27,
            yerr=err(stats),
            capsize=3,
            label={"noop": "no-op", "change": "one-line change"}.get(kind, kind),
        )
    ax.set_xticks(range(len(apps)), apps)
    ax.set_ylabel("seconds")
    ax.set_title("Build time (median, min to max)")
    ax.legend(fontsize=8)

    ax = axes[1][0]
    healthy = results.get("healthy")
    if healthy:
        services = list(healthy["per_service"])
        for y, svc in enumerate(services):
            p = healthy["per_service"][svc]
            start, end = p["started_s"]["median"], p["healthy_s"]["median"]
            ax.barh(y, end - start, left=start, color="tab:green")
            ax.text(end + 0.3, y, f"{end:.1f} s", va="center", fontsize=8)
        r = healthy["redeploy_api"]
        ax.barh(len(services), r["api_healthy_s"]["median"], color="tab:orange")
        ax.text(
            r["api_healthy_s"]["median"] + 0.3, len(services), f"{r['api_healthy_s']['median']:.1f} s", va="center", fontsize=8
        )
        ax.set_yticks(range(len(services) + 1), [*services, "API-only redeploy"])
        ax.set_xlabel("seconds from the start of the deploy (container start → healthy)")
        ax.set_title(f"Time to healthy (stack / slowest service = {healthy['ratio_stack_to_slowest']['median']:.2f})")

    ax = axes[1][1]
    proxy = results.get("proxy")
    if proxy:
        paths = list(proxy["paths"])
        for i, kind in enumerate(("direct", "proxy")):
            stats = [proxy["paths"][p][f"{kind}_rps"] for p in paths]
            ax.bar(
                [x + (i - 0.5) * 0.35 for x in range(len(paths))],
                [s["median"] for s in stats],
                0.35,
                yerr=err(stats),
                capsize=3,
                label={"direct": "straight to the container", "proxy": "through the proxy (HTTPS)"}[kind],
            )
        for x, p in enumerate(paths):
            added = proxy["paths"][p]["p99_added_ms"]["median"]
            ax.text(x, 0, f"p99 +{added:.2f} ms", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(paths)), paths)
        ax.set_ylabel("requests/s")
        ax.set_title("Proxy overhead (wrk)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], directory: Path, stem: str = "latest") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(results, indent=2, sort_keys=False) + "\n")
    (directory / f"{stem}.md").write_text(markdown(results))
    chart(results, directory / f"{stem}.png")
