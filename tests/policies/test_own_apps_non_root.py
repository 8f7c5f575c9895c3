"""container-non-root and service-non-root hold your own App and Worker (and their jobs) to a non-root user in prod.

The resources are what the real prod stack registers for a stack file's own app (``admin``, its job
``admin-migrate``) and worker (``tasks``), both given user 1001:1001, changed in their user only.
"""

from __future__ import annotations

from tests.policies.conftest import EngineResource, find, violations
from tests.policies.test_rules_fire import CONTAINER, SERVICE, only, with_container_spec

COMPONENT_LABEL = "dev.standard-stack.component"


def test_an_app_running_as_root_is_refused_in_prod(prod_apps_view):
    admin = find(prod_apps_view, CONTAINER, "admin").with_inputs(user="0:0")
    message = only(violations("container-non-root", [admin]))
    assert "Container 'admin' (admin, an app) runs as root (user '0:0')" in message
    assert "Fix: set the App's user to a non-root uid:gid such as '1001:1001'" in message


def test_an_app_without_a_user_is_refused_in_prod(prod_apps_view):
    admin = find(prod_apps_view, CONTAINER, "admin").with_inputs(user=None)
    message = only(violations("container-non-root", [admin]))
    assert "Container 'admin' (admin, an app) sets no user, so it runs as the image's user" in message
    assert "Fix: set the App's user" in message


def test_a_worker_running_as_root_is_refused_in_prod(prod_apps_view):
    tasks = find(prod_apps_view, CONTAINER, "tasks").with_inputs(user="root")
    message = only(violations("container-non-root", [tasks]))
    assert "Container 'tasks' (tasks, a worker) runs as root (user 'root')" in message
    assert "Fix: set the Worker's user" in message


def test_an_apps_one_shot_job_running_as_root_is_refused_in_prod(prod_apps_view):
    job = find(prod_apps_view, CONTAINER, "admin-migrate").with_inputs(user="0")
    assert "Container 'admin-migrate' (admin-migrate, an app-migrate) runs as root (user '0')" in only(
        violations("container-non-root", [job])
    )


def test_an_app_with_its_own_component_label_running_as_root_is_refused_in_prod(prod_apps_view):
    admin = find(prod_apps_view, CONTAINER, "admin")
    labels = [{**e, "value": "billing"} if e["label"] == COMPONENT_LABEL else e for e in admin.inputs["labels"]]
    message = only(violations("container-non-root", [admin.with_inputs(labels=labels, user="0:0")]))
    assert "Container 'admin' (admin, a billing) runs as root (user '0:0')" in message and "set the App's user" in message


def test_an_app_running_as_1001_1001_passes_in_prod(prod_apps_view):
    admin = find(prod_apps_view, CONTAINER, "admin")
    assert admin.inputs["user"] == "1001:1001"
    assert violations("container-non-root", [admin.with_inputs(user="0:0")]), "the rule judges the app"
    assert violations("container-non-root", [admin]) == []


def test_an_app_running_as_root_is_refused_when_the_policy_config_says_prod(dev_apps_view):
    admin = find(dev_apps_view, CONTAINER, "admin").with_inputs(user="0:0")
    assert "(admin, an app) runs as root" in only(violations("container-non-root", [admin], {"environment": "prod"}))


def test_the_api_migration_running_as_root_is_refused(dev_view):
    job = find(dev_view, CONTAINER, "api-migrate").with_inputs(user="0:0")
    message = only(violations("container-non-root", [job]))
    assert "Container 'api-migrate' (api-migrate, an api-migration) runs as root (user '0:0')" in message


# on Swarm: the App's and the Worker's services


def service(view: list[EngineResource], name: str, user: str | None) -> EngineResource:
    return with_container_spec(find(view, SERVICE, name), user=user)


def test_an_app_service_running_as_root_is_refused_in_prod(swarm_prod_apps_view):
    message = only(violations("service-non-root", [service(swarm_prod_apps_view, "admin", "0:0")]))
    assert "Service 'admin' (admin, an app) runs its tasks as root (user '0:0')" in message
    assert "Fix: set the App's user to a non-root uid:gid such as '1001:1001'" in message


def test_an_app_service_without_a_user_is_refused_in_prod(swarm_prod_apps_view):
    message = only(violations("service-non-root", [service(swarm_prod_apps_view, "admin", None)]))
    assert "Service 'admin' (admin, an app) sets no user" in message


def test_a_worker_service_running_as_root_is_refused_in_prod(swarm_prod_apps_view):
    message = only(violations("service-non-root", [service(swarm_prod_apps_view, "tasks", "root:root")]))
    assert "Service 'tasks' (tasks, a worker) runs its tasks as root (user 'root:root')" in message
    assert "Fix: set the Worker's user" in message


def test_an_app_service_running_as_1001_1001_passes_in_prod(swarm_prod_apps_view):
    admin = find(swarm_prod_apps_view, SERVICE, "admin")
    assert admin.inputs["taskSpec"]["containerSpec"]["user"] == "1001:1001"
    assert violations("service-non-root", [service(swarm_prod_apps_view, "admin", "0:0")]), "the rule judges the app"
    assert violations("service-non-root", [admin]) == []
