"""The stack file's own env, secrets, apps and workers, registered by the real program under mocks."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.one_shot import one_shot, one_shots
from tests.support.program import CONTAINER, run_stack
from tests.support.stacks import REPO

SENTRY = "https://k3y-f00d@sentry.example.com/42"
SIGNING = "sign-9c1d77aa0e"
SECRETS = {"sentryDsn": SENTRY, "signingKey": SIGNING}
STACK_FILE = {
    "api": {"env": {"FEATURE_SEARCH": "on"}, "secrets": {"SENTRY_DSN": "sentryDsn"}},
    "web": {"env": {"NEXT_PUBLIC_BRAND": "acme"}, "secrets": {"SIGNING_KEY": "signingKey"}},
    "apps": {
        "admin": {
            "image": "nginx:1.27-alpine",
            "port": 8080,
            "path": "/admin/",
            "health": {"httpPath": "/", "prober": "wget"},
            "user": "101:0",
            "env": {"MODE": "admin"},
        }
    },
    "workers": {
        "tasks": {
            "imageFrom": "api",
            "networks": ["backend"],
            "entrypoint": [],
            "command": ["celery", "-A", "app.tasks", "worker"],
            "secrets": {"SENTRY_DSN": "sentryDsn"},
            "secretsAsEnv": True,
        }
    },
}


@pytest.fixture(scope="module")
def run():
    return run_stack("dev", overrides=STACK_FILE, secrets=SECRETS)


def container(run, name):
    return run.mocks.named(name, CONTAINER)


def envs(run, name):
    return dict(e.split("=", 1) for e in container(run, name).plain("envs") or [])


def uploads(run, loader):
    return one_shot(run.mocks, loader).files


def test_the_api_and_the_web_app_get_the_stack_files_env_beside_their_presets(run):
    assert envs(run, "api")["FEATURE_SEARCH"] == "on" and envs(run, "api")["POSTGRES_HOST"]
    assert envs(run, "web")["NEXT_PUBLIC_BRAND"] == "acme" and envs(run, "web")["PORT"] == "3000"


def test_a_presets_secret_is_a_file_named_after_its_variable_with_its_path_in_the_env(run):
    assert uploads(run, "api-secrets-files-loader")["/run/secrets/SENTRY_DSN"] == SENTRY
    assert envs(run, "api")["SENTRY_DSN_FILE"] == "/run/secrets/SENTRY_DSN"
    assert one_shot(run.mocks, "api-secrets-files-loader").files_are_secret


def test_the_web_app_given_a_secret_reads_its_file_as_a_member_of_group_0(run):
    assert uploads(run, "web-secrets-files-loader")["/run/secrets/SIGNING_KEY"] == SIGNING
    assert container(run, "web").plain("groupAdds") == ["0"]


def test_no_secret_value_is_in_any_containers_env_labels_or_command(run):
    for box in run.mocks.of_type(CONTAINER):
        seen = json.dumps([box.plain(k) for k in ("envs", "labels", "command", "entrypoints")])
        assert SENTRY not in seen and SIGNING not in seen, box.name
    for name, shot in one_shots(run.mocks).items():  # a run's files are its secrets; never its container's spec
        assert SENTRY not in json.dumps(shot.spec) and SIGNING not in json.dumps(shot.spec), name


def test_an_app_is_an_App_of_the_stack_from_its_image_on_the_named_network(run):
    stack = run.monitor.urn_of("stack", "standard-stack:index:StandardStack")
    assert run.options("admin", "standard-stack:index:App").parent == stack
    admin = container(run, "admin")
    assert run.mocks.named("admin-image").plain("name") == "nginx:1.27-alpine"
    assert [n["name"] for n in admin.plain("networksAdvanced")] == [container(run, "web").plain("networksAdvanced")[0]["name"]]
    assert envs(run, "admin") == {"MODE": "admin"}
    assert admin.plain("healthcheck")["tests"][:2] == ["CMD", "wget"]


def test_an_app_with_a_path_is_routed_at_the_proxy_to_its_own_container(run):
    site = uploads(run, "proxy-site-files-loader")["/etc/nginx/site/site.conf"]
    name = container(run, "admin").plain("name")
    upstream = "upstream_" + name.replace("-", "_") + "_8080"
    assert re.search(rf"location /admin/ \{{[^}}]*proxy_pass http://{upstream}/;", site)  # prefix stripped
    assert f"server {name}:8080 resolve" in site  # the container itself: switched explicitly on replacement


def test_a_worker_from_the_api_runs_the_apis_release_with_its_secrets_as_env_through_the_wrapper(run):
    assert run.options("tasks", "standard-stack:index:Worker").parent.endswith("StandardStack::stack")
    image = run.mocks.named("tasks-image").plain("name")
    assert image == run.mocks.named("api-image").plain("imageName")
    tasks = container(run, "tasks")
    assert tasks.plain("entrypoints")[0] == "/bin/sh" and tasks.plain("command") == ["celery", "-A", "app.tasks", "worker"]
    assert uploads(run, "tasks-secrets-files-loader")["/run/secrets/SENTRY_DSN"] == SENTRY


def test_a_worker_on_the_backend_starts_after_the_data_services(run):
    assert run.depends_on("tasks", "redis")


def test_apps_and_workers_are_exported_with_the_stacks_containers(run):
    assert set(run.values["containers"]) == {"postgres", "redis", "api", "web", "proxy", "admin", "tasks"}


def test_without_a_path_an_app_is_not_routed():
    files = {**STACK_FILE, "apps": {"admin": {**STACK_FILE["apps"]["admin"], "path": None}}}
    files["apps"]["admin"].pop("path")
    site = uploads(run_stack("dev", overrides=files, secrets=SECRETS), "proxy-site-files-loader")["/etc/nginx/site/site.conf"]
    assert "admin" not in site


def test_on_swarm_an_app_is_a_service_joining_its_networks_by_id():
    from tests.support.program import RecordingMocks, run_program
    from tests.unit.test_config_validation import NAMESPACE, SWARM, with_

    raw = with_(SWARM, "apps", {"admin": {**STACK_FILE["apps"]["admin"], "replicas": 2}})
    config = {f"{NAMESPACE}:{key}": value for key, value in raw.items()}
    mocks = run_program(RecordingMocks(), config, stack="dev").mocks
    admin = mocks.named("admin", "docker:index/service:Service")
    assert admin.plain("mode") == {"replicated": {"replicas": 2}}
    assert [n["id"] for n in admin.plain("taskSpec")["networksAdvanceds"]] == ["networks-frontend-id"]


def test_an_app_built_from_sources_is_a_content_tagged_release_kept_like_the_apis():
    built = {"apps": {"docs": {"build": {"context": "images/proxy"}, "port": 8080, "user": "101:101"}}}
    run = run_stack("dev", overrides=built)
    tag = run.mocks.named("docs-image", "docker:index/image:Image").plain("imageName").rsplit(":", 1)[1]
    assert tag.startswith("dev-") and run.values["releases"]["docs"] == [tag]


def test_the_example_in_docs_configuration_is_a_valid_stack_file():
    import yaml

    from stack_settings import parse
    from tests.unit.test_config_validation import DEV

    text = (REPO / "docs" / "configuration.md").read_text()
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))["config"]
    raw = {**DEV, **{key.split(":", 1)[1]: value for key, value in example.items()}, "sentryDsn": "s", "adminSigningKey": "k"}
    config = parse(raw, secret_keys=frozenset({"sentryDsn", "adminSigningKey"}))
    assert (set(config.apps), set(config.workers)) == ({"admin"}, {"tasks"})


def test_a_presets_secrets_as_env_are_set_inside_its_process_by_the_wrapper_and_its_passwords_stay_files():
    files = {**STACK_FILE, "api": {**STACK_FILE["api"], "secretsAsEnv": True}}
    run_ = run_stack("dev", overrides=files, secrets=SECRETS)
    api = container(run_, "api")
    assert api.plain("entrypoints") == ["/bin/sh", "/run/secrets/standard-stack-env.sh"]
    assert api.plain("command") == ["python", "-m", "app"]
    wrapper = uploads(run_, "api-secrets-files-loader")["/run/secrets/standard-stack-env.sh"]
    assert re.findall(r"^export (\w+)$", wrapper, flags=re.M) == ["SENTRY_DSN"]
    assert SENTRY not in json.dumps(api.inputs, default=str)


def test_secrets_as_env_of_a_preset_without_secrets_is_refused_naming_the_setting():
    from stack_settings import ConfigError, parse
    from tests.unit.test_config_validation import DEV, with_

    with pytest.raises(ConfigError, match=r"standard-stack:web.*secretsAsEnv is true but secrets is empty"):
        parse(with_(DEV, "web.secretsAsEnv", True), secret_keys=frozenset(), source="Pulumi.test.yaml")
