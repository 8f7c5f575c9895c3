"""The whole stack with ``target: swarm`` on the lab (scripts/swarm-lab), through the real CLI and providers.

``StackOnLab`` is a ``tests/e2e/deploy.Deployment`` (a private copy, a file backend, passphrase
secrets, the binaries of .tools/bin) whose stack file is the lab's: the manager's engine, the lab
registry, the official images mirrored into it, the data services and the proxy pinned by node
labels. ``prepare_lab`` does what an operator does once per cluster (mirror, load build bases,
label nodes). Run by hand: ``.venv/bin/python tests/swarm/stack_lab.py up|preview|down [stack]``;
``stack_lab.py images`` lists the images the host engine must hold.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "e2e")]

from deploy import PROJECT, Deployment  # noqa: E402
from lab_env import DOCKER, REGISTRY, SOCKET  # noqa: E402

HTTP_PORT = int(os.environ.get("SWARM_STACK_PORT", "45080"))
# the versions this machine's host engine holds (tests/e2e/overrides.yaml): no node reaches Docker Hub
VERSIONS = {"postgres": "15", "redis": "7.0", "python": "3.11", "node": "22", "nginx": "1.30"}
MIRRORED = [f"postgres:{VERSIONS['postgres']}", f"redis:{VERSIONS['redis']}"]
BUILD_BASES = [
    f"python:{VERSIONS['python']}-slim-bookworm",
    f"node:{VERSIONS['node']}-bookworm-slim",
    f"nginx:{VERSIONS['nginx']}",
]
# worker2 runs app tasks only: it can be stopped while the stack keeps answering (test_stack.py)
PLACEMENT = {"postgres": "swarm-lab-worker1", "redis": "swarm-lab-worker1", "proxy": "swarm-lab-manager"}


def docker(*args: str, manager: bool = False, timeout: float = 600) -> str:
    env = {**os.environ, "DOCKER_HOST": SOCKET} if manager else {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    proc = subprocess.run([DOCKER, *args], env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


def node_label(stack: str, service: str) -> str:
    return f"dev.standard-stack.{PROJECT}-{stack}-{service}"  # components/_swarm.py, node_label


def prepare_lab(stack: str) -> None:
    """Official images pushed to the lab registry (every node pulls them), build bases loaded into the
    manager (images are built there, by the provider's engine), and the data services' and proxy's nodes labelled."""
    for image in MIRRORED:
        docker("tag", image, f"{REGISTRY}/{image}")
        docker("push", "-q", f"{REGISTRY}/{image}")
    missing = [i for i in BUILD_BASES if not docker("images", "-q", i, manager=True).strip()]
    if missing:
        save = subprocess.Popen([DOCKER, "save", *missing], stdout=subprocess.PIPE, env={**os.environ, "DOCKER_HOST": ""})
        subprocess.run([DOCKER, "load", "-q"], stdin=save.stdout, env={**os.environ, "DOCKER_HOST": SOCKET}, check=True)
        save.wait()
    for service, node in PLACEMENT.items():
        docker("node", "update", "--label-add", f"{node_label(stack, service)}=true", node, manager=True)


WEB_SECRET_KEY = "webSessionKey"
WEB_SECRET_VALUE = "lab-web-session-key"
"""The config key of the web app's secret (``pulumi config set --secret``), set by ``StackOnLab``."""


def stack_config(stack: str, **extra: Any) -> dict[str, Any]:
    """The lab's stack file: dev rules, target swarm, 2 API and 2 web replicas, the proxy on HTTP_PORT of its node."""
    ns = f"{PROJECT}:"
    config = {
        "environment": "dev",
        "target": "swarm",
        "imageRegistry": REGISTRY,
        "publicUrl": f"http://localhost:{HTTP_PORT}",
        "restart": "unless-stopped",
        "protectData": False,
        "generatePasswords": True,
        # the lab's kernel lacks ESP/AES-GCM: an encrypted overlay drops traffic between nodes (README.md)
        "networks": {"backendInternal": True, "backendEncrypted": False},
        "postgres": {"version": VERSIONS["postgres"], "resources": {"memory": "512Mi", "cpus": "1"}},
        "redis": {"version": VERSIONS["redis"], "maxmemory": "64Mi", "resources": {"memory": "128Mi", "cpus": "0.5"}},
        "api": {"pythonVersion": VERSIONS["python"], "workers": 1, "replicas": 2, "resources": {"memory": "512Mi", "cpus": "1"}},
        "web": {
            "nodeVersion": VERSIONS["node"],
            "replicas": 2,
            "resources": {"memory": "512Mi", "cpus": "1"},
            # a secret of the web app's own (uid 1001:1001, outside group 0): a Docker secret it reads through group 0
            "secrets": {"SESSION_KEY": WEB_SECRET_KEY},
        },
        # the lab reaches the proxy by its node's address: any host name (dev answers only to localhost otherwise)
        "proxy": {
            "nginxVersion": VERSIONS["nginx"],
            "bindAddress": "0.0.0.0",
            "httpPort": HTTP_PORT,
            "tls": False,
            "serverName": "_",
        },
        **extra,
    }
    return {"config": {ns + key: value for key, value in config.items()}}


class StackOnLab(Deployment):
    """A Deployment of the lab's stack file, its CLI and provider pointed at the manager (DOCKER_HOST).

    A directory that holds a copy already (``tmp/repo``) selects that stack again (``stack_lab.py down``).
    """

    def __init__(self, stack: str, tmp: Path, **settings: Any) -> None:
        self.settings: dict[str, Any] = {}
        if (tmp / "repo").exists():
            self.stack_name, self.tmp, self.last = stack, tmp, None
            self.program_dir, self.state_dir = tmp / "repo", tmp / "state"
            self._select()
        else:
            super().__init__("dev", tmp, name=stack)
            self.configure(**settings)

    def _select(self) -> None:
        super()._select()
        # the provider's default engine is DOCKER_HOST of the CLI's environment (the workspace's env_vars)
        self.env["DOCKER_HOST"] = SOCKET
        self.stack.workspace.env_vars["DOCKER_HOST"] = SOCKET

    def configure(self, **settings: Any) -> None:
        """Pulumi.<stack>.yaml: the lab's settings, ``settings`` (kept from call to call) replacing whole top-level ones;
        the secrets set before are kept, with the salt they are encrypted with (the first time, the web app's is set)."""
        self.settings.update(settings)
        path = self.program_dir / f"Pulumi.{self.stack_name}.yaml"
        before = yaml.safe_load(path.read_text()) if path.exists() else {}
        secure = {k: v for k, v in ((before or {}).get("config") or {}).items() if isinstance(v, dict) and "secure" in v}
        stack_file = stack_config(self.stack_name, **self.settings)
        stack_file["config"].update(secure)
        if before and "encryptionsalt" in before:  # what the passphrase decrypts those secrets with
            stack_file["encryptionsalt"] = before["encryptionsalt"]
        path.write_text(yaml.safe_dump(stack_file, sort_keys=False))
        if not secure:
            self.stack.set_config(f"{PROJECT}:{WEB_SECRET_KEY}", auto.ConfigValue(value=WEB_SECRET_VALUE, secret=True))

    def teardown(self) -> None:
        """Destroy the stack; the data volumes stay on their nodes (``scripts/swarm-lab down`` removes them)."""
        try:
            self.cli("destroy", "--yes", "--skip-preview", check=False)
        finally:
            self.stack.workspace.remove_stack(self.stack_name, force=True)


if __name__ == "__main__":
    import shutil
    import time

    action, stack = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "swarm1")
    if action == "images":  # what the host engine must hold first (scripts/test's swarm tier: scripts/base-images)
        print(*MIRRORED, *BUILD_BASES)
        sys.exit(0)
    tmp = Path(f"/tmp/swarm-stack-{stack}")
    if action == "up" and not tmp.exists():
        tmp.mkdir()
        prepare_lab(stack)
    deployment = StackOnLab(stack, tmp)
    started = time.monotonic()
    {"up": deployment.up, "preview": deployment.expect_no_changes, "down": deployment.teardown}[action]()
    print(f"{action} in {time.monotonic() - started:.1f}s", flush=True)
    if action == "down":
        shutil.rmtree(tmp)
