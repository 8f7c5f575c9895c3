"""Each rule fires on a resource broken in exactly one way, with a message naming the resource and the fix.

The broken resources start from what the real dev or prod stack registers, changed in one input.
"""

from __future__ import annotations

import copy

from pulumi.runtime.rpc import wrap_rpc_secret
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import EngineResource, find, violations
from tests.support.program import ONE_SHOT

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
VOLUME = "docker:index/volume:Volume"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
IMAGE = "docker:index/image:Image"


def replaced(view: list[EngineResource], *changed: EngineResource) -> list[EngineResource]:
    """The stack with some resources swapped for changed copies (matched by URN)."""
    by_urn = {r.urn: r for r in changed}
    return [by_urn.get(r.urn, r) for r in view]


def only(messages: list[str]) -> str:
    assert len(messages) == 1, messages
    return messages[0]


# container-health-check


def test_health_check_rule_fires_on_a_service_without_health_check(dev_view):
    api = find(dev_view, CONTAINER, "api").with_inputs(healthcheck=None)
    message = only(violations("container-health-check", [api]))
    assert "Container 'api'" in message and "without a health check" in message and "Fix: set healthcheck" in message


def test_health_check_rule_fires_on_a_disabled_health_check(dev_view):
    web = find(dev_view, CONTAINER, "web").with_inputs(healthcheck={"tests": ["NONE"]})
    assert "Container 'web'" in only(violations("container-health-check", [web]))


def test_health_check_rule_ignores_one_shot_runs(dev_view):
    loader = find(dev_view, ONE_SHOT, "postgres-secrets-files-loader")
    assert "Healthcheck" not in loader.inputs["spec"]
    assert violations("container-health-check", [loader]) == []
    leaky = loader.with_spec(Env=["POSTGRES_PASSWORD=hunter2"])
    assert violations("container-env-no-secrets", [leaky]), "the container rules read the run"


# container-non-root


def test_non_root_rule_fires_on_a_web_container_running_as_uid_0(dev_view):
    web = find(dev_view, CONTAINER, "web").with_inputs(user="0:0")
    message = only(violations("container-non-root", [web]))
    assert "Container 'web' (web) runs as root (user '0:0')" in message and "Fix: set user" in message


def test_non_root_rule_fires_on_a_proxy_container_without_user(prod_view):
    proxy = find(prod_view, CONTAINER, "proxy").with_inputs(user=None)
    assert "Container 'proxy' (proxy) sets no user" in only(violations("container-non-root", [proxy]))


# container-prod-limits


def test_prod_limits_rule_fires_on_a_prod_container_without_memory_limit(prod_view):
    api = find(prod_view, CONTAINER, "api").with_inputs(memory=None)
    message = only(violations("container-prod-limits", [api]))
    assert "Container 'api' lacks in prod: memory" in message and "Fix:" in message


def test_prod_limits_rule_fires_on_a_prod_container_that_never_restarts(prod_view):
    redis = find(prod_view, CONTAINER, "redis").with_inputs(restart="no", cpus=None)
    message = only(violations("container-prod-limits", [redis]))
    assert "cpus" in message and "restart (is no;" in message


def test_prod_limits_rule_applies_when_the_policy_config_says_prod(dev_view):
    postgres = find(dev_view, CONTAINER, "postgres")  # dev: restart "no"
    assert violations("container-prod-limits", [postgres]) == []
    assert "restart (is no;" in only(violations("container-prod-limits", [postgres], {"environment": "prod"}))


def test_prod_limits_rule_ignores_one_shot_runs(prod_view):
    rotation = find(prod_view, ONE_SHOT, "redis-password-rotation")
    assert violations("container-prod-limits", [rotation]) == []
    assert violations("container-non-root", [rotation.with_spec(User="0:0")]), "the container rules read the run"


# container-published-ports


def test_ports_rule_fires_when_a_service_other_than_the_proxy_publishes(prod_view):
    api = find(prod_view, CONTAINER, "api").with_inputs(ports=[{"internal": 8000.0, "external": 8000.0, "ip": "0.0.0.0"}])
    message = only(violations("container-published-ports", [api]))
    assert "Container 'api' (api) publishes host ports; only the reverse proxy may" in message and "Fix: remove ports" in message


def test_ports_rule_fires_when_a_data_service_publishes_in_prod(prod_view):
    postgres = find(prod_view, CONTAINER, "postgres").with_inputs(
        ports=[{"internal": 5432.0, "external": 5432.0, "ip": "127.0.0.1"}]
    )
    assert "Container 'postgres' (postgres) publishes host ports" in only(violations("container-published-ports", [postgres]))


def test_ports_rule_fires_when_dev_binds_a_port_beyond_loopback(dev_view):
    proxy = find(dev_view, CONTAINER, "proxy")
    public = proxy.with_inputs(ports=[{**proxy.inputs["ports"][0], "ip": "0.0.0.0"}])
    message = only(violations("container-published-ports", [public]))
    assert "Container 'proxy' publishes port 8080 on 0.0.0.0 in dev" in message and "Fix: bind it to 127.0.0.1" in message


def test_ports_rule_treats_a_missing_ip_as_all_addresses(dev_view):
    redis = find(dev_view, CONTAINER, "redis")
    unbound = redis.with_inputs(ports=[{"internal": 6379.0, "external": 6379.0}])
    assert "on 0.0.0.0 in dev" in only(violations("container-published-ports", [unbound]))


# data-services-internal-networks


def test_internal_network_rule_fires_when_prod_backend_is_routed(prod_view):
    backend = find(prod_view, NETWORK, "networks-backend").with_inputs(internal=False)
    messages = violations("data-services-internal-networks", replaced(prod_view, backend))
    assert sorted(m.split(" (")[0] for m in messages) == ["Container 'postgres'", "Container 'redis'"]
    assert "joins network 'standard-stack-prod-backend', which is not an internal network" in messages[0]
    assert "Fix: attach it only to the backend network" in messages[0]


def test_internal_network_rule_fires_for_a_dev_data_service_without_loopback_port(dev_view):
    postgres = find(dev_view, CONTAINER, "postgres").with_inputs(ports=None)
    message = only(violations("data-services-internal-networks", replaced(dev_view, postgres)))
    assert message.startswith("Container 'postgres' (postgres) joins network 'standard-stack-dev-backend'")


def test_internal_network_rule_fires_for_a_network_outside_the_stack(prod_view):
    redis = find(prod_view, CONTAINER, "redis").with_inputs(networksAdvanced=[{"name": "bridge"}])
    message = only(violations("data-services-internal-networks", replaced(prod_view, redis)))
    assert "Container 'redis' (redis) joins network 'bridge'" in message


def test_internal_network_rule_judges_unknown_names_by_the_network_they_came_from(prod_view):
    frontend = find(prod_view, NETWORK, "networks-frontend")
    backend = find(prod_view, NETWORK, "networks-backend")
    postgres = find(prod_view, CONTAINER, "postgres").with_inputs(networksAdvanced=[{"name": UNKNOWN_STRING_VALUE}])
    on_backend = EngineResource(**{**postgres.__dict__, "property_dependencies": {"networksAdvanced": [backend.urn]}})
    on_frontend = EngineResource(**{**postgres.__dict__, "property_dependencies": {"networksAdvanced": [frontend.urn]}})
    assert violations("data-services-internal-networks", replaced(prod_view, on_backend)) == []
    assert "Container 'postgres'" in only(violations("data-services-internal-networks", replaced(prod_view, on_frontend)))


# container-env-no-secrets


def test_env_rule_fires_on_a_value_the_engine_marks_secret(dev_view):
    api = find(dev_view, CONTAINER, "api")
    leaky = api.with_inputs(envs=[*api.inputs["envs"], wrap_rpc_secret("DATABASE_URL=postgresql://app:pw@postgres/app")])
    message = only(violations("container-env-no-secrets", [leaky]))
    assert "Container 'api' carries a secret value in environment variable DATABASE_URL" in message
    assert "pw" not in message.replace("PASSWORD", "") and "Fix: deliver it as a file" in message


def test_env_rule_fires_when_the_whole_env_list_is_secret(dev_view):
    web = find(dev_view, CONTAINER, "web")
    leaky = web.with_inputs(envs=wrap_rpc_secret([*web.inputs["envs"], "SESSION=abc"]))
    assert "carries a secret value in its environment (one of: API_INTERNAL_URL" in only(
        violations("container-env-no-secrets", [leaky])
    )


def test_env_rule_fires_on_a_secret_looking_name_with_a_literal_value(dev_view):
    web = find(dev_view, CONTAINER, "web")
    for variable in ("API_TOKEN", "REDIS_PASSWORD", "JWT_SECRET", "STRIPE_KEY"):
        leaky = web.with_inputs(envs=[*web.inputs["envs"], f"{variable}=literal"])
        assert f"sets secret-looking environment variable {variable} to a literal value" in only(
            violations("container-env-no-secrets", [leaky])
        )


def test_env_rule_allows_paths_to_secret_files(dev_view):
    web = find(dev_view, CONTAINER, "web")
    paths = web.with_inputs(envs=["REDIS_PASSWORD_FILE=/run/secrets/redis_password", "SECRETS_DIR=/run/secrets"])
    assert violations("container-env-no-secrets", [paths]) == []


# images-pinned


def test_pinned_rule_fires_on_an_untagged_remote_image(prod_view):
    image = find(prod_view, REMOTE_IMAGE, "postgres-image").with_inputs(name="postgres")
    message = only(violations("images-pinned", [image]))
    assert "RemoteImage 'postgres-image' image 'postgres' has no tag" in message and "Fix: pin a version tag" in message


def test_pinned_rule_fires_on_latest(prod_view):
    image = find(prod_view, REMOTE_IMAGE, "redis-image").with_inputs(name="registry.example:5000/redis:latest")
    assert "uses the tag latest" in only(violations("images-pinned", [image]))


def test_pinned_rule_fires_on_a_container_running_a_latest_tag(dev_view):
    web = find(dev_view, CONTAINER, "web").with_inputs(image="node:latest")
    assert "Container 'web' image 'node:latest' uses the tag latest" in only(violations("images-pinned", [web]))


def test_pinned_rule_fires_on_an_untagged_build(dev_view):
    image = find(dev_view, IMAGE, "api-image").with_inputs(imageName="registry.example:5000/standard-stack-api")
    assert "Image 'api-image'" in only(violations("images-pinned", [image]))


# prod-data-volumes-protected


def test_protected_rule_fires_on_an_unprotected_prod_data_volume(prod_view):
    volume = find(prod_view, VOLUME, "postgres-data")
    assert volume.protect
    unprotected = EngineResource(**{**volume.__dict__, "protect": False})
    message = only(violations("prod-data-volumes-protected", [unprotected]))
    assert "Volume 'postgres-data' holds postgres data in prod but is not protected" in message and "protect=True" in message


def test_protected_rule_leaves_dev_data_volumes_alone(dev_view):
    volume = find(dev_view, VOLUME, "redis-data")
    assert not volume.protect
    assert violations("prod-data-volumes-protected", [volume]) == []


# service-* (docker.Service, runtime.target swarm): the container rules, for Swarm tasks

SERVICE = "docker:index/service:Service"


def with_container_spec(service: EngineResource, **changes) -> EngineResource:
    """A copy of a Swarm service whose taskSpec.containerSpec has ``changes`` (``None`` removes a key)."""
    task = copy.deepcopy(service.inputs["taskSpec"])
    for key, value in changes.items():
        if value is None:
            task["containerSpec"].pop(key, None)
        else:
            task["containerSpec"][key] = value
    return service.with_inputs(taskSpec=task)


def test_service_non_root_rule_fires_on_an_api_service_running_as_root(swarm_view):
    api = with_container_spec(find(swarm_view, SERVICE, "api"), user="0:0")
    message = only(violations("service-non-root", [api]))
    assert "Service 'api' (api) runs its tasks as root (user '0:0')" in message
    assert "Fix: set taskSpec.containerSpec.user" in message


def test_service_non_root_rule_fires_on_a_postgres_service_without_user(swarm_view):
    postgres = with_container_spec(find(swarm_view, SERVICE, "postgres"), user=None)
    assert "Service 'postgres' (postgres) sets no user" in only(violations("service-non-root", [postgres]))


def test_service_hardening_rule_fires_on_a_writable_root(swarm_view):
    web = with_container_spec(find(swarm_view, SERVICE, "web"), readOnly=False)
    assert "Service 'web' (web) runs with a writable root filesystem" in only(violations("service-hardening", [web]))


def test_service_hardening_rule_fires_on_default_capabilities(swarm_view):
    proxy = with_container_spec(find(swarm_view, SERVICE, "proxy"), capDrops=None)
    assert "Docker's default capabilities" in only(violations("service-hardening", [proxy]))


def test_service_prod_limits_rule_fires_on_a_prod_service_without_a_memory_limit(swarm_prod_view):
    redis = find(swarm_prod_view, SERVICE, "redis")
    task = copy.deepcopy(redis.inputs["taskSpec"])
    task["resources"]["limits"].pop("memoryBytes")
    message = only(violations("service-prod-limits", [redis.with_inputs(taskSpec=task)]))
    assert "Service 'redis' lacks in prod: a memory limit" in message


def test_service_prod_limits_rule_ignores_dev(swarm_view):
    redis = find(swarm_view, SERVICE, "redis")
    task = copy.deepcopy(redis.inputs["taskSpec"])
    task.pop("resources")
    assert violations("service-prod-limits", [redis.with_inputs(taskSpec=task)]) == []


def test_service_health_check_rule_fires_on_a_service_without_one(swarm_view):
    api = with_container_spec(find(swarm_view, SERVICE, "api"), healthcheck=None)
    assert "Service 'api' runs its tasks without a health check" in only(violations("service-health-check", [api]))


def test_service_published_ports_rule_fires_on_a_database_publishing_a_port(swarm_view):
    postgres = find(swarm_view, SERVICE, "postgres")
    exposed = postgres.with_inputs(endpointSpec={"mode": "dnsrr", "ports": [{"targetPort": 5432, "publishedPort": 5432}]})
    assert "Service 'postgres' (postgres) publishes ports" in only(violations("service-published-ports", [exposed]))


def test_service_env_rule_fires_on_a_literal_password(swarm_view):
    api = find(swarm_view, SERVICE, "api")
    env = {**api.inputs["taskSpec"]["containerSpec"]["env"], "POSTGRES_PASSWORD": "hunter2"}
    message = only(violations("service-env-no-secrets", [with_container_spec(api, env=env)]))
    assert "Service 'api' sets secret-looking environment variable POSTGRES_PASSWORD" in message
    assert "hunter2" not in message


def test_service_env_rule_fires_on_a_secret_value(swarm_view):
    api = find(swarm_view, SERVICE, "api")
    env = {**api.inputs["taskSpec"]["containerSpec"]["env"], "DATABASE_URL": wrap_rpc_secret("postgresql://app:pw@db/app")}
    message = only(violations("service-env-no-secrets", [with_container_spec(api, env=env)]))
    assert "carries a secret value in environment variable DATABASE_URL" in message and "pw@" not in message
