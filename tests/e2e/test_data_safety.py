"""Data safety through the real CLI: scheduled backups, a restore drill after a lost disk, password rotation, kept backups.

One stack (`dev-ds`, its own ports 38xxx) in scenario order: backups are taken and observable, a failing
backup is loud, the data volume is lost and restored with scripts/restore-postgres, the Postgres and
Redis passwords are rotated under a request loop, and `pulumi destroy --exclude-protected` leaves the
backups behind.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
import uuid

import engine_api
import pytest
from deploy import PROJECT, REPO, Deployment, claim_stack, labelled
from pulumi import automation as auto
from stack import RequestLoop, docker_exec, http, service_containers, wait_until

pytestmark = pytest.mark.e2e

STACK = "dev-ds"
HTTP_PORT = 38180
SCRIPT = "/opt/pg-backup/pg-backup.sh"
DUMP = re.compile(r"\bapp-\d{8}T\d{6}Z\.dump\b")


@pytest.fixture(scope="module")
def copy_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("offsite")
    os.chown(path, 999, 0)  # the backup container's user writes the off-host copies
    return path


@pytest.fixture(scope="module")
def ds(toolchain, tmp_path_factory, copy_dir):
    claim_stack(STACK)
    overrides = {
        "protectData": True,
        "networks": {"backendInternal": True},
        "postgres": {
            "hostPort": None,
            "backup": {"enabled": True, "intervalMinutes": 60, "keepCount": 3, "copyTo": str(copy_dir)},
        },
        "redis": {"hostPort": None},
        "proxy": {"httpPort": HTTP_PORT},
        "publicUrl": f"http://localhost:{HTTP_PORT}",
    }
    run = Deployment("dev", tmp_path_factory.mktemp("ds"), overrides=overrides, name=STACK)
    try:
        run.first = run.up()
        yield run
    finally:
        run.teardown()


def script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "scripts" / name), *args], capture_output=True, text=True, timeout=600)


def backup_container() -> dict:
    return service_containers(STACK)["postgres-backup"]


def create_item(base: str, name: str) -> int:
    status, _, body = http("POST", f"{base}/api/items", {"name": name, "description": "drill"})
    assert status == 201, body
    return int(re.search(r'"id":(\d+)', body).group(1))


@pytest.mark.oldest_engine
def test_the_stack_with_backups_deploys_and_a_second_deploy_changes_nothing(ds):
    assert ds.first.actions["postgres-backup"] == "create"
    ds.expect_no_changes()


def test_the_backup_container_runs_the_first_backup_at_start_and_reports_healthy(ds):
    info = wait_until(
        lambda: (b := backup_container())["State"]["Health"]["Status"] == "healthy" and b, 120, "a healthy backup container"
    )
    logs = engine_api.container_logs(info["Id"])
    assert re.search(r"pg-backup: ok database=app size=\d+ duration=[\d.]+s file=/var/lib/postgresql/backups/app-", logs), logs


def test_the_backup_container_runs_non_root_read_only_without_a_network(ds):
    info = backup_container()
    assert info["Config"]["User"] == "999:0"
    assert info["HostConfig"]["ReadonlyRootfs"] is True and info["HostConfig"]["CapDrop"] == ["ALL"]
    assert not info["HostConfig"]["PortBindings"]
    assert info["HostConfig"]["NetworkMode"] == "none"


def test_the_backup_container_holds_no_password(ds):
    """It reaches the server over its socket as the superuser: no password file, no pgpass to leak."""
    info = backup_container()
    assert "/run/secrets" not in {m["Destination"] for m in info["Mounts"]}
    assert not any(e.startswith(("PGPASSWORD", "PASSWORD_FILE", "PGPASSFILE")) for e in info["Config"]["Env"])
    scratch = docker_exec(info["Id"], "ls", "-A", "/tmp")
    assert scratch.returncode == 0 and "pgpass" not in scratch.stdout, scratch.stdout


def test_the_apps_role_is_an_ordinary_role_that_owns_its_database(ds):
    pg = service_containers(STACK)["postgres"]["Id"]
    query = (
        "select r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, d.datdba::regrole::text"
        " from pg_roles r, pg_database d where r.rolname = 'app' and d.datname = 'app'"
    )
    seen = docker_exec(pg, "psql", "-U", "postgres", "-d", "app", "-Atc", query)
    assert seen.stdout.strip() == "f|f|f|f|f|app", seen.stdout + seen.stderr
    admin = docker_exec(
        pg, "psql", "-U", "postgres", "-d", "app", "-Atc", "select rolpassword is null from pg_authid where oid = 10"
    )
    assert admin.stdout.strip() == "t"  # the superuser has no password: the socket is its only way in


@pytest.mark.oldest_engine
def test_restore_drill_brings_items_back_after_the_data_volume_is_lost(ds, copy_dir):
    base = ds.first.outputs["url"]
    names = [f"drill-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    ids = [create_item(base, n) for n in names]

    began = time.monotonic()
    taken = script("backup-postgres", STACK)
    backup_seconds = time.monotonic() - began
    assert taken.returncode == 0, taken.stdout + taken.stderr
    listed = script("restore-postgres", STACK)
    assert listed.returncode == 0, listed.stderr
    newest = sorted(DUMP.findall(listed.stdout))[-1]
    assert (copy_dir / newest).is_file()  # the off-host copy

    # a dead disk: the server and its data volume are gone
    postgres = service_containers(STACK)["postgres"]
    engine_api.delete(f"/containers/{postgres['Id']}", {"force": 1})
    engine_api.delete(f"/volumes/standard-stack-{STACK}-postgres-data")
    ds.refresh()
    outcome = ds.up()
    assert outcome.actions["postgres"] == "create" and outcome.actions["postgres-data"] == "create"
    assert http("GET", f"{base}/api/items/{ids[0]}")[0] != 200  # empty database: the items are gone

    began = time.monotonic()
    restored = script("restore-postgres", STACK, newest)
    restore_seconds = time.monotonic() - began
    assert restored.returncode == 0, restored.stdout + restored.stderr
    print(
        f"\nbackup (pg_dump -Fc, small db): {backup_seconds:.2f}s;"
        f" restore incl. API stop/start and health: {restore_seconds:.2f}s"
    )

    for item_id, name in zip(ids, names, strict=True):
        status, _, body = http("GET", f"{base}/api/items/{item_id}")
        assert status == 200 and name in body, body
    assert http("GET", f"{base}/api/health/ready")[0] == 200
    assert service_containers(STACK)["api"]["State"]["Health"]["Status"] == "healthy"
    ds.expect_no_changes()


def test_restore_refuses_an_unknown_backup_name_and_leaves_the_api_running(ds):
    refused = script("restore-postgres", STACK, "app-20000101T000000Z.dump")
    assert refused.returncode != 0 and "no backup named 'app-20000101T000000Z.dump'" in refused.stderr
    assert service_containers(STACK)["api"]["State"]["Running"] is True


HOSTILE = "host=127.0.0.1 port=9 dbname=app"  # a connection string if read as one: a port no one listens on
ESCAPE = "../escape"  # the backup volume's root, outside backups/, is writable


def psql_admin(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    pg = service_containers(STACK)["postgres"]["Id"]
    cmd = [engine_api.DOCKER_CLI, "exec", "-i", pg, "psql", "-X", "-U", "postgres", "-v", "ON_ERROR_STOP=1", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60)


@pytest.fixture
def hostile_databases(ds):
    """Databases named like a connection string and like a path, each holding one marker row."""
    for name in (HOSTILE, ESCAPE):
        made = psql_admin("-d", "postgres", "-v", f"name={name}", stdin='CREATE DATABASE :"name";\n')
        assert made.returncode == 0, made.stderr
        filled = psql_admin(
            "-d", f"dbname='{name}'", "-c", f"create table marker(v text); insert into marker values ('in {name}')"
        )
        assert filled.returncode == 0, filled.stderr
    yield
    for name in (HOSTILE, ESCAPE):
        psql_admin("-d", "postgres", "-v", f"name={name}", stdin='DROP DATABASE IF EXISTS :"name" WITH (FORCE);\n')


def test_databases_named_like_a_connection_string_or_a_path_are_backed_up_under_safe_file_names(ds, hostile_databases):
    taken = script("backup-postgres", STACK)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    for name, safe in ((HOSTILE, "host%3D127.0.0.1%20port%3D9%20dbname%3Dapp"), (ESCAPE, "%2E.%2Fescape")):
        assert re.search(rf"pg-backup: ok database={re.escape(safe)} size=\d+ ", taken.stdout), taken.stdout
        dump = re.search(rf"{re.escape(safe)}-\d{{8}}T\d{{6}}Z\.dump", taken.stdout).group(0)
        # the dump is that database's own content: its name was never read as a connection string
        listing = docker_exec(
            backup_container()["Id"], "pg_restore", "--data-only", "-f", "-", f"/var/lib/postgresql/backups/{dump}"
        )
        assert f"in {name}" in listing.stdout, listing.stdout + listing.stderr
    outside = docker_exec(
        backup_container()["Id"], "bash", "-c", "ls /tmp /var/lib/postgresql /var/lib /var 2>&1 | grep -c escape || true"
    )
    assert outside.stdout.strip() == "0", "a database's name wrote outside the backup directory"


def test_a_database_named_like_a_connection_string_is_restored_into_itself(ds, hostile_databases):
    taken = script("backup-postgres", STACK)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    dump = re.search(r"host%3D127\.0\.0\.1%20port%3D9%20dbname%3Dapp-\d{8}T\d{6}Z\.dump", taken.stdout).group(0)
    emptied = psql_admin("-d", f"dbname='{HOSTILE}'", "-c", "delete from marker")
    assert emptied.returncode == 0, emptied.stderr
    restored = script("restore-postgres", STACK, dump)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    marker = psql_admin("-d", f"dbname='{HOSTILE}'", "-Atc", "select v from marker")
    assert marker.stdout.strip() == f"in {HOSTILE}", marker.stdout + marker.stderr


def test_a_failing_backup_is_not_silent(ds):
    postgres = service_containers(STACK)["postgres"]
    assert engine_api.cli("stop", postgres["Id"]).returncode == 0
    try:
        failed = script("backup-postgres", STACK)
        assert failed.returncode != 0
        assert "FAILED step=list-databases" in failed.stdout
        check = docker_exec(backup_container()["Id"], "bash", SCRIPT, "check")
        assert check.returncode == 1 and "last backup run failed" in check.stdout
    finally:
        assert engine_api.cli("start", postgres["Id"]).returncode == 0
        wait_until(lambda: service_containers(STACK)["postgres"]["State"]["Health"]["Status"] == "healthy", 90, "postgres")
    assert script("backup-postgres", STACK).returncode == 0
    assert docker_exec(backup_container()["Id"], "bash", SCRIPT, "check").returncode == 0


def test_retention_keeps_the_newest_by_count_and_drops_old_ones_by_age(ds, copy_dir):
    for _ in range(4):
        time.sleep(1.1)  # one dump per second at most: names carry the second
        assert script("backup-postgres", STACK).returncode == 0
    dumps = sorted(DUMP.findall(script("restore-postgres", STACK).stdout))
    assert len(dumps) == 3  # keepCount
    assert sorted(p.name for p in copy_dir.glob("app-*.dump")) == dumps  # the off-host copy is pruned alike
    aged = dumps[1]  # within keepCount after the next run, so only its age can remove it
    path = f"/var/lib/postgresql/backups/{aged}"
    assert docker_exec(backup_container()["Id"], "touch", "-d", "40 days ago", path).returncode == 0
    time.sleep(1.1)
    assert script("backup-postgres", STACK).returncode == 0
    left = sorted(DUMP.findall(script("restore-postgres", STACK).stdout))
    # the new dump, dumps[2]; dumps[1] is older than keepDays (30), dumps[0] beyond keepCount (3)
    assert left[:-1] == [dumps[2]] and left[-1] > dumps[2]


def current_password(ds, output: str) -> str:
    url = ds.outputs()[output]  # postgresql://app:<pw>@postgres:5432/app, redis://:<pw>@redis:6379/0
    return re.match(r"^[a-z]+://[^:]*:([^@]*)@", url).group(1)


def postgres_login(password: str) -> subprocess.CompletedProcess:
    """A password login over the backend network (the server's own address, never loopback, which the
    official pg_hba.conf trusts), from the server container (it has psql)."""
    return docker_exec(
        service_containers(STACK)["postgres"]["Id"],
        "psql",
        f"postgresql://app:{password}@postgres:5432/app",
        "-Atc",
        "select 'login ok'",
    )


def rotate(ds, key: str, loop_urls: list[str]):
    new = secrets.token_urlsafe(18)
    ds.stack.set_config(f"{PROJECT}:{key}", auto.ConfigValue(value=new, secret=True))
    with RequestLoop(loop_urls, interval=0.05) as loop:
        outcome = ds.up()
    print(f"\n{key} rotation: {len(loop.failures)} failed of {loop.total} requests through the proxy {loop.failures[:5]}")
    return new, outcome, loop


ROTATED: dict[str, str] = {}


@pytest.mark.oldest_engine
def test_rotating_the_postgres_password_updates_the_running_role_before_the_api_starts(ds):
    base = ds.first.outputs["url"]
    item_id = create_item(base, f"rotate-{uuid.uuid4().hex[:8]}")
    old = current_password(ds, "database_url")
    server = service_containers(STACK)["postgres"]["Id"]
    # every statement and every failing statement logged, as an operator chasing a problem might set it
    logging = psql_admin("-d", "postgres", stdin=LOG_EVERYTHING)
    assert logging.returncode == 0, logging.stderr

    new, outcome, loop = rotate(ds, "postgresPassword", [f"{base}/api/items/{item_id}", f"{base}/api/health/ready"])
    ROTATED["postgres"] = new

    assert outcome.actions["postgres-password-rotation"] == "replace"
    assert service_containers(STACK)["postgres"]["Id"] == server  # the database kept running
    assert postgres_login(new).stdout.strip() == "login ok"
    refused = postgres_login(old)
    assert refused.returncode != 0 and "password authentication failed" in refused.stderr
    assert http("GET", f"{base}/api/items/{item_id}")[0] == 200
    assert http("GET", f"{base}/api/health/ready")[0] == 200
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"
    ds.expect_no_changes()


LOG_EVERYTHING = """
ALTER SYSTEM SET log_statement = 'all';
ALTER SYSTEM SET log_min_error_statement = 'debug5';
ALTER SYSTEM SET log_min_duration_statement = 0;
SELECT pg_reload_conf();
"""


def test_the_rotated_postgres_password_never_reaches_the_servers_log(ds):
    new = ROTATED["postgres"]
    server = service_containers(STACK)["postgres"]["Id"]
    logged = psql_admin("-d", "postgres", "-c", "select 'log marker ' || 'seen'")
    assert logged.returncode == 0
    logs = engine_api.container_logs(server)
    assert "statement: select 'log marker '" in logs, "control failed: the server does not log statements"
    assert new not in logs
    psql_admin("-d", "postgres", stdin="ALTER SYSTEM RESET ALL;\nSELECT pg_reload_conf();\n")


@pytest.mark.oldest_engine
def test_rotating_the_redis_password_sets_it_in_the_running_server_and_refuses_the_old_one(ds):
    base = ds.first.outputs["url"]
    item_id = create_item(base, f"rotate-{uuid.uuid4().hex[:8]}")
    old = current_password(ds, "redis_url")

    server = service_containers(STACK)["redis"]["Id"]

    new, outcome, loop = rotate(ds, "redisPassword", [f"{base}/api/items/{item_id}", f"{base}/api/health/ready"])

    assert outcome.actions["redis-password-rotation"] == "replace"
    redis = service_containers(STACK)["redis"]["Id"]
    assert redis == server  # the new password was set in the running server
    assert docker_exec(redis, "redis-cli", "--no-auth-warning", "-a", new, "ping").stdout.strip() == "PONG"
    refused = docker_exec(redis, "redis-cli", "--no-auth-warning", "-a", old, "ping")
    assert "WRONGPASS" in refused.stderr and "PONG" not in refused.stdout
    assert http("GET", f"{base}/api/health/ready")[0] == 200
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"
    ds.expect_no_changes()


def test_destroy_excluding_protected_resources_leaves_the_backups(ds):
    ds.cli("destroy", "--yes", "--skip-preview", "--exclude-protected")
    volumes = {v["Name"] for v in labelled(STACK, "volumes")}
    assert f"standard-stack-{STACK}-postgres-backups" in volumes
    assert f"standard-stack-{STACK}-postgres-data" in volumes
    assert not [c for c in labelled(STACK, "containers") if c["State"] == "running"]
