"""Liveness and readiness against real services, including a Redis that goes down."""

from __future__ import annotations

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
    assert body["redis"]["ok"] is False and body["redis"]["error"]
    assert body["database"]["ok"] is True


def test_readiness_is_503_naming_the_database_when_postgres_is_unreachable(
    settings: Settings, postgresql_proc: PostgreSQLExecutor, redis_proc: RedisExecutor
) -> None:
    closed_port = settings_for(postgresql_proc, settings.postgres_db, redis_proc, postgres_port=1)
    with TestClient(create_app(closed_port)) as client:
        response = client.get("/health/ready")

    body = response.json()
    assert response.status_code == 503
    assert body["database"]["ok"] is False and body["database"]["error"]
    assert body["redis"] == {"ok": True}


def test_item_reads_are_503_not_500_while_redis_is_down(client: TestClient, redis_proc: RedisExecutor) -> None:
    item = client.post("/items", json={"name": "x", "description": None}).json()

    with redis_proc.stopped():
        response = client.get(f"/items/{item['id']}")

    assert (response.status_code, response.json()) == (503, {"detail": "redis unavailable"})
