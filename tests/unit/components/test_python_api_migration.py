"""The API's migration starts as soon as the database is ready: it needs Postgres alone, not Redis."""

from __future__ import annotations

import pulumi_docker as docker

from standard_stack import PythonApi
from tests.support.program import ONE_SHOT, run_stack
from tests.support.stacks import PROD_SECRETS
from tests.unit.components.harness import api_args, run


def test_the_migration_waits_for_what_database_ready_names_and_the_api_for_every_dependency():
    def program() -> None:
        database = docker.Network("database-ready")
        cache = docker.Network("cache-ready")
        PythonApi("api", api_args(depends_on=[database, cache], database_ready=[database]))

    run_, _ = run(program)
    network = "docker:index/network:Network"
    assert run_.depends_on("api-migrate", "database-ready", other_typ=network)
    assert not run_.depends_on("api-migrate", "cache-ready", other_typ=network)
    assert run_.depends_on("api", "cache-ready", other_typ=network) and run_.depends_on("api", "api-migrate")


def test_in_the_stack_the_migration_waits_for_postgres_and_its_password_not_for_redis():
    run_ = run_stack("prod", secrets=PROD_SECRETS)
    assert run_.depends_on("api-migrate", "postgres")
    assert run_.depends_on("api-migrate", "postgres-password-rotation", other_typ=ONE_SHOT)
    assert not run_.depends_on("api-migrate", "redis")
    assert run_.depends_on("api", "redis")
