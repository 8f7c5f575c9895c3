"""The composition example is a real program: it runs under the same mocks as the stack."""

from __future__ import annotations

from tests.support.one_shot import one_shot, one_shots
from tests.support.program import CONTAINER, REPO, RecordingMocks, run_program

EXAMPLE = REPO / "examples" / "two-apis" / "__main__.py"


def run_example():
    mocks = RecordingMocks()
    return run_program(mocks, {}, stack="dev", program=EXAMPLE), mocks


def test_two_apis_share_one_postgres_and_one_redis():
    _, mocks = run_example()
    names = sorted(r.name for r in mocks.of_type(CONTAINER))
    assert names == ["billing", "billing-migrate", "cache", "db", "edge", "orders", "orders-migrate"]
    runs = sorted(name for name in one_shots(mocks) if not name.endswith("-loader"))
    assert runs == ["cache-password-rotation", "db-password-rotation", "edge-reload"]
    envs = {n: mocks.named(n, CONTAINER).plain("envs") for n in ("orders", "billing")}
    assert "POSTGRES_DB=orders" in envs["orders"] and "POSTGRES_DB=billing" in envs["billing"]
    assert all("POSTGRES_HOST=postgres" in e for e in envs.values())


def test_the_proxy_routes_each_api_under_its_own_prefix():
    _, mocks = run_example()
    site = one_shot(mocks, "edge-site-files-loader").files["/etc/nginx/site/site.conf"]
    assert "location /orders/" in site and "location /billing/" in site


def test_the_second_database_is_created_by_init_sql():
    _, mocks = run_example()
    files = one_shot(mocks, "db-initdb-files-loader").files
    assert list(files) == ["/docker-entrypoint-initdb.d/10-billing.sql"]


def test_images_build_from_the_repository_app_relative_to_the_example():
    _, mocks = run_example()
    build = mocks.named("orders-image").plain("build")
    assert build["context"] == "../../images/api" and build["dockerfile"] == "../../images/api/Dockerfile"
