"""The Pulumi YAML language host built in tools/pulumi-language-yaml, driven by the real CLI.

A scratch Pulumi YAML program (one RandomString from the random provider in .tools/bin) on a local
file backend goes through ``pulumi up``, a preview that must propose nothing, and ``destroy``.
Needs ``.tools/bin/{pulumi,pulumi-language-yaml,pulumi-resource-random}`` (scripts/build-tools);
anything missing fails the test with what to do.
"""

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch import BIN, cli_env

NEEDED = ("pulumi", "pulumi-language-yaml", "pulumi-resource-random")

PROGRAM = textwrap.dedent(
    """\
    name: yaml-host-check
    runtime: yaml
    resources:
      word:
        type: random:RandomString
        properties:
          length: 12
          special: false
    outputs:
      word: ${word.result}
      stack: ${pulumi.stack}
    """
)


class Yaml:
    """Runs .tools/bin/pulumi on the scratch YAML project with its own home, backend and PATH."""

    def __init__(self, tmp: Path) -> None:
        self.project = tmp / "project"
        self.project.mkdir()
        (self.project / "Pulumi.yaml").write_text(PROGRAM)
        (tmp / "state").mkdir()
        self.env = cli_env(tmp / "home", f"file://{tmp / 'state'}", "yaml-host-test")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / "pulumi"), *args, "--non-interactive"],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc


@pytest.fixture(scope="module")
def yaml(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Yaml]:
    missing = [name for name in NEEDED if not (BIN / name).is_file()]
    if missing:
        pytest.fail(f"missing in {BIN}: {', '.join(missing)}; run scripts/build-tools first")
    project = Yaml(tmp_path_factory.mktemp("yaml-host"))
    project.run("stack", "init", "yaml-host")
    project.run("up", "--yes", "--skip-preview")
    yield project  # the state lives in the temporary directory; a random string needs no cleanup


def test_up_runs_a_yaml_program_through_the_built_language_host(yaml: Yaml) -> None:
    outputs = json.loads(yaml.run("stack", "output", "--json").stdout)
    assert outputs["stack"] == "yaml-host"
    assert len(outputs["word"]) == 12 and outputs["word"].isalnum()


def test_the_language_host_is_the_one_on_path_and_nothing_is_downloaded(yaml: Yaml) -> None:
    plugins = yaml.env["PULUMI_HOME"] + "/plugins"
    assert not Path(plugins).exists() or not any("yaml" in p.name for p in Path(plugins).iterdir())


def test_a_second_preview_proposes_no_changes(yaml: Yaml) -> None:
    yaml.run("preview", "--expect-no-changes")


def test_destroy_removes_every_resource(yaml: Yaml) -> None:
    yaml.run("destroy", "--yes", "--skip-preview")
    state = json.loads(yaml.run("stack", "export").stdout)
    assert state["deployment"].get("resources") in (None, [])
