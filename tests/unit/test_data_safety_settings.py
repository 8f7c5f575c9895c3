"""Data safety under mocks: scheduled Postgres backups, the protected backup volume, password rotation, aliases."""

from __future__ import annotations

import pulumi
import pytest

from stack_settings import ConfigError, parse
from standard_stack import PostgresBackupArgs, PostgresService, PostgresServiceArgs, RedisService, RedisServiceArgs, Runtime
from standard_stack._containers import COMPONENT_LABEL
from tests.support.one_shot import ONE_SHOT, one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program, run_stack
from tests.support.stacks import PROD_SECRETS, REPO, stack_config

VOLUME = "docker:index/volume:Volume"
PG_ROLES = REPO / "components" / "files" / "pg-roles.sh"
RUNTIME = Runtime(project="shop", stack="test")
DEV = {k.split(":", 1)[1]: v for k, v in stack_config(REPO / "Pulumi.dev.yaml").items()}


def containers(run):
    return {r.name: r for r in run.mocks.of_type(CONTAINER)}


def labels_of(container) -> dict[str, str]:
    return {lab["label"]: lab["value"] for lab in container.plain("labels")}


def env_of(container) -> dict[str, str]:
    return dict(e.split("=", 1) for e in container.plain("envs"))


@pytest.fixture(scope="module")
def prod():
    return run_stack("prod", secrets=PROD_SECRETS)


def test_prod_registers_the_backup_container_and_volume_under_the_postgres_component(prod):
    component = prod.monitor.urn_of("postgres", "standard-stack:index:PostgresService")
    for name, typ in (("postgres-backup", CONTAINER), ("postgres-backups", VOLUME), ("postgres-backup-files-loader", ONE_SHOT)):
        assert prod.options(name, typ).parent == component, name


def test_dev_registers_no_backup_unless_turned_on():
    dev = run_stack("dev")
    assert "postgres-backup" not in containers(dev)
    on = run_stack("dev", overrides={"standard-stack:postgres": {**DEV["postgres"], "backup": {"enabled": True}}})
    assert "postgres-backup" in containers(on)


def test_backup_container_is_labelled_with_its_own_component_kind(prod):
    labels = labels_of(containers(prod)["postgres-backup"])
    assert labels[COMPONENT_LABEL] == "postgres-backup"
    assert labels["dev.standard-stack.service"] == "postgres-backup"


def test_backup_container_runs_non_root_read_only_without_capabilities_or_ports(prod):
    backup = containers(prod)["postgres-backup"]
    assert backup.plain("user") == "999:0"
    assert backup.plain("readOnly") is True
    assert backup.plain("capabilities") == {"drops": ["ALL"]}
    assert backup.plain("securityOpts") == ["no-new-privileges:true"]
    assert not backup.plain("ports")


def test_backup_container_has_limits_from_the_stack_file(prod):
    backup = containers(prod)["postgres-backup"]
    assert (backup.plain("memory"), backup.plain("memoryReservation"), backup.plain("cpus")) == (256, 64, "0.5")


def test_backup_container_has_no_network_and_reaches_the_server_over_its_socket(prod):
    backup = containers(prod)["postgres-backup"]
    assert backup.plain("networkMode") == "none"
    assert not backup.plain("networksAdvanced")
    mounts = {v["containerPath"]: v for v in backup.plain("volumes")}
    assert mounts["/var/run/postgresql"]["volumeName"] == "standard-stack-prod-postgres-socket"
    assert (env_of(backup)["PGHOST"], env_of(backup)["PGUSER"]) == ("/var/run/postgresql", "postgres")


def test_backup_container_runs_the_script_from_its_file_bundle_on_the_configured_schedule(prod):
    backup = containers(prod)["postgres-backup"]
    assert backup.plain("entrypoints") == ["bash", "/opt/pg-backup/pg-backup.sh"]
    assert backup.plain("command") == ["loop"]
    env = env_of(backup)
    assert (env["BACKUP_INTERVAL_SECONDS"], env["BACKUP_KEEP_COUNT"], env["BACKUP_KEEP_DAYS"]) == ("86400", "14", "30")
    files = one_shot(prod.mocks, "postgres-backup-files-loader").files
    assert list(files) == ["/opt/pg-backup/pg-backup.sh"]
    assert "pg_dump --format=custom" in files["/opt/pg-backup/pg-backup.sh"]


def test_backup_health_check_is_the_scripts_freshness_check(prod):
    tests = containers(prod)["postgres-backup"].plain("healthcheck")["tests"]
    assert tests == ["CMD", "bash", "/opt/pg-backup/pg-backup.sh", "check"]


def test_backup_holds_no_password_in_env_or_files(prod):
    backup = containers(prod)["postgres-backup"]
    assert not backup.is_secret("envs")
    assert PROD_SECRETS["standard-stack:postgresPassword"] not in str(backup.plain("envs"))
    assert not [e for e in backup.plain("envs") if e.startswith(("PGPASS", "PASSWORD_FILE"))]
    assert "/run/secrets" not in {v["containerPath"] for v in backup.plain("volumes")}


def test_backup_volume_is_protected_and_retained_in_prod(prod):
    options = prod.options("postgres-backups", VOLUME)
    assert (options.protect, options.retain_on_delete) == (True, True)
    volume = next(v for v in prod.mocks.of_type(VOLUME) if v.name == "postgres-backups")
    assert volume.plain("name") == "standard-stack-prod-postgres-backups"
    mounts = {v["containerPath"]: v for v in containers(prod)["postgres-backup"].plain("volumes")}
    assert mounts["/var/lib/postgresql"]["volumeName"] == "standard-stack-prod-postgres-backups"


def test_backup_copy_to_a_host_directory_is_a_bind_mount_and_a_setting_of_the_script():
    def program():
        PostgresService(
            "db",
            PostgresServiceArgs(runtime=RUNTIME, network="net", backup=PostgresBackupArgs(copy_to="/srv/offsite")),
        )

    mocks = RecordingMocks()
    run_program(mocks, {}, stack="test", program=program)
    backup = next(c for c in mocks.of_type(CONTAINER) if c.name == "db-backup")
    assert {"hostPath": "/srv/offsite", "containerPath": "/mnt/backup-copy"} in backup.plain("volumes")
    assert "BACKUP_COPY_DIR=/mnt/backup-copy" in backup.plain("envs")


def test_backup_waits_for_a_healthy_postgres_and_its_roles(prod):
    assert prod.depends_on("postgres-backup", "postgres")
    assert prod.depends_on(
        "postgres-backup", "postgres-password-rotation", other_typ=ONE_SHOT
    )  # the superuser is `postgres` from then on


def test_the_roles_job_connects_over_the_socket_with_no_network_and_reads_the_password_file(prod):
    job = one_shot(prod.mocks, "postgres-password-rotation")
    assert job.network_mode == "none"
    assert dict(e.split("=", 1) for e in job.env) == {
        "PGHOST": "/var/run/postgresql",
        "PGDATABASE": "app",
        "APP_ROLE": "app",
        "PASSWORD_FILE": "/run/secrets/postgres_password",
    }
    (script,) = job.command
    assert "RENAME TO" in script and "NOSUPERUSER" in script  # files/pg-roles.sh
    assert PROD_SECRETS["standard-stack:postgresPassword"] not in script


def test_the_roles_job_runs_again_for_a_new_server_container(prod):
    """A new server may have a new data directory, whose app role is the bootstrap superuser again."""
    labels = one_shot(prod.mocks, "postgres-password-rotation").labels
    assert labels["dev.standard-stack.server"] == "postgres-id"  # the mocks give each resource the id <name>-id


def test_the_roles_job_never_logs_its_statements():
    """The ALTER ROLE ... PASSWORD must not reach the server's log, whatever log_statement says."""
    options = PG_ROLES.read_text().split('PGOPTIONS="', 1)[1].split('"', 1)[0]
    for setting in ("log_statement=none", "log_min_error_statement=panic", "log_min_duration_statement=-1"):
        assert f"-c {setting}" in options


@pytest.mark.parametrize("user", ["postgres", "standard_stack_provision", "pg_monitor"])
def test_a_reserved_role_name_for_the_app_is_refused(user):
    with pytest.raises(ValueError, match=f"user '{user}' is reserved"):
        PostgresServiceArgs(runtime=RUNTIME, network="n", user=user)


def test_a_reserved_role_name_in_the_stack_file_is_refused_naming_the_key():
    with pytest.raises(ConfigError) as refused:
        parse({**DEV, "postgres": {**DEV["postgres"], "user": "postgres"}}, source="Pulumi.test.yaml")
    assert "standard-stack:postgres.user: user 'postgres' is reserved" in str(refused.value)


@pytest.mark.parametrize(
    ("backup", "fragments"),
    [
        ({"copyTo": "backups/offsite"}, ["standard-stack:postgres.backup.copyTo", "/mnt/offsite/standard-stack"]),
        ({"intervalMinutes": 0}, ["standard-stack:postgres.backup.intervalMinutes", "greater than or equal to 1"]),
        ({"keepCount": 0}, ["standard-stack:postgres.backup.keepCount"]),
        ({"schedule": "daily"}, ["standard-stack:postgres.backup.schedule: unknown setting"]),
    ],
    ids=["relative copyTo", "zero interval", "zero keepCount", "unknown key"],
)
def test_bad_backup_settings_are_refused_naming_the_key(backup, fragments):
    with pytest.raises(ConfigError) as refused:
        parse({**DEV, "postgres": {**DEV["postgres"], "backup": backup}}, source="Pulumi.test.yaml")
    for fragment in fragments:
        assert fragment in str(refused.value)


def test_backups_default_to_on_in_prod_and_off_in_dev():
    assert parse(DEV).postgres_backup_enabled is False
    prod = {k.split(":", 1)[1]: v for k, v in stack_config(REPO / "Pulumi.prod.yaml").items()}
    keys = frozenset({"postgresPassword", "redisPassword", "tlsCertificate", "tlsPrivateKey"})
    assert parse({**prod, **{k: "x" for k in keys}}, secret_keys=keys).postgres_backup_enabled is True
    off = {**prod, "postgres": {**prod["postgres"], "backup": {"enabled": False}}, **{k: "x" for k in keys}}
    assert parse(off, secret_keys=keys).postgres_backup_enabled is False


def test_password_rotation_job_runs_over_the_shared_socket_with_no_network(prod):
    job = one_shot(prod.mocks, "postgres-password-rotation")
    assert job.network_mode == "none"
    assert (job.user, job.host_config["ReadonlyRootfs"], job.host_config["RestartPolicy"]) == ("999:0", True, {"Name": "no"})
    assert job.mounts == {
        "/var/run/postgresql": ("standard-stack-prod-postgres-socket", False),
        "/run/secrets": ("standard-stack-prod-postgres-secrets-files", True),
    }
    server = {v["containerPath"]: v["volumeName"] for v in containers(prod)["postgres"].plain("volumes")}
    assert server["/var/run/postgresql"] == "standard-stack-prod-postgres-socket"


def test_password_rotation_alters_the_owner_role_from_the_password_file_never_from_arguments(prod):
    job = one_shot(prod.mocks, "postgres-password-rotation")
    (script,) = job.command
    assert '\\set pw `cat "$PASSWORD_FILE"`' in script and "PASSWORD :'pw';" in script
    assert "APP_ROLE=app" in job.env
    assert not job.registered.is_secret("spec") and job.files == {}
    assert PROD_SECRETS["standard-stack:postgresPassword"] not in str(job.spec)


def test_password_rotation_reruns_whenever_the_password_file_changes(prod):
    labels = one_shot(prod.mocks, "postgres-password-rotation").labels
    assert labels["dev.standard-stack.files-revision"] == "postgres-secrets-files-loader-id"  # the loader's id
    assert labels[COMPONENT_LABEL] == "postgres-rotation"


def test_a_new_password_does_not_restart_the_database_server(prod):
    assert "dev.standard-stack.files-revision" not in labels_of(containers(prod)["postgres"])


def test_the_api_starts_only_after_the_password_rotation(prod):
    assert prod.depends_on("postgres-password-rotation", "postgres", typ=ONE_SHOT)
    assert prod.depends_on("api-migrate", "postgres-password-rotation", other_typ=ONE_SHOT)
    assert prod.depends_on("api", "postgres-password-rotation", other_typ=ONE_SHOT)


def test_a_failed_password_rotation_fails_the_deploy_saying_the_old_password_stays():
    """The run fails the deploy with its exit code and log (one_shot.run, the engine tier); the program says what
    failed and what that means for the password."""
    mocks = RecordingMocks()

    def program():
        PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="net"))
        RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net"))

    run_program(mocks, {}, stack="test", program=program)
    told = {
        name: (one_shot(mocks, name).description, one_shot(mocks, name).consequence)
        for name in ("db-password-rotation", "cache-password-rotation")
    }
    assert told == {
        "db-password-rotation": ("db: password rotation", "the role keeps its old password"),
        "cache-password-rotation": ("cache: password rotation", "the server keeps its old password"),
    }


def test_a_renamed_postgres_keeps_its_docker_volumes_and_aliases_its_old_resources():
    """The engine derives each child's alias from the component's (pulumi/pulumi step_generator.go,
    inheritedChildAlias: a child named "<parent>-…" is aliased to "<old parent>-…"), so `main-db-data`
    is the old `postgres-data`; `docker_name` keeps the volumes' Docker names, so nothing is replaced."""

    def program():
        PostgresService(
            "main-db",
            PostgresServiceArgs(runtime=RUNTIME, network="net", docker_name="postgres", backup=PostgresBackupArgs()),
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="postgres")]),
        )

    run = run_program(RecordingMocks(), {}, stack="test", program=program)
    component = run.options("main-db", "standard-stack:index:PostgresService")
    assert len(component.aliases) == 1 and 'name: "postgres"' in component.aliases[0]
    volumes = {v.name: v.plain("name") for v in run.mocks.of_type(VOLUME)}
    assert volumes["main-db-data"] == "shop-test-postgres-data"
    assert volumes["main-db-backups"] == "shop-test-postgres-backups"
    children = [r.name for r in run.mocks.registered if r.name != "main-db"]
    assert all(name.startswith("main-db-") for name in children), children


def test_redis_password_rotation_reads_the_old_password_before_the_new_files_replace_it(prod):
    assert prod.depends_on("redis-secrets-files-loader", "redis-password-rotation", typ=ONE_SHOT, other_typ=ONE_SHOT)
    assert prod.depends_on("redis-password-rotation", "redis-rotation-files-loader", typ=ONE_SHOT, other_typ=ONE_SHOT)
    job = one_shot(prod.mocks, "redis-password-rotation")
    assert job.mounts == {
        "/run/secrets": ("standard-stack-prod-redis-secrets-files", True),
        "/run/rotation": ("standard-stack-prod-redis-rotation-files", True),
    }
    (script,) = job.command
    assert '-x CONFIG SET requirepass <"$new"' in script and 'REDISCLI_AUTH="$(cat "$old")"' in script
    assert PROD_SECRETS["standard-stack:redisPassword"] not in str(job.spec) and job.files == {}


def test_a_new_redis_password_does_not_replace_the_redis_server(prod):
    labels = labels_of(containers(prod)["redis"])
    assert "dev.standard-stack.files-revision" not in labels
    other = run_stack("prod", secrets={**PROD_SECRETS, "standard-stack:redisPassword": "another-password-1a2b3c"})
    assert labels_of(containers(other)["redis"]) == labels


def test_a_new_redis_memory_limit_still_replaces_the_redis_server(prod):
    prod_cfg = {k.split(":", 1)[1]: v for k, v in stack_config(REPO / "Pulumi.prod.yaml").items()}
    smaller = {"standard-stack:redis": {**prod_cfg["redis"], "maxmemory": "128Mi"}}
    other = run_stack("prod", overrides=smaller, secrets=PROD_SECRETS)
    key = "dev.standard-stack.config-revision"
    assert labels_of(containers(other)["redis"])[key] != labels_of(containers(prod)["redis"])[key]


def test_redis_url_is_what_an_app_takes_as_redis_url_with_the_password_percent_encoded():
    def program():
        pulumi.export("url", RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net", password="p@ss/w:rd?#%")).url)

    run = run_program(RecordingMocks(), {}, stack="test", program=program)
    assert run.values["url"] == "redis://:p%40ss%2Fw%3Ard%3F%23%25@redis:6379/0"
    assert run.secret["url"]
