"""The dev stack through the real CLI: healthy, serving through the proxy, a second deploy changes nothing, data kept."""

import re
import uuid

import pytest
from deploy import Deployment, claim_stack
from stack import http, service_containers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dev(toolchain, tmp_path_factory):
    claim_stack("dev")
    run = Deployment("dev", tmp_path_factory.mktemp("dev"))
    try:
        run.first = run.up()
        yield run
    finally:
        run.teardown()


@pytest.mark.oldest_engine
def test_the_first_up_creates_everything_and_a_second_deploy_changes_nothing(dev):
    assert set(dev.first.actions.values()) <= {"create", "same", "read"}  # read: the StackReference to its previous deploy
    assert "Resources:" in dev.first.stdout
    dev.expect_no_changes()


def test_every_dev_container_reports_healthy(dev):
    services = service_containers("dev")
    assert set(services) == {"postgres", "redis", "api", "web", "proxy"}
    for name, info in services.items():
        assert info["State"]["Health"]["Status"] == "healthy", name


def test_outputs_are_where_users_reach_the_stack(dev):
    assert dev.first.outputs["url"] == "http://localhost:28080"
    assert dev.first.outputs["health_url"] == "http://localhost:28080/healthz"


def test_proxy_answers_healthz(dev):
    status, _, body = http("GET", dev.first.outputs["health_url"])
    assert status == 200 and body.strip() == "ok"


def test_api_is_ready_through_the_proxy_with_database_and_redis(dev):
    status, _, body = http("GET", dev.first.outputs["api_ready_url"])
    assert status == 200 and '"database":{"ok":true' in body and '"redis":{"ok":true}' in body


def test_items_round_trip_through_postgres_and_redis(dev):
    base = dev.first.outputs["url"]
    name = f"round-trip-{uuid.uuid4().hex[:8]}"
    status, _, body = http("POST", f"{base}/api/items", {"name": name, "description": "e2e"})
    assert status == 201, body
    item_id = int(re.search(r'"id":(\d+)', body).group(1))
    first = http("GET", f"{base}/api/items/{item_id}")
    second = http("GET", f"{base}/api/items/{item_id}")
    assert (first[0], first[1].get("x-cache"), second[1].get("x-cache")) == (200, "miss", "hit")
    assert '"visits":1' in first[2] and '"visits":2' in second[2]


def test_home_page_renders_items_from_the_api(dev):
    base = dev.first.outputs["url"]
    name = f"on-the-page-{uuid.uuid4().hex[:8]}"
    assert http("POST", f"{base}/api/items", {"name": name})[0] == 201
    status, headers, page = http("GET", f"{base}/")
    assert status == 200 and headers.get("content-type", "").startswith("text/html")
    assert name in page


def test_data_survives_replacing_postgres_and_redis_on_the_same_volumes(dev):
    base = dev.first.outputs["url"]
    name = f"durable-{uuid.uuid4().hex[:8]}"
    status, _, body = http("POST", f"{base}/api/items", {"name": name})
    item_id = int(re.search(r'"id":(\d+)', body).group(1))
    for _ in range(3):
        http("GET", f"{base}/api/items/{item_id}")  # visits counter in Redis: 3
    before = service_containers("dev")
    outcome = dev.up(replace=["postgres", "redis"])
    assert outcome.actions["postgres"] == "replace" and outcome.actions["redis"] == "replace"
    after = service_containers("dev")
    for svc in ("postgres", "redis"):
        assert after[svc]["Id"] != before[svc]["Id"]
        assert after[svc]["State"]["Health"]["Status"] == "healthy"
    status, _, body = http("GET", f"{base}/api/items/{item_id}")
    assert status == 200 and name in body
    assert '"visits":4' in body  # Redis kept its data (append-only file on the volume)
    dev.expect_no_changes()


def test_refresh_then_up_repairs_a_container_removed_behind_pulumis_back(dev):
    import engine_api

    web = service_containers("dev")["web"]
    engine_api.delete(f"/containers/{web['Id']}", {"force": 1})
    dev.refresh()
    outcome = dev.up()
    assert outcome.actions["web"] == "create"
    assert service_containers("dev")["web"]["State"]["Health"]["Status"] == "healthy"
    assert http("GET", dev.first.outputs["url"] + "/")[0] == 200
    dev.expect_no_changes()


def test_the_api_logs_the_client_address_the_proxy_saw_never_one_the_client_chose(dev):
    import engine_api
    from stack import gateway

    http("GET", dev.first.outputs["url"] + "/api/items", headers={"X-Forwarded-For": "203.0.113.9"})
    api = service_containers("dev")["api"]
    line = [x for x in engine_api.container_logs(api["Id"], tail=30).splitlines() if "GET /items" in x][-1]
    # the request came from this host: nginx saw it from the frontend network's gateway and says so
    assert gateway(api, "-frontend") in line and "203.0.113.9" not in line, line
