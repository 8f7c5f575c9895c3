"""One-shot runs (file loaders, password rotations, the nginx reload, the ACME init) are judged as the exited
containers they were: by their ``spec`` (an Engine API ``ContainerCreate`` body), under the container rules.

Each run starts from what the real dev or prod stack registers, changed in one field of its spec.
"""

from __future__ import annotations

from pulumi.runtime.rpc import wrap_rpc_secret

from tests.policies.conftest import EngineResource, find, violations
from tests.policies.test_rules_fire import only
from tests.support.program import ONE_SHOT

PACKAGE_ONE_SHOT = "standard-stack:index:OneShot"
"""The same run registered through the component package (a program in another language)."""
COMPONENT_LABEL = "dev.standard-stack.component"
ACME_INIT_CAPABILITIES = ["CHOWN", "DAC_OVERRIDE", "FOWNER"]


# container-non-root


def test_a_password_rotation_running_as_root_is_refused(dev_view):
    rotation = find(dev_view, ONE_SHOT, "postgres-password-rotation").with_spec(User="0:0")
    message = only(violations("container-non-root", [rotation]))
    assert (
        "OneShot 'postgres-password-rotation' (postgres-password-rotation, a postgres-rotation) runs as root (user '0:0')"
        in message
    )
    assert "Fix: set spec.User to the image's unprivileged uid:gid" in message


def test_a_password_rotation_without_a_user_is_refused(prod_view):
    rotation = find(prod_view, ONE_SHOT, "redis-password-rotation").with_spec(User=None)
    message = only(violations("container-non-root", [rotation]))
    assert "OneShot 'redis-password-rotation' (redis-password-rotation, a redis-rotation) sets no user" in message


def test_a_run_registered_through_the_component_package_is_judged_alike(dev_view):
    rotation = find(dev_view, ONE_SHOT, "redis-password-rotation").with_spec(User="root")
    packaged = EngineResource(**{**rotation.__dict__, "typ": PACKAGE_ONE_SHOT})
    assert "OneShot 'redis-password-rotation' (redis-password-rotation, a redis-rotation) runs as root (user 'root')" in only(
        violations("container-non-root", [packaged])
    )


def test_the_acme_init_keeps_its_root_user_with_three_capabilities(prod_acme_view):
    """As before: the init takes over a volume written by nginx's uid, so it runs 0:0 with CHOWN, DAC_OVERRIDE and
    FOWNER; it carries no kind, so the non-root rule leaves it, while a run of the ACME client's kind is held to it."""
    init = find(prod_acme_view, ONE_SHOT, "proxy-acme-init")
    spec = init.inputs["spec"]
    assert (spec["User"], sorted(spec["HostConfig"]["CapAdd"]), spec["HostConfig"]["CapDrop"]) == (
        "0:0",
        ACME_INIT_CAPABILITIES,
        ["ALL"],
    )
    assert violations("container-non-root", [init]) == []
    of_the_clients_kind = init.with_spec(Labels={**spec["Labels"], COMPONENT_LABEL: "proxy-acme"})
    assert "OneShot 'proxy-acme-init' (proxy-acme-init, a proxy-acme) runs as root (user '0:0')" in only(
        violations("container-non-root", [of_the_clients_kind])
    )


# container-env-no-secrets


def test_a_run_with_a_literal_password_in_its_environment_is_refused(dev_view):
    reload = find(dev_view, ONE_SHOT, "proxy-reload")
    leaky = reload.with_spec(Env=[*reload.inputs["spec"]["Env"], "ADMIN_PASSWORD=hunter2"])
    message = only(violations("container-env-no-secrets", [leaky]))
    assert "OneShot 'proxy-reload' sets secret-looking environment variable ADMIN_PASSWORD to a literal value" in message
    assert "Fix: deliver it as a file (the run's files, or a read-only secrets volume)" in message and "hunter2" not in message


def test_a_run_with_a_secret_value_in_its_environment_is_refused(dev_view):
    rotation = find(dev_view, ONE_SHOT, "postgres-password-rotation")
    leaky = rotation.with_spec(Env=[*rotation.inputs["spec"]["Env"], wrap_rpc_secret("DATABASE_URL=postgresql://app:pw@db/app")])
    message = only(violations("container-env-no-secrets", [leaky]))
    assert "OneShot 'postgres-password-rotation' carries a secret value in environment variable DATABASE_URL" in message
    assert "pw@" not in message


# container-published-ports


def test_a_run_publishing_a_host_port_is_refused(prod_view):
    loader = find(prod_view, ONE_SHOT, "redis-secrets-files-loader")
    host_config = {**loader.inputs["spec"]["HostConfig"], "PortBindings": {"6379/tcp": [{"HostIp": "", "HostPort": "6379"}]}}
    message = only(violations("container-published-ports", [loader.with_spec(HostConfig=host_config)]))
    assert "OneShot 'redis-secrets-files-loader' (redis-files) publishes host ports; only the reverse proxy may" in message
    assert "Fix: remove spec.HostConfig.PortBindings" in message


def test_a_proxy_run_publishing_beyond_loopback_in_dev_is_refused(dev_view):
    reload = find(dev_view, ONE_SHOT, "proxy-reload")
    labels = {**reload.inputs["spec"]["Labels"], COMPONENT_LABEL: "proxy"}
    host_config = {**reload.inputs["spec"]["HostConfig"], "PortBindings": {"8080/tcp": [{"HostIp": "", "HostPort": "8080"}]}}
    public = reload.with_spec(Labels=labels, HostConfig=host_config)
    assert "OneShot 'proxy-reload' publishes port 8080 on 0.0.0.0 in dev" in only(
        violations("container-published-ports", [public])
    )


# images-pinned


def test_a_run_of_an_image_tagged_latest_is_refused(dev_view):
    loader = find(dev_view, ONE_SHOT, "api-secrets-files-loader").with_spec(Image="busybox:latest")
    message = only(violations("images-pinned", [loader]))
    assert "OneShot 'api-secrets-files-loader' image 'busybox:latest' uses the tag latest" in message


def test_a_run_whose_whole_spec_is_secret_is_refused_naming_its_variables(dev_view):
    """The engine marks a value secret as a whole: a spec made secret may carry the secret in its environment."""
    rotation = find(dev_view, ONE_SHOT, "postgres-password-rotation")
    hidden = rotation.with_inputs(spec=wrap_rpc_secret(rotation.inputs["spec"]))
    assert "OneShot 'postgres-password-rotation' carries a secret value in its environment (one of: APP_ROLE, PASSWORD_FILE" in (
        only(violations("container-env-no-secrets", [hidden]))
    )


def test_a_run_whose_whole_spec_is_secret_running_as_root_is_refused(dev_view):
    rotation = find(dev_view, ONE_SHOT, "postgres-password-rotation")
    hidden = rotation.with_inputs(spec=wrap_rpc_secret({**rotation.inputs["spec"], "User": "0"}))
    assert "(postgres-password-rotation, a postgres-rotation) runs as root (user '0')" in only(
        violations("container-non-root", [hidden])
    )
