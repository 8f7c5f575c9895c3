"""Helpers for the stack scenarios: deploy the real program (or a copy of it), talk HTTP to it."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import yaml
from harness import LABEL_KEY, destroy, engine_api, remove_labelled, run_program

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROJECT = "standard-stack"
_COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "node_modules",
    ".next",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    "tests",
    "bench",
    "*.tsbuildinfo",
)


def copy_project(dst: Path) -> Path:
    """A private copy of the program and its image sources (to change a source file safely)."""
    shutil.copytree(REPO, dst, ignore=_COPY_IGNORE, symlinks=True)
    return dst


class StackRun:
    """One stack deployed from `program_dir` with the e2e overrides; teardown removes all of it."""

    def __init__(self, stack: str, tmp: Path, program_dir: Path = REPO, extra_overrides: dict | None = None):
        self.stack, self.program_dir = stack, Path(program_dir)
        self.state_path = str(tmp / f"{stack}-state" / "state.json")
        files = [self.program_dir / f"Pulumi.{stack}.yaml", HERE / "overrides.yaml"]
        per_stack = HERE / f"overrides.{stack}.yaml"
        if per_stack.exists():
            files.append(per_stack)
        if extra_overrides:
            extra = tmp / f"overrides.{stack}.extra.yaml"
            extra.write_text(yaml.safe_dump({"config": extra_overrides}))
            files.append(extra)
        self.config_files = [str(f) for f in files]
        self.label: str | None = None
        self.result = None

    def up(self, replace: Sequence[str] = ()):
        self._refuse_foreign_objects()
        try:
            self.result = run_program(
                str(self.program_dir), self.config_files, self.state_path, project=PROJECT, stack=self.stack, replace=replace
            )
        except Exception as exc:
            self.label = getattr(getattr(exc, "result", None), "label", None) or self.label
            raise
        self.label = self.result.label
        return self.result

    def teardown(self) -> None:
        try:
            if os.path.exists(self.state_path):
                destroy(self.state_path, include_protected=True)
        finally:
            if self.label:
                remove_labelled(self.label)

    def _refuse_foreign_objects(self) -> None:
        """Fixed names (networks, volumes, the proxy) must be free or left over from an e2e run."""
        prefix = f"{PROJECT}-{self.stack}-"
        mine = self.label
        for kind, listing, name_of in (
            ("container", engine_api.get_json("/containers/json", {"all": 1}), lambda o: o["Names"][0][1:]),
            ("network", engine_api.get_json("/networks"), lambda o: o["Name"]),
            ("volume", engine_api.get_json("/volumes").get("Volumes") or [], lambda o: o["Name"]),
        ):
            for obj in listing:
                name = name_of(obj)
                if not name.startswith(prefix):
                    continue
                label = (obj.get("Labels") or {}).get(LABEL_KEY)
                if label is None:
                    raise RuntimeError(
                        f"{kind} {name} exists and was not made by the e2e harness; "
                        f"remove it (or the real {self.stack} stack) first"
                    )
                if label != mine:
                    remove_labelled(label)  # a leftover of an interrupted e2e run


def containers(label: str) -> list[dict]:
    """Inspect data of every container the run created (running or not)."""
    listing = engine_api.get_json("/containers/json", {"all": 1, "filters": {"label": [f"{LABEL_KEY}={label}"]}})
    return [engine_api.inspect("containers", c["Id"]) for c in listing]


def service_containers(label: str) -> dict[str, dict]:
    """Long-running containers by service label (one-shot loaders and jobs left out)."""
    out = {}
    for info in containers(label):
        if info["HostConfig"]["RestartPolicy"]["Name"] == "no" and not info["State"]["Running"]:
            continue
        labels = info["Config"]["Labels"]
        key = labels.get("dev.standard-stack.service") or info["Name"].lstrip("/")
        out[key] = info
    return out


def http(
    method: str, url: str, body: dict | None = None, timeout: float = 10, headers: dict | None = None
) -> tuple[int, dict, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={**({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    )
    context = ssl._create_unverified_context() if url.startswith("https:") else None  # self-signed
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode(errors="replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http_no_redirect(url: str) -> tuple[int, str]:
    """Status and Location of one request, redirects not followed."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, resp.headers.get("Location", "")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location", "")


def docker_exec(container_id: str, *cmd: str, user: str | None = None) -> subprocess.CompletedProcess:
    args = [engine_api.DOCKER_CLI, "exec"] + (["--user", user] if user else []) + [container_id, *cmd]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def wait_until(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class RequestLoop:
    """Hit URLs in a loop from a thread; count failures (non-2xx or connection errors)."""

    def __init__(self, urls: Sequence[str], interval: float = 0.1):
        self.urls, self.interval = list(urls), interval
        self.total = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RequestLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            for url in self.urls:
                self.total += 1
                try:
                    status, _, _ = http("GET", url, timeout=10)
                    if not 200 <= status < 300:
                        self.failures.append(f"{time.strftime('%H:%M:%S')} {url} -> {status}")
                except Exception as exc:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {url} -> {exc}")
            self._stop.wait(self.interval)


def self_signed_cert(tmp: Path, host: str = "localhost") -> tuple[str, str]:
    """A throwaway certificate and key (PEM text) for the prod stack's TLS."""
    key, cert = tmp / "tls.key", tmp / "tls.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            f"/CN={host}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert.read_text(), key.read_text()
