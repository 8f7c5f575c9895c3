"""Liveness and readiness against real services, including a Redis that goes down."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pytest_postgresql.executor import PostgreSQLExecutor
from pytest_redis.executor import RedisExecutor

from app.core.config import Settings
from app.factory import create_app
from tests.conftest import settings_for


def test_liveness_answers_without_any_backing_service() -> None:
    nowhere = Settings(
        postgres_host="127.0.0.1",
        postgres_port=1,
        postgres_db="x",
        postgres_user="x",
        postgres_password="x",
        redis_host="127.0.0.1",
        redis_port=1,
    )
    with TestClient(create_app(nowhere)) as client:
        response = client.get("/health")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readiness_is_200_with_pool_figures_when_both_services_answer(client: TestClient) -> None:
    response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ready"
    assert body["redis"] == {"ok": True}
    assert body["database"]["ok"] is True
    pool = body["database"]["pool"]
    assert {"size", "checked_out", "overflow"} <= set(pool)
    assert pool["size"] == client.app.state.settings.db_pool_size and pool["overflow"] >= 0


def test_readiness_is_503_naming_redis_when_redis_is_down(client: TestClient, redis_proc: RedisExecutor) -> None:
    with redis_proc.stopped():
        response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["redis"] == {"ok": False, "error": "redis unavailable"}
    assert body["database"]["ok"] is True


def test_readiness_is_503_naming_the_database_when_postgres_is_unreachable(
    settings: Settings, postgresql_proc: PostgreSQLExecutor, redis_proc: RedisExecutor
) -> None:
    closed_port = settings_for(postgresql_proc, settings.postgres_db, redis_proc, postgres_port=1)
    with TestClient(create_app(closed_port)) as client:
        response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 503
    assert body["database"] == {"ok": False, "error": "database unavailable"}
    assert body["redis"] == {"ok": True}


def test_readiness_keeps_the_database_error_for_the_log_and_out_of_the_response(
    settings: Settings, postgresql_proc: PostgreSQLExecutor, redis_proc: RedisExecutor, caplog: pytest.LogCaptureFixture
) -> None:
    """The driver's message names the server's address and the role: the client gets neither."""
    role = "role_named_in_driver_errors"
    unknown_role = settings_for(postgresql_proc, settings.postgres_db, redis_proc, postgres_user=role)
    with caplog.at_level(logging.WARNING), TestClient(create_app(unknown_role)) as client:
        response = client.get("/health/ready")

    assert response.status_code == 503
    for secret in (role, postgresql_proc.host, str(postgresql_proc.port)):
        assert secret not in response.text
    assert role in caplog.text


def test_item_reads_are_503_not_500_while_redis_is_down(client: TestClient, redis_proc: RedisExecutor) -> None:
    item = client.post("/items", json={"name": "x", "description": None}).json()

    with redis_proc.stopped():
        response = client.get(f"/items/{item['id']}")

    assert (response.status_code, response.json()) == (503, {"detail": "redis unavailable"})
