"""One-shot runs in the component package: components constructed by the package's provider register them as
``standard-stack:index:OneShot``, which that provider serves with ``OneShotProvider`` (a program in another
language has no Python virtualenv for a dynamic provider). The runs themselves: tests/e2e/test_yaml_package.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
import pytest
from pulumi.provider.provider import Provider
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import proto, rpc

from standard_stack import Runtime, one_shot
from standard_stack._files import FileBundle
from standard_stack.one_shot import CONTAINER_TYPE, IN_PACKAGE, EngineError, PackageResource
from standard_stack.package.server import OneShotServicer
from tests.support.program import ONE_SHOT, ProgramRun, RecordingMocks, run_program

PACKAGE = PackageResource("standard-stack:index:OneShot", "0.1.0")
URN = "urn:pulumi:s::p::standard-stack:index:PostgresService$standard-stack:index:OneShot::db-secrets-files"
SPEC = {"Image": "sha256:abc", "Entrypoint": ["true"], "User": "65534:65534", "HostConfig": {"NetworkMode": "none"}}


def props(**changes: Any) -> dict[str, Any]:
    return {
        "engine": {"host": "unix:///var/run/docker.sock"},
        "name": "shop-prod-db-secrets-files",
        "description": "db-secrets: loading files into /run/secrets",
        "consequence": "the service keeps its previous files",
        "spec": SPEC,
        "files": {"/run/secrets/postgres_password": "pw"},
        "filesPath": "/run/secrets",
        **changes,
    }


class Aborted(Exception):
    """What ``grpc.aio``'s ``context.abort`` raises: the request fails with ``code`` and ``details``."""


class Context:
    async def abort(self, code: Any, details: str) -> None:
        raise Aborted(code, details)


def servicer() -> OneShotServicer:
    return OneShotServicer(Provider("0.1.0"), [], "127.0.0.1:1", PACKAGE)


def struct(values: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(values, {}))


def returned(properties: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(properties))


@pytest.fixture
def runs(monkeypatch) -> list[dict[str, Any]]:
    """The props each run was given (``one_shot.run``, which needs an engine, records them and answers an id)."""
    given: list[dict[str, Any]] = []
    monkeypatch.setattr(one_shot, "run", lambda p: given.append(p) or "c0ffee")
    return given


def create(values: dict[str, Any]) -> Any:
    request = proto.CreateRequest(urn=URN, type=PACKAGE.type_, properties=struct(values))
    return asyncio.run(servicer().Create(request, Context()))


def registrations(package: PackageResource | None) -> tuple[RecordingMocks, ProgramRun]:
    def program() -> None:
        token = IN_PACKAGE.set(package)
        try:
            FileBundle("cfg", runtime=Runtime(project="shop", stack="prod"), service="cfg", image="sha256:abc",
                       mount_path="/etc/cfg", files={"a": "1"},
                       parent=pulumi.ComponentResource("test:index:Holder", "holder"))  # fmt: skip
        finally:
            IN_PACKAGE.reset(token)

    mocks = RecordingMocks()
    return mocks, run_program(mocks, {}, stack="prod", program=program)


def test_inside_the_package_provider_a_run_registers_as_the_packages_resource_with_the_dynamic_ones_props():
    mocks, _ = registrations(None)
    (dynamic,) = mocks.of_type(ONE_SHOT)
    mocks, _ = registrations(PACKAGE)
    (packaged,) = mocks.of_type(PACKAGE.type_)
    assert packaged.name == dynamic.name
    assert packaged.inputs == {k: v for k, v in dynamic.inputs.items() if k != "__provider"}


def test_inside_the_package_provider_a_run_is_still_an_alias_of_the_container_it_was():
    _, run = registrations(PACKAGE)
    (alias,) = run.options("cfg-files-loader", PACKAGE.type_).aliases
    assert CONTAINER_TYPE in alias


def test_construct_makes_runs_the_packages_resources_only_while_it_constructs(monkeypatch):
    async def seen(self, request, context):
        return IN_PACKAGE.get()

    monkeypatch.setattr(ProviderServicer, "Construct", seen)
    assert asyncio.run(servicer().Construct(proto.ConstructRequest(), Context())) == PACKAGE
    assert IN_PACKAGE.get() is None


def test_create_runs_it_with_its_secrets_unwrapped_and_answers_the_runs_id(runs):
    response = create(props(files={"/run/secrets/postgres_password": rpc.wrap_rpc_secret("pw")}))
    assert runs == [props()]
    assert response.id == "c0ffee"


def test_create_returns_the_files_secret_even_when_they_came_plain(runs):
    outputs = returned(create(props()).properties)
    assert outputs["files"] == rpc.wrap_rpc_secret({"/run/secrets/postgres_password": "pw"})


def test_create_returns_secret_what_came_secret_and_the_rest_plain(runs):
    secret_spec = {**SPEC, "Env": [rpc.wrap_rpc_secret("PASSWORD=pw")]}
    outputs = returned(create(props(spec=secret_spec)).properties)
    assert outputs["spec"] == rpc.wrap_rpc_secret({**SPEC, "Env": ["PASSWORD=pw"]})
    assert outputs["name"] == "shop-prod-db-secrets-files"


def test_check_keeps_the_secret_inputs_secret():
    news = props(files=rpc.wrap_rpc_secret({"/run/secrets/postgres_password": "pw"}))
    request = proto.CheckRequest(urn=URN, type=PACKAGE.type_, olds=struct({}), news=struct(news))
    response = asyncio.run(servicer().Check(request, Context()))
    assert returned(response.inputs)["files"] == rpc.wrap_rpc_secret({"/run/secrets/postgres_password": "pw"})
    assert list(response.failures) == []


def test_diff_answers_one_shot_providers_decision_on_unwrapped_props():
    olds, news = struct(props(files=rpc.wrap_rpc_secret({"/a": "1"}))), struct(props(files=rpc.wrap_rpc_secret({"/a": "2"})))
    request = proto.DiffRequest(id="c0ffee", urn=URN, type=PACKAGE.type_, olds=olds, news=news)
    response = asyncio.run(servicer().Diff(request, Context()))
    assert (response.changes, list(response.replaces), response.deleteBeforeReplace) == (
        proto.DiffResponse.DIFF_SOME, ["files"], True,
    )  # fmt: skip


def test_diff_of_the_same_secret_props_proposes_nothing():
    same = struct(props(files=rpc.wrap_rpc_secret({"/a": "1"})))
    request = proto.DiffRequest(id="c0ffee", urn=URN, type=PACKAGE.type_, olds=same, news=same)
    assert asyncio.run(servicer().Diff(request, Context())).changes == proto.DiffResponse.DIFF_NONE


def test_a_refresh_keeps_the_recorded_run_with_its_files_secret():
    request = proto.ReadRequest(id="c0ffee", urn=URN, type=PACKAGE.type_, properties=struct(props()))
    response = asyncio.run(servicer().Read(request, Context()))
    assert response.id == "c0ffee"
    assert returned(response.properties) == {**props(), "files": rpc.wrap_rpc_secret(props()["files"])}


def test_a_failed_run_fails_the_request_with_its_description_and_log_not_a_traceback(monkeypatch):
    def failed(_props):
        raise EngineError("db-secrets: loading files failed with exit code 1; the service keeps its previous files.")

    monkeypatch.setattr(one_shot, "run", failed)
    with pytest.raises(Aborted) as aborted:
        create(props())
    assert aborted.value.args[1] == "db-secrets: loading files failed with exit code 1; the service keeps its previous files."


def test_a_request_for_another_resource_type_is_refused_naming_the_type(runs):
    request = proto.CreateRequest(urn=URN, type="standard-stack:index:Other", properties=struct(props()))
    with pytest.raises(Aborted, match="unknown resource type 'standard-stack:index:Other'"):
        asyncio.run(servicer().Create(request, Context()))
    assert runs == []
