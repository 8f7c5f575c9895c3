"""The component package (components/package): what programs in other languages get through ``pulumi package add``."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pulumi
import pytest
import yaml

from standard_stack import package
from standard_stack.app import ENV_EXEC, ENV_EXEC_SOURCE
from standard_stack.package import App, PostgresService, PythonApi, ReverseProxy, StackNetworks, StandardStack, Worker
from standard_stack.package.convert import PackageInputError
from standard_stack.package.models import ModelAnalyzer
from standard_stack.package.provider import Provider
from tests.support.one_shot import ONE_SHOT, one_shot
from tests.support.program import CONTAINER, REPO, RecordingMocks, run_program

API = {
    "build": {"context": "/src/images/api"},
    "database": {"host": "db", "port": 5432, "database": "app", "user": "app", "password": "pw"},
    "redis": {"host": "redis", "port": 6379, "password": "pw"},
    "frontend_network": "front",
    "backend_network": "back",
}


def run(body):
    mocks = RecordingMocks()
    run_program(mocks, {}, stack="test", program=body)
    return mocks


def schema():
    return ModelAnalyzer(package.NAME).analyze(list(package.COMPONENTS))["component_definitions"]


def test_the_analyzer_accepts_every_component_of_the_package():
    assert sorted(schema()) == [
        "App",
        "NextApp",
        "PostgresService",
        "PythonApi",
        "RedisService",
        "ReverseProxy",
        "StackNetworks",
        "StandardStack",
        "Worker",
    ]


def test_inputs_are_documented_in_camel_case_and_required_only_where_the_library_has_no_default():
    postgres = schema()["PostgresService"].inputs
    assert postgres["hostPort"].description == "Publish on 127.0.0.1 at this port (dev tools only)."
    assert [name for name, prop in postgres.items() if not prop.optional] == ["network"]


def test_outputs_are_documented_and_the_password_is_among_them():
    outputs = schema()["PostgresService"].outputs
    assert outputs["password"].description == "Password of the owner role (secret)."
    assert set(outputs) == {"host", "port", "database", "user", "password", "url", "containerName", "connections"}


def test_a_component_registers_the_same_type_token_as_the_library_component():
    mocks = run(lambda: PostgresService("db", {"network": "back"}))
    assert [r.typ for r in mocks.of_type("standard-stack:index:PostgresService")] == ["standard-stack:index:PostgresService"]
    assert [r.name for r in mocks.of_type(CONTAINER) if r.name == "db"] == ["db"]


def test_the_runtime_defaults_to_the_deploying_project_and_stack():
    mocks = run(lambda: StackNetworks("networks", {}))
    names = sorted(r.inputs["name"] for r in mocks.of_type("docker:index/network:Network"))
    assert names == ["standard-stack-test-backend", "standard-stack-test-frontend"]


def test_a_refused_input_is_named_as_the_schema_spells_it_with_the_value_given():
    with pytest.raises(PackageInputError, match=r"PostgresService 'db': hostPort: .*integer.* \(got 'abc'\)"):
        run(lambda: PostgresService("db", {"network": "back", "host_port": "abc"}))  # type: ignore[typeddict-item]


def test_another_resources_output_given_for_a_plain_input_is_refused_as_not_known_before_deployment():
    def body():
        ReverseProxy(
            "proxy",
            {
                "build": {"context": "/src/images/proxy"},
                "network": "front",
                "routes": [{"path_prefix": "/", "upstream_host": pulumi.Output.from_input("api"), "upstream_port": 8000}],
            },  # type: ignore[typeddict-item]
        )

    with pytest.raises(PackageInputError, match=r"routes\[0\]\.upstreamHost: must be a plain value known before deployment"):
        run(body)


def test_a_relative_build_context_is_refused_with_how_to_write_an_absolute_one():
    with pytest.raises(PackageInputError, match=r"build.context 'images/api' must be an absolute path.*\$\{pulumi.cwd\}"):
        run(lambda: PythonApi("api", {**API, "build": {"context": "images/api"}}))  # type: ignore[typeddict-item]


def test_the_api_builds_from_the_given_absolute_context():
    mocks = run(lambda: PythonApi("api", API))  # type: ignore[arg-type]
    (image,) = mocks.of_type("docker:index/image:Image")
    assert image.plain("build")["context"] == "/src/images/api"


def test_the_committed_schema_has_the_inputs_and_outputs_the_code_declares():
    committed = json.loads((REPO / "components" / "package" / "schema.json").read_text())["resources"]
    for name, component in schema().items():
        resource = committed[f"standard-stack:index:{name}"]
        assert set(resource["inputProperties"]) == set(component.inputs), f"{name}: run scripts/package-schema"
        assert set(resource["properties"]) == set(component.outputs), f"{name}: run scripts/package-schema"


def test_an_integer_input_given_as_another_resources_output_reaches_the_component_as_an_integer():
    provider = Provider(list(package.COMPONENTS), package.NAME, None, package.VERSION)

    async def mapped_port():
        inputs = {
            "build": {"context": "/src/images/api"},
            "database": {"host": "db", "port": pulumi.Output.from_input(5432.0), "database": "app", "user": "u", "password": "p"},
            "redis": {"host": "redis", "port": 6379.0, "password": "p"},
            "frontendNetwork": "front",
            "backendNetwork": "back",
        }
        mapped = provider.map_inputs(inputs, provider._component_defs["PythonApi"])
        return await mapped["database"]["port"].future(), mapped["redis"]["port"]

    port, plain_port = asyncio.run(mapped_port())
    assert (port, type(port), plain_port, type(plain_port)) == (5432, int, 6379, int)


def test_postgres_backups_are_registered_only_when_the_backup_input_is_given():
    without = run(lambda: PostgresService("db", {"network": "back"}))
    with_backup = run(lambda: PostgresService("db", {"network": "back", "backup": {"interval_minutes": 60}}))
    assert "db-backup" not in {r.name for r in without.of_type(CONTAINER)}
    assert "BACKUP_INTERVAL_SECONDS=3600" in with_backup.named("db-backup", CONTAINER).plain("envs")


DEV_SETTINGS = {"environment": "dev", "publicUrl": "http://localhost:8080", "protectData": False}


def test_the_whole_stack_builds_its_images_from_contexts_under_the_source_root():
    mocks = run(lambda: StandardStack("shop", {"settings": DEV_SETTINGS, "source_root": "/src"}))
    contexts = sorted(image.plain("build")["context"] for image in mocks.of_type("docker:index/image:Image"))
    assert contexts == ["/src/images/api", "/src/images/proxy", "/src/images/web"]


def test_the_whole_stack_names_a_refused_setting_under_settings_in_camel_case():
    with pytest.raises(PackageInputError, match=r"StandardStack 'shop': settings\.proxy\.httpPort: .* \(got 'x'\)"):
        run(lambda: StandardStack("shop", {"settings": {**DEV_SETTINGS, "proxy": {"httpPort": "x"}}, "source_root": "/src"}))


def test_the_whole_stack_refuses_a_relative_source_root():
    with pytest.raises(PackageInputError, match=r"sourceRoot '\.\./\.\.' must be an absolute path"):
        run(lambda: StandardStack("shop", {"settings": DEV_SETTINGS, "source_root": "../.."}))


# a PythonApi and a ReverseProxy as a YAML program's resources reach the provider: inputs in the schema's names
API_INPUTS = {
    "build": API["build"],
    "database": API["database"],
    "redis": API["redis"],
    "frontendNetwork": "front",
    "backendNetwork": "back",
}
PROXY_INPUTS = {
    "build": {"context": "/src/images/proxy"},
    "network": "front",
    "routes": [{"pathPrefix": "/api/", "upstreamHost": "api", "upstreamPort": 8000.0, "stripPrefix": True}],
}
PROXY = {
    "build": {"context": "/src/images/proxy"},
    "network": "front",
    "routes": [{"path_prefix": "/api/", "upstream_host": "api", "upstream_port": 8000}],
}


def construct(name, component, inputs):
    """The provider's Construct of one component (what the engine calls for a YAML program's resource)."""
    return Provider(list(package.COMPONENTS), package.NAME, None, package.VERSION).construct(
        name, f"standard-stack:index:{component}", inputs, pulumi.ResourceOptions()
    )


def site_config(mocks):
    return one_shot(mocks, "proxy-site-files-loader").files["/etc/nginx/site/site.conf"]


def test_the_apps_upstream_output_is_the_type_the_proxys_upstreams_input_takes_from_another_resource():
    components = schema()
    taken = components["ReverseProxy"].inputs["upstreams"].additional_properties
    assert components["PythonApi"].outputs["upstream"].ref == taken.ref == components["NextApp"].outputs["upstream"].ref
    assert not taken.plain  # ${api.upstream} is another resource's output


WEB_INPUTS = {
    "build": {"context": "/src/images/web"},
    "network": "front",
    "apiUrl": "http://api:8000",
    "publicUrl": "http://localhost",
}


@pytest.mark.parametrize(("name", "component", "inputs"), [("api", "PythonApi", API_INPUTS), ("web", "NextApp", WEB_INPUTS)])
def test_an_apps_upstream_output_names_its_container_and_its_address_on_the_frontend_network(name, component, inputs):
    def body():
        pulumi.export("upstream", construct(name, component, inputs).state["upstream"])

    run = run_program(RecordingMocks(), {}, stack="test", program=body)
    (container,) = [r for r in run.mocks.of_type(CONTAINER) if r.name == name]
    front = [n["name"] for n in container.plain("networksAdvanced")].index("front")
    upstream = run.values["upstream"]
    assert upstream["host"] == container.plain("name")  # the running container, by the name it was created with
    assert re.fullmatch(rf"standard-stack-test-{name}-[0-9a-f]{{7}}", upstream["host"])
    assert upstream["address"].startswith(f"172.30.{front}.")


def test_the_proxy_names_the_container_an_upstream_given_as_another_resources_output_stands_for_with_its_address_as_backup():
    def body():
        upstream = pulumi.Output.from_input({"host": "standard-stack-test-api-4f2a9c1", "address": "172.18.0.5"})
        construct("proxy", "ReverseProxy", {**PROXY_INPUTS, "upstreams": {"api": upstream}})

    mocks = run(body)
    assert (
        "server standard-stack-test-api-4f2a9c1:8000 resolve max_fails=0;\n    server 172.18.0.5:8000 backup max_fails=0;"
        in site_config(mocks)
    )


def test_the_proxy_without_upstreams_routes_by_the_alias():
    mocks = run(lambda: construct("proxy", "ReverseProxy", PROXY_INPUTS))
    assert "server api:8000 resolve max_fails=0;\n    keepalive 32;" in site_config(mocks)


def test_an_upstream_without_its_address_is_refused_naming_the_input():
    with pytest.raises(PackageInputError, match=r"ReverseProxy 'proxy': upstreams\.api\.address: Field required"):
        run(lambda: ReverseProxy("proxy", {**PROXY, "upstreams": {"api": {"host": "api-1"}}}))  # type: ignore[typeddict-item]


@pytest.mark.parametrize("example", ["yaml-package", "yaml-stack", "yaml-app"])
def test_a_yaml_example_gives_its_components_only_inputs_and_reads_only_outputs_the_schema_has(example):
    program = yaml.safe_load((REPO / "examples" / example / "Pulumi.yaml").read_text())
    components = schema()
    types = {
        name: r["type"].rsplit(":", 1)[-1] for name, r in program["resources"].items() if r["type"].startswith("standard-stack:")
    }
    for name, component in types.items():
        given = set(program["resources"][name].get("properties", {}))
        assert given <= set(components[component].inputs), f"{name}: {sorted(given - set(components[component].inputs))}"
    read = set(re.findall(r"\$\{(\w+)\.(\w+)", json.dumps(program)))
    unknown = [f"{name}.{output}" for name, output in read if name in types and output not in components[types[name]].outputs]
    assert unknown == []


def test_an_upstream_not_known_yet_in_a_preview_leaves_the_site_unknown_instead_of_refusing_it():
    def body():
        loop = asyncio.get_event_loop()
        value, known, secret = loop.create_future(), loop.create_future(), loop.create_future()
        value.set_result(None), known.set_result(False), secret.set_result(False)
        upstream = pulumi.Output(set(), value, known, secret)  # the API is still to be created
        construct("proxy", "ReverseProxy", {**PROXY_INPUTS, "upstreams": {"api": upstream}})

    mocks = RecordingMocks()
    run_program(mocks, {}, stack="test", program=body, preview=True)
    site = mocks.named("proxy-site-files-loader", ONE_SHOT).inputs["files"]["/etc/nginx/site/site.conf"]
    assert isinstance(site, pulumi.output.Unknown)


def test_each_app_database_is_an_output_connection_with_its_own_role_and_database_through_the_provider():
    def body():
        inputs = {"network": "back", "appDatabases": {"shop": {"database": "shop", "user": "shop_app", "password": "pw"}}}
        pulumi.export("connections", construct("db", "PostgresService", inputs).state["connections"])

    run = run_program(RecordingMocks(), {}, stack="test", program=body)
    assert run.values["connections"] == {
        "shop": {
            "host": "postgres",
            "port": 5432,
            "database": "shop",
            "user": "shop_app",
            "password": "pw",
            "url": "postgresql://shop_app:pw@postgres:5432/shop",
        }
    }


def test_the_proxys_name_limits_timeouts_and_policy_inputs_reach_its_site():
    inputs = {
        **PROXY_INPUTS,
        "serverName": "example.com",
        "serverAliases": ["www.example.com"],
        "clientHeaderTimeoutSeconds": 7.0,
        "clientBodyTimeoutSeconds": 8.0,
        "connectionsPerClient": 9.0,
        "requestsPerSecond": 11.0,
        "requestBurst": 13.0,
        "contentSecurityPolicy": "default-src 'none'",
    }
    site = site_config(run(lambda: construct("proxy", "ReverseProxy", inputs)))
    for line in (
        "server_name example.com www.example.com;",
        "client_header_timeout 7s;",
        "client_body_timeout 8s;",
        "limit_conn per_client_connections 9;",
        "rate=11r/s;",
        "limit_req zone=per_client_requests burst=13 nodelay;",
        "add_header Content-Security-Policy \"default-src 'none'\" always;",
    ):
        assert line in site


def test_the_proxy_obtains_its_certificate_over_acme_when_the_acme_input_is_given():
    inputs = {**PROXY_INPUTS, "tls": True, "serverName": "example.com", "acme": {"domain": "example.com"}}
    mocks = run(lambda: construct("proxy", "ReverseProxy", inputs))
    assert "proxy-acme" in {r.name for r in mocks.of_type(CONTAINER)}
    assert one_shot(mocks, "proxy-acme-init").command == ["init"]


# App and Worker as a YAML program's resources: inputs in the schema's names, through the provider's Construct
APP_INPUTS = {
    "build": {"context": "/src/notes"},
    "port": 8000.0,
    "networks": ["front", "back"],
    "health": {"httpPath": "/health/", "prober": "python3", "retries": 3.0},
    "entrypoint": ["/entrypoint.sh"],
    "command": ["uvicorn", "app.main:app"],
    "secrets": {"SECRET_KEY": "sk-package-1"},
    "secretsAsEnv": True,
    "job": {"command": ["alembic", "upgrade", "head"], "name": "migrate"},
}


def test_an_app_runs_its_job_and_its_health_check_and_exports_its_release_and_proxy_host_through_the_provider():
    def body():
        state = construct("notes", "App", APP_INPUTS).state
        for key in ("release", "proxyHost", "port", "url", "imageName"):
            pulumi.export(key, state[key])

    run = run_program(RecordingMocks(), {}, stack="test", program=body)
    (image,) = run.mocks.of_type("docker:index/image:Image")
    assert image.plain("build")["context"] == "/src/notes"
    assert run.values["release"] == image.plain("imageName").rsplit(":", 1)[1] and run.values["release"].startswith("test-")
    assert (run.values["proxyHost"], run.values["port"], run.values["url"]) == ("notes", 8000, "http://notes:8000")
    assert run.mocks.named("notes-migrate", CONTAINER).plain("command") == ["alembic", "upgrade", "head"]
    test = run.mocks.named("notes", CONTAINER).plain("healthcheck")
    assert test["retries"] == 3 and "http://127.0.0.1:8000/health/" in test["tests"][-1]


def test_an_apps_secrets_are_secret_files_and_nowhere_in_its_container_through_the_provider():
    mocks = run(lambda: construct("notes", "App", APP_INPUTS))
    loader = one_shot(mocks, "notes-secrets-files-loader")  # root-owned 0440 (the provider's)
    assert loader.files_are_secret
    assert loader.files["/run/secrets/SECRET_KEY"] == "sk-package-1"
    assert "sk-package-1" not in json.dumps(mocks.named("notes", CONTAINER).inputs, default=str)


def test_a_worker_runs_another_apps_image_given_as_its_output_with_a_warm_shutdown():
    def body():
        notes = construct("notes", "App", APP_INPUTS)
        inputs = {"image": notes.state["imageName"], "networks": ["back"], "command": ["celery", "-A", "app.tasks", "worker"]}
        pulumi.export("image", notes.state["imageName"])
        pulumi.export("has_release", "release" in construct("worker", "Worker", inputs).state)

    run = run_program(RecordingMocks(), {}, stack="test", program=body)
    worker = run.mocks.named("worker", CONTAINER)
    (pulled,) = [r for r in run.mocks.of_type("docker:index/remoteImage:RemoteImage") if r.name == "worker-image"]
    assert pulled.plain("name") == run.values["image"]
    assert (worker.plain("stopSignal"), worker.plain("stopTimeout")) == ("SIGTERM", 60)
    assert run.values["has_release"] is False  # a pulled image has no release of its own


def test_a_worker_with_a_port_is_refused_naming_the_input():
    with pytest.raises(PackageInputError, match=r"^Worker 'worker': port \(8000\) must be None for a worker"):
        run(lambda: Worker("worker", {"image": "notes:1", "networks": ["back"], "port": 8000}))


def test_a_refused_combination_of_an_apps_inputs_does_not_repeat_the_secret_values_given():
    with pytest.raises(PackageInputError, match=r"secrets_as_env needs entrypoint and command") as refused:
        run(lambda: App("notes", {"image": "notes:1", "networks": ["back"], "secrets": {"KEY": "sk-9"}, "secrets_as_env": True}))
    assert "sk-9" not in str(refused.value)


def test_an_apps_relative_build_context_is_refused_with_how_to_write_an_absolute_one():
    with pytest.raises(PackageInputError, match=r"App 'notes': build.context 'app' must be an absolute path"):
        run(lambda: App("notes", {"build": {"context": "app"}, "networks": ["back"]}))


def test_an_app_without_a_shell_gets_its_secrets_as_env_through_the_static_wrapper():
    inputs = {
        **APP_INPUTS,
        "entrypoint": [],
        "command": ["/app"],
        "envWrapper": "static",
        "health": {"command": ["/app", "health"]},
    }
    mocks = run(lambda: construct("notes", "App", inputs))
    assert mocks.named("notes", CONTAINER).plain("entrypoints")[0] == ENV_EXEC
    # the derived image's context as the library gives it, relative to the working directory: through the
    # package that is the program's, the provider's and the Docker provider's alike (Pulumi runs plugins there)
    contexts = {Path(image.plain("build")["context"]).resolve() for image in mocks.of_type("docker:index/image:Image")}
    assert contexts == {Path("/src/notes"), ENV_EXEC_SOURCE}
