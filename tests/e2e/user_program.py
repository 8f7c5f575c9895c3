"""A user's own Pulumi program beside the app it deploys, driven through the real CLI (Automation API).

The program (tests/e2e/<program>) and the app (tests/apps/<app>) are copied into a private tree that
keeps the repository's layout (images/ and .venv linked), so the program's relative paths hold and a
source change edits the copy. Its Docker objects are found by the labels every component sets: the
project is the test's own, so an interrupted run's leftovers can be removed before and after.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import engine_api
from deploy import REPO, TOOLS, DeployFailed, Outcome, private_state_dir, summary, tool_env
from pulumi import automation as auto

# the versions the engine's local base images have (as tests/e2e/overrides.yaml selects for the standard stacks)
BASE_IMAGES = {"postgresImage": "postgres:15", "redisImage": "redis:7.0", "nginxVersion": "1.30"}


class UserProgram:
    def __init__(self, tmp: Path, *, program: str, app: str, project: str, stack: str, config: Mapping[str, auto.ConfigValue]):
        root = tmp / "tree"
        self.project, self.stack_name = project, stack
        self.program = root / "tests" / "e2e" / program
        self.app = root / "tests" / "apps" / app
        shutil.copytree(REPO / "tests" / "e2e" / program, self.program, ignore=shutil.ignore_patterns("Pulumi.*.yaml"))
        shutil.copytree(REPO / "tests" / "apps" / app, self.app)
        (root / "images").symlink_to(REPO / "images", target_is_directory=True)
        (root / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
        self.env = tool_env(private_state_dir(tmp / "state"))
        workspace = auto.LocalWorkspace(
            work_dir=str(self.program),
            env_vars=self.env,
            pulumi_command=auto.PulumiCommand(root=str(TOOLS), skip_version_check=True),
        )
        self.stack = auto.Stack.create_or_select(stack, workspace)
        for key, value in config.items():
            self.stack.set_config(key, value)

    def run(self, operation: str, **kwargs: Any) -> Outcome:
        """``up``, ``preview``, ``destroy``… with each step (name, type, operation) recorded."""
        outcome = Outcome()

        def on_event(event: auto.EngineEvent) -> None:
            pre = event.resource_pre_event
            if pre is not None and pre.metadata is not None:
                outcome.steps.append((pre.metadata.urn.rsplit("::", 1)[-1], pre.metadata.type, str(pre.metadata.op.value)))

        started = time.monotonic()
        try:
            result = getattr(self.stack, operation)(on_event=on_event, color="never", **kwargs)
        except auto.CommandError as error:
            raise DeployFailed(f"pulumi {operation} of {self.stack_name} failed:\n{error}") from None
        outcome.stdout = result.stdout
        print(summary(f"pulumi {operation} {self.stack_name} ({time.monotonic() - started:.0f} s)", result.stdout))
        return outcome

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}

    def exported_state(self) -> str:
        """``pulumi stack export`` as an operator runs it (the Automation API's export shows secrets)."""
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), "stack", "export", "--stack", self.stack_name, "--non-interactive"],
            cwd=self.program, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        return proc.stdout

    def objects(self) -> dict[str, list[dict]]:
        """This program's Docker objects, by the project and stack labels."""
        labels = {"label": [f"dev.standard-stack.project={self.project}", f"dev.standard-stack.stack={self.stack_name}"]}
        return {
            "containers": engine_api.get_json("/containers/json", {"all": 1, "filters": labels}),
            "volumes": engine_api.get_json("/volumes", {"filters": labels}).get("Volumes") or [],
            "networks": engine_api.get_json("/networks", {"filters": labels}),
        }

    def remove_objects(self) -> None:
        objects = self.objects()
        for container in objects["containers"]:
            engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
        for volume in objects["volumes"]:
            engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
        for network in objects["networks"]:
            engine_api.delete(f"/networks/{network['Id']}")


@contextmanager
def deployed(program: UserProgram) -> Iterator[UserProgram]:
    """``program`` up (after removing an interrupted run's leftovers), then destroyed and removed, also on failure."""
    program.remove_objects()
    try:
        program.run("up")
        yield program
    finally:
        try:
            program.run("destroy")
        finally:
            program.remove_objects()
            program.stack.workspace.remove_stack(program.stack_name, force=True)
