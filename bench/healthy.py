"""Time to healthy: the prod stack deployed by the e2e harness, from an engine holding its images.

The stack is the real program with Pulumi.prod.yaml, deployed by tests/e2e/harness (mocks that
apply each resource to the local engine) from a private copy of the program under bench/.work/,
with tests/e2e/overrides.yaml selecting the stand-in base versions and a bench override file
giving plain secrets and its own ports. It runs as stack `bench` (objects named
standard-stack-bench-*, images tagged :bench) so it never collides with an e2e run of `prod`.

Per service, times come from `docker inspect`: State.StartedAt and the end of the first passing
health probe, both against the wall clock taken just before the deploy started.
"""

from __future__ import annotations

import secrets as pysecrets
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from .common import BUILD_ARGS, E2E, WORK, docker, log, stats

if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

from harness import destroy, remove_labelled, run_program
from stack import containers, copy_project, http, self_signed_cert
from stack import service_containers as service_containers  # re-exported for bench.proxy

STACK = "bench"
HTTP_PORT, HTTPS_PORT = 38080, 38443
PUBLIC_URL = f"https://localhost:{HTTPS_PORT}"
API_SOURCE = Path("images/api/app/main.py")  # the file the API-only redeploy changes (in the copy)


def parse_time(text: str) -> float:
    """Docker's RFC 3339 timestamps (nanoseconds) as epoch seconds."""
    text = text.replace("Z", "+00:00")
    head, _, zone = text.partition("+")
    if "." in head:
        base, frac = head.split(".", 1)
        head = f"{base}.{frac[:6]}"
    return datetime.fromisoformat(f"{head}+{zone or '00:00'}").timestamp()


def service_timeline(label: str, t0: float) -> dict[str, dict[str, Any]]:
    """Seconds from t0 at which each container started and became healthy (or finished, one-shots)."""
    out: dict[str, dict[str, Any]] = {}
    for info in containers(label):
        labels = info["Config"]["Labels"] or {}
        name = labels.get("dev.standard-stack.service") or info["Name"].lstrip("/")
        state = info["State"]
        started = parse_time(state["StartedAt"])
        entry: dict[str, Any] = {"container": info["Name"].lstrip("/"), "started_s": round(started - t0, 3)}
        health = state.get("Health")
        if not state["Running"]:  # one-shot jobs (file loaders, migrations) inherit health checks too
            finished = parse_time(state["FinishedAt"])
            entry.update(
                finished_s=round(finished - t0, 3), own_s=round(finished - started, 3), status=f"exited {state['ExitCode']}"
            )
        elif health:
            passing = [p for p in health.get("Log") or [] if p.get("ExitCode") == 0]
            if passing:
                healthy = parse_time(passing[0]["End"])
                entry.update(
                    healthy_s=round(healthy - t0, 3), own_s=round(healthy - started, 3), probes_seen=len(health.get("Log") or [])
                )
            entry["status"] = health.get("Status")
        out[name] = entry
    return out


def image_build_seconds(events: list[dict]) -> dict[str, float]:
    """Seconds each image build took inside the deploy (harness journal)."""
    starts = {e["name"]: e["t"] for e in events if e["event"] == "image-build-start"}
    return {
        e["name"]: round(e["t"] - starts[e["name"]], 3) for e in events if e["event"] == "image-built" and e["name"] in starts
    }


def changes(events: list[dict]) -> dict[str, str]:
    """What a deploy did to each resource it touched: create, update, replace or delete."""
    seen: dict[str, set[str]] = {}
    for e in events:
        seen.setdefault(e.get("name", ""), set()).add(e["event"])
    out = {}
    for name, kinds in seen.items():
        for kind, marker in (
            ("replace", "replace-start"),
            ("update", "update-start"),
            ("create", "create-start"),
            ("delete", "delete-start"),
        ):
            if marker in kinds:
                out[name] = kind
                break
    return out


@dataclass
class BenchStack:
    """One disposable prod-config stack; `teardown` destroys it (protected resources included)."""

    root: Path = field(default_factory=lambda: WORK / "stack")
    label: str = field(default_factory=lambda: f"bench{pysecrets.token_hex(4)}")

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        program = self.root / "program"
        if program.exists():
            import shutil

            shutil.rmtree(program)
        self.program = copy_project(program)
        self.state_path = self.root / "state" / "state.json"
        cert, key = self_signed_cert(self.root)
        overrides = {
            "standard-stack:publicUrl": PUBLIC_URL,
            "standard-stack:proxy": {
                "bindAddress": "127.0.0.1",
                "httpPort": HTTP_PORT,
                "httpsPort": HTTPS_PORT,
                "serverName": "localhost",
            },
            "standard-stack:postgresPassword": pysecrets.token_urlsafe(18),
            "standard-stack:redisPassword": pysecrets.token_urlsafe(18),
            "standard-stack:tlsCertificate": cert,
            "standard-stack:tlsPrivateKey": key,
        }
        extra = self.root / "overrides.bench.yaml"
        extra.write_text(yaml.safe_dump({"config": overrides}))
        self.config_files = [str(self.program / "Pulumi.prod.yaml"), str(E2E / "overrides.yaml"), str(extra)]
        self.outputs: dict[str, Any] = {}

    def prebuild(self) -> None:
        """Put the stack's images on the engine (the harness rebuilds them cache-warm in each deploy)."""
        for svc in ("api", "web", "proxy"):
            docker(
                "build",
                "--quiet",
                "--build-arg",
                BUILD_ARGS[svc],
                "-t",
                f"standard-stack-{svc}:{STACK}",
                str(self.program / "images" / svc),
            )

    def up(self) -> tuple[float, Any]:
        t0 = time.time()
        result = run_program(
            str(self.program), self.config_files, str(self.state_path), project="standard-stack", stack=STACK, label=self.label
        )
        self.outputs = result.outputs
        return t0, result

    def change_api_source(self, nonce: str) -> None:
        with (self.program / API_SOURCE).open("a") as fh:
            fh.write(f"# bench: API-only redeploy {nonce}\n")

    def teardown(self) -> None:
        try:
            if self.state_path.exists():
                destroy(str(self.state_path), include_protected=True)
        finally:
            remove_labelled(self.label)

    def remove_images(self) -> None:
        for svc in ("api", "web", "proxy"):
            docker("image", "rm", f"standard-stack-{svc}:{STACK}", check=False)  # untag; layers shared


def deploy_once(stack: BenchStack) -> dict[str, Any]:
    t0, result = stack.up()
    timeline = service_timeline(stack.label, t0)
    services = {k: v for k, v in timeline.items() if "healthy_s" in v}
    stack_s = max(v["healthy_s"] for v in services.values())
    slowest = max(services, key=lambda k: services[k]["own_s"])
    status, _, _ = http("GET", result.outputs["api_health_url"])
    return {
        "deploy_s": result.seconds,
        "stack_healthy_s": stack_s,
        "slowest_service": slowest,
        "slowest_service_s": services[slowest]["own_s"],
        "ratio": round(stack_s / services[slowest]["own_s"], 3),
        "timeline": timeline,
        "image_builds_s": image_build_seconds(result.events),
        "api_health_through_proxy": status,
    }


def redeploy_api(stack: BenchStack, nonce: str) -> dict[str, Any]:
    stack.change_api_source(nonce)
    t0, result = stack.up()
    timeline = service_timeline(stack.label, t0)
    api = timeline["api"]
    changed = changes(result.events)
    return {
        "deploy_s": result.seconds,
        "api_healthy_s": api.get("healthy_s"),
        "api_own_s": api.get("own_s"),
        "changed": changed,
        "image_builds_s": image_build_seconds(result.events),
    }


def measure(reps: int, on_last_stack=None) -> dict[str, Any]:
    """`reps` fresh deploys, each followed by an API-only redeploy; `on_last_stack(stack)` runs on
    the last deployment before it is torn down (the proxy benchmark uses it)."""
    stack = BenchStack()
    deploys, redeploys, extra = [], [], None
    try:
        log("time to healthy: pre-building the stack's images")
        stack.prebuild()
        for rep in range(reps):
            log(f"time to healthy: deploy {rep + 1}/{reps}")
            deploys.append(deploy_once(stack))
            log(
                f"  healthy after {deploys[-1]['stack_healthy_s']} s (slowest service "
                f"{deploys[-1]['slowest_service']} {deploys[-1]['slowest_service_s']} s)"
            )
            redeploys.append(redeploy_api(stack, f"{rep}-{pysecrets.token_hex(3)}"))
            log(f"  API-only redeploy: {redeploys[-1]['deploy_s']} s, API healthy at {redeploys[-1]['api_healthy_s']} s")
            if rep == reps - 1 and on_last_stack is not None:
                extra = on_last_stack(stack)
            stack.teardown()
    finally:
        stack.teardown()
        stack.remove_images()
    services = sorted({s for d in deploys for s, v in d["timeline"].items() if "healthy_s" in v})
    return {
        "stack": "prod config (Pulumi.prod.yaml + tests/e2e/overrides.yaml), deployed as stack 'bench'",
        "stack_healthy_s": stats([d["stack_healthy_s"] for d in deploys]),
        "slowest_service_s": stats([d["slowest_service_s"] for d in deploys]),
        "ratio_stack_to_slowest": stats([d["ratio"] for d in deploys]),
        "per_service": {
            s: {
                "started_s": stats([d["timeline"][s]["started_s"] for d in deploys]),
                "healthy_s": stats([d["timeline"][s]["healthy_s"] for d in deploys]),
                "own_s": stats([d["timeline"][s]["own_s"] for d in deploys]),
            }
            for s in services
        },
        "deploy_s": stats([d["deploy_s"] for d in deploys]),
        "redeploy_api": {
            "deploy_s": stats([r["deploy_s"] for r in redeploys]),
            "api_healthy_s": stats([r["api_healthy_s"] for r in redeploys]),
            "api_own_s": stats([r["api_own_s"] for r in redeploys]),
            "changed": redeploys[-1]["changed"] if redeploys else {},
        },
        "runs": {"deploys": deploys, "redeploys": redeploys},
        "on_last_stack": extra,
    }
