"""Self-tests: uploads are written before start, as root, and fail on a read-only root like the engine."""

import pytest
from harness import DeployFailed

pytestmark = pytest.mark.e2e


def test_upload_into_a_read_only_root_fails_with_the_engine_message(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Container("sealed", image="debian:bookworm-slim", command=["sleep", "infinity"],
            read_only=True,
            uploads=[docker.ContainerUploadArgs(file="/run/secrets/token", content="s3cret")])
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "'sealed'" in str(err.value)
    assert "container rootfs is marked read-only" in str(err.value)


def test_upload_into_a_mounted_named_volume_lands_in_the_volume(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        vol = docker.Volume("secrets")
        loader = docker.Container("loader", image="debian:bookworm-slim", entrypoints=["true"],
            must_run=False, attach=True,
            volumes=[docker.ContainerVolumeArgs(volume_name=vol.name, container_path="/run/secrets")],
            uploads=[docker.ContainerUploadArgs(file="/run/secrets/token",
                                                content=pulumi.Output.secret("s3cret"),
                                                permissions="0440"),
                     docker.ContainerUploadArgs(file="/run/secrets/run.sh", content="echo hi",
                                                executable=True)])
        reader = docker.Container("reader", image="debian:bookworm-slim", read_only=True,
            command=["sh", "-c", "cat /run/secrets/token; echo; stat -c '%a %u:%g %n' /run/secrets/*"],
            must_run=False, attach=True, logs=True,
            volumes=[docker.ContainerVolumeArgs(volume_name=vol.name, container_path="/run/secrets",
                                                read_only=True)],
            opts=pulumi.ResourceOptions(depends_on=[loader]))
        pulumi.export("logs", reader.container_logs)
        pulumi.export("loader_envs_secret", loader.uploads)
    """)
    result = deployment.up()
    logs = result.outputs["logs"]
    assert logs.splitlines()[0] == "s3cret"
    assert "440 0:0 /run/secrets/token" in logs
    assert "744 0:0 /run/secrets/run.sh" in logs
    assert "loader_envs_secret" in result.secret_outputs  # a secret upload keeps the list secret
