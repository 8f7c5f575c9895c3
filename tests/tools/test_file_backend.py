"""The local file backend as the README and `make deploy-dev` set it, read while `pulumi up` writes it.

The program reads its own stack's outputs (a StackReference: its release history) while the engine
saves checkpoints. gocloud's fileblob rewrites a ``<stack>.json.attrs`` sidecar in place on every
write (blob/fileblob/attrs.go setAttrs: os.Create, then encode); a read that opens it empty fails
with io.EOF (getAttrs), which Pulumi reports as "failed to load checkpoint: EOF"
(pkg/backend/diy/state.go getCheckpoint → bucket ReadAll). ``metadata=skip`` writes no sidecar.
Measured with a plain ``file://`` URL on the same program: 13 of 89 concurrent reads failed.
"""

import json
import re
import subprocess
import threading
from pathlib import Path

import pytest
from scratch import BIN, cli_env

REPO = Path(__file__).resolve().parents[2]
NEEDED = ("pulumi", "pulumi-language-yaml", "pulumi-resource-random")
RESOURCES = 60  # each deploy replaces all of them: ~240 checkpoint writes per `pulumi up`


def documented_backend_query() -> str:
    """The query string `make deploy-dev` (scripts/deploy-dev) puts on its file backend URL."""
    text = (REPO / "scripts" / "deploy-dev").read_text()
    match = re.search(r'"file://\$PWD/\.pulumi-state\?([^"]+)"', text)
    assert match, "scripts/deploy-dev no longer sets a file backend URL with a query"
    return match.group(1)


def program() -> str:
    lines = ["name: backend-race", "runtime: yaml", "config:", "  run:", "    type: string", "resources:"]
    for i in range(RESOURCES):
        lines += [f"  s{i}:", "    type: random:RandomString", "    properties:", "      length: 8"]
        lines += ["      keepers:", f"        run: ${{run}}-{i}"]
    lines += ["outputs:", "  first: ${s0.result}"]
    return "\n".join(lines) + "\n"


def pulumi(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "pulumi"), *args, "--non-interactive"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_reading_the_stack_while_pulumi_up_writes_it_never_fails(tmp_path: Path) -> None:
    missing = [name for name in NEEDED if not (BIN / name).is_file()]
    if missing:
        pytest.fail(f"missing in {BIN}: {', '.join(missing)}; run scripts/build-tools first")
    project, state = tmp_path / "project", tmp_path / "state"
    project.mkdir()
    state.mkdir()
    (project / "Pulumi.yaml").write_text(program())
    env = cli_env(tmp_path / "home", f"file://{state}?{documented_backend_query()}", "backend-race")
    assert pulumi(project, env, "stack", "init", "race").returncode == 0
    assert pulumi(project, env, "up", "--yes", "--skip-preview", "-c", "run=0").returncode == 0

    reads: list[subprocess.CompletedProcess[str]] = []
    done = threading.Event()

    def read_outputs() -> None:
        while not done.is_set():
            reads.append(pulumi(project, env, "stack", "output", "--json"))

    reader = threading.Thread(target=read_outputs)
    reader.start()
    try:
        ups = [pulumi(project, env, "up", "--yes", "--skip-preview", "-c", f"run={run}") for run in range(1, 5)]
    finally:
        done.set()
        reader.join()

    assert [up.returncode for up in ups] == [0, 0, 0, 0], ups[-1].stderr
    failed = [read.stderr.strip() for read in reads if read.returncode != 0]
    print(f"reads of the stack during 4 deploys: {len(reads)}, failed: {len(failed)}")
    assert len(reads) >= 30, "too few reads overlapped the deploys to prove anything"
    assert failed == []
    assert "first" in json.loads(reads[-1].stdout)
    assert not list(state.rglob("*.attrs")), "the backend wrote a sidecar file"
