"""What every component shares (_models, _containers, _app_image): strict args, units, labels, names, platform."""

from __future__ import annotations

import pulumi
import pytest

from standard_stack import (
    NextApp,
    NextAppArgs,
    PostgresService,
    PostgresServiceArgs,
    PythonApi,
    RedisService,
    RedisServiceArgs,
    Resources,
    ReverseProxy,
    StackNetworks,
    StackNetworksArgs,
)
from standard_stack._containers import COMPONENT_LABEL
from tests.unit.components.harness import CONTAINER, RUNTIME, api_args, containers, proxy_args, run


def web_args(**overrides):
    base = dict(runtime=RUNTIME, network="front", api_url="http://api:8000", public_url="https://shop.example")
    return NextAppArgs(**{**base, **overrides})


@pytest.mark.parametrize(
    "app",
    [lambda: PythonApi("api", api_args(hot_reload_source="")), lambda: NextApp("web", web_args(hot_reload_source=""))],
    ids=["api", "web"],
)
def test_an_empty_hot_reload_source_is_refused_rather_than_taken_for_the_working_directory(app):
    with pytest.raises(pulumi.RunError, match="hot_reload_source is empty; give the host directory"):
        run(app)


def test_resources_are_converted_to_provider_units():
    _, mocks = run(
        lambda: RedisService(
            "cache",
            RedisServiceArgs(
                runtime=RUNTIME, network="net", resources=Resources(memory="1Gi", memory_reservation="512Mi", cpus=0.25)
            ),
        )
    )
    redis = containers(mocks)["cache"]
    assert (redis.plain("memory"), redis.plain("memorySwap"), redis.plain("memoryReservation"), redis.plain("cpus")) == (
        1024,
        1024,
        512,
        "0.25",
    )


def test_component_args_refuse_unknown_fields():
    with pytest.raises(ValueError, match="extra"):
        RedisServiceArgs(runtime=RUNTIME, network="net", max_memory="1Gi")  # type: ignore[call-arg]


def urn_of(r) -> str:
    """The URN's type-and-name part: the parent's qualified type chain (not its name), then type and name."""
    parent_types = r.parent.split("::")[2] if r.parent else None
    return f"{parent_types}${r.typ}::{r.name}" if parent_types else f"{r.typ}::{r.name}"


def two_of_each():
    for suffix in ("a", "b"):
        nets = StackNetworks(f"net-{suffix}", StackNetworksArgs(runtime=RUNTIME))
        PostgresService(f"db-{suffix}", PostgresServiceArgs(runtime=RUNTIME, network=nets.backend))
        RedisService(f"cache-{suffix}", RedisServiceArgs(runtime=RUNTIME, network=nets.backend))
        PythonApi(f"api-{suffix}", api_args(alias=f"api-{suffix}"))
        NextApp(f"web-{suffix}", NextAppArgs(runtime=RUNTIME, network="front", api_url="http://api:8000", public_url="http://x"))
        ReverseProxy(f"edge-{suffix}", proxy_args(http_port=8080 if suffix == "a" else 8081))


def test_two_of_each_component_register_without_colliding_urns():
    _, mocks = run(two_of_each)
    urns = [urn_of(r) for r in mocks.registered]
    assert len(urns) == len(set(urns)), sorted(u for u in urns if urns.count(u) > 1)


def test_two_of_each_component_give_docker_objects_distinct_names():
    _, mocks = run(two_of_each)
    named = [(r.typ, r.plain("name")) for r in mocks.registered if r.typ.startswith("docker:") and r.plain("name")]
    named = [n for n in named if n[0] != "docker:index/remoteImage:RemoteImage"]  # image references are shared on purpose
    assert len(named) == len(set(named)), sorted(n for n in named if named.count(n) > 1)


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (lambda: PostgresService("orders", PostgresServiceArgs(runtime=RUNTIME, network="n")), "postgres"),
        (lambda: RedisService("sessions", RedisServiceArgs(runtime=RUNTIME, network="n")), "redis"),
        (lambda: PythonApi("billing", api_args()), "api"),
        (
            lambda: NextApp("shop", NextAppArgs(runtime=RUNTIME, network="n", api_url="http://a:1", public_url="http://x")),
            "web",
        ),
        (lambda: ReverseProxy("edge", proxy_args()), "proxy"),
    ],
)
def test_services_are_labelled_with_their_component_kind_whatever_their_name(build, kind):
    _, mocks = run(build)
    service = next(c for c in mocks.of_type(CONTAINER) if not c.plain("attach"))
    assert {"label": COMPONENT_LABEL, "value": kind} in service.plain("labels")


def test_images_are_built_and_pulled_for_the_docker_hosts_platform():
    arm = RUNTIME.model_copy(update={"platform": "linux/arm64"})
    _, mocks = run(
        lambda: (PythonApi("api", api_args(runtime=arm)), PostgresService("db", PostgresServiceArgs(runtime=arm, network="n")))
    )
    assert mocks.named("api-image").plain("build")["platform"] == "linux/arm64"
    assert mocks.named("db-image").plain("platform") == "linux/arm64"
