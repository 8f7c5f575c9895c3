"""The items feature end to end over HTTP, against the real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import datetime

from fastapi.testclient import TestClient
from redis import Redis
from sqlalchemy import event, text

from app.api.routes.items import LIST_LIMIT_MAX
from app.core.cache import item_key
from app.models.item import DESCRIPTION_LENGTH_CHECK, DESCRIPTION_MAX_LENGTH


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


def test_description_longer_than_the_limit_is_refused_with_422(client: TestClient) -> None:
    response = client.post("/items", json={"name": "big", "description": "x" * (DESCRIPTION_MAX_LENGTH + 1)})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "description"]
    assert client.get("/items").json() == []


def test_description_of_exactly_the_limit_is_stored_whole(client: TestClient) -> None:
    text = "é" * DESCRIPTION_MAX_LENGTH  # characters, not bytes: two bytes each in UTF-8

    assert create(client, "full", text)["description"] == text


def test_order_desc_lists_the_newest_first(client: TestClient) -> None:
    items = [create(client, f"item {n}") for n in range(3)]

    assert client.get("/items", params={"order": "desc"}).json() == items[::-1]


def test_before_cursor_pages_newest_first_without_gaps_or_repeats(client: TestClient) -> None:
    ids = [create(client, f"item {n}")["id"] for n in range(7)]

    pages, cursor = [], None
    while True:
        params = {"order": "desc", "limit": 3} | ({"before": cursor} if cursor else {})
        page = [item["id"] for item in client.get("/items", params=params).json()]
        if not page:
            break
        pages.append(page)
        cursor = page[-1]

    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[:1]]


def test_after_cursor_pages_in_creation_order(client: TestClient) -> None:
    ids = [create(client, f"item {n}")["id"] for n in range(5)]

    page = client.get("/items", params={"after": ids[1], "limit": 2}).json()

    assert [item["id"] for item in page] == ids[2:4]


def test_offset_still_pages_in_creation_order(client: TestClient) -> None:
    ids = [create(client, f"item {n}")["id"] for n in range(4)]

    assert [item["id"] for item in client.get("/items", params={"offset": 1, "limit": 2}).json()] == ids[1:3]


def test_limit_above_the_maximum_is_422(client: TestClient) -> None:
    response = client.get("/items", params={"limit": LIST_LIMIT_MAX + 1})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]
    assert client.get("/items", params={"limit": LIST_LIMIT_MAX}).status_code == 200


def insert_directly(client: TestClient, name: str, description: str) -> int:
    """A row written without the API's checks: stored before the limit existed (as the NOT VALID check allows)."""
    with client.app.state.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE items DROP CONSTRAINT IF EXISTS {DESCRIPTION_LENGTH_CHECK}"))
        return connection.execute(
            text("INSERT INTO items (name, description) VALUES (:name, :description) RETURNING id"),
            {"name": name, "description": description},
        ).scalar_one()


def test_lists_cut_older_overlong_descriptions_and_reads_by_id_return_them_whole(client: TestClient) -> None:
    planted = "y" * 1_000_000
    item_id = insert_directly(client, "planted", planted)

    listed = client.get("/items", params={"order": "desc"}).json()
    read = client.get(f"/items/{item_id}").json()

    assert listed[0]["description"] == planted[:DESCRIPTION_MAX_LENGTH]
    assert read["description"] == planted


def test_the_newest_page_is_one_query_reading_only_the_rows_it_returns(client: TestClient) -> None:
    """The page's cost does not grow with the table: PostgreSQL's own count of the rows it read."""
    engine = client.app.state.engine
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO items (name) SELECT 'bulk ' || n FROM generate_series(1, 5000) AS n"))
        connection.execute(text("ANALYZE items"))
    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "items" in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/items", params={"order": "desc", "limit": 10}).json()
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert [item["name"] for item in page] == [f"bulk {n}" for n in range(5000, 4990, -1)]
    assert len(statements) == 1
    statement, parameters = statements[0]
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        plan = raw.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).fetchone()[0][0]["Plan"]
    assert rows_read(plan) <= 10


def rows_read(node: dict) -> int:
    """Rows that the plan's scan nodes produced (what the database read from the table or its index)."""
    own = node["Actual Rows"] * node.get("Actual Loops", 1) if "Scan" in node["Node Type"] else 0
    return own + sum(rows_read(child) for child in node.get("Plans", []))
