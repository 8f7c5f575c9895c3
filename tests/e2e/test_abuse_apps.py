"""Hostile clients against the apps of the running prod stack, through its proxy (issue 21).

On the prod stack the hostile-client modules share (tests/e2e/abuse.py). All traffic goes to
127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import http.client
import json
import re
import statistics
import time

import engine_api
import pytest
from abuse import HTTPS_PORT, NAME, STACK, https_connection
from stack import docker_exec, service_containers, wait_until

pytestmark = pytest.mark.e2e

PLANTED = 300
MEGABYTE = "x" * 1_000_000


@pytest.fixture(scope="module")
def prod(abuse_prod):
    return abuse_prod


def request(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None) -> tuple[int, dict, bytes]:
    headers = {"Host": f"{NAME}:{HTTPS_PORT}", **({"Content-Type": "application/json"} if body is not None else {})}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def get(path: str) -> tuple[int, dict, bytes]:
    conn = https_connection(30)
    try:
        return request(conn, "GET", path)
    finally:
        conn.close()


def api_env() -> dict[str, str]:
    info = service_containers(STACK)["api"]
    return dict(entry.split("=", 1) for entry in info["Config"]["Env"])


def psql(sql: str) -> str:
    """As the database's superuser over the Postgres container's local socket (the test's own setup only)."""
    pg = service_containers(STACK)["postgres"]["Id"]
    done = docker_exec(pg, "psql", "-X", "-U", "postgres", "-d", api_env()["POSTGRES_DB"], "-v", "ON_ERROR_STOP=1", "-Atc", sql)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def api_state() -> dict:
    return engine_api.inspect("containers", service_containers(STACK)["api"]["Id"])["State"]


def test_planted_rows_leave_the_api_up_and_the_page_under_500_ms(prod):
    """300 one-megabyte descriptions are refused; 300 planted before the limit cost a page view nothing."""
    before = api_state()
    rows_before = int(psql("SELECT count(*) FROM items"))
    conn = https_connection(30)
    try:
        statuses = [request(conn, "POST", "/api/items", {"name": "planted", "description": MEGABYTE})[0] for _ in range(PLANTED)]
    finally:
        conn.close()
    # 422 from the API (description too long); 413/429/503 if the proxy's body or rate limits answer first
    assert set(statuses) <= {413, 422, 429, 503}, sorted(set(statuses))
    assert int(psql("SELECT count(*) FROM items")) == rows_before
    # Rows stored before the limit existed (the attack run against an older release): kept whole.
    psql(
        "ALTER TABLE items DROP CONSTRAINT items_description_length;"
        "INSERT INTO items (name, description)"
        f" SELECT 'old planted ' || n, repeat('x', 1000000) FROM generate_series(1, {PLANTED}) n;"
        "ALTER TABLE items ADD CONSTRAINT items_description_length CHECK (char_length(description) <= 2000) NOT VALID"
    )

    timings, pages = [], []
    for _ in range(11):
        start = time.perf_counter()
        status, _, body = get("/")
        timings.append((time.perf_counter() - start) * 1000)
        pages.append((status, body.decode(errors="replace")))
    status, _, listed = get("/api/items?order=desc&limit=200")
    after = api_state()

    median = statistics.median(timings[1:])
    print(f"\nhome page with {PLANTED} planted 1 MB rows: median {median:.0f} ms, max {max(timings[1:]):.0f} ms")
    assert (after["StartedAt"], after["OOMKilled"], after["Running"]) == (before["StartedAt"], False, True)
    assert all(s == 200 and 'data-testid="items" data-state="listed"' in html for s, html in pages)
    assert status == 200 and all(len(item["description"] or "") <= 2000 for item in json.loads(listed))
    assert median < 500, timings


def test_trailing_slash_on_the_api_lands_on_its_list(prod):
    status, headers, _ = get("/api/items/")
    assert (status, headers["location"]) == (307, "/api/items")

    status, headers, body = get(headers["location"])
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert isinstance(json.loads(body), list)


def text_of(html: str, test_id: str) -> str:
    """The text of the element carrying data-testid=`test_id`, tags and React's comments stripped."""
    match = re.search(rf'<(li|p|section)[^>]*data-testid="{test_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert match, f"no {test_id} in the page"
    return re.sub(r"<[^>]+>|<!-- -->", "", match[2]).replace("&quot;", '"')


def test_a_stopped_database_is_named_but_never_described_to_clients(prod):
    """Readiness and the home page say "database unavailable"; the driver's message stays in the API's log."""
    pg = service_containers(STACK)["postgres"]
    engine_api.post_json(f"/containers/{pg['Id']}/stop", query={"t": 20}, timeout=60)
    try:
        status, _, ready = get("/api/health/ready")
        _, _, page = get("/")
    finally:
        engine_api.post_json(f"/containers/{pg['Id']}/start")
        wait_until(lambda: get("/api/health/ready")[0] == 200, 120, "the API ready again")

    assert status == 503 and json.loads(ready)["database"] == {"ok": False, "error": "database unavailable"}
    assert text_of(page.decode(errors="replace"), "dependency-database") == "Database: failing — database unavailable"
