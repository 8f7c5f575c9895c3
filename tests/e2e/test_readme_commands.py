"""The README's commands, run as written: `make deploy-dev` on a fresh copy, then the production commands
(docs/operations.md).

Each runs in a private copy of the repository whose stack file carries the e2e overrides (base image
versions this engine has, published ports off the host's usual ones); the commands are the README's.
"""

import re
import subprocess

import pytest
from deploy import (
    REPO,
    claim_stack,
    copy_project,
    library_env,
    local_backend_url,
    private_state_dir,
    tool_env,
    write_stack_file,
)
from stack import http, self_signed_cert, service_containers, wait_until

pytestmark = pytest.mark.e2e


def readme_block(heading: str, doc: str = "README.md") -> list[str]:
    """The command lines of the first ```sh block after ``heading`` in ``doc`` (comments dropped)."""
    text = (REPO / doc).read_text()
    section = text[text.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def shell(command: str, cwd, env, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=1800)
    print(f"\n$ {command}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc


@pytest.fixture
def fresh_copy(toolchain, tmp_path):
    import os

    program = copy_project(tmp_path / "repo")
    (program / ".venv").unlink()  # a fresh clone has no virtualenv: `make deploy-dev` creates it
    env = {**os.environ, **tool_env(private_state_dir(tmp_path / "state")), **library_env(program)}
    env.pop("PULUMI_BACKEND_URL")  # the README's commands choose the backend themselves
    for var in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES"):  # a user's shell, not CI's `make test`
        env.pop(var, None)  # (inherited, they make `make` print "Leaving directory" after the URL)
    yield program, env
    shell(
        "pulumi state unprotect --all --yes --stack prod >/dev/null 2>&1 || true",
        program,
        {**env, "PULUMI_BACKEND_URL": local_backend_url(program / ".pulumi-state")},
    )
    for stack in ("dev", "prod"):
        shell(
            f"pulumi destroy --yes --skip-preview --stack {stack} || true",
            program,
            {**env, "PULUMI_BACKEND_URL": local_backend_url(program / ".pulumi-state")},
        )
    from deploy import remove_stack_objects

    for stack in ("dev", "prod"):
        remove_stack_objects(stack)


def test_make_deploy_dev_deploys_the_dev_stack_and_the_app_answers_at_the_printed_url(fresh_copy):
    program, env = fresh_copy
    claim_stack("dev")
    write_stack_file(program, "dev", {})
    assert readme_block("## Set up on a fresh machine")[0] == "make deploy-dev"
    proc = shell("make deploy-dev", program, env)
    assert proc.returncode == 0
    url = proc.stdout.strip().splitlines()[-1]
    assert url == "http://localhost:28080"
    status, _, page = http("GET", url + "/")
    assert status == 200 and "standard-stack" in page
    assert set(service_containers("dev")) == {"postgres", "redis", "api", "web", "proxy"}


def test_the_production_commands_deploy_prod_once_its_secrets_are_set(fresh_copy, tmp_path):
    program, env = fresh_copy
    claim_stack("prod")
    write_stack_file(program, "prod", {})
    cert, key = self_signed_cert(tmp_path)
    (program / "fullchain.pem").write_text(cert)
    (program / "privkey.pem").write_text(key)
    commands = [
        c for c in readme_block("## Production", "docs/operations.md") if "docker:host" not in c
    ]  # the engine is local here
    exports = [c for c in commands if c.startswith("export ")]
    select = next(i for i, c in enumerate(commands) if c.startswith("pulumi stack select"))
    secret_lines = [c for c in commands if "--secret" in c]
    script = lambda lines: "set -euo pipefail\n" + "\n".join(exports + lines)  # noqa: E731

    assert shell(script(commands[: select + 1]), program, env).returncode == 0
    # before the secrets: `pulumi up` stops, touches nothing and prints the README's commands
    refused = shell(script(["pulumi up --stack prod --yes"]), program, env)
    assert refused.returncode != 0
    for line in secret_lines:
        assert line in refused.stdout + refused.stderr, line
    assert service_containers("prod") == {}

    rest = [c for c in commands[select + 1 :] if not c.startswith("export ")]
    assert rest[-1].startswith("pulumi up --stack prod")
    assert shell(script(rest), program, env).returncode == 0
    wait_until(lambda: http("GET", "https://localhost:28443/healthz")[0] == 200, 60, "prod answers over HTTPS")
    assert set(service_containers("prod")) == {"postgres", "postgres-backup", "redis", "api", "web", "proxy"}
