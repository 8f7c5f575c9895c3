"""App: one component for any image, described once, run as a container or a Swarm service."""

from __future__ import annotations

import json
import re

import pulumi
import pytest
from pydantic import ValidationError

from standard_stack import App, AppArgs, AppJob, HealthCheck, ImageBuild, Runtime
from standard_stack.app import ENV_WRAPPER
from tests.support.one_shot import one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program

RUNTIME = Runtime(project="shop", stack="test")
SWARM = Runtime(project="shop", stack="test", target="swarm")
SERVICE = "docker:index/service:Service"
SECRET_VALUES = {"DATABASE_URL": "postgresql://app:pw-db-5f1c@db:5432/app", "SECRET_KEY": "sk-9a7e2b"}


def run(body, mocks=None):
    mocks = mocks or RecordingMocks()
    run_program(mocks, {}, stack="test", program=body)
    return mocks


def args(**overrides):
    values = {
        "runtime": RUNTIME,
        "image": "ghcr.io/example/notes:1.4.2",
        "port": 8000,
        "networks": ["frontend", "backend"],
        "health": HealthCheck(http_path="/health/"),
    }
    return AppArgs(**{**values, **overrides})


def env_secrets(**overrides):
    return args(
        secrets={k: pulumi.Output.secret(v) for k, v in SECRET_VALUES.items()},
        secrets_as_env=True,
        entrypoint=["/entrypoint.sh"],
        command=["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"],
        **overrides,
    )


def app(mocks=None, **overrides):
    return run(lambda: App("notes", args(**overrides)), mocks)


def container(mocks, name="notes"):
    return mocks.named(name, CONTAINER)


def test_an_existing_image_is_pulled_and_the_container_runs_its_id():
    mocks = app()
    pulled = mocks.named("notes-image", "docker:index/remoteImage:RemoteImage")
    assert pulled.plain("name") == "ghcr.io/example/notes:1.4.2"
    assert container(mocks).plain("image").startswith("sha256:")


def test_a_build_makes_a_content_tagged_release():
    mocks = app(image=None, build=ImageBuild(context="images/api"))
    image = mocks.named("notes-image", "docker:index/image:Image")
    assert image.plain("imageName").startswith("shop-notes:test-")


def test_build_and_image_together_are_refused_naming_both():
    with pytest.raises(ValidationError, match=r"give exactly one of build \(sources\) or image"):
        args(build=ImageBuild(context="images/api"))


def test_the_container_joins_every_network_under_its_alias_and_is_replaced_create_first():
    mocks = RecordingMocks()
    run_ = run_program(mocks, {}, stack="test", program=lambda: App("notes", args(aliases=["notes-api"])))
    networks = container(mocks).plain("networksAdvanced")
    assert [(n["name"], n["aliases"]) for n in networks] == [("frontend", ["notes-api"]), ("backend", ["notes-api"])]
    options = run_.options("notes")
    assert options.delete_before_replace is False and options.delete_before_replace_defined
    # old and new run side by side: the name ends in a suffix of its own, so a replacement has another
    assert re.fullmatch(r"shop-test-notes-[0-9a-f]{7}", container(mocks).plain("name"))
    assert options.ignore_changes == ["name"]  # a container named before keeps its name until replaced


def test_the_http_health_check_runs_the_named_prober_on_the_port():
    mocks = app(health=HealthCheck(http_path="/health/", prober="wget", start_period="30s"))
    health = container(mocks).plain("healthcheck")
    assert health["tests"] == ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/health/"]
    assert health["startPeriod"] == "30s"
    assert container(mocks).plain("wait") is True


def test_a_command_health_check_is_run_as_given_without_a_shell():
    mocks = app(health=HealthCheck(command=["/app", "health"]))
    assert container(mocks).plain("healthcheck")["tests"] == ["CMD", "/app", "health"]


def test_without_a_health_check_the_deploy_does_not_wait_for_one():
    mocks = app(health=None)
    assert container(mocks).plain("healthcheck") is None
    assert container(mocks).plain("wait") is False


@pytest.mark.parametrize(
    ("health", "message"),
    [
        ({}, "give exactly one of http_path"),
        ({"http_path": "/health", "command": ["true"]}, "give exactly one of http_path"),
        ({"http_path": "/health", "prober": "perl"}, "prober"),
    ],
    ids=["neither", "both", "unknown prober"],
)
def test_a_health_check_needs_exactly_one_known_form(health, message):
    with pytest.raises(ValidationError, match=message):
        HealthCheck(**health)


def test_an_http_health_check_without_a_port_is_refused():
    with pytest.raises(ValidationError, match=r"health\.http_path needs port"):
        args(port=None)


def test_secrets_are_root_owned_0440_files_at_the_chosen_path_and_nowhere_in_the_container():
    mocks = run(lambda: App("notes", args(secrets={"db_url": pulumi.Output.secret("pw-x1")}, secrets_path="/etc/notes")))
    loader = one_shot(mocks, "notes-secrets-files-loader")  # its provider copies the files in root-owned 0440
    assert loader.files == {"/etc/notes/db_url": "pw-x1"} and loader.prop("filesPath") == "/etc/notes"
    assert "pw-x1" not in json.dumps(container(mocks).inputs, default=str)
    mounts = container(mocks).plain("volumes")
    assert {k: mounts[0][k] for k in ("containerPath", "readOnly")} == {"containerPath": "/etc/notes", "readOnly": True}
    assert loader.mounts == {"/etc/notes": (mounts[0]["volumeName"], False)}  # the volume the app reads


def test_a_user_outside_group_0_reads_the_secret_files_as_a_member_of_group_0():
    mocks = run(lambda: App("notes", args(user="1001", secrets={"key": "v"})))
    assert container(mocks).plain("groupAdds") == ["0"]


def test_secrets_given_as_plain_strings_are_kept_secret_in_the_state():
    mocks = run(lambda: App("notes", args(secrets={"key": "plain-value"})))
    assert one_shot(mocks, "notes-secrets-files-loader").files_are_secret


def test_env_secrets_run_the_app_through_the_wrapper_with_its_own_entrypoint_and_command():
    mocks = run(lambda: App("notes", env_secrets()))
    box = container(mocks)
    assert box.plain("entrypoints") == ["/bin/sh", f"/run/secrets/{ENV_WRAPPER}", "/entrypoint.sh"]
    assert box.plain("command") == ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
    inputs = json.dumps(box.inputs, default=str)
    assert not any(value in inputs for value in SECRET_VALUES.values())


def test_the_wrapper_exports_each_secret_from_its_file_then_execs_the_app():
    mocks = run(lambda: App("notes", env_secrets()))
    files = one_shot(mocks, "notes-secrets-files-loader").files
    wrapper = files[f"/run/secrets/{ENV_WRAPPER}"]
    assert wrapper.splitlines() == [
        "#!/bin/sh",
        "# standard-stack: the app's secrets as its environment, read from their files at start",
        "set -eu",
        "DATABASE_URL=\"$(cat '/run/secrets/DATABASE_URL')\"",
        "export DATABASE_URL",
        "SECRET_KEY=\"$(cat '/run/secrets/SECRET_KEY')\"",
        "export SECRET_KEY",
        'exec "$@"',
    ]
    assert files["/run/secrets/SECRET_KEY"] == "sk-9a7e2b"


def test_env_secrets_without_an_explicit_entrypoint_and_command_are_refused():
    with pytest.raises(ValidationError, match="secrets_as_env needs entrypoint and command given"):
        args(secrets={"SECRET_KEY": "x"}, secrets_as_env=True, command=["serve"])


def test_env_secrets_need_environment_variable_names():
    with pytest.raises(ValidationError, match="secrets key 'db-url' must be an environment variable name"):
        args(secrets={"db-url": "x"}, secrets_as_env=True, entrypoint=[], command=["serve"])


def test_the_job_runs_the_command_in_the_same_image_with_the_apps_env_and_secrets_before_the_container():
    def body():
        App("notes", env_secrets(env={"ENVIRONMENT": "prod"}, job=AppJob(command=["alembic", "upgrade", "head"], name="migrate")))

    mocks = RecordingMocks()
    run_ = run_program(mocks, {}, stack="test", program=body)
    job = container(mocks, "notes-migrate")
    assert job.plain("command") == ["alembic", "upgrade", "head"]
    assert job.plain("entrypoints") == container(mocks).plain("entrypoints")
    assert job.plain("image") == container(mocks).plain("image")
    assert job.plain("envs") == ["ENVIRONMENT=prod"]
    assert job.plain("volumes")[0]["containerPath"] == "/run/secrets"
    assert run_.depends_on("notes", "notes-migrate")
    assert container(mocks).plain("labels")  # the job's outcome orders the container
    assert {"label": "dev.standard-stack.migrated", "value": "ok"} in container(mocks).plain("labels")


class FailedJob(RecordingMocks):
    def new_resource(self, args):
        rid, outputs = super().new_resource(args)
        if args.name == "notes-migrate":
            outputs.update(exitCode=2, containerLogs="sqlalchemy.exc.OperationalError: no such host")
        return rid, outputs


def test_a_failed_job_fails_the_deploy_with_its_log_and_starts_no_container():
    mocks = FailedJob()
    job = AppJob(command=["alembic", "upgrade", "head"], name="migrate", what="database migration")
    with pytest.raises(pulumi.RunError) as caught:
        run(lambda: App("notes", args(job=job)), mocks)
    assert "database migration failed with exit code 2" in str(caught.value)
    assert "no such host" in str(caught.value)
    assert [r.name for r in mocks.of_type(CONTAINER)] == ["notes-migrate"]


def test_the_upstream_names_the_container_on_the_first_network():
    captured = {}

    def body():
        captured["app"] = App("notes", args())

    mocks = run(body)
    assert captured["app"].upstream is not None
    assert container(mocks).plain("networksAdvanced")[0]["name"] == "frontend"


def test_named_volumes_are_mounted_and_protected_when_asked():
    mocks = RecordingMocks()
    run_ = run_program(
        mocks, {}, stack="test", program=lambda: App("notes", args(volumes={"uploads": "/data"}, protect_data=True))
    )
    volume = mocks.named("uploads-data", "docker:index/volume:Volume")
    assert volume.plain("name") == "shop-test-uploads-data"
    assert run_.options("uploads-data", "docker:index/volume:Volume").protect is True
    assert {"volumeName": "shop-test-uploads-data", "containerPath": "/data"} in container(mocks).plain("volumes")


def test_stop_signal_and_grace_reach_the_container():
    mocks = app(stop_signal="SIGQUIT", stop_grace_seconds=45)
    box = container(mocks)
    assert (box.plain("stopSignal"), box.plain("stopTimeout"), box.plain("destroyGraceSeconds")) == ("SIGQUIT", 45, 45)


def test_on_swarm_the_same_description_is_one_service_with_secrets_as_docker_secrets():
    def body():
        App("notes", env_secrets(runtime=SWARM, network_ids=["fid", "bid"], user="1001:0", replicas=3, env={"A": "1"}))

    mocks = run(body)
    assert mocks.of_type(CONTAINER) == []
    spec = mocks.named("notes", SERVICE).plain("taskSpec")["containerSpec"]
    assert spec["commands"] == ["/bin/sh", f"/run/secrets/{ENV_WRAPPER}", "/entrypoint.sh"]
    assert spec["args"][0] == "uvicorn"
    assert spec["env"] == {"A": "1"}
    assert sorted(s["fileName"] for s in spec["secrets"]) == sorted([*SECRET_VALUES, ENV_WRAPPER])
    assert mocks.named("notes", SERVICE).plain("mode")["replicated"]["replicas"] == 3


def test_on_swarm_a_user_outside_group_0_reads_the_secret_files_as_a_member_of_group_0():
    mocks = run(lambda: App("notes", env_secrets(runtime=SWARM, network_ids=["f", "b"], user="1001:1001")))
    spec = mocks.named("notes", SERVICE).plain("taskSpec")["containerSpec"]
    assert (spec["user"], spec["groups"]) == ("1001:1001", ["0"])
    assert {s["fileGid"] for s in spec["secrets"]} == {"0"}


def test_on_swarm_a_pulled_image_is_run_by_its_reference_for_every_node_to_pull():
    mocks = run(lambda: App("notes", args(runtime=SWARM, network_ids=["f", "b"])))
    spec = mocks.named("notes", SERVICE).plain("taskSpec")["containerSpec"]
    assert spec["image"] == "ghcr.io/example/notes:1.4.2"


def test_on_swarm_a_secrets_path_other_than_run_secrets_is_refused():
    with pytest.raises(pulumi.RunError, match=r"secrets_path \(/etc/notes\) must be /run/secrets on swarm"):
        run(
            lambda: App(
                "notes", args(runtime=SWARM, network_ids=["f", "b"], user="1001:0", secrets={"k": "v"}, secrets_path="/etc/notes")
            )
        )


def test_the_job_joins_only_the_networks_it_names():
    job = AppJob(command=["migrate"], networks=["backend"])
    mocks = app(job=job)
    assert [n["name"] for n in container(mocks, "notes-job").plain("networksAdvanced")] == ["backend"]
    assert {"label": "dev.standard-stack.component", "value": "app-job"} in container(mocks, "notes-job").plain("labels")


def test_a_tmpfs_path_must_be_absolute():
    with pytest.raises(ValidationError, match="tmpfs path 'tmp' must be an absolute container path"):
        args(tmpfs={"tmp": "rw"})


def test_the_wrapper_hands_values_over_verbatim_and_runs_the_command_in_its_place(tmp_path):
    import subprocess

    from standard_stack.app import env_wrapper

    values = {"DATABASE_URL": "postgresql://app:p$w'd\"`x`@db/app", "TLS_KEY": "-----BEGIN-----\nline two\n-----END-----"}
    for key, value in values.items():
        (tmp_path / key).write_text(value)
    (tmp_path / ENV_WRAPPER).write_text(env_wrapper(str(tmp_path), list(values)))
    script = 'printf "%s|%s|%s" "$DATABASE_URL" "$TLS_KEY" "$$"'
    proc = subprocess.Popen(
        ["/bin/sh", str(tmp_path / ENV_WRAPPER), "sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    url, key, pid = out.split("|")
    assert (url, key) == (values["DATABASE_URL"], values["TLS_KEY"])
    assert int(pid) == proc.pid  # exec: the app is the process Docker signals, not a child of the wrapper


def test_the_wrapper_fails_the_start_when_a_secret_file_is_missing(tmp_path):
    import subprocess

    from standard_stack.app import env_wrapper

    (tmp_path / ENV_WRAPPER).write_text(env_wrapper(str(tmp_path), ["SECRET_KEY"]))
    proc = subprocess.run(["/bin/sh", str(tmp_path / ENV_WRAPPER), "true"], capture_output=True, text=True)
    assert proc.returncode != 0 and "SECRET_KEY" in proc.stderr
