"""The docker provider built in tools/pulumi-resource-docker, driven by the real Pulumi CLI on a real engine.

One scratch stack (built image, network, volume, two containers) goes through a full round trip:
up, a preview that must propose nothing, a container removed behind Pulumi's back, a change to one
file of the image's build context, destroy. The tests run in file order on one stack.

Needs: `.tools/bin/pulumi`, `.tools/bin/pulumi-language-python` and `.tools/bin/pulumi-resource-docker`
(scripts/build-tools; or a directory named by STANDARD_STACK_TOOLS_BIN), a Docker engine answering
`docker info`, the image `debian:bookworm-slim`, and pulumi + pulumi_docker importable by this
interpreter. Anything missing fails the test with what to do; nothing is skipped.
Every engine object is named with a prefix unique to the run and removed at the end.
"""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = Path(os.environ.get("STANDARD_STACK_TOOLS_BIN", ROOT / ".tools" / "bin"))
PREFIX = f"ssdp-{uuid.uuid4().hex[:8]}-"

PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_docker as docker

    P = "{prefix}"
    img = docker.Image("img", image_name=P + "img:dev", skip_push=True,
        build=docker.DockerBuildArgs(context="app", dockerfile="app/Dockerfile", target="final",
            args={{"GREETING": "hi"}}, platform="linux/amd64"))
    net = docker.Network("net", name=P + "net")
    vol = docker.Volume("vol", name=P + "vol")
    ctr = docker.Container("ctr", name=P + "ctr", image=img.repo_digest,
        cpus="1.0", memory=128, memory_swap=256, init=True, restart="unless-stopped",
        destroy_grace_seconds=5, wait=True, wait_timeout=60,
        healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "test", "-f", "/srv/greeting"],
            interval="1s", timeout="1s", retries=3, start_period="1s"),
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=net.name, aliases=["probe"])],
        mounts=[docker.ContainerMountArgs(target="/data", type="volume", source=vol.name)],
        volumes=[docker.ContainerVolumeArgs(container_path="/cache", volume_name=vol.name)],
        labels=[docker.ContainerLabelArgs(label="owner", value=P)],
        envs=["A=1", "B=2"],
        ports=[docker.ContainerPortArgs(internal=8080, ip="127.0.0.1")],
        uploads=[docker.ContainerUploadArgs(file="/data/config.txt", content="cfg")],
        log_driver="json-file", log_opts={{"max-size": "1m", "max-file": "2"}},
        capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=["CHOWN"]),
        security_opts=["no-new-privileges"],
        tmpfs={{"/tmp": "rw,size=16m"}})
    # A read-only root cannot take uploads (the engine refuses the copy), so it gets its own container.
    roc = docker.Container("roc", name=P + "roc", image=img.repo_digest, read_only=True, init=True,
        tmpfs={{"/tmp": "rw,size=8m"}}, memory=64, memory_swap=128, cpus="0.5", command=["sleep", "3600"],
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=net.name)])
    pulumi.export("repoDigest", img.repo_digest)
    pulumi.export("ctr", ctr.name)
    """
)

DOCKERFILE = textwrap.dedent(
    """
    FROM debian:bookworm-slim AS base
    ARG GREETING=hello
    COPY message.txt /srv/message.txt
    RUN echo "$GREETING" > /srv/greeting
    FROM base AS final
    CMD ["sh", "-c", "sleep 3600"]
    """
)


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def require_prerequisites():
    missing = [n for n in ("pulumi", "pulumi-language-python", "pulumi-resource-docker") if not (TOOLS_BIN / n).is_file()]
    if missing:
        pytest.fail(
            f"missing {', '.join(missing)} in {TOOLS_BIN}: run scripts/build-tools "
            "(or set STANDARD_STACK_TOOLS_BIN to the directory holding them)"
        )
    if shutil.which("docker") is None or docker("info", check=False).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: start one (DOCKER_HOST is honoured)")
    if docker("image", "inspect", "debian:bookworm-slim", check=False).returncode != 0:
        pytest.fail("image debian:bookworm-slim is not on the engine: `docker pull debian:bookworm-slim`")
    try:
        import pulumi_docker  # noqa: F401
    except ImportError:
        pytest.fail(f"pulumi_docker is not importable by {sys.executable}: pip install pulumi-docker")


class Stack:
    def __init__(self, workdir: Path):
        self.dir = workdir
        self.env = dict(os.environ)
        self.env.update(
            {
                "PATH": f"{TOOLS_BIN}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                "PULUMI_HOME": str(workdir / ".pulumi-home"),
                "PULUMI_BACKEND_URL": (workdir / "state").as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": "test",
                "PULUMI_SKIP_UPDATE_CHECK": "1",
                "DOCKER_BUILDKIT": "1",
            }
        )

    def pulumi(self, *args, check=True):
        res = subprocess.run(
            [str(TOOLS_BIN / "pulumi"), *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and res.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
        return res

    def preview_steps(self):
        """The (operation, type, name) of every step a preview proposes, besides `same`."""
        res = self.pulumi("preview", "--json")
        steps = json.loads(res.stdout).get("steps", [])
        return sorted((s["op"], s["urn"].split("::")[-2], s["urn"].split("::")[-1]) for s in steps if s["op"] != "same")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_prerequisites()
    workdir = tmp_path_factory.mktemp("docker-provider")
    (workdir / "app").mkdir()
    (workdir / "app" / "Dockerfile").write_text(DOCKERFILE)
    (workdir / "app" / "message.txt").write_text("v1\n")
    (workdir / "app" / ".dockerignore").write_text("ignored.txt\n")
    (workdir / "__main__.py").write_text(PROGRAM.format(prefix=PREFIX))
    venv = f"\n  options:\n    virtualenv: {sys.prefix}" if sys.prefix != sys.base_prefix else ""
    (workdir / "Pulumi.yaml").write_text(f"name: docker-provider-check\nruntime:\n  name: python{venv}\n")
    (workdir / "state").mkdir()
    s = Stack(workdir)
    s.pulumi("stack", "init", "t")
    try:
        s.up = s.pulumi("up", "--yes", "--skip-preview")
        yield s
    finally:
        s.pulumi("destroy", "--yes", check=False)
        for kind, ls in (("container", ["ps", "-aq"]), ("network", ["network", "ls", "-q"]), ("volume", ["volume", "ls", "-q"])):
            ids = docker(*ls, "--filter", f"name={PREFIX}", check=False).stdout.split()
            if ids:
                docker(kind, "rm", "-f", *ids, check=False)
        docker("rmi", "-f", f"{PREFIX}img:dev", check=False)


def container_ids():
    return docker("ps", "-aq", "--filter", f"name={PREFIX}ctr").stdout.split()


def test_up_builds_the_image_and_starts_a_healthy_container(stack):
    out = json.loads(stack.pulumi("stack", "output", "--json").stdout)
    image_id = docker("image", "inspect", "-f", "{{.Id}}", f"{PREFIX}img:dev").stdout.strip()
    assert out["repoDigest"] == image_id
    health = docker("inspect", "-f", "{{.State.Health.Status}}", f"{PREFIX}ctr").stdout.strip()
    assert health == "healthy"


def test_a_second_preview_proposes_no_changes(stack):
    res = stack.pulumi("preview", "--expect-no-changes", "--diff", check=False)
    assert res.returncode == 0, res.stdout + res.stderr


def test_a_container_removed_behind_pulumis_back_is_recreated_after_refresh(stack):
    before = container_ids()
    docker("rm", "-f", f"{PREFIX}ctr")
    stack.pulumi("refresh", "--yes")
    stack.pulumi("up", "--yes", "--skip-preview")
    after = container_ids()
    assert len(after) == 1 and after != before


def test_an_ignored_file_in_the_context_changes_nothing(stack):
    (stack.dir / "app" / "ignored.txt").write_text("not part of the context\n")
    assert stack.preview_steps() == []


def test_a_context_file_change_updates_the_image_and_replaces_only_its_containers(stack):
    (stack.dir / "app" / "message.txt").write_text("v2\n")
    assert stack.preview_steps() == [
        ("replace", "docker:index/container:Container", "ctr"),
        ("replace", "docker:index/container:Container", "roc"),
        ("update", "docker:index/image:Image", "img"),
    ]
    stack.pulumi("up", "--yes", "--skip-preview")
    served = docker("exec", f"{PREFIX}ctr", "cat", "/srv/message.txt").stdout
    assert served == "v2\n"


def test_destroy_removes_the_containers_network_and_volume(stack):
    stack.pulumi("destroy", "--yes")
    assert docker("ps", "-aq", "--filter", f"name={PREFIX}").stdout.split() == []
    assert docker("network", "ls", "-q", "--filter", f"name={PREFIX}").stdout.split() == []
    assert docker("volume", "ls", "-q", "--filter", f"name={PREFIX}").stdout.split() == []
