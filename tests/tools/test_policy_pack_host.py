"""The project's policy pack under `pulumi preview --policy-pack`, run by the Python language host built here.

The pack tells prod from dev by a resource's stack label and, without one, by $PULUMI_STACK, which
only the language host can give it (the official host sets it from the engine's ConfigureStack call).
A scratch program registers an unprotected Postgres data volume without a stack label: on a stack named prod the
prod-only rule must fire, on dev it must not. Needs the binaries of scripts/build-tools and a Docker
engine (the docker provider checks for one when it is configured); anything missing fails the test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scratch import BIN, cli_env

REPO = Path(__file__).resolve().parents[2]
PROGRAM = """\
import pulumi_docker as docker

# A Postgres data volume by its component label, with no stack label: only the stack name says prod.
docker.Volume("scratch-data", name="scratch-data-policy-check",
              labels=[docker.VolumeLabelArgs(label="dev.standard-stack.component", value="postgres")])
"""
PROD_RULE = "holds postgres data in prod but is not protected"


def require_tools() -> None:
    missing = [n for n in ("pulumi", "pulumi-language-python", "pulumi-resource-docker") if not (BIN / n).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)} in {BIN}: run scripts/build-tools")
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: start one (DOCKER_HOST is honoured)")


def preview_with_pack(tmp: Path, stack: str) -> subprocess.CompletedProcess[str]:
    require_tools()
    project, pack = tmp / "project", tmp / "policies"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        f"name: policy-host\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {sys.prefix}\n"
    )
    (project / "__main__.py").write_text(PROGRAM)
    shutil.copytree(REPO / "policies", pack, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    (pack / ".venv").symlink_to(sys.prefix)  # the pack's runtime is in this virtualenv (dev requirements)
    (tmp / "state").mkdir()
    env = cli_env(tmp / "home", (tmp / "state").as_uri(), "policy-host")

    def pulumi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / "pulumi"), *args, "--non-interactive"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    pulumi("stack", "init", stack)
    outcome = pulumi("preview", "--policy-pack", str(pack), check=False)
    assert "standard-stack@v0.0.1" in outcome.stdout, f"the pack did not run:\n{outcome.stdout}\n{outcome.stderr}"
    return outcome


def test_on_a_stack_named_prod_a_prod_rule_fires_for_a_resource_without_a_stack_label(tmp_path: Path) -> None:
    outcome = preview_with_pack(tmp_path, "prod")
    assert PROD_RULE in outcome.stdout
    assert outcome.returncode != 0  # the rule is mandatory by default


def test_on_a_dev_stack_the_same_resource_passes_the_prod_rule(tmp_path: Path) -> None:
    outcome = preview_with_pack(tmp_path, "dev")
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert PROD_RULE not in outcome.stdout
