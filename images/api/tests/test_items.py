"""The items feature end to end over HTTP, against the real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from redis import Redis

from app.core.cache import item_key


def create(client: TestClient, name: str = "widget", description: str | None = "a small part") -> dict:
    response = client.post("/items", json={"name": name, "description": description})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_201_with_id_and_creation_time(client: TestClient) -> None:
    item = create(client, "widget", "a small part")

    assert item["name"] == "widget"
    assert item["description"] == "a small part"
    assert isinstance(item["id"], int)
    assert datetime.fromisoformat(item["created_at"]).tzinfo is not None


def test_description_may_be_null(client: TestClient) -> None:
    assert create(client, "bare", None)["description"] is None


def test_create_rejects_an_empty_name(client: TestClient) -> None:
    assert client.post("/items", json={"name": "", "description": None}).status_code == 422


def test_list_returns_every_item_in_creation_order(client: TestClient) -> None:
    first, second = create(client, "first"), create(client, "second")

    response = client.get("/items")

    assert response.status_code == 200
    assert response.json() == [first, second]


def test_first_read_is_a_cache_miss_and_the_next_a_hit(client: TestClient) -> None:
    item = create(client)

    first = client.get(f"/items/{item['id']}")
    second = client.get(f"/items/{item['id']}")

    assert (first.status_code, first.headers["X-Cache"]) == (200, "miss")
    assert (second.status_code, second.headers["X-Cache"]) == (200, "hit")
    assert {k: v for k, v in second.json().items() if k != "visits"} == item


def test_cache_entry_expires_after_the_configured_ttl(client: TestClient, redisdb: Redis) -> None:
    item = create(client)

    client.get(f"/items/{item['id']}")

    ttl = redisdb.ttl(item_key(item["id"]))
    assert 0 < ttl <= client.app.state.settings.cache_ttl_seconds


def test_visits_count_every_read_whether_cached_or_not(client: TestClient) -> None:
    item = create(client)

    counts = [client.get(f"/items/{item['id']}").json()["visits"] for _ in range(3)]

    assert counts == [1, 2, 3]


def test_delete_returns_204_and_the_item_is_gone_from_cache_and_database(client: TestClient, redisdb: Redis) -> None:
    item = create(client)
    client.get(f"/items/{item['id']}")  # now cached

    response = client.delete(f"/items/{item['id']}")

    assert response.status_code == 204
    assert redisdb.exists(item_key(item["id"])) == 0
    assert client.get(f"/items/{item['id']}").status_code == 404
    assert client.get("/items").json() == []


def test_unknown_id_is_404_for_read_and_delete(client: TestClient) -> None:
    assert client.get("/items/999").status_code == 404
    assert client.delete("/items/999").status_code == 404


def test_reading_an_unknown_id_does_not_start_a_visit_counter(client: TestClient, redisdb: Redis) -> None:
    client.get("/items/999")

    assert redisdb.keys("*") == []
