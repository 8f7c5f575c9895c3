"""Self-tests: containers come up (or fail) the way pulumi-docker makes them."""

import time

import pytest
from harness import DeployFailed
from harness.engine_api import inspect

pytestmark = pytest.mark.e2e

HEALTHY = """
    import pulumi, pulumi_docker as docker
    c = docker.Container("app", image="debian:bookworm-slim",
        command=["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep infinity"],
        healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD-SHELL", "test -f /tmp/ready"],
                                                    interval="1s", timeout="1s", retries=30),
        wait=True, wait_timeout=30)
    pulumi.export("id", c.id)
    pulumi.export("name", c.name)
"""


def test_container_with_health_check_and_wait_is_healthy_when_the_deploy_returns(deployment):
    result = deployment.write(HEALTHY).up()
    info = inspect("containers", result.outputs["id"])
    assert info["State"]["Health"]["Status"] == "healthy"
    assert result.outputs["name"] == info["Name"].lstrip("/")


def test_container_without_name_gets_pulumi_auto_name(deployment):
    result = deployment.write(HEALTHY).up()
    assert result.outputs["name"].startswith("app-") and len(result.outputs["name"]) == len("app-") + 7


def test_wait_without_any_health_check_fails_at_once(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Container("nohealth", image="debian:bookworm-slim",
                         command=["sleep", "infinity"], wait=True, wait_timeout=60)
    """)
    started = time.monotonic()
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert time.monotonic() - started < 15
    assert "nohealth" in str(err.value) and "no health check" in str(err.value)


def test_unknown_container_input_fails_naming_the_input_and_resource(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Container("odd", image="debian:bookworm-slim", command=["sleep", "infinity"],
                         dns=["1.1.1.1"])
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "'odd'" in str(err.value) and "dns" in str(err.value)
    assert "not implemented" in str(err.value)


def test_one_shot_attached_container_reports_exit_code_and_logs(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        job = docker.Container("job", image="debian:bookworm-slim",
            command=["sh", "-c", "echo migrating; echo broken >&2; exit 3"],
            must_run=False, attach=True, logs=True)
        pulumi.export("exit_code", job.exit_code)
        pulumi.export("logs", job.container_logs)
    """)
    result = deployment.up()
    assert result.outputs["exit_code"] == 3
    assert "migrating" in result.outputs["logs"] and "broken" in result.outputs["logs"]


def test_container_that_must_run_but_exits_fails_the_deploy(deployment):
    deployment.write("""
        import pulumi_docker as docker
        docker.Container("crash", image="debian:bookworm-slim",
                         command=["sh", "-c", "echo cannot start; exit 1"])
    """)
    with pytest.raises(DeployFailed) as err:
        deployment.up()
    assert "'crash'" in str(err.value) and "failed to be in running state" in str(err.value)


def test_container_limits_and_options_reach_the_engine(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        c = docker.Container("limited", image="debian:bookworm-slim", command=["sleep", "infinity"],
            memory=64, memory_reservation=32, memory_swap=128, cpus="0.5", cpu_shares=512,
            restart="on-failure", max_retry_count=2, read_only=True, tmpfs={"/tmp": "rw,size=1m"},
            user="65534:65534", capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges"], init=True, log_driver="json-file",
            log_opts={"max-size": "1m", "max-file": "2"},
            labels=[docker.ContainerLabelArgs(label="tier", value="test")],
            ports=[docker.ContainerPortArgs(internal=8080, ip="127.0.0.1")],
            envs=["MODE=x"], working_dir="/tmp", hostname="limited-host",
            stop_signal="SIGINT", stop_timeout=5)
        pulumi.export("id", c.id)
        pulumi.export("ports", c.ports)
    """)
    result = deployment.up()
    info = inspect("containers", result.outputs["id"])
    host, cfg = info["HostConfig"], info["Config"]
    assert (host["Memory"], host["MemoryReservation"], host["MemorySwap"]) == (64 << 20, 32 << 20, 128 << 20)
    assert host["NanoCpus"] == 500_000_000 and host["CpuShares"] == 512
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert host["ReadonlyRootfs"] and host["Tmpfs"] == {"/tmp": "rw,size=1m"}
    assert host["CapDrop"] == ["ALL"] and host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Init"] is True
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}
    assert host["PortBindings"]["8080/tcp"][0]["HostIp"] == "127.0.0.1"
    assert result.outputs["ports"][0]["external"] >= 1024
    assert cfg["User"] == "65534:65534" and "MODE=x" in cfg["Env"] and cfg["Labels"]["tier"] == "test"
    assert (cfg["WorkingDir"], cfg["Hostname"], cfg["StopSignal"], cfg["StopTimeout"]) == ("/tmp", "limited-host", "SIGINT", 5)


def test_init_is_sent_false_when_unset(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        c = docker.Container("plain", image="debian:bookworm-slim", command=["sleep", "infinity"])
        pulumi.export("id", c.id)
    """)
    result = deployment.up()
    assert inspect("containers", result.outputs["id"])["HostConfig"]["Init"] is False


def test_networks_advanced_replace_bridge_and_give_aliases(deployment):
    deployment.write("""
        import pulumi, pulumi_docker as docker
        net = docker.Network("back", internal=True)
        server = docker.Container("server", image="debian:bookworm-slim", command=["sleep", "infinity"],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=net.name, aliases=["db"])])
        probe = docker.Container("probe", image="debian:bookworm-slim",
            command=["sh", "-c", "getent hosts db"], must_run=False, attach=True, logs=True,
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=net.name)],
            opts=pulumi.ResourceOptions(depends_on=[server]))
        pulumi.export("server", server.id)
        pulumi.export("net", net.name)
        pulumi.export("probe_exit", probe.exit_code)
    """)
    result = deployment.up()
    nets = inspect("containers", result.outputs["server"])["NetworkSettings"]["Networks"]
    assert list(nets) == [result.outputs["net"]]
    assert "db" in nets[result.outputs["net"]]["Aliases"]
    assert inspect("networks", result.outputs["net"])["Internal"] is True
    assert result.outputs["probe_exit"] == 0
