"""What the stack program registers for the committed dev and prod stack files."""

from __future__ import annotations

import re

import pytest

from tests.support.one_shot import ONE_SHOT, one_shot, one_shots
from tests.support.program import CONTAINER, run_stack
from tests.support.stacks import PROD_SECRETS

COMPONENTS = {
    "standard-stack:index:PostgresService": "postgres",
    "standard-stack:index:RedisService": "redis",
    "standard-stack:index:PythonApi": "api",
    "standard-stack:index:NextApp": "web",
    "standard-stack:index:ReverseProxy": "proxy",
}
SERVICES = ["postgres", "redis", "api", "web", "proxy"]


def containers(run):
    return {r.name: r for r in run.mocks.of_type(CONTAINER)}


def long_running(run):
    return {n: c for n, c in containers(run).items() if not c.plain("attach")}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_registers_each_of_the_five_components_once(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    registered = {(r.typ, r.name) for r in run.mocks.registered}
    for typ, name in COMPONENTS.items():
        assert (typ, name) in registered


MOVED = {**COMPONENTS, "standard-stack:index:StackNetworks": "networks"}


def test_the_whole_stack_is_one_standard_stack_component(dev):
    stack_urn = dev.monitor.urn_of("stack", "standard-stack:index:StandardStack")
    for typ, name in MOVED.items():
        assert dev.options(name, typ).parent == stack_urn


def test_components_moved_under_standard_stack_alias_their_old_place_at_the_stack_root(dev):
    """Stacks deployed before StandardStack existed had them at the root: the alias keeps their URNs."""
    for typ, name in MOVED.items():
        assert dev.options(name, typ).aliases == ["spec {\n  noParent: true\n}\n"], f"{typ} {name}"


def release_of(run, service: str) -> str:
    """The release tag the program built for ``service`` (``<stack>-<12 hex>``)."""
    return run.mocks.named(f"{service}-image").plain("imageName").split(":", 1)[1]


def test_exact_resource_graph_of_the_dev_stack(dev):
    by_type: dict[str, list[str]] = {}
    for r in dev.mocks.registered:
        by_type.setdefault(r.typ, []).append(r.name)
    assert {t: sorted(n) for t, n in by_type.items()} == {
        "standard-stack:index:StandardStack": ["stack"],
        "standard-stack:index:StackNetworks": ["networks"],
        "standard-stack:index:PostgresService": ["postgres"],
        "standard-stack:index:RedisService": ["redis"],
        "standard-stack:index:PythonApi": ["api"],
        "standard-stack:index:NextApp": ["web"],
        "standard-stack:index:ReverseProxy": ["proxy"],
        "docker:index/network:Network": ["networks-backend", "networks-frontend"],
        "random:index/randomPassword:RandomPassword": ["postgres-password", "redis-password"],
        "docker:index/remoteImage:RemoteImage": sorted(
            ["postgres-image", "redis-image", f"api-release-{release_of(dev, 'api')}", f"web-release-{release_of(dev, 'web')}"]
        ),
        "docker:index/image:Image": ["api-image", "proxy-image", "web-image"],
        "pulumi:pulumi:StackReference": ["previous-deploy"],
        "docker:index/volume:Volume": [
            "api-secrets-files",
            "postgres-data",
            "postgres-secrets-files",
            "postgres-socket",
            "proxy-site-files",
            "redis-data",
            "redis-rotation-files",
            "redis-secrets-files",
        ],
        CONTAINER: ["api", "api-migrate", "postgres", "proxy", "redis", "web"],
        ONE_SHOT: [
            "api-secrets-files-loader",
            "postgres-password-rotation",
            "postgres-secrets-files-loader",
            "proxy-reload",
            "proxy-site-files-loader",
            "proxy-site-start-files-loader",
            "redis-password-rotation",
            "redis-rotation-files-loader",
            "redis-secrets-files-loader",
        ],
    }


def test_every_docker_resource_is_parented_to_a_component(dev):
    for (typ, name), options in dev.monitor.options.items():
        if typ.startswith(("docker:", "random:")):
            assert "$standard-stack:index:" in options.parent, f"{typ} {name} parent {options.parent}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_long_running_container_has_a_health_check_and_waits_for_it(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    for name, c in long_running(run).items():
        health = c.plain("healthcheck")
        assert health and health["tests"][0] in ("CMD", "CMD-SHELL"), name
        assert c.plain("wait") is True, name


def test_api_starts_after_healthy_postgres_redis_and_the_migration(dev):
    for dependency in ("postgres", "redis", "api-migrate"):
        assert dev.depends_on("api", dependency)
    assert dev.depends_on("api-migrate", "postgres")
    assert containers(dev)["postgres"].plain("wait") and containers(dev)["redis"].plain("wait")


def test_migration_runs_alembic_once_and_waits_for_its_exit(dev):
    migrate = containers(dev)["api-migrate"]
    assert migrate.plain("command") == ["alembic", "upgrade", "head"]
    assert migrate.plain("attach") is True and migrate.plain("logs") is True and migrate.plain("mustRun") is False


def secret_values() -> set[str]:
    values = {v for v in PROD_SECRETS.values()}
    values |= {f"generated-{n}-0123456789abcdef" for n in ("postgres-password", "redis-password")}
    return values


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_value_reaches_env_command_or_labels(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    for name, c in containers(run).items():
        for key in ("envs", "command", "labels", "entrypoints", "healthcheck"):
            assert not c.is_secret(key), f"{name}.{key} carries a secret"
            text = str(c.plain(key))
            for secret in secret_values():
                assert secret not in text, f"{name}.{key} contains a secret value"
    for name, shot in one_shots(run.mocks).items():  # a run's files carry secrets; its container's spec never does
        assert not shot.registered.is_secret("spec"), f"{name}.spec carries a secret"
        for secret in secret_values():
            assert secret not in str(shot.spec), f"{name}.spec contains a secret value"


def test_passwords_reach_containers_only_as_secret_files_of_their_loaders(prod):
    """Each loader's files are secret in the state; its provider copies them in root-owned 0440 (one_shot._archive)."""
    # the backup's loader carries its script only: it reads the password from postgres' own secrets volume
    runs = one_shots(prod.mocks)
    loaders = {n: c for n, c in runs.items() if n.endswith("-files-loader") and n != "postgres-backup-files-loader"}
    assert set(loaders) == {
        "postgres-secrets-files-loader",
        "redis-secrets-files-loader",
        "redis-rotation-files-loader",
        "api-secrets-files-loader",
        "proxy-site-files-loader",
        "proxy-site-start-files-loader",
    }
    for name, c in loaders.items():
        assert c.files_are_secret, name
    assert set(runs["api-secrets-files-loader"].files) == {"/run/secrets/postgres_password", "/run/secrets/redis_password"}
    for name, c in containers(prod).items():
        assert not c.plain("uploads"), f"{name} has files written through its container"


def test_files_are_copied_only_into_a_volume_their_run_mounts_writable(prod):
    """The daemon takes an archive into a volume of a container whose root is read-only, never into that root."""
    for name, shot in one_shots(prod.mocks).items():
        if shot.files:
            path = shot.prop("filesPath")
            assert path in shot.mounts and shot.mounts[path][1] is False, name
            assert all(file.startswith(f"{path}/") for file in shot.files), name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_credentials_are_exported_only_as_secrets(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    assert run.secret == {
        "url": False,
        "health_url": False,
        "api_health_url": False,
        "api_ready_url": False,
        "images": False,
        "releases": False,
        "containers": False,
        "database_url": True,
        "redis_url": True,
    }


def test_prod_limits_every_long_running_container(prod):
    for name, c in long_running(prod).items():
        if name.endswith("-files-loader"):
            continue
        assert c.plain("memory") and c.plain("cpus") and c.plain("memoryReservation"), name
        assert c.plain("restart") == "unless-stopped", name
        assert c.plain("logOpts") == {"max-size": "20m", "max-file": "5"}, name


def test_memory_limits_are_sent_in_mib(prod):
    assert containers(prod)["postgres"].plain("memory") == 2048
    assert containers(prod)["api"].plain("cpus") == "2.0"  # the provider's read-back spelling


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_only_the_proxy_publishes_non_loopback_ports(stack, dev, prod):
    run = {"dev": dev, "prod": prod}[stack]
    for name, c in containers(run).items():
        for port in c.plain("ports") or []:
            assert name == "proxy" or port["ip"] == "127.0.0.1", name


def test_prod_publishes_only_the_proxy_on_80_and_443(prod):
    published = {n: c.plain("ports") for n, c in containers(prod).items() if c.plain("ports")}
    assert published == {
        "proxy": [
            {"internal": 8080, "external": 80, "ip": "0.0.0.0"},
            {"internal": 8443, "external": 443, "ip": "0.0.0.0"},
        ]
    }


def test_dev_binds_every_port_to_loopback(dev):
    ports = {n: [(p["ip"], p["external"]) for p in c.plain("ports")] for n, c in containers(dev).items() if c.plain("ports")}
    assert ports == {"proxy": [("127.0.0.1", 8080)], "postgres": [("127.0.0.1", 5432)], "redis": [("127.0.0.1", 6379)]}


def test_prod_backend_network_is_internal_and_holds_the_data_services(prod):
    backend = prod.mocks.named("networks-backend")
    assert backend.plain("internal") is True
    nets = {n: {net["name"] for net in c.plain("networksAdvanced") or []} for n, c in long_running(prod).items()}
    assert nets["postgres"] == {"standard-stack-prod-backend"}
    assert nets["redis"] == {"standard-stack-prod-backend"}
    assert nets["api"] == {"standard-stack-prod-backend", "standard-stack-prod-frontend"}
    assert nets["web"] == {"standard-stack-prod-frontend"}
    assert nets["proxy"] == {"standard-stack-prod-frontend"}


def test_app_containers_are_named_per_release_and_replaced_create_first(prod):
    for name in ("api", "web"):
        assert re.fullmatch(rf"standard-stack-prod-{name}-[0-9a-f]{{7}}", containers(prod)[name].plain("name"))
        options = prod.options(name)
        assert options.delete_before_replace_defined and not options.delete_before_replace


def test_the_proxy_has_a_fixed_name_and_is_replaced_delete_first(prod):
    assert containers(prod)["proxy"].plain("name") == "standard-stack-prod-proxy"
    assert prod.options("proxy").delete_before_replace is True


def test_containers_reference_images_by_immutable_id(prod):
    for name, c in containers(prod).items():
        assert c.plain("image").startswith("sha256:"), name
    for name, shot in one_shots(prod.mocks).items():
        assert shot.image.startswith("sha256:"), name


def test_images_are_built_locally_without_push_and_tagged_by_stack_and_content(prod):
    images = {r.name: r for r in prod.mocks.of_type("docker:index/image:Image")}
    for service in ("api", "web", "proxy"):
        image = images[f"{service}-image"]
        assert re.fullmatch(rf"standard-stack-{service}:prod-[0-9a-f]{{12}}", image.plain("imageName")), image.plain("imageName")
        assert image.plain("skipPush") is True
        assert image.plain("build")["dockerfile"] == f"images/{service}/Dockerfile"


def test_prod_data_volumes_are_protected_and_retained(prod):
    for volume in ("postgres-data", "redis-data"):
        options = prod.options(volume, "docker:index/volume:Volume")
        assert options.protect and options.retain_on_delete


def test_dev_data_volumes_can_be_deleted(dev):
    assert not dev.options("postgres-data", "docker:index/volume:Volume").protect


def test_data_volumes_have_stable_names_so_new_containers_reuse_the_data(prod):
    volumes = {r.name: r.plain("name") for r in prod.mocks.of_type("docker:index/volume:Volume")}
    assert volumes["postgres-data"] == "standard-stack-prod-postgres-data"
    assert volumes["redis-data"] == "standard-stack-prod-redis-data"


def test_app_containers_run_as_non_root_on_a_read_only_root(prod):
    users = {n: containers(prod)[n].plain("user") for n in ("api", "web", "proxy", "api-migrate")}
    assert users == {"api": "10001:0", "web": "1001:1001", "proxy": "101:0", "api-migrate": "10001:0"}
    for name in users:
        assert containers(prod)[name].plain("readOnly") is True, name


def test_every_long_running_container_drops_all_capabilities(prod):
    for name, c in long_running(prod).items():
        assert c.plain("capabilities")["drops"] == ["ALL"], name
        assert "no-new-privileges:true" in c.plain("securityOpts"), name


def test_dev_and_prod_differ_as_the_stack_files_say(dev, prod):
    d, p = containers(dev), containers(prod)
    assert d["proxy"].plain("restart") == "no" and p["proxy"].plain("restart") == "unless-stopped"
    assert "API_WORKERS=1" in d["api"].plain("envs") and "API_WORKERS=4" in p["api"].plain("envs")
    assert "APP_ENV=dev" in d["api"].plain("envs") and "APP_ENV=prod" in p["api"].plain("envs")
    assert "LOG_LEVEL=debug" in d["api"].plain("envs") and "LOG_LEVEL=info" in p["api"].plain("envs")
    assert dev.mocks.named("networks-backend").plain("internal") is False
    assert dev.values["url"] == "http://localhost:8080"
    assert prod.values["url"] == "https://example.com"


def test_prod_site_config_serves_tls_and_redirects_http(prod):
    site = one_shot(prod.mocks, "proxy-site-files-loader").files["/etc/nginx/site/site.conf"]
    assert "listen 8443 ssl" in site and "return 301 https://" in site


def test_two_runs_register_identical_inputs():
    """No timestamps, random names or ordering noise: a preview after an up shows no changes.

    But one: a create-first container proposes a fresh name suffix each run (components/_names.py), which
    the engine ignores (``ignore_changes``) until the container is replaced; the name reaches the proxy's
    site as the upstream, which on a real deploy is the running container's name, from the state.
    """

    def snapshot(run):
        names = {}
        for r in run.mocks.of_type(CONTAINER):
            o = run.options(r.name)
            if o.ignore_changes == ["name"] and o.delete_before_replace_defined and not o.delete_before_replace:
                names[r.plain("name")] = names[r.plain("name").replace("-", "_")] = f"<{r.name}-name>"

        def normal(text):
            for name, stands_for in names.items():
                text = text.replace(name, stands_for)
            return text

        return sorted((r.typ, r.name, normal(repr(r.inputs))) for r in run.mocks.registered)

    assert snapshot(run_stack("prod", secrets=PROD_SECRETS)) == snapshot(run_stack("prod", secrets=PROD_SECRETS))


def test_the_proxy_and_web_start_in_parallel_with_the_data_services(prod):
    for name in ("proxy", "web"):
        for other in ("api", "postgres", "redis", "api-migrate"):
            assert not prod.depends_on(name, other), f"{name} waits for {other}"


def test_health_is_probed_every_five_seconds(prod):
    for name, c in long_running(prod).items():
        assert c.plain("healthcheck")["interval"] == "5s", name


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_data_services_are_replaced_delete_first_so_one_server_owns_the_volume(prod, service):
    assert prod.options(service).delete_before_replace is True


def test_a_key_in_the_certificate_setting_is_refused_by_the_stack_setting_name():
    """The library names the input as the program says it: here the `standard-stack:` key to fix."""
    import pulumi

    from tests.support.stacks import FAKE_KEY

    with pytest.raises(pulumi.RunError) as caught:
        run_stack("prod", secrets={**PROD_SECRETS, "standard-stack:tlsCertificate": FAKE_KEY})
    assert "standard-stack:tlsCertificate is not a PEM certificate" in str(caught.value)
