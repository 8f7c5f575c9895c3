"""The prod stack through the real CLI: limits, restart, users, secrets, isolation, TLS, clean stops, protected data."""

import os
import secrets
import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import engine_api
import pytest
import yaml
from deploy import REPO, DeployFailed, Deployment, claim_stack, labelled
from stack import (
    OutsideHost,
    connects,
    containers,
    docker_exec,
    http,
    http_no_redirect,
    self_signed_cert,
    service_containers,
    wait_until,
)

pytestmark = pytest.mark.e2e

SERVICES = {"postgres", "redis", "api", "web", "proxy", "postgres-backup"}  # backups are on in prod by default


@pytest.fixture(scope="module")
def prod(toolchain, tmp_path_factory):
    claim_stack("prod")
    tmp = tmp_path_factory.mktemp("prod")
    cert, key = self_signed_cert(tmp)
    secret_values = {
        "postgresPassword": secrets.token_urlsafe(18),
        "redisPassword": secrets.token_urlsafe(18),
        "tlsCertificate": cert,
        "tlsPrivateKey": key,
    }
    run = Deployment("prod", tmp, secrets_=secret_values)
    run.secret_values = secret_values
    try:
        run.first = run.up()
        yield run
    finally:
        run.teardown()


def _prod_config() -> dict:
    with open(REPO / "Pulumi.prod.yaml") as fh:
        return {k.split(":", 1)[1]: v for k, v in yaml.safe_load(fh)["config"].items()}


def _mib(text: str) -> int:
    number, unit = text[:-2], text[-2:]
    return int(float(number) * {"Mi": 1, "Gi": 1024}[unit])


def test_a_second_prod_deploy_changes_nothing(prod):
    assert "Resources:" in prod.first.stdout
    prod.expect_no_changes()


def test_every_prod_container_reports_healthy(prod):
    services = service_containers("prod")
    assert set(services) == SERVICES
    for name, info in services.items():
        assert info["State"]["Health"]["Status"] == "healthy", name


def test_outputs_are_the_public_url_not_the_bind_address(prod):
    assert prod.first.outputs["url"] == "https://localhost:28443"
    assert prod.first.outputs["health_url"] == "https://localhost:28443/healthz"


def test_memory_and_cpu_limits_match_the_prod_config(prod):
    cfg = _prod_config()
    for name, info in service_containers("prod").items():
        want = cfg["postgres"]["backup"]["resources"] if name == "postgres-backup" else cfg[name]["resources"]
        host = info["HostConfig"]
        assert host["Memory"] == _mib(want["memory"]) << 20, name
        assert host["MemoryReservation"] == _mib(want["memoryReservation"]) << 20, name
        assert host["NanoCpus"] == int(float(want["cpus"]) * 1e9), name


def test_restart_policy_and_log_rotation_match_the_prod_config(prod):
    cfg = _prod_config()
    for name, info in service_containers("prod").items():
        host = info["HostConfig"]
        assert host["RestartPolicy"]["Name"] == cfg["restart"], name
        assert host["LogConfig"]["Type"] == "json-file", name
        assert host["LogConfig"]["Config"] == {
            "max-size": cfg["logging"]["maxSize"],
            "max-file": str(cfg["logging"]["maxFile"]),
        }, name


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_runs_as_a_non_root_user(prod, service):
    info = service_containers("prod")[service]
    assert info["Config"]["User"] not in ("", "root", "0", "0:0")
    status = docker_exec(info["Id"], "cat", "/proc/1/status")
    uid_line = next(line for line in status.stdout.splitlines() if line.startswith("Uid:"))
    assert all(uid != "0" for uid in uid_line.split()[1:]), uid_line


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_service_has_a_read_only_root_and_no_capabilities(prod, service):
    host = service_containers("prod")[service]["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert "no-new-privileges:true" in host["SecurityOpt"]


def test_no_secret_value_in_any_container_env_labels_or_command(prod):
    values = [v.strip() for v in prod.secret_values.values()]
    values += [line for v in prod.secret_values.values() for line in v.splitlines() if len(line) > 20 and "-----" not in line]
    for info in containers("prod"):
        config = info["Config"]
        exposed = "\n".join(
            [
                *(config.get("Env") or []),
                *(f"{k}={v}" for k, v in (config.get("Labels") or {}).items()),
                " ".join(config.get("Cmd") or []),
                " ".join(config.get("Entrypoint") or []),
            ]
        )
        for value in values:
            assert value not in exposed, f"a secret value is visible in {info['Name']}"


def test_no_secret_value_in_the_stack_state_its_backups_or_history(prod):
    backend = urlsplit(prod.env["PULUMI_BACKEND_URL"]).path
    files = [p for p in Path(backend).rglob("*") if p.is_file() and p.name != "passphrase"]
    assert any(p.name == "prod.json" for p in files)
    for path in files:
        text = path.read_text(errors="replace")
        for value in prod.secret_values.values():
            assert value.strip() not in text, f"a secret value is in plain text in {path}"


def test_only_the_proxy_publishes_ports(prod):
    for info in containers("prod"):
        published = {k: v for k, v in (info["HostConfig"].get("PortBindings") or {}).items() if v}
        if info["Config"]["Labels"].get("dev.standard-stack.component") == "proxy":
            assert set(published) == {"8080/tcp", "8443/tcp"}
        else:
            assert published == {}, info["Name"]


def test_the_api_connects_as_an_ordinary_role_that_owns_its_database(prod):
    """SQL injection in the app must not become a shell in the database container (COPY ... TO PROGRAM)."""
    pg = service_containers("prod")["postgres"]["Id"]
    user = urlsplit(prod.outputs()["database_url"]).username  # the role the API's DATABASE_URL names
    query = (
        "select r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, d.datdba::regrole::text"
        f" from pg_roles r, pg_database d where r.rolname = '{user}' and d.datname = 'app'"
    )
    seen = docker_exec(pg, "psql", "-U", "postgres", "-d", "app", "-Atc", query)
    assert seen.stdout.strip() == f"f|f|f|f|f|{user}", seen.stdout + seen.stderr
    password = prod.secret_values["postgresPassword"]
    copy = docker_exec(pg, "psql", f"postgresql://app:{password}@postgres:5432/app", "-c", "copy (select 1) to program 'id'")
    assert copy.returncode != 0 and "must be superuser or have privileges of the pg_execute_server_program role" in copy.stderr


def test_postgres_cannot_reach_outside_its_internal_network(prod):
    services = service_containers("prod")
    pg, proxy = services["postgres"], services["proxy"]
    with OutsideHost() as outside:
        assert connects(proxy["Id"], outside.address, outside.port), "control failed: the proxy cannot reach the outside host"
        assert not connects(pg["Id"], outside.address, outside.port)
        assert not connects(services["redis"]["Id"], outside.address, outside.port)
        time.sleep(0.5)
        assert len(outside.accepted) == 1  # the proxy's connection only
    web_ip = next(iter(services["web"]["NetworkSettings"]["Networks"].values()))["IPAddress"]
    assert connects(proxy["Id"], web_ip, 3000)  # control: frontend neighbours answer
    assert not connects(pg["Id"], web_ip, 3000)


def test_proxy_serves_https_and_redirects_http_to_the_configured_name(prod):
    status, _, body = http("GET", prod.first.outputs["health_url"])
    assert status == 200 and body.strip() == "ok"
    code, location = http_no_redirect("http://localhost:28080/anything")
    assert code in (301, 308) and location == "https://localhost:28443/anything"
    assert http("GET", prod.first.outputs["url"] + "/")[0] == 200


def test_http_redirect_never_reflects_a_foreign_host(prod):
    code, location = http_no_redirect("http://127.0.0.1:28080/anything", headers={"Host": "evil.example"})
    assert code == 421 and location == ""


def test_killing_the_api_process_brings_it_back_by_the_restart_policy(prod):
    before = service_containers("prod")["api"]
    os.kill(before["State"]["Pid"], signal.SIGKILL)

    def back_healthy():
        info = service_containers("prod")["api"]
        healthy = info["State"]["Running"] and info["State"].get("Health", {}).get("Status") == "healthy"
        return info["RestartCount"] > before["RestartCount"] and healthy and info

    after = wait_until(back_healthy, 120, "the API container restarted and healthy")
    assert after["Id"] == before["Id"]
    assert http("GET", prod.first.outputs["api_ready_url"])[0] == 200


@pytest.mark.parametrize("service", ["postgres", "redis", "api", "web", "proxy", "postgres-backup"])
def test_every_service_stops_cleanly_within_its_grace_period(prod, service):
    info = service_containers("prod")[service]
    stop_timeout = info["Config"]["StopTimeout"]
    assert stop_timeout == 20
    engine_api.post_json(f"/containers/{info['Id']}/stop", query={"t": stop_timeout}, timeout=stop_timeout + 30)
    stopped = engine_api.inspect("containers", info["Id"])["State"]
    logs = engine_api.container_logs(info["Id"], tail=50)
    engine_api.post_json(f"/containers/{info['Id']}/start")
    wait_until(
        lambda: engine_api.inspect("containers", info["Id"])["State"].get("Health", {}).get("Status") == "healthy",
        120,
        f"{service} healthy again",
    )
    print(f"\n{service}: exit code {stopped['ExitCode']}, OOMKilled {stopped['OOMKilled']}")
    assert stopped["ExitCode"] == 0, f"{service} exited {stopped['ExitCode']} (137 = killed after the grace period)\n{logs}"
    if service == "postgres":
        assert "database system is shut down" in logs
        restarted = engine_api.container_logs(info["Id"], tail=30)
        assert "not properly shut down" not in restarted and "automatic recovery" not in restarted


def test_destroy_refuses_while_data_is_protected_and_the_documented_path_keeps_the_volumes(prod):
    with pytest.raises(DeployFailed, match="protect"):
        prod.destroy()
    prod.cli("destroy", "--yes", "--exclude-protected")
    assert [c["Names"][0] for c in labelled("prod", "containers")] == []
    volumes = sorted(v["Name"] for v in labelled("prod", "volumes"))
    assert volumes == [
        "standard-stack-prod-postgres-backups",
        "standard-stack-prod-postgres-data",
        "standard-stack-prod-redis-data",
    ]
