"""RedisService on a Docker host and on Swarm, under mocks (what it shares with Postgres: test_data_service.py)."""

from __future__ import annotations

import base64

import pulumi

from standard_stack import RedisService, RedisServiceArgs
from tests.support.one_shot import one_shot
from tests.unit.components.harness import RUNTIME, SERVICE, containers, graph, run, run_data


def test_redis_password_lives_in_its_config_file_not_in_the_command():
    _, mocks = run(
        lambda: RedisService(
            "cache", RedisServiceArgs(runtime=RUNTIME, network="net", password=pulumi.Output.secret("pw"), maxmemory="64Mi")
        )
    )
    redis = containers(mocks)["cache"]
    assert redis.plain("command") == ["redis-server", "/run/secrets/redis.conf"]
    conf = one_shot(mocks, "cache-secrets-files-loader").files["/run/secrets/redis.conf"]
    assert 'requirepass "pw"' in conf and "appendonly yes" in conf and "maxmemory 67108864" in conf
    assert "pw" not in str(redis.plain("healthcheck"))


def test_redis_runs_as_its_own_user_from_the_start():
    _, mocks = run(lambda: RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net")))
    assert containers(mocks)["cache"].plain("user") == "999:0"


def test_redis_runs_on_a_read_only_root_as_pid_1():
    _, mocks = run(lambda: RedisService("cache", RedisServiceArgs(runtime=RUNTIME, network="net")))
    cache = containers(mocks)["cache"]
    assert cache.plain("readOnly") is True and cache.plain("init") is False


# --- on target swarm


def test_redis_on_swarm_registers_its_image_two_secrets_and_one_service_nothing_else():
    run, mocks = run_data("redis")
    assert sorted(graph(run, mocks)) == sorted(
        [
            ("RedisService", "redis", [], False),
            ("RemoteImage", "redis-image", [], False),
            ("Secret", "redis-secret-redis-password", [], False),
            ("Secret", "redis-secret-redis.conf", [], False),
            ("Service", "redis", sorted(["redis-image", "redis-secret-redis-password", "redis-secret-redis.conf"]), True),
        ]
    )


def test_redis_reads_its_configuration_and_password_from_docker_secrets():
    _, mocks = run_data("redis")
    spec = mocks.named("redis", SERVICE).plain("taskSpec")["containerSpec"]
    assert spec["commands"] == ["redis-server", "/run/secrets/redis.conf"]
    assert [s["fileName"] for s in spec["secrets"]] == ["redis.conf", "redis_password"]
    conf = base64.b64decode(mocks.named("redis-secret-redis.conf").plain("data")).decode()
    assert 'requirepass "pw-1"' in conf and "appendonly yes" in conf
    assert "env" not in spec and spec["init"] is False  # redis-server is PID 1, as on the host
