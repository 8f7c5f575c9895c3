"""Fixtures for the end-to-end tier: a Docker engine, the real Pulumi CLI and providers, never silently absent.

No engine or no binaries: in CI (`CI` set) every e2e test fails; elsewhere too, loudly, unless
`STANDARD_STACK_SKIP_E2E=1` asks explicitly for skipping. A tier that names its engine
(`STANDARD_STACK_E2E_ENGINE_API`, engine_guard.py) fails every test when another one answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import engine_api  # noqa: E402
import engine_guard  # noqa: E402
from deploy import TOOLS  # noqa: E402

SHARED_TOOLS = REPO.parent / "shared" / "tools"
BINARIES = ("pulumi", "pulumi-language-python", "pulumi-resource-docker", "pulumi-resource-random")


def _unavailable(reason: str):
    if os.environ.get("STANDARD_STACK_SKIP_E2E") == "1" and not os.environ.get("CI"):
        pytest.skip(f"STANDARD_STACK_SKIP_E2E=1: {reason}")
    pytest.fail(
        f"THE E2E TIER CANNOT RUN: {reason}. These tests never skip by themselves; "
        f"set STANDARD_STACK_SKIP_E2E=1 (outside CI) to skip them on purpose.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def engine() -> str:
    """A Docker engine, and the official base images (or, where no registry answers, local stand-ins)."""
    if not engine_api.engine_answers():
        tool = SHARED_TOOLS / "docker-engine"
        if not tool.exists():
            _unavailable(f"no Docker engine answers and {tool} does not exist")
        proc = subprocess.run(["bash", str(tool)], capture_output=True, text=True)
        if proc.returncode != 0 or not engine_api.engine_answers():
            _unavailable(f"{tool} failed: {proc.stderr.strip()[-2000:]}")
    proc = subprocess.run([str(REPO / "scripts" / "base-images")], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"scripts/base-images failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}", pytrace=False)
    return engine_api.DOCKER_CLI


@pytest.fixture(scope="session", autouse=True)
def engine_under_test(request) -> None:
    """The engine the tier named (scripts/test sets STANDARD_STACK_E2E_ENGINE_API), or every test fails."""
    wanted = os.environ.get(engine_guard.VARIABLE, "")
    if not wanted:
        if engine_guard.required():
            pytest.fail(f"{engine_guard.VARIABLE} is not set: in CI each e2e tier names its engine's API versions "
                        f"({engine_guard.FORM}), as scripts/test does", pytrace=False)  # fmt: skip
        return
    try:
        engine_guard.parse(wanted)
    except ValueError as err:
        pytest.fail(str(err), pytrace=False)
    request.getfixturevalue("engine")
    version = engine_api.get_json("/version")
    print(f"\nengine under test: Docker {version['Version']} (API {version['ApiVersion']}); the tier wants API {wanted}")
    problem = engine_guard.mismatch(wanted, version["ApiVersion"], version["Version"])
    if problem:
        pytest.fail(f"WRONG ENGINE: {problem}", pytrace=False)


@pytest.fixture(scope="session")
def toolchain(engine) -> Path:
    """The Pulumi CLI, the Python language host and the docker and random providers (scripts/build-tools)."""
    missing = [b for b in BINARIES if not (TOOLS / "bin" / b).is_file()]
    if missing:
        _unavailable(f"{', '.join(missing)} missing in {TOOLS / 'bin'}: run scripts/build-tools")
    version = subprocess.run([str(TOOLS / "bin" / "pulumi"), "version"], capture_output=True, text=True, check=True)
    print(f"\npulumi CLI: {version.stdout.strip()}")
    return TOOLS / "bin"


@pytest.fixture(scope="session")
def abuse_prod(toolchain, tmp_path_factory):
    """The prod stack both hostile-client modules attack (tests/e2e/abuse.py): one deploy for both."""
    import abuse

    run = abuse.deploy(tmp_path_factory.mktemp("abuse"))
    try:
        yield run
    finally:
        run.teardown()
