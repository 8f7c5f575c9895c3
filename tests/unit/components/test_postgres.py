"""PostgresService on a Docker host and on Swarm, under mocks.

Databases and roles per app: test_postgres_databases.py; what it shares with Redis: test_data_service.py.
"""

from __future__ import annotations

import base64

import pulumi

from standard_stack import PostgresService, PostgresServiceArgs
from tests.support.one_shot import one_shot
from tests.unit.components.harness import CONFIG, RUNTIME, SERVICE, containers, graph, run, run_data


def test_postgres_generates_a_password_when_none_is_given_and_delivers_it_as_a_file():
    _result, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    assert [r.name for r in mocks.of_type("random:index/randomPassword:RandomPassword")] == ["db-password"]
    env = containers(mocks)["db"].plain("envs")
    assert "POSTGRES_PASSWORD_FILE=/run/secrets/postgres_password" in env
    assert not any(e.startswith("POSTGRES_PASSWORD=") for e in env)
    files = one_shot(mocks, "db-secrets-files-loader").files  # root-owned 0440 (the provider's)
    assert files["/run/secrets/postgres_password"] == "generated-db-password-0123456789abcdef"


def test_postgres_uses_a_given_password_and_registers_no_generator():
    _, mocks = run(
        lambda: PostgresService(
            "db", PostgresServiceArgs(runtime=RUNTIME, network="net", password=pulumi.Output.secret("s3cret"))
        )
    )
    assert mocks.of_type("random:index/randomPassword:RandomPassword") == []
    assert one_shot(mocks, "db-secrets-files-loader").files["/run/secrets/postgres_password"] == "s3cret"


def test_postgres_init_sql_is_mounted_read_only_at_the_initdb_directory():
    _, mocks = run(
        lambda: PostgresService(
            "db", PostgresServiceArgs(runtime=RUNTIME, network="net", init_sql={"01-ext.sql": "CREATE EXTENSION pgcrypto;"})
        )
    )
    mounts = {v["containerPath"]: v for v in containers(mocks)["db"].plain("volumes")}
    assert mounts["/docker-entrypoint-initdb.d"]["readOnly"] is True
    assert mounts["/var/lib/postgresql/data"]["volumeName"] == "shop-test-db-data"


def test_postgres_health_check_asks_pg_isready_for_its_own_database():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net", user="u", database="d")))
    assert containers(mocks)["db"].plain("healthcheck")["tests"] == [
        "CMD",
        "pg_isready",
        "-h",
        "127.0.0.1",
        "-p",
        "5432",
        "-U",
        "u",
        "-d",
        "d",
    ]


def test_postgres_runs_as_its_own_user_on_a_read_only_root_with_no_capabilities():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    db = containers(mocks)["db"]
    assert db.plain("user") == "999:0"
    assert db.plain("readOnly") is True
    assert set(db.plain("tmpfs")) == {"/tmp"}
    assert {"volumeName": "shop-test-db-socket", "containerPath": "/var/run/postgresql"} in db.plain("volumes")
    assert db.plain("capabilities") == {"drops": ["ALL"]}


def test_postgres_stops_with_its_fast_shutdown_signal_as_pid_1():
    _, mocks = run(lambda: PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net")))
    db = containers(mocks)["db"]
    assert db.plain("init") is False and db.plain("stopSignal") == "SIGINT"
    assert db.plain("stopTimeout") == RUNTIME.stop_grace_seconds == db.plain("destroyGraceSeconds")


# --- on target swarm


def test_postgres_on_swarm_registers_its_image_a_password_secret_and_one_service_nothing_else():
    run, mocks = run_data("postgres")
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("PostgresService", "postgres", [], False),
            ("RemoteImage", "postgres-image", [], False),
            ("Secret", "postgres-secret-postgres-password", [], False),
            ("ServiceConfig", "postgres-config-pg-roles.sh", [], False),
            (
                "Service",
                "postgres",
                sorted(["postgres-image", "postgres-secret-postgres-password", "postgres-config-pg-roles.sh"]),
                True,
            ),
        ]
    )


def test_postgres_reads_its_password_from_a_docker_secret_never_from_the_environment():
    _, mocks = run_data("postgres")
    spec = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]
    assert [(s["fileName"], s["fileMode"]) for s in spec["secrets"]] == [("postgres_password", 0o440)]
    assert spec["env"] == {
        "POSTGRES_DB": "app",
        "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password",
        "POSTGRES_USER": "app",
    }
    assert "pw-1" not in str(spec)
    secret = mocks.named("postgres-secret-postgres-password")
    assert secret.is_secret("data") and base64.b64decode(secret.plain("data")) == b"pw-1"


def test_the_postgres_task_makes_the_app_role_ordinary_with_the_secret_password_and_is_healthy_only_after():
    _, mocks = run_data("postgres")
    spec = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]
    command, script = spec["commands"][:2], spec["commands"][2]
    assert command == ["bash", "-c"]
    roles = base64.b64decode(mocks.named("postgres-config-pg-roles.sh", CONFIG).plain("data")).decode()
    assert "NOSUPERUSER" in roles and "RENAME TO" in roles  # files/pg-roles.sh, as on the host
    assert 'PASSWORD_FILE="$POSTGRES_PASSWORD_FILE" bash /opt/pg-roles/pg-roles.sh' in script
    # the real server (TCP), not the entrypoint's socket-only one while it initialises the data directory
    assert script.index("pg_isready -q -h 127.0.0.1") < script.index("bash /opt/pg-roles/pg-roles.sh")
    assert script.index("( apply & )") < script.index("exec docker-entrypoint.sh postgres")
    assert spec["healthcheck"]["tests"][-1].endswith("&& test -f /tmp/password-applied")
    assert (spec["init"], spec["stopSignal"]) == (True, "SIGINT")


def test_postgres_init_sql_is_docker_configs_in_the_entrypoints_directory():
    _, mocks = run_data("postgres", init_sql={"01_schema.sql": "CREATE TABLE t (id int);"})
    config = mocks.named("postgres-config-01-schema.sql", CONFIG)
    assert base64.b64decode(config.plain("data")) == b"CREATE TABLE t (id int);"
    refs = mocks.named("postgres", SERVICE).plain("taskSpec")["containerSpec"]["configs"]
    assert [r for r in refs if r["fileName"] != "/opt/pg-roles/pg-roles.sh"] == [
        {
            "configId": "postgres-config-01-schema.sql-id",
            "fileName": "/docker-entrypoint-initdb.d/01_schema.sql",
            "fileUid": "0",
            "fileGid": "0",
            "fileMode": 0o440,
        }
    ]
