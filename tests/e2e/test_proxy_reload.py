"""Proxy config changes through the real CLI: a changed setting reloads nginx in the same container, no failed request.

Deployed as its own stack (``dev-reload``: its own Docker names) on ports of its own (2858x), so it
can run beside other deployments on one engine. The second scenario measures what remains when the
proxy must be replaced (an image or port change): it prints the figures, it asserts none of them.
"""

from __future__ import annotations

import time
import urllib.request

import pytest
from deploy import Deployment
from stack import BackgroundLoop, RequestLoop, http, service_containers

pytestmark = pytest.mark.e2e

STACK = "dev-reload"
HTTP_PORT = 28581
BASE = f"http://localhost:{HTTP_PORT}"
OVERRIDES = {
    "publicUrl": BASE,
    "proxy": {"httpPort": HTTP_PORT},
    "postgres": {"hostPort": 28583},
    "redis": {"hostPort": 28584},
}


@pytest.fixture(scope="module")
def dev(toolchain, tmp_path_factory):
    run = Deployment("dev", tmp_path_factory.mktemp("reload"), overrides=OVERRIDES, name=STACK)
    try:
        run.first = run.up()
        run.expect_no_changes()
        yield run
    finally:
        run.teardown()


def proxy_container() -> dict:
    return service_containers(STACK)["proxy"]


def post_status(url: str, size: int) -> int:
    """Status of a POST with a body of ``size`` bytes (nginx answers 413 above client_max_body_size)."""
    return http("POST", url, body={"pad": "x" * size})[0]


def set_body_limit(run: Deployment, limit: str) -> None:
    run.cli("config", "set", "--path", "standard-stack:proxy.clientMaxBodySize", limit)


def test_a_changed_proxy_setting_reloads_nginx_in_the_same_container_without_a_failed_request(dev):
    before = proxy_container()
    assert post_status(f"{BASE}/healthz", 4096) == 200  # 1m by default

    set_body_limit(dev, "1k")
    with RequestLoop([f"{BASE}/healthz", f"{BASE}/", f"{BASE}/api/health"]) as loop:
        time.sleep(1)
        outcome = dev.up()
        time.sleep(2)
    print(f"\nrequests during the reloading deploy: {loop.total}, failed: {len(loop.failures)}")

    after = proxy_container()
    assert after["Id"] == before["Id"] and after["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert outcome.actions["proxy"] == "same"
    assert outcome.actions["proxy-reload"] == "replace"
    assert post_status(f"{BASE}/healthz", 4096) == 413  # the new limit is served
    assert loop.total > 20
    assert loop.failures == [], f"{len(loop.failures)} of {loop.total} requests failed"
    dev.expect_no_changes()


class GapProbe(BackgroundLoop):
    """Requests back to back; records each outcome with its time, to measure the longest outage."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.results: list[tuple[float, bool]] = []
        super().__init__()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=5) as resp:
                    ok = resp.status == 200
            except Exception:
                ok = False
            self.results.append((time.monotonic(), ok))
            self._stop.wait(0.02)

    def longest_outage(self) -> float:
        """Seconds from the first failed request of a run of failures to the next good one."""
        longest, since = 0.0, None
        for at, ok in self.results:
            if not ok and since is None:
                since = at
            elif ok and since is not None:
                longest, since = max(longest, at - since), None
        return longest


def test_a_forced_proxy_replacement_is_delete_first_and_its_gap_is_measured(dev):
    before = proxy_container()
    with GapProbe(f"{BASE}/healthz") as probe:
        time.sleep(1)
        outcome = dev.up(replace=["proxy"])
        time.sleep(2)
    failed = sum(1 for _, ok in probe.results if not ok)
    print(
        f"\nforced proxy replacement: {len(probe.results)} requests, {failed} failed, "
        f"longest outage {probe.longest_outage():.2f} s"
    )
    ops = outcome.ops_of("proxy")
    assert "delete-replaced" in ops and "create-replacement" in ops, ops
    assert ops.index("delete-replaced") < ops.index("create-replacement"), ops  # fixed ports: delete-first
    after = proxy_container()
    assert after["Id"] != before["Id"] and after["State"]["Health"]["Status"] == "healthy"
    assert http("GET", f"{BASE}/healthz")[0] == 200
    dev.expect_no_changes()
