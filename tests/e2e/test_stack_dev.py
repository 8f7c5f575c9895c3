"""The dev stack on the real engine: healthy, serving through the proxy, data surviving re-creation."""

import re
import uuid

import pytest
from stack import StackRun, http, service_containers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dev(engine, tmp_path_factory):
    run = StackRun("dev", tmp_path_factory.mktemp("dev"))
    try:
        run.up()
        yield run
    finally:
        run.teardown()


def test_every_dev_container_reports_healthy(dev):
    services = service_containers(dev.label)
    assert set(services) == {"postgres", "redis", "api", "web", "proxy"}
    for name, info in services.items():
        assert info["State"]["Health"]["Status"] == "healthy", name


def test_proxy_answers_healthz(dev):
    status, _, body = http("GET", dev.result.outputs["health_url"])
    assert status == 200 and body.strip() == "ok"


def test_api_is_ready_through_the_proxy_with_database_and_redis(dev):
    status, _, body = http("GET", dev.result.outputs["api_ready_url"])
    assert status == 200 and '"database":{"ok":true' in body and '"redis":{"ok":true}' in body


def test_items_round_trip_through_postgres_and_redis(dev):
    base = dev.result.outputs["url"]
    name = f"round-trip-{uuid.uuid4().hex[:8]}"
    status, _, body = http("POST", f"{base}/api/items", {"name": name, "description": "e2e"})
    assert status == 201, body
    item_id = int(re.search(r'"id":(\d+)', body).group(1))
    first = http("GET", f"{base}/api/items/{item_id}")
    second = http("GET", f"{base}/api/items/{item_id}")
    assert (first[0], first[1].get("x-cache"), second[1].get("x-cache")) == (200, "miss", "hit")
    assert '"visits":1' in first[2] and '"visits":2' in second[2]
    status, _, listing = http("GET", f"{base}/api/items")
    assert status == 200 and name in listing


def test_home_page_renders_items_from_the_api(dev):
    base = dev.result.outputs["url"]
    name = f"on-the-page-{uuid.uuid4().hex[:8]}"
    assert http("POST", f"{base}/api/items", {"name": name})[0] == 201
    status, headers, page = http("GET", f"{base}/")
    assert status == 200 and headers.get("content-type", "").startswith("text/html")
    assert 'data-testid="items"' in page and 'data-state="listed"' in page
    assert name in page


def test_data_survives_recreating_postgres_and_redis_on_the_same_volumes(dev):
    base = dev.result.outputs["url"]
    name = f"durable-{uuid.uuid4().hex[:8]}"
    status, _, body = http("POST", f"{base}/api/items", {"name": name})
    item_id = int(re.search(r'"id":(\d+)', body).group(1))
    for _ in range(3):
        http("GET", f"{base}/api/items/{item_id}")  # visits counter in Redis: 3
    before = service_containers(dev.label)
    result = dev.up(replace=["postgres", "redis"])
    assert result.actions["postgres"] == "replace" and result.actions["redis"] == "replace"
    after = service_containers(dev.label)
    for svc in ("postgres", "redis"):
        assert after[svc]["Id"] != before[svc]["Id"]
        assert after[svc]["State"]["Health"]["Status"] == "healthy"
    status, _, body = http("GET", f"{base}/api/items/{item_id}")
    assert status == 200 and name in body
    assert '"visits":4' in body  # Redis kept its data (appendonly/snapshot on the volume)
