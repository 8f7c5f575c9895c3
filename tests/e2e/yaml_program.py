"""Drive one of the Pulumi YAML examples (examples/yaml-*) through the real CLI as a stack of its own.

The stack has a unique name, its state and passphrase a private temporary directory; the CLI, the YAML
language host and the providers are .tools/bin's (deploy.tool_env). ``teardown`` destroys the stack,
removes any Docker object its labels still name, and the stack file the config commands wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import engine_api
import pytest
from deploy import REPO, TOOLS, private_state_dir, tool_env


class YamlStack:
    def __init__(self, example: str, project: str, tmp: Path) -> None:
        self.directory = REPO / "examples" / example
        self.project = project
        self.name = f"{example}-{uuid.uuid4().hex[:6]}"
        self.env = {**os.environ, **tool_env(private_state_dir(tmp / "state"))}
        self.up: subprocess.CompletedProcess[str] | None = None
        self.outputs: dict = {}
        self.port = 0  # the host port the test gives the example

    def pulumi(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The CLI in the example's directory on this stack; a failure fails the test with what it printed."""
        proc = subprocess.run(
            [str(TOOLS / "bin" / "pulumi"), *args, "--stack", self.name, "--non-interactive"],
            cwd=self.directory, env=self.env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if check and proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-4000:]}")
        return proc

    def deploy(self, config: dict[str, str]) -> None:
        self.pulumi("stack", "init")
        for key, value in config.items():
            self.pulumi("config", "set", key, value)
        self.up = self.pulumi("up", "--yes")  # its preview runs first, on unknown outputs
        self.outputs = json.loads(self.pulumi("stack", "output", "--json").stdout)

    def resource_types(self) -> set[str]:
        return {r["type"] for r in json.loads(self.pulumi("stack", "export").stdout)["deployment"]["resources"]}

    def _labels(self) -> dict[str, list[str]]:
        return {"label": [f"dev.standard-stack.project={self.project}", f"dev.standard-stack.stack={self.name}"]}

    def containers(self) -> list[dict]:
        return engine_api.get_json("/containers/json", {"all": 1, "filters": self._labels()})

    def teardown(self) -> None:
        try:
            self.pulumi("destroy", "--yes", "--skip-preview", check=False)
            self.pulumi("stack", "rm", "--yes", "--force", check=False)
        finally:
            for container in self.containers():
                engine_api.delete(f"/containers/{container['Id']}", {"force": 1, "v": 1})
            for volume in engine_api.get_json("/volumes", {"filters": self._labels()}).get("Volumes") or []:
                engine_api.delete(f"/volumes/{volume['Name']}", {"force": 1})
            for network in engine_api.get_json("/networks", {"filters": self._labels()}):
                engine_api.delete(f"/networks/{network['Id']}")
            (self.directory / f"Pulumi.{self.name}.yaml").unlink(missing_ok=True)
