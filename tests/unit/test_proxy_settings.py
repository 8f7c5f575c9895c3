"""The proxy's abuse limits, names and policy: from the stack file to the rendered site, refusals naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from stack_settings import ConfigError, parse
from standard_stack.nginx import DEFAULT_CONTENT_SECURITY_POLICY, ProxySettings, render_site_config


def dev(**proxy: Any) -> dict[str, Any]:
    return {"environment": "dev", "publicUrl": "http://localhost:8080", "proxy": proxy}


def test_dev_answers_only_to_localhost_and_127_0_0_1_by_default():
    assert parse(dev()).proxy_server_names == ("localhost", ("127.0.0.1",))


def test_an_explicit_server_name_in_dev_is_taken_as_is():
    assert parse(dev(serverName="devbox.internal", serverAliases=["10.0.0.5"])).proxy_server_names == (
        "devbox.internal",
        ("10.0.0.5",),
    )
    assert parse(dev(serverName="_")).proxy_server_names == ("_", ())


def test_the_limits_default_to_short_timeouts_and_per_client_limits():
    proxy = parse(dev()).proxy
    assert (proxy.client_header_timeout_seconds, proxy.client_body_timeout_seconds) == (10, 10)
    assert (proxy.connections_per_client, proxy.requests_per_second, proxy.request_burst) == (100, 100, 200)


@pytest.mark.parametrize(
    "key,value,why",
    [
        ("requestsPerSecond", 0, "greater than or equal to 1"),
        ("connectionsPerClient", "many", "valid integer"),
        ("connectionsPerClient", 65536, "less than or equal to 65535"),  # nginx refuses it and never starts
        ("clientHeaderTimeoutSeconds", 3600, "less than or equal to 300"),
        ("requestBurst", -1, "greater than or equal to 0"),
        ("contentSecurityPolicy", "script-src 'self'", "has no default-src"),
        ("contentSecurityPolicy", "default-src $host", "without"),
    ],
)
def test_a_bad_limit_is_refused_naming_the_key_the_value_and_the_form(key, value, why):
    with pytest.raises(ConfigError) as refused:
        parse(dev(**{key: value}))
    message = str(refused.value)
    assert f"standard-stack:proxy.{key}" in message and why in message and str(value) in message


def test_aliases_need_a_server_name():
    with pytest.raises(ConfigError, match=r"standard-stack:proxy.serverAliases needs proxy.serverName"):
        parse(dev(serverAliases=["127.0.0.1"]))


def test_hot_reload_adds_only_unsafe_eval_to_the_default_policy():
    policy = parse({**dev(), "hotReload": True}).proxy_content_security_policy
    assert policy == DEFAULT_CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'")
    assert parse(dev()).proxy_content_security_policy == DEFAULT_CONTENT_SECURITY_POLICY


def test_the_dev_site_refuses_other_host_names_and_forms():
    site = render_site_config(ProxySettings(server_name="localhost", server_aliases=("127.0.0.1",), public_http_port=8080))
    assert "~*^(?:localhost|127\\.0\\.0\\.1)(?::(?:8080))?$ 1;" in site
    assert "if ($allowed_host_8080 = 0) {\n        return 421;" in site


def test_the_largest_connection_limit_renders_a_site_nginx_takes():
    """limit_conn's counter is 16 bits: 65535 is nginx's most (the images' suite runs nginx -t on renders)."""
    site = render_site_config(ProxySettings(connections_per_client=65535))
    assert "limit_conn per_client_connections 65535;" in site
