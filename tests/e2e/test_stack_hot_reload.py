"""dev with hotReload: sources are bind-mounted into dev targets; an edit is served without a deploy."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from deploy import Deployment, claim_stack
from stack import http, service_containers

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hot(toolchain, tmp_path_factory):
    claim_stack("dev")
    run = Deployment("dev", tmp_path_factory.mktemp("hot-reload"), overrides={"hotReload": True})
    try:
        run.result = run.up()
        yield run
    finally:
        run.teardown()


def eventually(check: Callable[[], bool], seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass  # a server restarting after the edit
        time.sleep(1)
    return False


def test_a_second_hot_reload_deploy_changes_nothing(hot):
    """Before any edit: an edited source changes the image's context, which a deploy would rebuild."""
    hot.expect_no_changes()


def test_hot_reload_runs_the_dev_targets_with_sources_mounted(hot):
    services = service_containers("dev")
    mounts = {name: {m["Destination"]: m for m in services[name]["Mounts"]} for name in ("api", "web")}
    assert mounts["api"]["/app/app"]["Source"] == str(hot.program_dir / "images/api/app")
    assert mounts["web"]["/app/src"]["Source"] == str(hot.program_dir / "images/web/src")
    assert "--reload" in services["api"]["Config"]["Cmd"]
    assert "dev" in services["web"]["Config"]["Cmd"]


def test_an_api_source_edit_is_served_without_a_deploy(hot):
    url = f"{hot.result.outputs['url']}/api/health"
    before = service_containers("dev")["api"]["Id"]
    health = hot.program_dir / "images/api/app/api/routes/health.py"
    health.write_text(health.read_text().replace('return {"status": "ok"}', 'return {"status": "ok", "edited": "yes"}'))
    assert eventually(lambda: '"edited":"yes"' in http("GET", url)[2].replace(" ", ""))
    assert service_containers("dev")["api"]["Id"] == before  # same container, reloaded in place


def test_a_page_edit_is_served_without_a_deploy(hot):
    url = f"{hot.result.outputs['url']}/"
    page = hot.program_dir / "images/web/src/app/page.tsx"
    source = page.read_text()
    assert ">standard-stack</h1>" in source
    page.write_text(source.replace(">standard-stack</h1>", ">standard-stack (edited live)</h1>", 1))
    assert eventually(lambda: "standard-stack (edited live)" in http("GET", url, timeout=60)[2], seconds=180)
