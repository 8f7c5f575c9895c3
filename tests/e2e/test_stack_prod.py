"""The prod stack on the real engine: limits, restart, log rotation, users, secrets, isolation."""

import os
import secrets
import signal

import pytest
import yaml
from stack import REPO, StackRun, docker_exec, http, http_no_redirect, self_signed_cert, service_containers, wait_until

pytestmark = pytest.mark.e2e

SERVICES = {"postgres", "redis", "api", "web", "proxy"}


@pytest.fixture(scope="module")
def prod(engine, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prod")
    cert, key = self_signed_cert(tmp)
    secret_values = {
        "postgresPassword": secrets.token_urlsafe(18),
        "redisPassword": secrets.token_urlsafe(18),
        "tlsCertificate": cert,
        "tlsPrivateKey": key,
    }
    run = StackRun("prod", tmp, extra_overrides={f"standard-stack:{k}": v for k, v in secret_values.items()})
    run.secret_values = secret_values
    try:
        run.up()
        yield run
    finally:
        run.teardown()


def _prod_config() -> dict:
    with open(REPO / "Pulumi.prod.yaml") as fh:
        return {k.split(":", 1)[1]: v for k, v in yaml.safe_load(fh)["config"].items()}


def _mib(text: str) -> int:
    number, unit = text[:-2], text[-2:]
    return int(float(number) * {"Mi": 1, "Gi": 1024}[unit])


def test_every_prod_container_reports_healthy(prod):
    services = service_containers(prod.label)
    assert set(services) == SERVICES
    for name, info in services.items():
        assert info["State"]["Health"]["Status"] == "healthy", name


def test_memory_and_cpu_limits_match_the_prod_config(prod):
    cfg = _prod_config()
    for name, info in service_containers(prod.label).items():
        want = cfg[name]["resources"]
        host = info["HostConfig"]
        assert host["Memory"] == _mib(want["memory"]) << 20, name
        assert host["MemoryReservation"] == _mib(want["memoryReservation"]) << 20, name
        assert host["NanoCpus"] == int(float(want["cpus"]) * 1e9), name


def test_restart_policy_and_log_rotation_match_the_prod_config(prod):
    cfg = _prod_config()
    for name, info in service_containers(prod.label).items():
        host = info["HostConfig"]
        assert host["RestartPolicy"]["Name"] == cfg["restart"], name
        assert host["LogConfig"]["Type"] == "json-file", name
        assert host["LogConfig"]["Config"] == {
            "max-size": cfg["logging"]["maxSize"],
            "max-file": str(cfg["logging"]["maxFile"]),
        }, name


@pytest.mark.parametrize("service", ["api", "web", "proxy"])
def test_app_containers_run_as_a_non_root_user(prod, service):
    info = service_containers(prod.label)[service]
    assert info["Config"]["User"] not in ("", "root", "0", "0:0")
    status = docker_exec(info["Id"], "cat", "/proc/1/status")
    uid_line = next(line for line in status.stdout.splitlines() if line.startswith("Uid:"))
    assert all(uid != "0" for uid in uid_line.split()[1:]), uid_line


def test_no_secret_value_in_any_container_env_labels_or_command(prod):
    values = [v.strip() for v in prod.secret_values.values()]
    values += [line for v in prod.secret_values.values() for line in v.splitlines() if len(line) > 20 and "-----" not in line]
    from stack import containers

    for info in containers(prod.label):
        exposed = (
            "\n".join(info["Config"].get("Env") or [])
            + "\n"
            + "\n".join(f"{k}={v}" for k, v in (info["Config"].get("Labels") or {}).items())
            + "\n"
            + " ".join(info["Config"].get("Cmd") or [])
            + " ".join(info["Config"].get("Entrypoint") or [])
        )
        for value in values:
            assert value not in exposed, f"a secret value is visible in {info['Name']}"


def test_only_the_proxy_publishes_ports(prod):
    from stack import containers

    for info in containers(prod.label):
        published = {k: v for k, v in (info["HostConfig"].get("PortBindings") or {}).items() if v}
        service = info["Config"]["Labels"].get("dev.standard-stack.service")
        if service == "proxy":
            assert set(published) == {"8080/tcp", "8443/tcp"}
        else:
            assert published == {}, info["Name"]


def _connects(container_id: str, host: str, port: int) -> bool:
    probe = docker_exec(container_id, "timeout", "6", "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port} && echo CONNECTED")
    return "CONNECTED" in probe.stdout


def test_postgres_cannot_reach_outside_its_internal_network(prod):
    services = service_containers(prod.label)
    pg, proxy = services["postgres"]["Id"], services["proxy"]["Id"]
    # control: the proxy (frontend network, not internal) reaches PyPI, which CI machines reach
    assert _connects(proxy, "pypi.org", 443), "control failed: no egress even from the proxy"
    assert not _connects(pg, "pypi.org", 443)
    web_ip = next(iter(services["web"]["NetworkSettings"]["Networks"].values()))["IPAddress"]
    assert _connects(proxy, web_ip, 3000)  # control: frontend neighbours answer
    assert not _connects(pg, web_ip, 3000)


def test_proxy_serves_https_and_redirects_http(prod):
    status, _, body = http("GET", prod.result.outputs["health_url"])
    assert status == 200 and body.strip() == "ok"
    code, location = http_no_redirect("http://127.0.0.1:28080/anything")
    assert code in (301, 308) and location.startswith("https://") and location.endswith(":28443/anything")
    status, _, page = http("GET", prod.result.outputs["url"] + "/")
    assert status == 200 and 'data-testid="items"' in page


def test_killing_the_api_process_brings_it_back_by_the_restart_policy(prod):
    before = service_containers(prod.label)["api"]
    os.kill(before["State"]["Pid"], signal.SIGKILL)

    def back_healthy():
        info = service_containers(prod.label)["api"]
        return (
            info["RestartCount"] > before["RestartCount"]
            and info["State"]["Running"]
            and info["State"].get("Health", {}).get("Status") == "healthy"
        ) and info

    after = wait_until(back_healthy, 120, "the API container restarted and healthy")
    assert after["Id"] == before["Id"]
    assert http("GET", prod.result.outputs["api_ready_url"])[0] == 200
