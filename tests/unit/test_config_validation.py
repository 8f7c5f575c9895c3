"""Bad stack files are refused with one message naming the key, the value and the allowed form."""

from __future__ import annotations

import json

import pytest
import yaml

from stack_settings import NAMESPACE, ConfigError, parse, pulumi_config_block
from tests.support.stacks import REPO, stack_config

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
    # the stack's own env, secrets, apps and workers
    (
        "env name that is no variable name",
        with_(DEV, "api.env", {"1BAD": "x"}),
        frozenset(),
        ["standard-stack:api.env.1BAD: must be an environment variable name such as SENTRY_DSN", '"1BAD"'],
    ),
    (
        "env the api preset sets itself",
        with_(DEV, "api.env", {"POSTGRES_HOST": "elsewhere"}),
        frozenset(),
        ["standard-stack:api.env.POSTGRES_HOST is set by the api preset itself", "POSTGRES_DB"],
    ),
    (
        "env the web preset sets itself",
        with_(DEV, "web.env", {"PORT": "80"}),
        frozenset(),
        ["standard-stack:web.env.PORT is set by the web preset itself", "API_INTERNAL_URL, HOSTNAME, PORT, PUBLIC_URL"],
    ),
    (
        "secret whose path variable is also in env",
        with_(with_(DEV, "api.secrets", {"SENTRY_DSN": "sentryDsn"}), "api.env", {"SENTRY_DSN_FILE": "/x"}),
        frozenset({"sentryDsn"}),
        ["standard-stack:api.env.SENTRY_DSN_FILE is also given by api.secrets"],
    ),
    (
        "secret naming no config key",
        with_(DEV, "web.secrets", {"SIGNING_KEY": "signing-key"}),
        frozenset(),
        ["standard-stack:web.secrets.SIGNING_KEY: must be a config key of this stack such as sentryDsn", '"signing-key"'],
    ),
    (
        "secret naming one of the stack's settings",
        with_(DEV, "api.secrets", {"DB": "postgresPassword"}),
        frozenset(),
        ["standard-stack:api.secrets.DB: names 'postgresPassword', one of the stack's own settings"],
    ),
    (
        "app name that is no DNS label",
        with_(DEV, "apps", {"Admin_1": {"image": "nginx:1.27-alpine"}}),
        frozenset(),
        ["standard-stack:apps.Admin_1: must be a DNS label such as admin", '"Admin_1"'],
    ),
    (
        "app named after a service of the stack",
        with_(DEV, "apps", {"redis": {"image": "redis:7"}}),
        frozenset(),
        ["standard-stack:apps.redis is a name of the stack's own services (postgres, redis, api, web, proxy, networks)"],
    ),
    (
        "app and worker of one name",
        with_(with_(DEV, "workers", {"jobs": {"imageFrom": "api"}}), "apps", {"jobs": {"image": "x:1"}}),
        frozenset(),
        ["standard-stack:workers.jobs is also the name of apps.jobs"],
    ),
    (
        "app without an image",
        with_(DEV, "apps", {"admin": {"port": 80}}),
        frozenset(),
        ["standard-stack:apps.admin: give exactly one of build (sources) or image (an existing reference)", '{"port": 80}'],
    ),
    (
        "app port out of range",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "port": 70000}}),
        frozenset(),
        ["standard-stack:apps.admin.port", "less than or equal to 65535", "70000"],
    ),
    (
        "misspelt app setting",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "prot": 80}}),
        frozenset(),
        ["standard-stack:apps.admin.prot: unknown setting"],
    ),
    (
        "app network that the stack has not",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "networks": ["public"]}}),
        frozenset(),
        ["standard-stack:apps.admin.networks.0", "'frontend' or 'backend'", '"public"'],
    ),
    (
        "app path without a port",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "path": "/admin/"}}),
        frozenset(),
        ["standard-stack:apps.admin: path (/admin/) needs port"],
    ),
    (
        "app path not a prefix",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "port": 80, "path": "admin"}}),
        frozenset(),
        ["standard-stack:apps.admin.path: must look like /admin/, /docs/", '"admin"'],
    ),
    (
        "app path under the API's",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "port": 80, "path": "/api/admin/"}}),
        frozenset(),
        ["standard-stack:apps.admin.path (/api/admin/) is taken"],
    ),
    (
        "app http health without a port",
        with_(DEV, "apps", {"admin": {"image": "nginx:1.27-alpine", "health": {"httpPath": "/"}}}),
        frozenset(),
        ["standard-stack:apps.admin: health.httpPath needs port"],
    ),
    (
        "job on networks by docker name",
        with_(DEV, "apps", {"admin": {"image": "x:1", "job": {"command": ["migrate"], "networks": ["n"]}}}),
        frozenset(),
        ["standard-stack:apps.admin.job.networks: unknown setting"],
    ),
    (
        "worker with a port",
        with_(DEV, "workers", {"jobs": {"imageFrom": "api", "port": 80}}),
        frozenset(),
        ["standard-stack:workers.jobs.port: unknown setting"],
    ),
    (
        "worker from an image the stack does not build",
        with_(DEV, "workers", {"jobs": {"imageFrom": "proxy"}}),
        frozenset(),
        ["standard-stack:workers.jobs.imageFrom", "'api' or 'web'", '"proxy"'],
    ),
    (
        "worker with imageFrom and an image",
        with_(DEV, "workers", {"jobs": {"imageFrom": "api", "image": "x:1"}}),
        frozenset(),
        ["standard-stack:workers.jobs: imageFrom (api) runs that release: give it, image or build, not two"],
    ),
    (
        "worker secrets as env without its command",
        with_(DEV, "workers", {"jobs": {"imageFrom": "api", "secretsAsEnv": True, "secrets": {"KEY": "jobsKey"}}}),
        frozenset({"jobsKey"}),
        ["standard-stack:workers.jobs: secretsAsEnv needs entrypoint and command given"],
    ),
    (
        "worker replicas on one host",
        with_(DEV, "workers", {"jobs": {"imageFrom": "api", "replicas": 2}}),
        frozenset(),
        ["standard-stack:workers.jobs.replicas (2) needs target: swarm"],
    ),
    (
        "prod worker without limits",
        with_(PROD, "workers", {"jobs": {"imageFrom": "api"}}),
        PROD_SECRETS,
        ["standard-stack:workers.jobs.resources.memory is required in prod", "workers.jobs.resources.cpus"],
    ),
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
    assert "pulumi config set --secret standard-stack:tlsCertificate < fullchain.pem" in message
    assert "openssl rand -hex 24 | pulumi config set --secret standard-stack:postgresPassword" in message


def test_tls_without_certificate_is_refused_even_in_dev():
    message = refusal(with_(DEV, "proxy.tls", True))
    assert "standard-stack:tlsCertificate: required secret is not set" in message


def test_a_password_stored_in_plain_text_is_refused():
    message = refusal({**DEV, "postgresPassword": "hunter2"})
    assert "standard-stack:postgresPassword: is stored in plain text" in message
    assert "hunter2" not in message


def test_a_secret_an_app_names_but_not_set_prints_the_command_that_sets_it():
    message = refusal(with_(DEV, "api.secrets", {"SENTRY_DSN": "sentryDsn"}))
    assert "standard-stack:sentryDsn: required secret is not set (api.secrets.SENTRY_DSN names it)" in message
    assert message.endswith("Set them with:\n  pulumi config set --secret standard-stack:sentryDsn")


def test_a_secret_an_app_names_in_plain_text_is_refused_without_echoing_it():
    message = refusal(
        {**with_(DEV, "workers", {"jobs": {"imageFrom": "api", "secrets": {"DSN": "sentryDsn"}}}), "sentryDsn": "dsn-v4lue"}
    )
    assert "standard-stack:sentryDsn: is stored in plain text; it must be a secret (workers.jobs.secrets.DSN names it)" in message
    assert "pulumi config rm standard-stack:sentryDsn && pulumi config set --secret standard-stack:sentryDsn" in message
    assert "dsn-v4lue" not in message


def test_a_secret_an_app_names_is_accepted_once_stored_encrypted():
    raw = {**with_(DEV, "api.secrets", {"SENTRY_DSN": "sentryDsn"}), "sentryDsn": "dsn"}
    assert parse(raw, secret_keys=frozenset({"sentryDsn"})).api.secrets == {"SENTRY_DSN": "sentryDsn"}


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


def test_pulumi_yaml_requires_only_what_every_stack_sets():
    """The CLI refuses a stack missing any declared key without a default (pkg/workspace/config.go, mergeConfig)."""
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    required = {key for key, entry in declared.items() if "default" not in entry and "value" not in entry}
    assert required == {"environment", "publicUrl"}
    for stack in ("dev", "prod"):
        stack_keys = {k.split(":", 1)[1] for k in yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]}
        assert required <= stack_keys, stack


def test_secrets_are_not_declared_so_the_program_can_name_the_missing_ones():
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    assert not {"postgresPassword", "redisPassword", "tlsCertificate", "tlsPrivateKey", "imageRegistry"} & set(declared)


def test_every_setting_has_a_description():
    for key, entry in pulumi_config_block().items():
        assert entry["description"].strip(), key


def test_program_refuses_a_bad_stack_file_without_a_traceback(tmp_path):
    """The real entry point: the language host prints a RunError's message only."""
    import pulumi

    from tests.support.program import run_stack

    with pytest.raises(pulumi.RunError) as caught:
        run_stack("dev", overrides={f"{NAMESPACE}:proxy": {"httpPort": "eighty"}})
    assert "standard-stack:proxy.httpPort" in str(caught.value)
    assert "Traceback" not in str(caught.value)


def test_a_decimal_version_must_be_quoted_because_yaml_reads_16_10_as_16_1():
    message = refusal(with_(DEV, "postgres.version", 16.1))
    assert "standard-stack:postgres.version" in message and 'quoted text ("16.1")' in message


def test_an_empty_image_registry_is_refused_instead_of_pushing_to_docker_hub():
    message = refusal(with_(DEV, "imageRegistry", ""))
    assert "standard-stack:imageRegistry" in message and "registry.example.com/team" in message and '""' in message


def test_redis_maxmemory_must_stay_below_its_container_memory_limit():
    raw = with_(with_(DEV, "redis.maxmemory", "256Mi"), "redis.resources.memory", "128Mi")
    message = refusal(raw)
    assert "standard-stack:redis.maxmemory" in message and "(256Mi)" in message and "(128Mi)" in message


def test_cpus_are_kept_in_the_spelling_the_provider_reads_back():
    config = parse(with_(DEV, "api.resources.cpus", "2"))
    assert config.api.resources.cpus == "2.0"


def test_cpus_that_docker_would_report_back_differently_are_refused():
    message = refusal(with_(DEV, "api.resources.cpus", "0.05"))
    assert "standard-stack:api.resources.cpus" in message and "back as 0.1" in message


def test_unquoted_restart_no_is_read_as_the_pulumi_cli_reads_it(tmp_path):
    from tests.support.stacks import stack_config

    path = tmp_path / "Pulumi.x.yaml"
    path.write_text("config:\n  standard-stack:restart: no\n  standard-stack:hotReload: false\n")
    raw = stack_config(path)
    assert raw == {"standard-stack:restart": "no", "standard-stack:hotReload": False}
    assert parse(with_(DEV, "restart", raw["standard-stack:restart"])).restart == "no"


def test_the_platform_is_explicit_and_checked():
    assert parse(DEV).platform == "linux/amd64"
    assert "standard-stack:platform" in refusal(with_(DEV, "platform", "amd64"))


@pytest.mark.parametrize(("key", "value"), [("proxy.serverName", "foo*bar"), ("proxy.clientMaxBodySize", "10000000000g")])
def test_proxy_settings_are_refused_by_the_same_rule_the_nginx_renderer_applies(key, value):
    message = refusal(with_(DEV, key, value))
    assert f"standard-stack:{key}" in message and json.dumps(value) in message and "must be" in message


def test_proxy_settings_nginx_accepts_pass_the_config_model():
    config = parse(with_(with_(DEV, "proxy.serverName", "a_b.example.com"), "proxy.clientMaxBodySize", "10000000m"))
    assert config.proxy.server_name == "a_b.example.com"


# --- proxy.acme: certificates over ACME HTTP-01

ACME_PROD = with_(with_(PROD, "proxy.acme", {"enabled": True}), "proxy.serverName", "shop.example.com")
PASSWORDS = frozenset({"postgresPassword", "redisPassword"})


def test_acme_replaces_the_tls_secrets_in_prod():
    raw = {**ACME_PROD, "postgresPassword": "x", "redisPassword": "y"}
    config = parse(raw, secret_keys=PASSWORDS)
    assert config.proxy.acme.enabled and config.proxy.acme.directory_url is None


def test_acme_with_tls_secrets_too_is_refused_and_says_how_to_remove_them():
    raw = {**ACME_PROD, "postgresPassword": "x", "redisPassword": "y", "tlsCertificate": "c", "tlsPrivateKey": "k"}
    message = refusal(raw, secret_keys=PROD_SECRETS)
    assert "standard-stack:tlsCertificate: is set, but proxy.acme obtains the certificate" in message
    assert "pulumi config rm standard-stack:tlsPrivateKey" in message


def test_acme_needs_tls():
    message = refusal(with_(with_(DEV, "proxy.acme", {"enabled": True}), "proxy.serverName", "shop.example.com"))
    assert "standard-stack:proxy.acme.enabled needs proxy.tls: true" in message


@pytest.mark.parametrize("name", ["_", "*.example.com", ".example.com"])
def test_acme_needs_one_exact_server_name(name):
    message = refusal(with_(ACME_PROD, "proxy.serverName", name), secret_keys=PASSWORDS)
    assert "standard-stack:proxy.serverName must be one DNS name" in message and name in message


def test_acme_staging_and_a_directory_url_together_are_refused():
    raw = with_(with_(ACME_PROD, "proxy.acme.staging", True), "proxy.acme.directoryUrl", "https://ca.internal/dir")
    assert "set it or proxy.acme.directoryUrl, not both" in refusal(raw, secret_keys=PASSWORDS)


def test_acme_directory_must_be_https():
    message = refusal(with_(ACME_PROD, "proxy.acme.directoryUrl", "http://ca.internal/dir"), secret_keys=PASSWORDS)
    assert "standard-stack:proxy.acme.directoryUrl" in message and "https://acme-v02.api.letsencrypt.org/directory" in message


@pytest.mark.parametrize(
    ("directory_url", "staging", "expected"),
    [
        (None, False, "https://acme-v02.api.letsencrypt.org/directory"),
        (None, True, "https://acme-staging-v02.api.letsencrypt.org/directory"),
        ("https://ca.internal/dir", False, "https://ca.internal/dir"),
    ],
)
def test_acme_directory_is_lets_encrypt_by_default_staging_selectable(directory_url, staging, expected):
    from standard_stack import acme_directory

    assert acme_directory(directory_url, staging) == expected


# --- target: host or swarm ---------------------------------------------------------------------
SWARM = DEV
for _path, _value in [
    ("target", "swarm"),
    ("imageRegistry", "127.0.0.1:46500/team"),
    ("proxy.bindAddress", "0.0.0.0"),
    ("postgres.hostPort", None),
    ("redis.hostPort", None),
]:
    SWARM = with_(SWARM, _path, _value)


def test_the_target_is_host_unless_set():
    assert parse(DEV).target == "host"


def test_a_swarm_stack_with_a_registry_is_accepted_with_replicas_from_config():
    config = parse(with_(with_(SWARM, "api.replicas", 3), "web.replicas", 2))
    assert (config.target, config.image_registry, config.api.replicas, config.web.replicas) == (
        "swarm",
        "127.0.0.1:46500/team",
        3,
        2,
    )


def test_replicas_default_to_one():
    config = parse(SWARM)
    assert (config.api.replicas, config.web.replicas) == (1, 1)


def test_an_unknown_target_is_refused_naming_both_allowed_ones():
    message = refusal(with_(DEV, "target", "kubernetes"))
    assert "standard-stack:target" in message and "'host' or 'swarm'" in message and '"kubernetes"' in message


def test_swarm_without_an_image_registry_is_refused_with_the_form_it_takes():
    message = refusal(with_(SWARM, "imageRegistry", None))
    assert "standard-stack:imageRegistry is required with target: swarm (got none)" in message
    assert "registry.example.com/team or 127.0.0.1:5000" in message


@pytest.mark.parametrize("app", ["api", "web"])
def test_zero_replicas_are_refused(app):
    message = refusal(with_(SWARM, f"{app}.replicas", 0))
    assert f"standard-stack:{app}.replicas" in message and "greater than or equal to 1" in message and "got 0" in message


@pytest.mark.parametrize("app", ["api", "web"])
def test_more_than_one_replica_on_one_host_is_refused(app):
    message = refusal(with_(DEV, f"{app}.replicas", 2))
    assert f"standard-stack:{app}.replicas (2) needs target: swarm (one Docker host runs 1)" in message


def test_swarm_refuses_hot_reload_since_sources_live_on_one_host():
    message = refusal(with_(SWARM, "hotReload", True))
    assert "standard-stack:hotReload must be false with target: swarm" in message


def test_swarm_refuses_a_pinned_release_until_releases_live_in_the_registry():
    message = refusal(with_(SWARM, "api.release", "dev-3f9a1c0b7d2e"))
    assert "standard-stack:api.release (dev-3f9a1c0b7d2e) is not supported with target: swarm yet" in message


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_swarm_refuses_a_data_services_host_port(service):
    message = refusal(with_(SWARM, f"{service}.hostPort", 15432))
    assert (
        f"standard-stack:{service}.hostPort (15432) must be unset with target: swarm: only the proxy publishes ports" in message
    )


def test_swarm_refuses_postgres_backups_until_they_are_ported_saying_prod_turns_them_on():
    message = refusal(with_(with_(SWARM, "environment", "prod"), "postgres.backup.enabled", None))
    assert "standard-stack:postgres.backup.enabled must be false with target: swarm" in message
    assert "(on by default in prod)" in message


def test_swarm_refuses_a_loopback_proxy_address_it_cannot_honour():
    message = refusal(with_(SWARM, "proxy.bindAddress", "127.0.0.1"))
    assert "standard-stack:proxy.bindAddress (127.0.0.1) must be 0.0.0.0 with target: swarm" in message


def test_the_backend_overlay_is_encrypted_unless_turned_off():
    assert parse(SWARM).networks.backend_encrypted is True
    assert parse(with_(SWARM, "networks.backendEncrypted", False)).networks.backend_encrypted is False


def test_a_backend_encrypted_that_is_not_a_boolean_is_refused_naming_the_setting():
    message = refusal(with_(SWARM, "networks.backendEncrypted", "ipsec"))
    assert "standard-stack:networks.backendEncrypted" in message and "valid boolean" in message and "ipsec" in message


def test_swarm_refuses_acme_until_it_is_ported():
    raw = with_(with_(with_(SWARM, "proxy.tls", True), "proxy.serverName", "shop.example"), "proxy.acme.enabled", True)
    assert "standard-stack:proxy.acme.enabled must be false with target: swarm (not ported yet)" in refusal(raw)


def test_swarm_refuses_what_the_component_cannot_do_there_naming_the_entry():
    worker = {"imageFrom": "api", "workingDir": "/srv", "secrets": {"KEY": "jobsKey"}}
    message = refusal({**with_(SWARM, "workers", {"jobs": worker}), "jobsKey": "k"}, frozenset({"jobsKey"}))
    assert "standard-stack:workers.jobs.workingDir is not supported on swarm yet" in message
