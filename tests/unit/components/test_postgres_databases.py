"""A database and role of its own per app on one shared PostgreSQL server (``app_databases``), under mocks.

On the engine (each role reaches its own database only, rotation in place): tests/e2e/test_app_databases.py.
"""

from __future__ import annotations

import base64

import pulumi
import pytest
from pydantic import ValidationError

from standard_stack import AppDatabase, PostgresService, PostgresServiceArgs, Runtime
from tests.support.one_shot import one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program
from tests.support.stacks import REPO

RUNTIME = Runtime(project="shop", stack="test")
PG_ROLES = REPO / "components" / "files" / "pg-roles.sh"
PG_APP_DATABASES = REPO / "components" / "files" / "pg-app-databases.sh"
GIVEN = "p@ss/w:rd?#%"


def deploy(**settings):
    """Runs a PostgresService ``db`` with ``settings``; exports its url and connections."""

    def program():
        db = PostgresService("db", PostgresServiceArgs(runtime=RUNTIME, network="back", **settings))
        pulumi.export("url", db.url)
        pulumi.export("connections", {app: c.outputs() for app, c in db.connections.items()})

    return run_program(RecordingMocks(), {}, stack="test", program=program)


def two_apps(**shop):
    return {
        "shop": AppDatabase(database="shop", user="shop", **shop),
        "blog": AppDatabase(database="blog_db", user="blog"),
    }


@pytest.fixture(scope="module")
def run():
    return deploy(app_databases=two_apps(password=GIVEN))


def roles_job(run):
    return one_shot(run.mocks, "db-password-rotation")


def env_of(job) -> dict[str, str]:
    return dict(e.split("=", 1) for e in job.env)


def test_without_app_databases_the_roles_job_is_the_default_roles_script_alone():
    job = roles_job(deploy())
    assert job.command == [PG_ROLES.read_text()]
    assert "APP_DATABASES" not in env_of(job)


def test_the_roles_job_creates_each_apps_role_and_database_after_the_default_role(run):
    (script,) = roles_job(run).command
    assert script == PG_ROLES.read_text() + "\n" + PG_APP_DATABASES.read_text()
    assert env_of(roles_job(run))["APP_DATABASES"] == (
        "shop:shop:/run/secrets/app-db-shop-password blog:blog_db:/run/secrets/app-db-blog-password"
    )


def test_each_app_role_is_ordinary_and_owns_its_database_which_no_other_role_may_connect_to():
    script = PG_APP_DATABASES.read_text()
    assert "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw'" in script
    assert "CREATE DATABASE %I OWNER %I" in script and 'ALTER DATABASE :"database" OWNER TO :"role"' in script
    assert 'REVOKE CONNECT, TEMPORARY ON DATABASE :"database" FROM PUBLIC' in script


def test_app_passwords_are_files_in_the_servers_secret_bundle_never_in_the_jobs_config(run):
    loader = one_shot(run.mocks, "db-secrets-files-loader")  # root-owned 0440 (the provider's)
    assert loader.files["/run/secrets/app-db-shop-password"] == GIVEN
    assert "/run/secrets/app-db-blog-password" in loader.files
    assert loader.files_are_secret
    job = roles_job(run)
    assert job.files == {} and job.mounts["/run/secrets"] == (loader.mounts["/run/secrets"][0], True)
    assert GIVEN not in str(job.spec) and "generated-" not in str(job.spec)


def test_a_changed_app_password_reruns_the_roles_job_and_leaves_the_server_alone(run):
    labels = roles_job(run).labels
    assert labels["dev.standard-stack.files-revision"] == "db-secrets-files-loader-id"
    server = {lab["label"] for lab in run.mocks.named("db", CONTAINER).plain("labels")}
    assert "dev.standard-stack.files-revision" not in server


def test_a_missing_app_password_is_generated_per_app(run):
    generated = [r.name for r in run.mocks.of_type("random:index/randomPassword:RandomPassword")]
    assert sorted(generated) == ["db-blog-db-password", "db-password"]


def test_each_app_gets_a_secret_url_with_its_password_percent_encoded(run):
    shop = run.values["connections"]["shop"]
    assert shop["url"] == "postgresql://shop:p%40ss%2Fw%3Ard%3F%23%25@postgres:5432/shop"
    assert (shop["host"], shop["port"], shop["database"], shop["user"]) == ("postgres", 5432, "shop", "shop")
    assert run.values["connections"]["blog"]["url"] == (
        "postgresql://blog:generated-db-blog-db-password-0123456789abcdef@postgres:5432/blog_db"
    )
    assert run.secret["connections"]


def test_the_default_url_percent_encodes_a_given_password():
    run = deploy(password=GIVEN)
    assert run.values["url"] == "postgresql://app:p%40ss%2Fw%3Ard%3F%23%25@postgres:5432/app"
    assert run.secret["url"]


@pytest.mark.parametrize(
    ("apps", "message"),
    [
        ({"shop": {"database": "Shop", "user": "shop"}}, "database 'Shop' is not allowed: use 1-63 lowercase letters"),
        ({"shop": {"database": "shop", "user": "a;b"}}, "user 'a;b' is not allowed: use 1-63 lowercase letters"),
        ({"shop": {"database": "x" * 64, "user": "shop"}}, "is not allowed: use 1-63 lowercase letters"),
        ({"shop": {"database": "template1", "user": "shop"}}, "database 'template1' is PostgreSQL's own"),
        ({"shop": {"database": "shop", "user": "postgres"}}, "user 'postgres' is reserved"),
        ({"shop": {"database": "shop", "user": "pg_read_all_data"}}, "user 'pg_read_all_data' is reserved"),
        ({"Shop!": {"database": "shop", "user": "shop"}}, "app name 'Shop!' is not allowed: use 1-63 lowercase letters"),
        ({"shop": {"database": "app", "user": "shop"}}, "app_databases.shop.database 'app' is taken by the default database"),
        ({"shop": {"database": "shop", "user": "app"}}, "app_databases.shop.user 'app' is taken by the default user"),
        (
            {"shop": {"database": "shop", "user": "shop"}, "blog": {"database": "shop", "user": "blog"}},
            "app_databases.blog.database 'shop' is taken by app 'shop'",
        ),
        (
            {"shop": {"database": "shop", "user": "shop"}, "blog": {"database": "blog", "user": "shop"}},
            "app_databases.blog.user 'shop' is taken by app 'shop'",
        ),
    ],
    ids=[
        "uppercase",
        "punctuation",
        "too long",
        "system database",
        "superuser",
        "pg_ role",
        "app name",
        "default database",
        "default user",
        "shared database",
        "shared role",
    ],
)
def test_bad_app_databases_are_refused_naming_the_setting_the_value_and_the_allowed_form(apps, message):
    with pytest.raises(ValidationError) as refused:
        PostgresServiceArgs(runtime=RUNTIME, network="back", app_databases=apps)
    assert message in str(refused.value)


SWARM = Runtime(project="shop", stack="test", target="swarm")


@pytest.fixture(scope="module")
def swarm_run():
    def program():
        PostgresService(
            "db", PostgresServiceArgs(runtime=SWARM, network="back", network_id="n", app_databases=two_apps(password=GIVEN))
        )

    return run_program(RecordingMocks(), {}, stack="test", program=program)


def task_spec(run):
    return run.mocks.named("db", "docker:index/service:Service").plain("taskSpec")["containerSpec"]


def test_on_swarm_the_task_runs_the_app_databases_script_after_the_roles_with_each_apps_entry(swarm_run):
    config = swarm_run.mocks.named("db-config-pg-roles.sh", "docker:index/serviceConfig:ServiceConfig")
    assert base64.b64decode(config.plain("data")).decode() == PG_ROLES.read_text() + "\n" + PG_APP_DATABASES.read_text()
    assert task_spec(swarm_run)["env"]["APP_DATABASES"] == (
        "shop:shop:/run/secrets/app-db-shop-password blog:blog_db:/run/secrets/app-db-blog-password"
    )


def test_on_swarm_each_apps_password_is_a_docker_secret_of_the_server_task_never_in_its_spec(swarm_run):
    secret = swarm_run.mocks.named("db-secret-app-db-shop-password", "docker:index/secret:Secret")
    assert base64.b64decode(secret.plain("data")).decode() == GIVEN and secret.is_secret("data")
    mounted = {s["fileName"]: s for s in task_spec(swarm_run)["secrets"]}
    assert {"app-db-shop-password", "app-db-blog-password", "postgres_password"} <= set(mounted)
    assert {(s["fileUid"], s["fileGid"], s["fileMode"]) for s in mounted.values()} == {("0", "0", 288)}  # 0440
    assert GIVEN not in str(task_spec(swarm_run)) and "generated-" not in str(task_spec(swarm_run))


def test_on_swarm_each_app_gets_its_secret_url_as_on_one_host():
    def program():
        db = PostgresService(
            "db", PostgresServiceArgs(runtime=SWARM, network="back", network_id="n", app_databases=two_apps(password=GIVEN))
        )
        pulumi.export("connections", {app: c.outputs() for app, c in db.connections.items()})

    run = run_program(RecordingMocks(), {}, stack="test", program=program)
    assert run.values["connections"]["shop"]["url"] == "postgresql://shop:p%40ss%2Fw%3Ard%3F%23%25@postgres:5432/shop"
    assert run.secret["connections"]
