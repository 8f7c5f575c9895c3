"""ReverseProxy's start does not wait for the apps: nginx starts on a site that routes by alias and is
switched in place to the site naming the apps' containers once they are healthy."""

from __future__ import annotations

import pulumi

from standard_stack import ReverseProxy
from standard_stack._models import Upstream
from tests.support.one_shot import one_shot
from tests.unit.components.harness import containers, graph, proxy_args, run

SITE = "/etc/nginx/site/site.conf"


def with_upstreams() -> None:
    upstreams = {"api": Upstream(host=pulumi.Output.from_input("api-4f2a9c1"), address="172.18.0.5")}
    ReverseProxy("edge", proxy_args(nginx_version="1.30.0", upstreams=upstreams))


def dependencies(run_, mocks) -> dict[str, list[str]]:
    return {name: deps for typ, name, deps, _ in graph(run_, mocks) if typ in ("Container", "OneShot")}


def test_nginx_starts_on_the_site_that_routes_by_alias_not_on_the_apps_containers():
    run_, mocks = run(with_upstreams)
    start = one_shot(mocks, "edge-site-start-files-loader").files[SITE]
    assert "server api:8000 resolve max_fails=0;" in start and "api-4f2a9c1" not in start
    deps = dependencies(run_, mocks)
    assert "edge-site-start-files-loader" in deps["edge"] and "edge-site-files-loader" not in deps["edge"]


def test_the_site_naming_the_apps_containers_is_written_after_the_start_site_and_applied_by_the_reload():
    run_, mocks = run(with_upstreams)
    site = one_shot(mocks, "edge-site-files-loader").files
    assert "server api-4f2a9c1:8000 resolve max_fails=0;" in site[SITE]
    assert site["/etc/nginx/site/start-revision"] == "edge-site-start-files-loader-id"  # rewritten whenever the start site is
    assert "edge-site-start-files-loader" in dependencies(run_, mocks)["edge-site-files-loader"]
    assert one_shot(mocks, "edge-reload").env == ["REVISION=edge-site-files-loader-id"]


def test_both_sites_go_into_the_one_volume_nginx_mounts():
    _, mocks = run(with_upstreams)
    mounts = [one_shot(mocks, n).mounts for n in ("edge-site-start-files-loader", "edge-site-files-loader")]
    volume = {volume for m in mounts for volume, _ in m.values()}
    assert volume == {v["volumeName"] for v in containers(mocks)["edge"].plain("volumes")} and len(volume) == 1
