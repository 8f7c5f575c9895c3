"""Self-tests: images, ordering and concurrency, and refusals for what the harness cannot apply."""

import pytest
from harness import DeployFailed
from harness.engine_api import inspect

pytestmark = pytest.mark.e2e


def test_image_builds_with_dockerfile_relative_to_the_program_and_returns_its_id(deployment):
    (deployment.dir / "app").mkdir()
    (deployment.dir / "app" / "hello.txt").write_text("hello\n")
    (deployment.dir / "dockerfiles").mkdir()
    (deployment.dir / "dockerfiles" / "App.Dockerfile").write_text(
        "ARG BASE=debian:bookworm-slim\nFROM ${BASE} AS base\nARG GREETING\n"
        "RUN --mount=type=bind,source=hello.txt,target=/mnt/hello.txt cat /mnt/hello.txt > /hello\n"
        'FROM base AS final\nRUN echo "$GREETING" > /greeting\n'
        "FROM base AS other\nRUN echo other > /other\n"
    )
    deployment.write("""
        import pulumi, pulumi_docker as docker
        img = docker.Image("app", image_name="harness-selftest/app:e2e", skip_push=True,
            build=docker.DockerBuildArgs(context="app", dockerfile="dockerfiles/App.Dockerfile",
                                         target="final", args={"GREETING": "hi"},
                                         platform="linux/amd64"))
        job = docker.Container("job", image=img.repo_digest, command=["cat", "/hello", "/greeting"],
                               must_run=False, attach=True, logs=True)
        pulumi.export("digest", img.repo_digest)
        pulumi.export("logs", job.container_logs)
    """)
    first = deployment.up()
    assert first.outputs["digest"] == inspect("images", "harness-selftest/app:e2e")["Id"]
    assert first.outputs["logs"].split() == ["hello", "hi"]
    second = deployment.up()
    assert second.actions == {"app": "same", "job": "same"}


def test_image_without_skip_push_is_refused(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Image("pushy", image_name="example.com/pushy:1",
                     build=docker.DockerBuildArgs(context="."))
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "'pushy'" in str(err.value) and "skipPush" in str(err.value)


def test_remote_image_must_already_be_on_the_engine(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        ok = docker.RemoteImage("base", name="debian:bookworm-slim", keep_locally=True)
        docker.RemoteImage("absent", name="harness-selftest/absent:none", keep_locally=True)
        pulumi.export("id", ok.image_id)
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "'absent'" in str(err.value) and "cannot be pulled" in str(err.value)
    assert "'base'" not in str(err.value)


def test_independent_resources_are_applied_concurrently(deployment):
    deployment.write("""
        import pulumi_docker as docker
        for name in ("left", "right"):
            docker.Container(name, image="debian:bookworm-slim",
                command=["sh", "-c", "sleep 3; touch /tmp/ready; exec sleep infinity"],
                healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "test", "-f", "/tmp/ready"],
                                                            interval="1s", retries=20),
                wait=True)
    """)
    result = deployment.up()
    spans = {}
    for ev in result.events:
        if ev["event"] in ("create-start", "create"):
            spans.setdefault(ev["name"], []).append(ev["t"])
    (l0, l1), (r0, r1) = spans["left"], spans["right"]
    assert l0 < r1 and r0 < l1, f"applies did not overlap: {spans}"


def test_dependent_resource_waits_for_its_dependency(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        first = docker.Container("first", image="debian:bookworm-slim",
            command=["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep infinity"],
            healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "test", "-f", "/tmp/ready"],
                                                        interval="1s", retries=20), wait=True)
        docker.Container("second", image="debian:bookworm-slim", command=["sleep", "infinity"],
                         opts=pulumi.ResourceOptions(depends_on=[first]))
    """)
    result = deployment.up()
    done_first = next(e["t"] for e in result.events if e["event"] == "create" and e["name"] == "first")
    start_second = next(e["t"] for e in result.events if e["event"] == "create-start" and e["name"] == "second")
    assert start_second >= done_first


def test_unknown_resource_type_fails_loudly(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Secret("cred", data="c2VjcmV0")
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "docker:index/secret:Secret" in str(err.value) and "not implemented" in str(err.value)


def test_unknown_invoke_fails_loudly(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        net = docker.get_network(name="bridge")
        pulumi.export("id", net.id)
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "docker:index/getNetwork:getNetwork" in str(err.value)
