"""Deploy the real program through the real Pulumi CLI (Automation API): `pulumi up`, preview, refresh, destroy.

Each `Deployment` is a private copy of the repository (its own stack file, its own sources to edit)
with a local file backend and passphrase secrets in a private temporary directory. The CLI, the
Python language host and the providers are the binaries in `.tools/bin` (scripts/build-tools), put
first on PATH for the CLI only; nothing here imitates the engine or a provider.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import engine_api
import yaml
from pulumi import automation as auto

from tests.support.stacks import read_stack_file, stack_config

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOOLS = REPO / ".tools"
PROJECT = "standard-stack"
CONTAINER = "docker:index/container:Container"
_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "node_modules", ".next", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache",
    ".tools", ".pulumi-state", "tests", "bench", "*.tsbuildinfo", "*.egg-info", "build",
)  # fmt: skip


class DeployFailed(Exception):
    """`pulumi up` (or preview/refresh/destroy) exited non-zero; the message holds what the CLI printed."""


LIBRARY_PATH = ".library"  # in a copy: holds standard_stack -> the copy's components/, first on PYTHONPATH


def copy_project(dst: Path, source: Path = REPO) -> Path:
    """A private copy of the program, its library and its image sources; the venv is shared (a symlink).

    The shared venv's editable install maps ``standard_stack`` onto the repository's components/;
    the program must run the copy's (tests edit it), so ``library_env`` puts the copy's first on
    PYTHONPATH: setuptools appends its editable finder to ``sys.meta_path``, after the path finder.
    """
    shutil.copytree(source, dst, ignore=_COPY_IGNORE, symlinks=True)
    (dst / ".venv").symlink_to(REPO / ".venv")
    (dst / "policies" / ".venv").symlink_to(REPO / ".venv")  # the pack's runtime is in the dev requirements
    (dst / LIBRARY_PATH).mkdir()
    (dst / LIBRARY_PATH / "standard_stack").symlink_to("../components", target_is_directory=True)
    return dst


def library_env(program_dir: Path) -> dict[str, str]:
    """Environment under which the copy's program imports the copy's standard_stack."""
    return {"PYTHONPATH": str(program_dir / LIBRARY_PATH)}


@dataclass
class Outcome:
    """What one CLI operation did: outputs, and the step each resource (by name) went through."""

    outputs: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[str, str, str]] = field(default_factory=list)  # (resource name, type, op) in engine order
    replace_keys: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(resource name, type) -> the inputs whose change forces its replacement, as the provider reports them."""
    stdout: str = ""

    @property
    def actions(self) -> dict[str, str]:
        """Custom resource name -> its step (same, create, update, replace, delete, ...); components left out."""
        out: dict[str, str] = {}
        for name, typ, op in self.steps:
            if not typ.startswith(f"{PROJECT}:"):
                out[name] = "replace" if op in ("create-replacement", "delete-replaced", "replace") else op
        return out

    def ops_of(self, name: str, typ: str = CONTAINER) -> list[str]:
        return [op for n, t, o in self.steps for op in [o] if n == name and t == typ]


def private_state_dir(path: Path) -> Path:
    """State and the generated passphrase live in a directory only this user can read (0700, 0600)."""
    path.mkdir(mode=0o700, parents=True)
    passphrase = path / "passphrase"
    passphrase.touch(mode=0o600)
    passphrase.write_text(secrets.token_urlsafe(24))
    return path


def write_stack_file(program_dir: Path, stack: str, overrides: Mapping[str, Any], name: str | None = None) -> None:
    """Pulumi.<name>.yaml of the copy: the committed Pulumi.<stack>.yaml, then tests/e2e/overrides*.yaml, then ``overrides``.

    The e2e overrides select the base image versions this engine has and move published ports off the
    host's usual ones; everything else is the committed stack file. ``name`` (default: ``stack``)
    deploys it as another stack, whose Docker objects are named after it.
    """
    path = program_dir / f"Pulumi.{stack}.yaml"
    document = read_stack_file(path.read_text()) or {}
    layers = (HERE / "overrides.yaml", HERE / f"overrides.{stack}.yaml")
    config = stack_config(path, *layers, overrides=overrides)
    target = program_dir / f"Pulumi.{name or stack}.yaml"
    target.write_text(yaml.safe_dump({**document, "config": config}, sort_keys=False))


def local_backend_url(state_dir: Path) -> str:
    """The file backend as the README sets it: ``metadata=skip``, so no ``.attrs`` sidecar is rewritten in place.

    The program reads its own outputs (StackReference) while the engine writes checkpoints; gocloud's
    fileblob truncates and rewrites ``<stack>.json.attrs`` on each write (blob/fileblob/attrs.go
    setAttrs) and a reader that opens it empty fails with io.EOF (getAttrs), which Pulumi reports as
    "failed to load checkpoint: EOF" (pkg/backend/diy/state.go getCheckpoint).
    """
    return f"file://{state_dir}?metadata=skip"


def tool_env(state_dir: Path) -> dict[str, str]:
    """Environment of every CLI call: the built binaries first, a private backend and passphrase."""
    return {
        "PATH": f"{TOOLS / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PULUMI_BACKEND_URL": local_backend_url(state_dir),
        "PULUMI_CONFIG_PASSPHRASE": (state_dir / "passphrase").read_text(),
        "PULUMI_HOME": str(state_dir / "home"),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


def summary(command: str, stdout: str) -> str:
    """The command and Pulumi's own ``Resources:`` block and duration, for the CI log (scripts/test runs e2e with -rP)."""
    lines = stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Resources:")), len(lines))
    return "\n".join([f"$ {command}", *[line for line in lines[start:] if line.strip()]])


class Deployment:
    """One stack of the program, deployed from a private copy with e2e overrides; `teardown` removes all of it."""

    def __init__(
        self,
        stack: str,
        tmp: Path,
        *,
        overrides: Mapping[str, Any] | None = None,
        secrets_: Mapping[str, str] | None = None,
        name: str | None = None,
        source: Path = REPO,
    ) -> None:
        """``stack`` picks the committed stack file (dev, prod); ``name`` the stack to deploy it as (default: the same).

        ``source`` is the tree deployed (default: this repository; an older commit's tree to test upgrades).
        """
        self.stack_name = name or stack
        self.tmp = tmp
        self.program_dir = copy_project(tmp / "repo", source)
        self.state_dir = private_state_dir(tmp / "state")
        write_stack_file(self.program_dir, stack, overrides or {}, name=self.stack_name)
        self._select()
        for key, value in (secrets_ or {}).items():
            self.stack.set_config(f"{PROJECT}:{key}", auto.ConfigValue(value=value, secret=True))
        self.last: Outcome | None = None

    def _select(self) -> None:
        self.env = {**tool_env(self.state_dir), **library_env(self.program_dir)}
        workspace = auto.LocalWorkspace(
            work_dir=str(self.program_dir),
            env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(TOOLS), skip_version_check=True),
        )
        self.stack = auto.Stack.create_or_select(self.stack_name, workspace)

    def upgrade_to(self, source: Path = REPO) -> None:
        """Switch the deployed stack (state, stack file, secrets) over to the program of ``source``."""
        stack_file = f"Pulumi.{self.stack_name}.yaml"
        new_dir = copy_project(self.tmp / "repo-upgraded", source)
        shutil.copyfile(self.program_dir / stack_file, new_dir / stack_file)
        self.program_dir = new_dir
        self._select()

    # --- CLI operations --------------------------------------------------------------------------
    def _run(self, operation: str, **kwargs: Any) -> Outcome:
        outcome = Outcome()

        def on_event(event: auto.EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre is not None and pre.metadata is not None:
                meta = pre.metadata
                outcome.steps.append((meta.urn.rsplit("::", 1)[-1], meta.type, str(meta.op.value)))
                if meta.keys:
                    outcome.replace_keys[(meta.urn.rsplit("::", 1)[-1], meta.type)] = list(meta.keys)

        try:
            result = getattr(self.stack, operation)(on_event=on_event, color="never", **kwargs)
        except auto.CommandError as error:
            raise DeployFailed(f"pulumi {operation} of {self.stack_name} failed:\n{error}") from None
        outcome.stdout = result.stdout
        flag = " --expect-no-changes" if kwargs.get("expect_no_changes") else ""
        print(summary(f"pulumi {operation} {self.stack_name}{flag}", result.stdout))
        outputs = getattr(result, "outputs", None)
        if outputs is not None:
            outcome.outputs = {k: v.value for k, v in outputs.items()}
        self.last = outcome
        return outcome

    def up(self, replace: Sequence[str] = (), **kwargs: Any) -> Outcome:
        """`pulumi up`; ``replace`` names resources (their URNs are looked up in the state)."""
        urns = [self.urn(name) for name in replace]
        return self._run("up", replace=urns or None, **kwargs)

    def preview(self, **kwargs: Any) -> Outcome:
        return self._run("preview", **kwargs)

    def expect_no_changes(self) -> Outcome:
        """A second deploy changes nothing: `pulumi preview --expect-no-changes` exits 0."""
        return self._run("preview", expect_no_changes=True, diff=True)

    def refresh(self) -> Outcome:
        return self._run("refresh")

    def destroy(self) -> Outcome:
        return self._run("destroy")

    def outputs(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.stack.outputs().items()}

    def urn(self, name: str, typ: str = CONTAINER) -> str:
        resources = self.stack.export_stack().deployment["resources"]
        matches = [r["urn"] for r in resources if r["type"] == typ and r["urn"].endswith(f"::{name}")]
        if len(matches) != 1:
            raise LookupError(f"{len(matches)} {typ} resources named {name} in {self.stack_name}")
        return matches[0]

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The `pulumi` CLI itself, in the program's directory, for commands the Automation API lacks."""
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), *args, "--stack", self.stack_name, "--non-interactive"],
            cwd=self.program_dir,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if check and proc.returncode != 0:
            raise DeployFailed(f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def teardown(self) -> None:
        """Unprotect and destroy everything, then remove what `retainOnDelete` left (the data volumes)."""
        try:
            self.cli("state", "unprotect", "--all", "--yes", check=False)
            self.cli("destroy", "--yes", "--skip-preview", check=False)
        finally:
            remove_stack_objects(self.stack_name)
            self.stack.workspace.remove_stack(self.stack_name, force=True)


def labelled(stack: str, kind: str) -> list[dict]:
    """Docker objects of one stack of this project (by the labels every component sets)."""
    filters = {"label": [f"dev.standard-stack.project={PROJECT}", f"dev.standard-stack.stack={stack}"]}
    if kind == "containers":
        return engine_api.get_json("/containers/json", {"all": 1, "filters": filters})
    if kind == "volumes":
        return engine_api.get_json("/volumes", {"filters": filters}).get("Volumes") or []
    return engine_api.get_json("/networks", {"filters": filters})


def remove_stack_objects(stack: str) -> None:
    """Every container, volume and network of ``stack``; then this run's claim on the name is released."""
    for container in labelled(stack, "containers"):
        engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
    for volume in labelled(stack, "volumes"):
        engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
    for network in labelled(stack, "networks"):
        engine_api.delete(f"/networks/{network['Id']}")
    claim = _claim_file(stack)
    if _read_claim(claim) == _this_process():
        claim.unlink()


def claim_stack(stack: str) -> None:
    """Make ``stack``'s Docker names this test run's before deploying it.

    Objects of that stack on the engine are removed when a test run claimed the name and died before
    its teardown (interrupted, killed, machine restarted): nothing else could have made them under
    that claim. Anything else is refused, since the tests deploy and destroy the same names: a real
    deployment (no claim) or another test run that is still alive.
    """
    claim = _claim_file(stack)
    owner = _read_claim(claim)
    found = [c["Names"][0] for c in labelled(stack, "containers")] + [v["Name"] for v in labelled(stack, "volumes")]
    if found and owner is not None and not _alive(owner):
        print(f"removing {len(found)} objects of stack '{stack}' left by an interrupted test run (pid {owner.get('pid')})")
        remove_stack_objects(stack)
        found = []
    if found:
        who = (
            f"test run pid {owner.get('pid')} is still using it"
            if owner is not None and owner != _this_process()
            else "no test run claimed it: a real deployment?"
        )
        raise RuntimeError(
            f"Docker objects of a '{stack}' stack of {PROJECT} exist on this engine ({', '.join(found[:5])}...; "
            f"{who}): the e2e tier deploys and destroys the same names. Destroy that stack first (or use another engine)."
        )
    claim.parent.mkdir(parents=True, exist_ok=True)
    claim.write_text(json.dumps(_this_process()))


def _claim_file(stack: str) -> Path:
    """Where a test run records that it deploys ``stack`` on this engine (outside any temporary directory)."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / PROJECT / "e2e-claims" / _engine_id() / f"{stack}.json"


@functools.cache
def _engine_id() -> str:
    """The engine's ID, asked once per run (every claim and every teardown needs it)."""
    return str(engine_api.get_json("/info")["ID"]).replace(":", "")


def _read_claim(path: Path) -> dict[str, Any] | None:
    try:
        claim = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return claim if isinstance(claim, dict) else None


def _process(pid: int) -> dict[str, Any] | None:
    """A process by pid, boot and start time: a pid alone is reused, across boots too."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    return {"pid": pid, "boot": boot, "start": int(fields[19])}  # proc(5) field 22, starttime


def _this_process() -> dict[str, Any]:
    me = _process(os.getpid())
    assert me is not None, "/proc is not mounted"
    return me


def _alive(owner: dict[str, Any]) -> bool:
    try:
        return _process(int(owner.get("pid", 0))) == owner
    except (TypeError, ValueError):
        return False
