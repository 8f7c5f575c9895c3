"""bench/compose_side_by_side_file: one-shot runs of the stack's state become Compose one-shot services.

The side-by-side benchmark deploys a Compose file generated from the stack's exported state. File loaders,
password rotations, the nginx reload and the ACME init are one-shot runs (``OneShot``: a ``spec`` that is an
Engine API ``ContainerCreate`` body, ``files`` copied in before the start), not containers; a Compose file
without them would deploy services with no files, started in the wrong order.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.compose_side_by_side_file import SECRET_SIG, compose_file, image_ids
from bench.healthy import run_timeline, with_runs
from tests.support.program import unwrap

STACK = "urn:pulumi:prod-healthy-bench::standard-stack::"
ONE_SHOT = "pulumi-python:dynamic/standard-stack:OneShot"
PACKAGE_ONE_SHOT = "standard-stack:index:OneShot"
LOADER_IMAGE, PROXY_IMAGE = "sha256:" + "a" * 64, "sha256:" + "b" * 64
IMAGES = {LOADER_IMAGE: "compose-side-by-side:aaaaaaaaaaaa", PROXY_IMAGE: "compose-side-by-side:bbbbbbbbbbbb"}


def urn(typ: str, name: str) -> str:
    return f"{STACK}{typ}::{name}"


def volume(name: str) -> dict[str, Any]:
    typ = "docker:index/volume:Volume"
    return {"urn": urn(typ, name), "type": typ, "id": f"standard-stack-{name}", "inputs": {"name": f"standard-stack-{name}"}}


def network(name: str) -> dict[str, Any]:
    typ = "docker:index/network:Network"
    return {"urn": urn(typ, name), "type": typ, "id": f"net-{name}", "inputs": {"name": f"standard-stack-{name}"}}


def container(name: str, cid: str, *, healthcheck: bool = True, deps: tuple[str, ...] = ()) -> dict[str, Any]:
    typ = "docker:index/container:Container"
    inputs: dict[str, Any] = {"name": f"standard-stack-{name}", "image": PROXY_IMAGE, "mustRun": True}
    if healthcheck:
        inputs["healthcheck"] = {"tests": ["CMD", "true"], "interval": "5s", "timeout": "2s", "retries": 3}
    return {"urn": urn(typ, name), "type": typ, "id": cid, "inputs": inputs, "dependencies": list(deps)}


def run(
    name: str,
    *,
    host: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
    files_path: str | None = None,
    deps: tuple[str, ...] = (),
    typ: str = ONE_SHOT,
    **spec: Any,
) -> dict[str, Any]:
    """A one-shot run as `pulumi stack export` holds it: the props, the dynamic provider's pickle and all."""
    body = {
        "Image": LOADER_IMAGE,
        "User": "65534:65534",
        "Env": [],
        "Labels": {"dev.standard-stack.service": name},
        "HostConfig": {
            "Binds": [],
            "NetworkMode": "none",
            "CapDrop": ["ALL"],
            "CapAdd": [],
            "SecurityOpt": ["no-new-privileges:true"],
            "ReadonlyRootfs": True,
            "RestartPolicy": {"Name": "no"},
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
            **(host or {}),
        },
        **spec,
    }
    inputs = {
        "__provider": "gASV...pickled provider",
        "engine": {"host": "unix:///var/run/docker.sock", "certPath": None, "sshOpts": []},
        "name": f"standard-stack-prod-healthy-bench-{name}",
        "description": f"{name}: loading files",
        "consequence": "the service keeps its previous files",
        "spec": body,
        "files": files or {},
        "filesPath": files_path,
    }
    return {"urn": urn(typ, name), "type": typ, "id": f"run-{name}", "inputs": inputs, "dependencies": list(deps)}


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "plaintext": json.dumps(value)}


def loader() -> dict[str, Any]:
    return run(
        "api-secrets-files-loader",
        Entrypoint=["true"],
        host={"Binds": ["standard-stack-api-secrets-files:/run/secrets/api:rw"]},
        files={"/run/secrets/api/database_url": "postgresql://api:pa$$word@postgres/app"},
        files_path="/run/secrets/api",
    )


def services(*resources: dict[str, Any]) -> dict[str, Any]:
    return compose_file(list(resources), IMAGES)["services"]


def test_a_run_is_a_one_shot_service_with_the_same_container():
    service = services(volume("api-secrets-files"), loader())["api-secrets-files-loader"]
    assert service["image"] == "compose-side-by-side:aaaaaaaaaaaa"
    assert service["pull_policy"] == "never"
    assert service["restart"] == "no"
    assert service["entrypoint"] == ["true"]
    assert service["user"] == "65534:65534"
    assert service["labels"] == {"dev.standard-stack.service": "api-secrets-files-loader"}
    assert service["cap_drop"] == ["ALL"]
    assert service["security_opt"] == ["no-new-privileges:true"]
    assert service["network_mode"] == "none"
    assert service["logging"] == {"driver": "json-file", "options": {"max-size": "10m"}}


def test_a_runs_binds_are_mounts_of_the_files_volumes():
    service = services(volume("api-secrets-files"), loader())["api-secrets-files-loader"]
    assert service["volumes"] == [
        {"type": "volume", "source": "api-secrets-files", "target": "/run/secrets/api", "read_only": False}
    ]


def test_a_runs_files_are_configs_copied_in_root_owned_0440():
    doc = compose_file([volume("api-secrets-files"), loader()], IMAGES)
    service = doc["services"]["api-secrets-files-loader"]
    assert service["configs"] == [
        {"source": "api-secrets-files-loader-0", "target": "/run/secrets/api/database_url", "mode": 0o440}
    ]
    assert doc["configs"] == {"api-secrets-files-loader-0": {"content": "postgresql://api:pa$$$$word@postgres/app"}}


def test_a_run_with_files_gets_a_root_compose_can_copy_them_into():
    """Compose copies configs in at `/`, which the daemon refuses on a read-only root."""
    service = services(volume("api-secrets-files"), loader())["api-secrets-files-loader"]
    assert service["read_only"] is False


def test_a_run_without_files_keeps_its_read_only_root():
    service = services(run("api-migrate-reload"))["api-migrate-reload"]
    assert service["read_only"] is True


def test_a_runs_secret_files_and_spec_are_read_in_plaintext():
    wrapped = loader()
    wrapped["inputs"]["files"] = secret(wrapped["inputs"]["files"])
    wrapped["inputs"]["spec"]["Env"] = [secret("PGPASSWORD=s3cret")]
    doc = compose_file([volume("api-secrets-files"), wrapped], IMAGES)
    assert doc["services"]["api-secrets-files-loader"]["environment"] == ["PGPASSWORD=s3cret"]
    assert doc["configs"]["api-secrets-files-loader-0"]["content"].startswith("postgresql://api:")


def test_the_reload_shares_the_proxys_pid_namespace_as_its_service():
    reload = run("proxy-reload", Cmd=["nginx", "-s", "reload"], host={"PidMode": "container:c0ffee"})
    assert services(container("proxy", "c0ffee"), reload)["proxy-reload"]["pid"] == "service:proxy"


def test_a_run_on_a_network_of_the_stack_joins_it():
    rotation = run("redis-rotate", host={"NetworkMode": "standard-stack-backend"})
    service = services(network("backend"), rotation)["redis-rotate"]
    assert service["networks"] == {"backend": {}}
    assert "network_mode" not in service


def test_a_runs_capabilities_and_tmpfs_are_kept():
    init = run("acme-init", User="0:0", host={"CapAdd": ["CHOWN", "DAC_OVERRIDE", "FOWNER"], "Tmpfs": {"/tmp": "size=16m"}})
    service = services(init)["acme-init"]
    assert service["cap_add"] == ["CHOWN", "DAC_OVERRIDE", "FOWNER"]
    assert service["tmpfs"] == ["/tmp:size=16m"]
    assert service["user"] == "0:0"


def test_a_service_waits_for_a_run_to_complete_successfully():
    api = container("api", "a1", deps=(urn(ONE_SHOT, "api-secrets-files-loader"),))
    doc = services(volume("api-secrets-files"), loader(), api)
    assert doc["api"]["depends_on"] == {"api-secrets-files-loader": {"condition": "service_completed_successfully"}}


def test_a_run_waits_for_what_it_depends_on():
    reload = run(
        "proxy-reload",
        host={"PidMode": "container:c0ffee"},
        deps=(urn("docker:index/container:Container", "proxy"), urn(ONE_SHOT, "site-files-loader")),
    )
    site = run("site-files-loader")
    doc = services(container("proxy", "c0ffee"), site, reload)
    assert doc["proxy-reload"]["depends_on"] == {
        "proxy": {"condition": "service_healthy"},
        "site-files-loader": {"condition": "service_completed_successfully"},
    }


def test_a_run_of_the_component_package_is_translated_too():
    doc = services(run("api-secrets-files-loader", typ=PACKAGE_ONE_SHOT, Entrypoint=["true"]))
    assert doc["api-secrets-files-loader"]["entrypoint"] == ["true"]


def test_the_runs_images_are_tagged_for_compose():
    assert image_ids([container("proxy", "c0ffee"), loader()]) == {PROXY_IMAGE, LOADER_IMAGE}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda r: r["inputs"]["spec"].update(Healthcheck={}), "spec keys not translated to Compose: Healthcheck"),
        (lambda r: r["inputs"]["spec"]["HostConfig"].update(Privileged=True), "HostConfig keys not translated.*: Privileged"),
        (lambda r: r["inputs"].update(retries=2), "one-shot props not translated to Compose: retries"),
    ],
)  # fmt: skip
def test_a_run_setting_it_cannot_translate_is_an_error_naming_it(change, named):
    resource = run("api-migrate-reload")
    change(resource)
    with pytest.raises(ValueError, match=named):
        services(resource)


def test_a_bind_of_a_volume_the_stack_did_not_register_is_an_error_naming_it():
    resource = run("api-loader", host={"Binds": ["elsewhere:/data:rw"]})
    with pytest.raises(ValueError, match="api-loader: bind 'elsewhere:/data:rw' names volume 'elsewhere'"):
        services(resource)


def test_a_file_outside_the_runs_files_path_is_an_error_naming_it():
    resource = run("api-loader", files={"/etc/passwd": "x"}, files_path="/run/secrets/api")
    with pytest.raises(ValueError, match="api-loader: files outside filesPath '/run/secrets/api': /etc/passwd"):
        services(resource)


def exported(program: Any) -> list[dict[str, Any]]:
    """The containers, runs, volumes and networks a program run under mocks registered, as an export holds them."""
    kinds = ("docker:index/container:Container", ONE_SHOT, "docker:index/volume:Volume", "docker:index/network:Network")
    resources = []
    for registered in program.mocks.registered:
        if registered.typ in kinds:
            options = program.options(registered.name, registered.typ)
            resources.append({
                "urn": program.monitor.urn_of(registered.name, registered.typ), "type": registered.typ,
                "id": f"{registered.name}-id", "inputs": unwrap(registered.inputs), "dependencies": options.dependencies,
            })  # fmt: skip
    return resources


def test_every_run_of_the_prod_program_is_a_service_of_the_compose_file(prod):
    """The real program under mocks: a setting a component gives a run must be translated here too."""
    resources = exported(prod)
    runs = {r["urn"].rsplit("::", 1)[-1] for r in resources if r["type"] == ONE_SHOT}
    assert runs, "the prod program registered no one-shot run"
    assert runs <= set(compose_file(resources, {})["services"])


def test_the_prod_programs_services_wait_for_the_runs_they_follow(prod):
    doc = compose_file(exported(prod), {})["services"]
    assert doc["api"]["depends_on"]["api-secrets-files-loader"] == {"condition": "service_completed_successfully"}
    assert doc["proxy-reload"]["pid"] == "service:proxy"


def event(action: str, name: str, at: float, exit_code: str | None = None, *, service: str = "") -> dict[str, Any]:
    attributes = {"name": f"standard-stack-prod-healthy-bench-{name}", "dev.standard-stack.service": service or name}
    if exit_code is not None:
        attributes["exitCode"] = exit_code
    return {"Type": "container", "Action": action, "Actor": {"Attributes": attributes}, "timeNano": str(int(at * 1e9))}


def test_a_runs_timeline_comes_from_the_engines_events_since_its_container_is_gone():
    events = [event("die", "api-files", 102.5, "0"), event("start", "api-files", 102.0)]
    assert run_timeline(events, 100.0)["api-files"] == {
        "service": "api-files",
        "container": "standard-stack-prod-healthy-bench-api-files",
        "started_s": 2.0,
        "finished_s": 2.5,
        "own_s": 0.5,
        "status": "exited 0",
        "run": True,
    }


def test_runs_sharing_a_service_label_are_numbered_in_start_order():
    """The proxy's start-site and site loaders both carry `proxy-files`: neither hides the other."""
    events = [
        event("start", "proxy-site-files", 110.0, service="proxy-files"),
        event("start", "proxy-site-start-files", 102.0, service="proxy-files"),
    ]
    timeline = run_timeline(events, 100.0)
    assert timeline["proxy-files"]["container"] == "standard-stack-prod-healthy-bench-proxy-site-start-files"
    assert timeline["proxy-files 2"]["container"] == "standard-stack-prod-healthy-bench-proxy-site-files"


def test_a_runs_timeline_joins_the_containers_still_there():
    still_there = {"api": {"service": "api", "container": "standard-stack-prod-healthy-bench-api", "started_s": 8.0}}
    events = [event("start", "api-files", 102.0), event("die", "api-files", 102.5, "0")]
    assert list(with_runs(still_there, events, 100.0)) == ["api-files", "api"]
