"""PythonApi and NextApp take the app's own env and secrets, and set those secrets as its environment.

With ``secrets_as_env`` the preset runs its image's own command through App's exec wrapper: the
values reach the app's process from their files at start, never the container's config; the preset's
own password files stay files only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pulumi
import pytest
from pydantic import ValidationError

from standard_stack import NextApp, NextAppArgs, PythonApi, PythonApiArgs, Runtime, next_app, python_api
from standard_stack.app import ENV_WRAPPER
from standard_stack.python_api import DatabaseConnection, RedisConnection
from tests.support.one_shot import one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program

ROOT = Path(__file__).resolve().parents[3]
RUNTIME = Runtime(project="shop", stack="test")
SECRET_KEY = "sk-4d1f9c0e"


def run(body):
    mocks = RecordingMocks()
    run_program(mocks, {}, stack="test", program=body)
    return mocks


def api_args(**overrides):
    values = {
        "runtime": RUNTIME,
        "database": DatabaseConnection(host="db", port=5432, database="app", user="app", password="dbpw-7c2e"),
        "redis": RedisConnection(host="cache", port=6379, password="rpw-91b0"),
        "frontend_network": "frontend",
        "backend_network": "backend",
    }
    return PythonApiArgs(**{**values, **overrides})


def web_args(**overrides):
    values = {"runtime": RUNTIME, "network": "frontend", "api_url": "http://api:8000", "public_url": "http://localhost"}
    return NextAppArgs(**{**values, **overrides})


def own_secret(**overrides):
    return {"secrets": {"SECRET_KEY": pulumi.Output.secret(SECRET_KEY)}, "secrets_as_env": True, **overrides}


def files(mocks, name):
    return one_shot(mocks, f"{name}-secrets-files-loader").files


def exported(wrapper: str) -> list[str]:
    return re.findall(r"^export (\w+)$", wrapper, flags=re.M)


def dockerfile_cmd(image: str, stage: str) -> list[str]:
    """The CMD of one stage of images/<image>/Dockerfile, as the image runs it."""
    text = (ROOT / "images" / image / "Dockerfile").read_text()
    body = re.split(r"^FROM ", text, flags=re.M)
    (section,) = [s for s in body if re.match(rf"\S+ AS {stage}\b", s)]
    return json.loads(re.findall(r"^CMD (\[.*\])$", section, flags=re.M)[-1])


def test_the_api_sets_its_own_secret_as_a_variable_of_its_process_and_nowhere_in_the_container():
    mocks = run(lambda: PythonApi("api", api_args(**own_secret())))
    box = mocks.named("api", CONTAINER)
    assert box.plain("entrypoints") == ["/bin/sh", f"/run/secrets/{ENV_WRAPPER}"]
    assert box.plain("command") == ["python", "-m", "app"]
    assert SECRET_KEY not in json.dumps(box.inputs, default=str)
    uploaded = files(mocks, "api")
    assert uploaded["/run/secrets/SECRET_KEY"] == SECRET_KEY
    assert exported(uploaded[f"/run/secrets/{ENV_WRAPPER}"]) == ["SECRET_KEY"]


def test_the_api_keeps_its_database_and_redis_passwords_files_only():
    mocks = run(lambda: PythonApi("api", api_args(**own_secret())))
    wrapper = files(mocks, "api")[f"/run/secrets/{ENV_WRAPPER}"]
    assert "postgres_password" not in wrapper and "redis_password" not in wrapper


def test_the_api_migration_runs_through_the_same_wrapper():
    mocks = run(lambda: PythonApi("api", api_args(**own_secret())))
    job = mocks.named("api-migrate", CONTAINER)
    assert job.plain("entrypoints") == ["/bin/sh", f"/run/secrets/{ENV_WRAPPER}"]
    assert job.plain("command") == ["alembic", "upgrade", "head"]


def test_the_wrapper_runs_the_commands_the_images_declare():
    assert dockerfile_cmd("api", "runtime") == python_api.COMMAND
    assert dockerfile_cmd("api", "dev") == python_api.DEV_COMMAND
    assert dockerfile_cmd("web", "runner") == next_app.COMMAND
    assert dockerfile_cmd("web", "dev") == next_app.DEV_COMMAND


def test_hot_reload_runs_the_dev_command_through_the_wrapper(tmp_path):
    mocks = run(lambda: PythonApi("api", api_args(hot_reload_source=str(tmp_path), **own_secret())))
    assert mocks.named("api", CONTAINER).plain("command") == python_api.DEV_COMMAND


def test_the_api_own_env_comes_after_its_settings():
    mocks = run(lambda: PythonApi("api", api_args(env={"FEATURE_X": "on"})))
    envs = mocks.named("api", CONTAINER).plain("envs")
    assert envs[-1] == "FEATURE_X=on" and "POSTGRES_HOST=db" in envs


def test_without_secrets_as_env_the_api_runs_the_images_own_entrypoint_and_command():
    mocks = run(lambda: PythonApi("api", api_args(secrets={"SECRET_KEY": "x"})))
    box = mocks.named("api", CONTAINER)
    assert box.plain("entrypoints") is None and box.plain("command") is None
    assert f"/run/secrets/{ENV_WRAPPER}" not in files(mocks, "api")


def test_the_web_app_sets_its_own_secret_as_a_variable_of_its_process_and_nowhere_in_the_container():
    mocks = run(lambda: NextApp("web", web_args(**own_secret())))
    box = mocks.named("web", CONTAINER)
    assert box.plain("entrypoints") == ["/bin/sh", f"/run/secrets/{ENV_WRAPPER}"]
    assert box.plain("command") == ["node", "start.mjs"]
    assert box.plain("groupAdds") == ["0"]  # its user 1001:1001 reads the root-owned 0440 files
    assert SECRET_KEY not in json.dumps(box.inputs, default=str)
    assert exported(files(mocks, "web")[f"/run/secrets/{ENV_WRAPPER}"]) == ["SECRET_KEY"]


@pytest.mark.parametrize(
    ("make", "overrides", "message"),
    [
        (api_args, {"secrets": {"postgres_password": "x"}}, "secrets key 'postgres_password' is used by the preset itself"),
        (api_args, {"env": {"POSTGRES_HOST": "x"}}, "env key 'POSTGRES_HOST' is set by the preset itself"),
        (web_args, {"env": {"PORT": "80"}}, "env key 'PORT' is set by the preset itself"),
        (web_args, {"secrets_as_env": True}, "secrets_as_env is on but secrets is empty"),
        (web_args, {"secrets": {"db-url": "x"}, "secrets_as_env": True}, "secrets key 'db-url' must be an environment"),
        (api_args, {"env": {"A": "1"}, "secrets": {"A": "x"}, "secrets_as_env": True}, "A is in both env and secrets"),
    ],
)
def test_own_names_that_clash_or_are_malformed_are_refused_naming_them(make, overrides, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        make(**overrides)
