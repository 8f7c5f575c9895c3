"""The Pulumi CLI and plugins that scripts/build-tools puts in .tools/bin, driven for real.

A scratch Python project (a RandomPassword, a secret config value, stack outputs) goes through
``pulumi up``, a no-change preview, ``refresh`` and ``destroy`` on a local file backend; the same
project runs through the Automation API; a Python policy pack runs under ``preview --policy-pack``.
Nothing here is mocked: the engine, the Python language host and the random provider are the
binaries in .tools/bin. When they are missing every test fails (run scripts/build-tools).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch import BIN, cli_env

CLI_VERSION = "v3.260.0"
PASSWORD_TYPE = "random:index/randomPassword:RandomPassword"

PROGRAM = """\
import pulumi
import pulumi_random as random

config = pulumi.Config()
password = random.RandomPassword("db", length=32, special=False)
pulumi.export("password", password.result)
pulumi.export("password_hash", password.bcrypt_hash)
pulumi.export("greeting", config.require_secret("greeting"))
"""


def policy_pack(minimum: int) -> str:
    return textwrap.dedent(
        f"""\
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        def long_passwords(args, report_violation):
            if args.resource_type == "{PASSWORD_TYPE}" and args.props["length"] < {minimum}:
                report_violation("passwords must be at least {minimum} characters")

        PolicyPack("toolchain-check", [ResourceValidationPolicy(
            name="password-length", description="Passwords are long enough.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=long_passwords)])
        """
    )


class Cli:
    """Runs .tools/bin/pulumi in the scratch project with an isolated home, backend and PATH."""

    def __init__(self, tmp: Path) -> None:
        self.project = tmp / "project"
        self.home = tmp / "pulumi-home"
        self.env = cli_env(self.home, f"file://{tmp / 'state'}", "toolchain-test")
        (tmp / "state").mkdir()

    def run(self, *args: str, check: bool = True, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / "pulumi"), *args, "--non-interactive"],
            cwd=cwd or self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def outputs(self) -> dict:
        return json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)


def write_project(directory: Path, name: str) -> None:
    directory.mkdir(parents=True)
    # The scratch project uses the virtualenv running these tests (pulumi and pulumi-random pinned
    # by requirements.txt), so nothing is installed per run.
    (directory / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {sys.prefix}\n"
    )
    (directory / "__main__.py").write_text(PROGRAM)


def write_pack(directory: Path, minimum: int) -> Path:
    directory.mkdir(parents=True)
    (directory / "PulumiPolicy.yaml").write_text(f"runtime:\n  name: python\n  options:\n    virtualenv: {sys.prefix}\n")
    (directory / "__main__.py").write_text(policy_pack(minimum))
    return directory


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    if not (BIN / "pulumi").is_file():
        pytest.fail(f"{BIN / 'pulumi'} is missing: run scripts/build-tools first")
    cli = Cli(tmp_path_factory.mktemp("toolchain"))
    write_project(cli.project, "toolchain-check")
    cli.run("stack", "init", "dev")
    cli.run("config", "set", "--secret", "greeting", "hello")
    cli.run("up", "--yes", "--skip-preview")
    yield cli  # the state lives in the temporary directory; random values need no cleanup


def test_the_cli_is_the_pinned_release() -> None:
    if not (BIN / "pulumi").is_file():
        pytest.fail(f"{BIN / 'pulumi'} is missing: run scripts/build-tools first")
    out = subprocess.run([str(BIN / "pulumi"), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == CLI_VERSION


def test_up_exports_a_generated_password_and_the_secret_config_value(cli: Cli) -> None:
    outputs = cli.outputs()
    assert len(outputs["password"]) == 32
    assert outputs["password"].isalnum()
    assert outputs["greeting"] == "hello"


def test_the_password_and_its_hash_are_secret_in_the_outputs(cli: Cli) -> None:
    masked = json.loads(cli.run("stack", "output", "--json").stdout)
    assert masked["password"] == "[secret]"
    assert masked["password_hash"] == "[secret]"


def test_the_random_plugin_comes_from_path_and_nothing_is_downloaded(cli: Cli) -> None:
    installed = list((cli.home / "plugins").glob("*")) if (cli.home / "plugins").exists() else []
    assert [p.name for p in installed if "random" in p.name] == []


def test_a_second_preview_shows_no_changes(cli: Cli) -> None:
    cli.run("preview", "--expect-no-changes")


def test_refresh_keeps_the_password_and_changes_nothing(cli: Cli) -> None:
    before = cli.outputs()["password"]
    cli.run("refresh", "--yes", "--expect-no-changes")
    cli.run("preview", "--expect-no-changes")
    assert cli.outputs()["password"] == before


def test_a_mandatory_policy_that_fires_fails_the_preview(cli: Cli, tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "strict", minimum=64)
    proc = cli.run("preview", "--policy-pack", str(pack), check=False)
    assert proc.returncode != 0
    assert "passwords must be at least 64 characters" in proc.stdout + proc.stderr


def test_a_policy_pack_that_finds_nothing_lets_the_preview_pass(cli: Cli, tmp_path: Path) -> None:
    pack = write_pack(tmp_path / "lenient", minimum=8)
    proc = cli.run("preview", "--policy-pack", str(pack))
    assert "toolchain-check" in proc.stdout


def test_the_automation_api_deploys_and_destroys_through_the_same_cli(cli: Cli, tmp_path: Path) -> None:
    from pulumi import automation as auto

    project = tmp_path / "auto"
    write_project(project, "toolchain-auto")
    command = auto.PulumiCommand(root=str(BIN.parent))
    stack = auto.create_stack(
        "auto",
        work_dir=str(project),
        opts=auto.LocalWorkspaceOptions(pulumi_command=command, env_vars=cli.env),
    )
    stack.set_config("greeting", auto.ConfigValue("from-automation", secret=True))
    up = stack.up()
    assert up.summary.result == "succeeded"
    assert len(up.outputs["password"].value) == 32
    assert up.outputs["password"].secret
    assert up.outputs["greeting"].value == "from-automation"
    assert stack.preview().change_summary == {"same": 2}
    assert stack.destroy().summary.result == "succeeded"
    stack.workspace.remove_stack("auto")


def test_destroy_removes_every_resource(cli: Cli) -> None:
    cli.run("destroy", "--yes")
    export = json.loads(cli.run("stack", "export").stdout)
    assert export["deployment"].get("resources", []) == []
