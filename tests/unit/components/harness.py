"""What the component specs share: a throwaway program under Pulumi's mocks, the runtimes and resource types they
look for, and the arguments that the specs of more than one component start from."""

from __future__ import annotations

import pulumi

from standard_stack import DatabaseConnection, ProxyRoute, PythonApiArgs, RedisConnection, ReverseProxyArgs, Runtime
from tests.support.program import CONTAINER, RecordingMocks, run_program

RUNTIME = Runtime(project="shop", stack="test")
SWARM = Runtime(project="shop", stack="test", target="swarm")
SERVICE = "docker:index/service:Service"
SECRET = "docker:index/secret:Secret"
CONFIG = "docker:index/serviceConfig:ServiceConfig"
NETWORK = "docker:index/network:Network"


def run(body, mocks=None):
    mocks = mocks or RecordingMocks()
    return run_program(mocks, {}, stack="test", program=body), mocks


def containers(mocks):
    return {r.name: r for r in mocks.of_type(CONTAINER)}


def graph(run, mocks):
    """(type, name, dependencies by name, delete_before_replace) of every registration, in order."""
    out = []
    for r in mocks.registered:
        o = run.monitor.options[(r.typ, r.name)]
        out.append((r.typ.split(":")[-1], r.name, sorted(d.rsplit("::", 1)[1] for d in o.dependencies), o.delete_before_replace))
    return out


def api_args(**overrides):
    base = dict(
        runtime=RUNTIME,
        database=DatabaseConnection(host="db", port=5432, database="app", user="app", password=pulumi.Output.secret("dbpw")),
        redis=RedisConnection(host="cache", port=6379, password=pulumi.Output.secret("rpw")),
        frontend_network="front",
        backend_network="back",
    )
    return PythonApiArgs(**{**base, **overrides})


def swarm_api_args(**overrides):
    """``api_args`` for target swarm: a registry every node pulls from, networks joined by id."""
    swarm = dict(runtime=SWARM, registry="127.0.0.1:46500/team", frontend_network_id="front-id", backend_network_id="back-id")
    return api_args(**{**swarm, **overrides})


def proxy_args(**overrides):
    base = dict(
        runtime=RUNTIME,
        network="front",
        routes=[
            ProxyRoute(path_prefix="/api/", upstream_host="api", upstream_port=8000, strip_prefix=True),
            ProxyRoute(path_prefix="/", upstream_host="web", upstream_port=3000),
        ],
    )
    return ReverseProxyArgs(**{**base, **overrides})


def run_data(component, mocks=None, **overrides):
    """Registers PostgresService("postgres") or RedisService("redis") on swarm in a throwaway program."""
    from standard_stack import PostgresService, PostgresServiceArgs, RedisService, RedisServiceArgs

    kind, model, name = {
        "postgres": (PostgresService, PostgresServiceArgs, "postgres"),
        "redis": (RedisService, RedisServiceArgs, "redis"),
    }[component]
    base = dict(runtime=SWARM, network="back", network_id="back-id")
    mocks = mocks or RecordingMocks()

    def body():
        kind(name, model(**{**base, "password": pulumi.Output.secret("pw-1"), **overrides}))

    run = run_program(mocks, {}, stack="test", program=body)
    return run, mocks


def run_swarm_stack(**changes):
    """The real program with Pulumi.dev.yaml made a swarm stack (tests/unit/test_config_validation.SWARM)."""
    from tests.unit.test_config_validation import NAMESPACE, SWARM, with_

    raw = SWARM
    for path, value in changes.items():
        raw = with_(raw, path, value)
    # the whole config, not overrides: these merge key by key, and swarm needs keys of dev removed (hostPort)
    return run_program(RecordingMocks(), {f"{NAMESPACE}:{key}": value for key, value in raw.items()}, stack="dev")
