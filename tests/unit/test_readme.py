"""The README is executable documentation: its settings table, its commands and its example are checked."""

from __future__ import annotations

import re

from stack_settings import markdown_reference
from tests.support.one_shot import one_shots
from tests.support.program import CONTAINER, REPO, RecordingMocks, run_program

README = (REPO / "README.md").read_text()
CONFIGURATION = (REPO / "docs" / "configuration.md").read_text()


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_settings_table_is_generated_from_the_model():
    start = CONFIGURATION.index("<!-- config-reference:start")
    body = CONFIGURATION[CONFIGURATION.index("\n", start) + 1 : CONFIGURATION.index("<!-- config-reference:end -->")]
    assert body == markdown_reference(), "run scripts/sync-docs"


def test_fresh_machine_setup_is_exactly_two_commands_and_both_exist():
    block = re.search(r"```sh\n(.*?)```", section("Set up on a fresh machine"), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make deploy-dev", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^deploy-dev:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_deploy_your_own_app_example_runs_and_registers_what_it_says():
    code = re.search(r"```python\n(.*?)```", section("Deploy your own app"), re.S).group(1)
    mocks = RecordingMocks()
    config = {"standard-stack:secretKey": "not-a-real-key"}
    run = run_program(
        mocks,
        config,
        stack="dev",
        secret_keys=["standard-stack:secretKey"],
        program=lambda: exec(compile(code, "README.md", "exec"), {"__name__": "__main__"}),
    )
    containers = sorted(r.name for r in mocks.of_type(CONTAINER))
    assert containers == ["cache", "db", "edge", "notes", "notes-migrate", "notes-worker"]
    runs = sorted(name for name in one_shots(mocks) if not name.endswith("-loader"))
    assert runs == ["cache-password-rotation", "db-password-rotation", "edge-reload"]  # run, then removed
    app = next(r for r in mocks.of_type(CONTAINER) if r.name == "notes")
    assert "not-a-real-key" not in repr(app.inputs)  # the secret reaches the app as a file, never in its config
    assert run.values["url"] == "http://localhost:8080"


def test_prod_previews_get_prods_credentials_only_through_a_protected_environment():
    """Pull-request code runs in a preview: prod's keys must wait for a reviewer (issue: PR code and prod keys)."""
    import yaml as _yaml

    workflow = _yaml.safe_load((REPO / ".github" / "workflows" / "preview.yml").read_text())
    job = workflow["jobs"]["preview"]
    assert job["environment"] == "${{ matrix.stack }}-preview"
    text = (REPO / ".github" / "workflows" / "preview.yml").read_text()
    assert "DOCKER_HOST_PROD" not in text and "required reviewers" in text
