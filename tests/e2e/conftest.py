"""Fixtures for the real-engine tier: an engine (never silently absent) and disposable deployments.

No engine: in CI (`CI` set) every e2e test fails; elsewhere too, loudly, unless
`STANDARD_STACK_SKIP_E2E=1` asks explicitly for skipping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from harness import destroy, engine_api, remove_labelled, run_program  # noqa: E402

TOOLS = REPO.parent / "shared" / "tools"


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs against a real Docker engine (tests/e2e)")


def _no_engine(reason: str):
    if os.environ.get("STANDARD_STACK_SKIP_E2E") == "1" and not os.environ.get("CI"):
        pytest.skip(f"STANDARD_STACK_SKIP_E2E=1: {reason}")
    pytest.fail(
        f"NO DOCKER ENGINE FOR THE E2E TIER: {reason}. These tests never skip by "
        f"themselves; set STANDARD_STACK_SKIP_E2E=1 (outside CI) to skip them on purpose.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def engine() -> str:
    """Start the engine (../shared/tools/docker-engine) and build the stand-in base images."""
    if not engine_api.engine_answers():
        tool = TOOLS / "docker-engine"
        if not tool.exists():
            _no_engine(f"the engine does not answer and {tool} does not exist")
        proc = subprocess.run(["bash", str(tool)], capture_output=True, text=True)
        if proc.returncode != 0 or not engine_api.engine_answers():
            _no_engine(f"{tool} failed: {proc.stderr.strip()[-2000:]}")
    standins = TOOLS / "standin-images"
    if standins.exists():
        proc = subprocess.run(["bash", str(standins)], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"{standins} failed:\n{proc.stderr[-3000:]}", pytrace=False)
    elif not engine_api.exists("/images/debian:bookworm-slim/json"):
        pytest.fail(f"{standins} is missing and debian:bookworm-slim is not on the engine", pytrace=False)
    return engine_api.DOCKER_CLI


class Deployment:
    """A disposable program + state: `up()` is `pulumi up`, teardown destroys everything."""

    def __init__(self, tmp: Path, project: str = "synthetic", stack: str = "test"):
        self.dir = tmp / "program"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_path = str(tmp / "state" / "state.json")
        self.project, self.stack = project, stack
        self.label: str | None = None

    def write(self, source: str) -> Deployment:
        (self.dir / "__main__.py").write_text(textwrap.dedent(source))
        return self

    def up(self, config: dict | None = None):
        cfg = self.dir / "Pulumi.test.yaml"
        cfg.write_text(yaml.safe_dump({"config": {f"{self.project}:{k}": v for k, v in (config or {}).items()}}))
        try:
            result = run_program(str(self.dir), [str(cfg)], self.state_path, project=self.project, stack=self.stack)
        except Exception as exc:
            self.label = getattr(getattr(exc, "result", None), "label", self.label)
            raise
        self.label = result.label
        return result

    def teardown(self) -> None:
        try:
            if os.path.exists(self.state_path):
                destroy(self.state_path, include_protected=True)
        finally:
            if self.label:
                remove_labelled(self.label)


@pytest.fixture
def deployment(engine, tmp_path):
    dep = Deployment(tmp_path)
    yield dep
    dep.teardown()
