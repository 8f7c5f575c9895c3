"""Proxy overhead by upstream form: what nginx >= 1.27.3 (the product default) buys over nginx 1.22.

The stack section can only deploy nginx 1.22 here (the only nginx base image this machine has),
where re-resolving upstreams means `proxy_pass $variable`: a new upstream connection per request.
The product default (nginx 1.28) renders `server api:8000 resolve` + `keepalive 32` instead. This
section puts the same API container (prod settings: 4 workers, 2 CPUs) behind both renderings of
the same route, each nginx limited to the prod proxy's CPUs, and runs wrk straight to the API and
through each, plain HTTP, alternating the order between repetitions. The newer nginx comes from
the proxy tests' image (Debian unstable's nginx, images/proxy/tests/nginx-next).
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from standard_stack.nginx import ProxyRoute, ProxySettings, render_site_config

from .common import BUILD_ARGS, LABEL, REPO, WORK, docker, log, stats
from .proxy import wrk

NET = "standard-stack-bench-upstream"
NEW_NGINX_CONF = """pid /tmp/nginx.pid;
worker_processes auto;
error_log stderr warn;
events { worker_connections 1024; }
http { include /etc/nginx/mime.types; access_log off; include /etc/nginx/site/site.conf; }
"""
FORMS = {"variable (nginx 1.22)": (1, 22, 1), "resolve + keepalive (nginx 1.30)": (1, 30, 0)}


def prod_cpus(service: str) -> str:
    config = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
    return str(config[f"standard-stack:{service}"]["resources"]["cpus"])


def _ip(name: str) -> str:
    return docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).stdout.strip()


def _run(name: str, *args: str) -> None:
    docker("run", "-d", "--name", name, "--label", LABEL, "--network", NET, *args)


def measure(reps: int, seconds: int, threads: int, connections: int) -> dict[str, Any]:
    scratch = WORK / "upstream"
    scratch.mkdir(parents=True, exist_ok=True)
    route = ProxyRoute(path_prefix="/api/", upstream_host="api", upstream_port=8000, strip_prefix=True)
    for version in FORMS.values():
        (scratch / f"{version[1]}.conf").write_text(render_site_config(ProxySettings(routes=(route,), nginx_version=version)))
    (scratch / "nginx.conf").write_text(NEW_NGINX_CONF)
    log("upstream forms: building the API, the proxy (nginx 1.22) and the nginx-next test image")
    images = {
        "api": ("standard-stack-bench/api:upstream", REPO / "images/api", ["--build-arg", BUILD_ARGS["api"]]),
        "old": ("standard-stack-bench/proxy:upstream", REPO / "images/proxy", ["--build-arg", BUILD_ARGS["proxy"]]),
        "new": ("standard-stack-bench/nginx-next:upstream", REPO / "images/proxy/tests/nginx-next", []),
    }
    for tag, context, extra in images.values():
        docker("build", "-q", "--label", LABEL, "-t", tag, *extra, str(context))
    cpus = prod_cpus("proxy")
    names = {
        "api": "bench-upstream-api",
        "variable (nginx 1.22)": "bench-upstream-old",
        "resolve + keepalive (nginx 1.30)": "bench-upstream-new",
    }
    docker("network", "create", "--label", LABEL, NET)
    try:
        _run(
            names["api"],
            "--network-alias",
            "api",
            "--cpus",
            prod_cpus("api"),
            "-e",
            "API_WORKERS=4",
            "-e",
            "LOG_LEVEL=warning",
            *[f"-e{k}=unused" for k in ("POSTGRES_HOST", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "REDIS_HOST")],
            images["api"][0],
        )
        _run(
            names["variable (nginx 1.22)"],
            "--cpus",
            cpus,
            "--user",
            "101:0",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "-v",
            f"{scratch / '22.conf'}:/etc/nginx/site/site.conf:ro",
            images["old"][0],
        )
        _run(
            names["resolve + keepalive (nginx 1.30)"],
            "--cpus",
            cpus,
            "-v",
            f"{scratch / '30.conf'}:/etc/nginx/site/site.conf:ro",
            "-v",
            f"{scratch / 'nginx.conf'}:/tmp/n.conf:ro",
            "--entrypoint",
            "nginx",
            images["new"][0],
            "-c",
            "/tmp/n.conf",
            "-g",
            "daemon off;",
        )
        time.sleep(6)  # uvicorn's workers and both nginx up
        urls = {"direct": f"http://{_ip(names['api'])}:8000/health"}
        urls |= {form: f"http://{_ip(names[form])}:8080/api/health" for form in FORMS}
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in urls}
        for rep in range(reps):
            order = list(urls) if rep % 2 == 0 else list(reversed(urls))
            for kind in order:
                runs[kind].append(wrk(urls[kind], seconds, threads, connections))
                log(f"  wrk {kind}: {runs[kind][-1]['rps']:.0f} req/s, p99 {runs[kind][-1]['p99_ms']:.2f} ms")
    finally:
        docker("rm", "-f", *names.values(), check=False)
        docker("network", "rm", NET, check=False)
    direct = runs["direct"]
    out: dict[str, Any] = {
        "proxy_cpus": cpus,
        "direct_rps": stats([r["rps"] for r in direct], 1),
        "direct_p99_ms": stats([r["p99_ms"] for r in direct]),
        "forms": {},
    }
    for form in FORMS:
        via = runs[form]
        out["forms"][form] = {
            "rps": stats([r["rps"] for r in via], 1),
            "p99_ms": stats([r["p99_ms"] for r in via]),
            "throughput_ratio": stats([v["rps"] / d["rps"] for v, d in zip(via, direct, strict=True)]),
            "p99_added_ms": stats([v["p99_ms"] - d["p99_ms"] for v, d in zip(via, direct, strict=True)]),
            "errors": sum(r["non_2xx"] + r["socket_errors"] for r in via),
        }
    return out
