"""Container names an operator reads in `docker ps`: `<project>-<stack>-<role>`, bounded, deterministic, no clash."""

from __future__ import annotations

import re

import pulumi
import pytest

from standard_stack import App, AppArgs, HealthCheck, Runtime
from standard_stack._names import MAX_LENGTH, container_name
from tests.support.one_shot import one_shots
from tests.support.program import CONTAINER, RecordingMocks, run_program, run_stack
from tests.support.stacks import PROD_SECRETS

SUFFIX = r"[0-9a-f]{7}"


@pytest.fixture(scope="module")
def dev():
    return run_stack("dev")


@pytest.fixture(scope="module")
def prod():
    return run_stack("prod", secrets=PROD_SECRETS)


def names(run) -> dict[str, str]:
    """Container names by resource: the containers', and the one-shot runs' while they run."""
    runs = {name: shot.prop("name") for name, shot in one_shots(run.mocks).items()}
    return {**{r.name: r.plain("name") for r in run.mocks.of_type(CONTAINER)}, **runs}


def notes(runtime: Runtime) -> str:
    """An App of its own (create-first); returns its container's name."""
    mocks = RecordingMocks()
    args = AppArgs(
        runtime=runtime,
        image="ghcr.io/example/notes:1.4.2",
        port=8000,
        networks=["front"],
        health=HealthCheck(http_path="/health/"),
    )
    run_program(mocks, {}, stack=runtime.stack, program=lambda: App("notes", args))
    return mocks.named("notes", CONTAINER).plain("name")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_container_of_the_stack_is_named_after_its_project_stack_and_role(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    for resource, name in names(run).items():
        assert name.startswith(f"standard-stack-{stack}-"), (resource, name)


def test_data_services_helpers_and_the_proxy_have_fixed_names(dev):
    got = names(dev)
    assert got["postgres"] == "standard-stack-dev-postgres"
    assert got["redis"] == "standard-stack-dev-redis"
    assert got["proxy"] == "standard-stack-dev-proxy"
    assert got["api-migrate"] == "standard-stack-dev-api-migrate"  # the migration, whose log an operator reads
    assert got["postgres-password-rotation"] == "standard-stack-dev-postgres-password-rotation"
    assert got["proxy-site-files-loader"] == "standard-stack-dev-proxy-site-files"  # as the volume it fills


def test_apps_replaced_create_first_end_in_a_suffix_of_their_own(dev):
    got = names(dev)
    for app in ("api", "web"):
        assert re.fullmatch(rf"standard-stack-dev-{app}-{SUFFIX}", got[app]), got[app]


def test_dev_and_prod_on_one_host_share_no_container_name(dev, prod):
    assert not set(names(dev).values()) & set(names(prod).values())


def test_no_two_containers_of_a_stack_share_a_name(prod):
    assert len(set(names(prod).values())) == len(names(prod))


def test_every_container_keeps_the_name_it_was_created_with_until_it_is_replaced(prod):
    """A stack deployed before these names (``api-becdaa7``) keeps its containers: no replacement for a rename."""
    for resource in (r.name for r in prod.mocks.of_type(CONTAINER)):
        assert "name" in prod.options(resource).ignore_changes, resource


def test_a_delete_first_container_is_not_replaced_for_a_start_interval_alone(prod):
    """The provider's healthcheck is ForceNew: on an engine that takes start_interval, a Postgres, Redis or
    proxy deployed before would otherwise be stopped and recreated just to probe sooner."""
    for resource in ("postgres", "redis", "proxy"):
        assert "healthcheck.startInterval" in prod.options(resource).ignore_changes, resource


def test_a_create_first_container_is_replaced_for_a_new_health_check_rather_than_updated_in_place(prod):
    """The nested start_interval is not ForceNew: an update would leave the live probe as it was, and the
    diff would come back after every refresh (seen on Docker 26.1)."""
    for resource in ("api", "web"):
        assert "healthcheck.startInterval" not in prod.options(resource).ignore_changes, resource
        assert prod.options(resource).replace_on_changes == ["healthcheck"], resource


def test_a_create_first_successor_never_takes_its_predecessors_name_even_with_the_same_inputs():
    """`pulumi up --replace api` checks the program's inputs as given: the same name would clash with the
    running container. The suffix proposed in a deploy without changes is ignored (ignore_changes)."""
    runtime = Runtime(project="shop", stack="prod")
    first, again = notes(runtime), notes(runtime)
    assert re.fullmatch(rf"shop-prod-notes-{SUFFIX}", first) and re.fullmatch(rf"shop-prod-notes-{SUFFIX}", again)
    assert first != again


def test_a_long_name_is_cut_to_one_dns_label_and_stays_unique_and_deterministic():
    project, stack = "a-long-project-name-for-a-shop", "production-eu-west"
    one = container_name(project, stack, "postgres-password-rotation")
    other = container_name(project, stack, "postgres-password-rotation-2")
    assert len(one) <= MAX_LENGTH and len(other) <= MAX_LENGTH
    assert one.startswith(f"{project}-{stack}-") and one != other
    assert one == container_name(project, stack, "postgres-password-rotation")
    assert len(container_name(project, stack, "api", suffix=True)) + 8 <= MAX_LENGTH  # room for "-<suffix>"


def test_a_short_name_is_kept_whole():
    assert container_name("shop", "dev", "api-migrate") == "shop-dev-api-migrate"


@pytest.mark.parametrize(("setting", "project", "stack"), [("project", "-shop", "dev"), ("stack", "shop", "dev stack")])
def test_a_project_or_stack_docker_cannot_name_containers_after_is_refused_naming_the_setting(setting, project, stack):
    value = project if setting == "project" else stack
    with pytest.raises(pulumi.RunError, match=rf"runtime\.{setting} '{value}' cannot start a Docker container name"):
        container_name(project, stack, "api")
