"""Time to healthy: the prod stack deployed by the real Pulumi CLI, from an engine holding its images.

The stack is the real program with Pulumi.prod.yaml, deployed by the e2e tier's ``Deployment``
(tests/e2e/deploy.py: a private copy of the repository under bench/.work/, tests/e2e/overrides*.yaml
selecting the stand-in base versions, a local file backend, passphrase secrets, the CLI and
providers from .tools/bin) with generated passwords, a self-signed certificate and published ports
of its own (373xx). It runs as stack ``prod-healthy-bench`` (Docker objects
``standard-stack-prod-healthy-bench-*``), so it never collides with an e2e run of ``prod``, with
the cli section's ``prod-bench`` or with another engineer's stack on the same engine.

One untimed warm-up ``pulumi up`` first builds the images (the docker provider builds on every
``up``; afterwards those builds are cache-warm), then the stack is destroyed and each repetition
deploys it from nothing: ``pulumi up`` (timed), ``pulumi preview --expect-no-changes`` (not timed),
then a comment appended to the copy's API source and ``pulumi up`` again (timed) and the no-change
check again. Between repetitions the stack is destroyed, protected resources and retained volumes
included, so every repetition starts with an empty database.

Per service, times come from ``docker inspect``: State.StartedAt and the end of the first passing
health probe, both against the wall clock taken just before ``pulumi up`` started; the one-shot runs,
whose containers are removed when they exit, from the engine's start and die events.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from . import cli
from .common import DOCKER, WORK, load_average, log, stats

NAME = "prod-healthy-bench"
HTTP_PORT, HTTPS_PORT = 37380, 37343
PUBLIC_URL = f"https://localhost:{HTTPS_PORT}"
OVERRIDES = {
    # wrk sends from one address (bench/proxy.py): the per-client limits (429 past 100 requests/s) are
    # lifted here, so the figure is the proxy's overhead, not its rate limit
    "proxy": {
        "httpPort": HTTP_PORT,
        "httpsPort": HTTPS_PORT,
        "bindAddress": "127.0.0.1",
        "serverName": "localhost",
        "requestsPerSecond": 100000,
        "requestBurst": 100000,
        "connectionsPerClient": 65535,  # nginx's most
    },
    "publicUrl": PUBLIC_URL,
}
API_SOURCE = Path("images/api/app/main.py")  # the file the API-only redeploy changes (in the copy)


def parse_time(text: str) -> float:
    """Docker's RFC 3339 timestamps (nanoseconds) as epoch seconds."""
    text = text.replace("Z", "+00:00")
    head, _, zone = text.partition("+")
    if "." in head:
        base, frac = head.split(".", 1)
        head = f"{base}.{frac[:6]}"
    return datetime.fromisoformat(f"{head}+{zone or '00:00'}").timestamp()


def keyed(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Timeline entries by their ``service`` label; a label several containers carry (the proxy's start-site
    and site loaders share ``proxy-files``) numbered in start order (``proxy-files``, ``proxy-files 2``), so
    both sides of a comparison name the same container alike."""
    out: dict[str, dict[str, Any]] = {}
    for entry in sorted(entries, key=lambda e: e["started_s"]):
        key, n = entry["service"], 1
        while key in out:
            n += 1
            key = f"{entry['service']} {n}"
        out[key] = entry
    return out


def service_timeline(infos: list[dict], t0: float) -> dict[str, dict[str, Any]]:
    """Seconds from t0 at which each container started and became healthy (or finished, one-shots),
    keyed by its service label (``api``, ``api-migrate``, ``api-files``, ...; see ``keyed``)."""
    entries = []
    for info in infos:
        labels = info["Config"]["Labels"] or {}
        service = labels.get("dev.standard-stack.service") or info["Name"].lstrip("/")
        state = info["State"]
        started = parse_time(state["StartedAt"])
        entry: dict[str, Any] = {"service": service, "container": info["Name"].lstrip("/"), "started_s": round(started - t0, 3)}
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
        entries.append(entry)
    return keyed(entries)


def run_timeline(events: list[dict], t0: float) -> dict[str, dict[str, Any]]:
    """Seconds from t0 at which each one-shot run started and exited, from the engine's ``start`` and ``die``
    events (``docker events --format '{{json .}}'``): a run's container is removed when it exits, so
    ``docker inspect`` no longer sees it. Keyed like ``service_timeline``; a container that started twice,
    its last start."""
    runs: dict[str, dict[str, Any]] = {}  # by container name
    for event in sorted(events, key=lambda e: int(e["timeNano"])):
        attributes = event["Actor"]["Attributes"]
        container = attributes["name"]
        at = round(int(event["timeNano"]) / 1e9 - t0, 3)
        if event["Action"] == "start":
            service = attributes.get("dev.standard-stack.service") or container
            runs[container] = {"service": service, "container": container, "started_s": at, "run": True}
        elif event["Action"] == "die" and container in runs:
            entry = runs[container]
            entry.update(finished_s=at, own_s=round(at - entry["started_s"], 3), status=f"exited {attributes.get('exitCode')}")
    return keyed(list(runs.values()))


class EngineEvents:
    """The start and die events of a stack's containers while a command runs (``with EngineEvents(stack):``).

    Streamed, not asked for afterwards: ``docker events --since`` replays only the engine's last 256 events
    (moby daemon/events/events.go, ``eventsLimit``), and on a shared engine the health probes' exec events
    alone push a deploy's out of that window in seconds. ``--since`` the start also replays what came before
    the stream was attached."""

    def __init__(self, stack: str) -> None:
        self.stack = stack
        self.events: list[dict] = []

    def __enter__(self) -> EngineEvents:
        self.proc = subprocess.Popen(
            [DOCKER, "events", "--since", f"{time.time():.3f}", "--format", "{{json .}}",
             "--filter", "type=container", "--filter", f"label=dev.standard-stack.stack={self.stack}",
             "--filter", "event=start", "--filter", "event=die"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(0.2)  # the last events of the command, still on their way through the stream
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        self.events = [json.loads(line) for line in out.splitlines() if line.strip()]


def with_runs(timeline: dict[str, dict[str, Any]], events: list[dict], t0: float) -> dict[str, dict[str, Any]]:
    """``timeline`` (``docker inspect``'s) with the one-shot runs that are gone added from the engine's events."""
    seen = {entry["container"] for entry in timeline.values()}
    gone = [entry for entry in run_timeline(events, t0).values() if entry["container"] not in seen]
    return keyed([*timeline.values(), *gone])


def changes(outcome: Any) -> dict[str, str]:
    """Resources a deploy did anything to (create, update, replace, delete), by name; `same` left out."""
    return {name: op for name, op in outcome.actions.items() if op != "same"}


class BenchStack:
    """The prod-config stack of this benchmark; ``reset`` destroys it for the next repetition, ``teardown``
    removes it for good (protected resources, retained volumes and the stack's state included)."""

    name = NAME

    def __init__(self) -> None:
        self.deploy, self.stack_module = cli._e2e()
        leftovers = self.deploy.labelled(NAME, "containers") + self.deploy.labelled(NAME, "volumes")
        if leftovers:
            log(f"time to healthy: removing {len(leftovers)} object(s) an earlier benchmark run left")
            self.deploy.remove_stack_objects(NAME)
        WORK.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{NAME}-", dir=WORK))
        cert, key = self.stack_module.self_signed_cert(self.tmp)
        secrets_ = {
            "postgresPassword": os.urandom(12).hex(),
            "redisPassword": os.urandom(12).hex(),
            "tlsCertificate": cert,
            "tlsPrivateKey": key,
        }
        self.run = self.deploy.Deployment("prod", self.tmp, overrides=OVERRIDES, secrets_=secrets_, name=NAME)
        self.program = self.run.program_dir
        self.outputs: dict[str, Any] = {}
        self.events: list[dict] = []  # the last `up`'s (EngineEvents)

    def containers(self) -> list[dict]:
        return self.stack_module.containers(NAME)

    def service_containers(self) -> dict[str, dict]:
        return self.stack_module.service_containers(NAME)

    def up(self) -> tuple[float, float, Any]:
        """`pulumi up`: the wall clock at its start, its seconds, its outcome; then the no-change check.
        ``events``: the engine's start and die events of the stack's containers during the ``up``."""
        with EngineEvents(self.name) as recorder:
            t0 = time.time()
            start = time.monotonic()
            outcome = self.run.up()
            seconds = round(time.monotonic() - start, 3)
        self.events = recorder.events
        self.outputs = outcome.outputs
        self.run.expect_no_changes()  # a second deploy changes nothing (not timed)
        return t0, seconds, outcome

    def change_api_source(self, nonce: str) -> None:
        with (self.program / API_SOURCE).open("a") as fh:
            fh.write(f"# bench: API-only redeploy {nonce}\n")

    def reset(self) -> None:
        """Destroy everything (protected resources and retained volumes too); the stack itself stays."""
        self.run.cli("state", "unprotect", "--all", "--yes", check=False)
        self.run.cli("destroy", "--yes", "--skip-preview")
        self.deploy.remove_stack_objects(NAME)

    def teardown(self) -> None:
        try:
            self.run.teardown()
        finally:
            cli._remove_stack_images(NAME, set())  # untag standard-stack-<service>:prod-healthy-bench[-<digest>]
            shutil.rmtree(self.tmp, ignore_errors=True)


def deploy_once(stack: BenchStack) -> dict[str, Any]:
    t0, seconds, outcome = stack.up()
    timeline = with_runs(service_timeline(stack.containers(), t0), stack.events, t0)
    services = {k: v for k, v in timeline.items() if "healthy_s" in v}
    if not services:
        raise RuntimeError(f"no container of {NAME} reported a passing health probe: {timeline}")
    stack_s = max(v["healthy_s"] for v in services.values())
    slowest = max(services, key=lambda k: services[k]["own_s"])
    status, _, _ = stack.stack_module.http("GET", outcome.outputs["api_health_url"])
    return {
        "deploy_s": seconds,
        "stack_healthy_s": stack_s,
        "slowest_service": slowest,
        "slowest_service_s": services[slowest]["own_s"],
        "ratio": round(stack_s / services[slowest]["own_s"], 3),
        "timeline": timeline,
        "changed": changes(outcome),
        "api_health_through_proxy": status,
    }


def redeploy_api(stack: BenchStack, nonce: str) -> dict[str, Any]:
    stack.change_api_source(nonce)
    t0, seconds, outcome = stack.up()
    timeline = service_timeline(stack.containers(), t0)
    api = timeline["api"]
    return {
        "deploy_s": seconds,
        "api_healthy_s": api.get("healthy_s"),
        "api_own_s": api.get("own_s"),
        "changed": changes(outcome),
    }


def measure(reps: int, on_last_stack: Callable[[BenchStack], Any] | None = None) -> dict[str, Any]:
    """`reps` fresh deploys, each followed by an API-only redeploy; `on_last_stack(stack)` runs on
    the last deployment before it is torn down (the proxy benchmark uses it)."""
    cli.prepare()
    stack = BenchStack()
    deploys, redeploys, extra = [], [], None
    warmup: dict[str, Any] = {}
    load_start = load_average()
    try:
        log(f"time to healthy: warm-up pulumi up of {NAME} (builds the images; not counted)")
        _, warmup["deploy_s"], outcome = stack.up()
        warmup["resources"] = len(outcome.actions)
        stack.reset()
        for rep in range(reps):
            log(f"time to healthy: deploy {rep + 1}/{reps}")
            deploys.append(deploy_once(stack))
            log(
                f"  pulumi up {deploys[-1]['deploy_s']} s; healthy after {deploys[-1]['stack_healthy_s']} s "
                f"(slowest service {deploys[-1]['slowest_service']} {deploys[-1]['slowest_service_s']} s)"
            )
            redeploys.append(redeploy_api(stack, f"{rep}-{os.urandom(3).hex()}"))
            log(f"  API-only redeploy: {redeploys[-1]['deploy_s']} s, API healthy at {redeploys[-1]['api_healthy_s']} s")
            if rep == reps - 1:
                if on_last_stack is not None:
                    extra = on_last_stack(stack)
            else:
                stack.reset()
    finally:
        stack.teardown()
    services = sorted({s for d in deploys for s, v in d["timeline"].items() if "healthy_s" in v})
    return {
        "stack": f"prod config (Pulumi.prod.yaml + tests/e2e/overrides*.yaml), deployed by the Pulumi CLI as stack '{NAME}'",
        "load": {"start": load_start, "end": load_average()},
        "warmup": warmup,
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
