"""The docker provider's Image pushing to a registry, driven by the real Pulumi CLI on a real engine.

A throw-away registry (tests/tools/registry: Debian's docker-registry, unauthenticated) runs in a
container published on a loopback port. The pushed image's repoDigest must name the image's own
repository even when the same image was pushed to another repository first, and a preview with
buildOnPreview must build but push nothing. Needs the binaries of scripts/build-tools, a Docker engine
and debian:bookworm-slim (to build the registry image); anything missing fails the test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from scratch import BIN, cli_env

REGISTRY_IMAGE = "standard-stack-test-registry:2.8"
REGISTRY_CONTEXT = Path(__file__).resolve().parent / "registry"
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"

PUSH_PROGRAM = """\
import pulumi
import pulumi_docker as docker

registry = pulumi.Config().require("registry")
build = docker.DockerBuildArgs(context="app")
# The same image goes to two repositories: alpha first, then zeta.
alpha = docker.Image("alpha", image_name=f"{registry}/alpha:v1", build=build)
zeta = docker.Image("zeta", image_name=f"{registry}/zeta:v1", build=build,
                    opts=pulumi.ResourceOptions(depends_on=[alpha]))
pulumi.export("alpha", alpha.repo_digest)
pulumi.export("zeta", zeta.repo_digest)
"""

PREVIEW_PROGRAM = """\
import pulumi
import pulumi_docker as docker

registry = pulumi.Config().require("registry")
docker.Image("early", image_name=f"{registry}/early:v1", build_on_preview=True,
             build=docker.DockerBuildArgs(context="app"))
"""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def require_engine() -> None:
    missing = [n for n in ("pulumi", "pulumi-language-python", "pulumi-resource-docker") if not (BIN / n).is_file()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)} in {BIN}: run scripts/build-tools")
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: start one (DOCKER_HOST is honoured)")


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """host:port of a fresh registry on a loopback port (which the engine pushes to without TLS)."""
    require_engine()
    built = docker("build", "-q", "-t", REGISTRY_IMAGE, str(REGISTRY_CONTEXT), check=False)
    if built.returncode != 0:
        pytest.fail(f"building the test registry image failed:\n{built.stderr}")
    name = f"ss-registry-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--rm", "--name", name, "-p", "127.0.0.1::5000", REGISTRY_IMAGE)
    try:
        port = docker("port", name, "5000").stdout.split()[0].rsplit(":", 1)[1]
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://{address}/v2/", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the test registry did not answer on {address}:\n{docker('logs', name).stderr}")
                time.sleep(0.5)
        yield address
    finally:
        docker("rm", "-f", name, check=False)
        leftovers = docker("images", "--format", "{{.Repository}}:{{.Tag}}", check=False).stdout.split()
        ours = [ref for ref in leftovers if ref.startswith(f"127.0.0.1:{port}/")]
        if ours:
            docker("rmi", "-f", *ours, check=False)


class Project:
    """A scratch project with one small image context, run by .tools/bin/pulumi on a file backend."""

    def __init__(self, tmp: Path, program: str, registry: str) -> None:
        self.dir = tmp / "project"
        (self.dir / "app").mkdir(parents=True)
        (self.dir / "app" / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
        (self.dir / "app" / "hello.txt").write_text(f"{uuid.uuid4()}\n")  # a new image every run
        (self.dir / "Pulumi.yaml").write_text(
            f"name: image-push\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {sys.prefix}\n"
        )
        (self.dir / "__main__.py").write_text(textwrap.dedent(program))
        (tmp / "state").mkdir()
        self.env = cli_env(tmp / "home", (tmp / "state").as_uri(), "image-push")
        self.run("stack", "init", "test")
        self.run("config", "set", "registry", registry)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(BIN / "pulumi"), *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode != 0:
            pytest.fail(f"pulumi {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc


def manifest_digest(registry: str, repository: str, tag: str) -> str:
    request = urllib.request.Request(
        f"http://{registry}/v2/{repository}/manifests/{tag}", method="HEAD", headers={"Accept": MANIFEST_TYPES}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Docker-Content-Digest"]


def test_an_image_also_pushed_to_another_repository_reports_its_own_repositorys_digest(registry, tmp_path):
    project = Project(tmp_path, PUSH_PROGRAM, registry)
    project.run("up", "--yes", "--skip-preview")
    outputs = json.loads(project.run("stack", "output", "--json").stdout)
    assert outputs["zeta"] == f"{registry}/zeta@{manifest_digest(registry, 'zeta', 'v1')}"
    assert outputs["alpha"] == f"{registry}/alpha@{manifest_digest(registry, 'alpha', 'v1')}"


def test_a_preview_with_build_on_preview_builds_but_pushes_nothing(registry, tmp_path):
    project = Project(tmp_path, PREVIEW_PROGRAM, registry)
    project.run("preview")
    assert docker("image", "inspect", f"{registry}/early:v1", check=False).returncode == 0, "the preview did not build"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"http://{registry}/v2/early/tags/list", timeout=10)
    assert missing.value.code == 404, "the preview pushed the image"
