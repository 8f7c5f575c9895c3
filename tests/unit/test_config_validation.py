"""Bad stack files are refused with one message naming the key, the value and the allowed form."""

from __future__ import annotations

import pytest
import yaml

from components.config import NAMESPACE, ConfigError, parse, pulumi_config_block
from tests.support.program import REPO, stack_config

DEV = {k.split(":", 1)[1]: v for k, v in stack_config(REPO / "Pulumi.dev.yaml").items()}
PROD = {k.split(":", 1)[1]: v for k, v in stack_config(REPO / "Pulumi.prod.yaml").items()}
PROD_SECRETS = frozenset({"postgresPassword", "redisPassword", "tlsCertificate", "tlsPrivateKey"})


def with_(base: dict, path: str, value) -> dict:
    """A copy of ``base`` with dotted ``path`` set (None deletes)."""
    import copy

    out = copy.deepcopy(base)
    *parents, leaf = path.split(".")
    node = out
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return out


def refusal(raw: dict, secret_keys=frozenset()) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw, secret_keys=secret_keys, source="Pulumi.test.yaml")
    return str(caught.value)


BAD = [
    # (description, raw config, secret keys, fragments the message must contain)
    ("unknown top-level key", with_(DEV, "replicas", 3), frozenset(), ["standard-stack:replicas", "unknown setting"]),
    (
        "unknown nested key",
        with_(DEV, "postgres.verison", "16"),
        frozenset(),
        ["standard-stack:postgres.verison", "unknown setting"],
    ),
    (
        "bad environment",
        with_(DEV, "environment", "staging"),
        frozenset(),
        ["standard-stack:environment", "'dev' or 'prod'", '"staging"'],
    ),
    (
        "missing environment",
        with_(DEV, "environment", None),
        frozenset(),
        ["standard-stack:environment", "required setting is missing"],
    ),
    (
        "memory without unit",
        with_(DEV, "api.resources.memory", "512"),
        frozenset(),
        ["standard-stack:api.resources.memory", "512Mi", '"512"'],
    ),
    (
        "memory with decimal unit",
        with_(DEV, "web.resources.memory", "1GB"),
        frozenset(),
        ["standard-stack:web.resources.memory", "2Gi"],
    ),
    (
        "memory too small",
        with_(DEV, "redis.resources.memory", "1Mi"),
        frozenset(),
        ["standard-stack:redis.resources.memory", "at least 4Mi"],
    ),
    (
        "negative cpus",
        with_(DEV, "api.resources.cpus", "-1"),
        frozenset(),
        ["standard-stack:api.resources.cpus", "greater than 0"],
    ),
    ("cpus not a number", with_(DEV, "api.resources.cpus", "two"), frozenset(), ["standard-stack:api.resources.cpus", "1.5"]),
    ("port out of range", with_(DEV, "proxy.httpPort", 70000), frozenset(), ["standard-stack:proxy.httpPort", "65535", "70000"]),
    ("port not a number", with_(DEV, "proxy.httpPort", "http"), frozenset(), ["standard-stack:proxy.httpPort", "integer"]),
    ("image latest", with_(DEV, "postgres.version", "latest"), frozenset(), ["standard-stack:postgres.version", '"latest"']),
    (
        "bad public url",
        with_(DEV, "publicUrl", "localhost:8080"),
        frozenset(),
        ["standard-stack:publicUrl", "https://example.com"],
    ),
    (
        "bad eviction policy",
        with_(DEV, "redis.maxmemoryPolicy", "lru"),
        frozenset(),
        ["standard-stack:redis.maxmemoryPolicy", "allkeys-lru"],
    ),
    ("workers zero", with_(DEV, "api.workers", 0), frozenset(), ["standard-stack:api.workers", "greater than or equal to 1"]),
    (
        "host port on internal backend",
        with_(DEV, "networks.backendInternal", True),
        frozenset(),
        ["standard-stack:postgres.hostPort", "backendInternal: false"],
    ),
    (
        "prod without limits",
        with_(PROD, "api.resources", {}),
        PROD_SECRETS,
        ["standard-stack:api.resources.memory", "required in prod"],
    ),
    ("prod with hot reload", with_(PROD, "hotReload", True), PROD_SECRETS, ["standard-stack:hotReload", "must be false in prod"]),
    (
        "prod with data port",
        with_(with_(PROD, "postgres.hostPort", 5432), "networks.backendInternal", False),
        PROD_SECRETS,
        ["standard-stack:postgres.hostPort", "only the proxy publishes"],
    ),
    (
        "prod with open backend",
        with_(PROD, "networks.backendInternal", False),
        PROD_SECRETS,
        ["standard-stack:networks.backendInternal", "must be true in prod"],
    ),
    ("server name injection", with_(DEV, "proxy.serverName", "x; return 200"), frozenset(), ["standard-stack:proxy.serverName"]),
    (
        "body size injection",
        with_(DEV, "proxy.clientMaxBodySize", "10m;"),
        frozenset(),
        ["standard-stack:proxy.clientMaxBodySize"],
    ),
    ("bad log rotation", with_(DEV, "logging", {"maxSize": "10MB"}), frozenset(), ["standard-stack:logging.maxSize"]),
    ("boolean as text", with_(DEV, "hotReload", "sometimes"), frozenset(), ["standard-stack:hotReload", "boolean"]),
]


@pytest.mark.parametrize(("raw", "secret_keys", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_config_is_refused_naming_key_and_allowed_form(raw, secret_keys, fragments):
    message = refusal(raw, secret_keys)
    assert message.startswith("Invalid configuration in Pulumi.test.yaml:")
    for fragment in fragments:
        assert fragment in message


def test_prod_without_its_secrets_prints_the_commands_that_set_them():
    message = refusal(PROD)
    for key in sorted(PROD_SECRETS):
        assert f"standard-stack:{key}: required secret is not set" in message
    assert "pulumi config set --secret standard-stack:tlsCertificate < cert.pem" in message
    assert "pulumi config set --secret standard-stack:postgresPassword" in message


def test_tls_without_certificate_is_refused_even_in_dev():
    message = refusal(with_(DEV, "proxy.tls", True))
    assert "standard-stack:tlsCertificate: required secret is not set" in message


def test_a_password_stored_in_plain_text_is_refused():
    message = refusal({**DEV, "postgresPassword": "hunter2"})
    assert "standard-stack:postgresPassword: is stored in plain text" in message
    assert "hunter2" not in message


def test_every_problem_is_reported_at_once():
    raw = with_(with_(DEV, "proxy.httpPort", 0), "api.workers", 0)
    message = refusal(raw)
    assert "proxy.httpPort" in message and "api.workers" in message


def test_committed_stack_files_are_valid():
    assert parse(DEV).environment == "dev"
    assert parse({**PROD, **{k: "x" for k in PROD_SECRETS}}, secret_keys=PROD_SECRETS).environment == "prod"


def test_versions_written_as_numbers_are_read_as_text():
    assert parse(with_(DEV, "postgres.version", 16)).postgres.version == "16"


def test_pulumi_yaml_declares_exactly_the_model():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    assert declared == pulumi_config_block()


def test_pulumi_yaml_declares_secrets_as_secret():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    for key in ("postgresPassword", "redisPassword", "tlsCertificate", "tlsPrivateKey"):
        assert declared[key]["secret"] is True


def test_every_setting_has_a_description():
    for key, entry in pulumi_config_block().items():
        assert entry["description"].strip(), key


def test_program_refuses_a_bad_stack_file_without_a_traceback(tmp_path):
    """The real entry point: the language host prints a RunError's message only."""
    import pulumi

    from tests.unit.conftest import run_stack

    with pytest.raises(pulumi.RunError) as caught:
        run_stack("dev", overrides={f"{NAMESPACE}:proxy": {"httpPort": "eighty"}})
    assert "standard-stack:proxy.httpPort" in str(caught.value)
    assert "Traceback" not in str(caught.value)
