"""Releases: content tags, the kept window, the pin (under mocks), and the settings that drive them."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi
import pytest

from stack_settings import ConfigError, parse
from standard_stack import ImageBuild, PythonApi, ReleaseArgs
from standard_stack.releases import content_digest, kept_releases
from tests.support.one_shot import ONE_SHOT, one_shot
from tests.support.program import CONTAINER, RecordingMocks, run_program, run_stack
from tests.unit.components.harness import api_args

REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
IMAGE = "docker:index/image:Image"


# --- content digest ------------------------------------------------------------------------------
def context(tmp_path: Path, files: dict[str, str], ignore: str | None = None) -> ImageBuild:
    root = tmp_path / "app"
    for rel, text in {"Dockerfile": "FROM scratch\n", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return ImageBuild(context=str(root))


def digest(build: ImageBuild, platform: str = "linux/amd64") -> str:
    return content_digest(build, platform=platform)


def test_digest_is_the_same_for_unchanged_sources(tmp_path):
    build = context(tmp_path, {"app/main.py": "print(1)\n"})
    assert digest(build) == digest(build)


def test_digest_changes_when_a_source_file_changes(tmp_path):
    build = context(tmp_path, {"app/main.py": "print(1)\n"})
    before = digest(build)
    (tmp_path / "app/app/main.py").write_text("print(2)\n")
    assert digest(build) != before


def test_digest_changes_when_the_dockerfile_changes(tmp_path):
    build = context(tmp_path, {"app/main.py": "print(1)\n"})
    before = digest(build)
    (tmp_path / "app/Dockerfile").write_text("FROM scratch\nUSER 1\n")
    assert digest(build) != before


def test_digest_ignores_what_dockerignore_excludes(tmp_path):
    build = context(tmp_path, {"app/main.py": "x\n"}, ignore="# comment\nnode_modules\n**/__pycache__/\n*.md\ntests/\n")
    before = digest(build)
    for rel in ("node_modules/pkg/index.js", "app/__pycache__/main.pyc", "README.md", "tests/test_x.py"):
        (tmp_path / "app" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "app" / rel).write_text("changed\n")
    assert digest(build) == before
    (tmp_path / "app/app/notes.md").write_text("*.md is anchored at the context root\n")
    assert digest(build) != before


def test_dockerignore_exceptions_re_include_files(tmp_path):
    build = context(
        tmp_path,
        {"nginx.conf": "a\n", "site/site.conf": "b\n", "other.txt": "c\n"},
        ignore="*\n!Dockerfile\n!nginx.conf\n!site/site.conf\n",
    )
    before = digest(build)
    (tmp_path / "app/other.txt").write_text("ignored\n")
    assert digest(build) == before
    (tmp_path / "app/site/site.conf").write_text("re-included\n")
    assert digest(build) != before


def test_digest_changes_with_build_args_target_and_platform(tmp_path):
    build = context(tmp_path, {"main.py": "x\n"})
    variants = {
        digest(build),
        digest(build.model_copy(update={"args": {"PYTHON_VERSION": "3.13"}})),
        digest(build.model_copy(update={"target": "dev"})),
        digest(build, platform="linux/arm64"),
    }
    assert len(variants) == 4


# --- the kept window -----------------------------------------------------------------------------
def test_kept_releases_put_the_current_first_and_cut_at_keep():
    assert kept_releases("c", ["b", "a", "z"], 3) == ["c", "b", "a"]


def test_kept_releases_move_a_redeployed_release_to_the_front_without_duplicates():
    assert kept_releases("a", ["b", "a"], 5) == ["a", "b"]


# --- the component under mocks -------------------------------------------------------------------
def run(body):
    mocks = RecordingMocks()
    return run_program(mocks, {}, stack="test", program=body), mocks


def release_images(mocks) -> dict[str, dict]:
    return {r.name: r.inputs for r in mocks.of_type(REMOTE_IMAGE)}


def test_a_built_release_is_tagged_stack_and_content_and_kept_as_a_removable_image():
    _, mocks = run(lambda: PythonApi("api", api_args()))
    tag = mocks.named("api-image").plain("imageName").split(":", 1)[1]
    assert re.fullmatch(r"test-[0-9a-f]{12}", tag)
    kept = release_images(mocks)[f"api-release-{tag}"]
    assert kept["name"] == f"shop-api:{tag}"
    assert kept["keepLocally"] is False and kept["forceRemove"] is False  # Docker refuses images containers use


def test_every_container_of_the_api_depends_on_its_release_image():
    result, mocks = run(lambda: PythonApi("api", api_args()))
    tag = mocks.named("api-image").plain("imageName").split(":", 1)[1]
    for name, typ in (("api", CONTAINER), ("api-migrate", CONTAINER), ("api-secrets-files-loader", ONE_SHOT)):
        assert result.depends_on(name, f"api-release-{tag}", typ=typ, other_typ=REMOTE_IMAGE), name


def test_earlier_releases_from_the_history_are_kept_up_to_keep():
    history = ["test-aaaaaaaaaaaa", "test-bbbbbbbbbbbb", "test-cccccccccccc"]
    _, mocks = run(lambda: PythonApi("api", api_args(release=ReleaseArgs(history=history, keep=3))))
    names = sorted(n for n in release_images(mocks) if not n.endswith(mocks.named("api-image").plain("imageName")[-12:]))
    assert names == ["api-release-test-aaaaaaaaaaaa", "api-release-test-bbbbbbbbbbbb"]  # the oldest is pruned


def test_a_pinned_release_builds_nothing_and_every_container_runs_its_image_id():
    pin = "test-aaaaaaaaaaaa"
    _, mocks = run(lambda: PythonApi("api", api_args(release=ReleaseArgs(pin=pin, history=[pin, "test-bbbbbbbbbbbb"]))))
    assert mocks.of_type(IMAGE) == []
    pinned_id = "sha256:" + __import__("hashlib").sha256(f"api-release-{pin}".encode()).hexdigest()  # RecordingMocks' imageId
    for name in ("api", "api-migrate"):
        assert mocks.named(name, CONTAINER).plain("image") == pinned_id, name
    assert one_shot(mocks, "api-secrets-files-loader").image == pinned_id
    assert sorted(release_images(mocks)) == ["api-release-test-aaaaaaaaaaaa", "api-release-test-bbbbbbbbbbbb"]


def test_pinning_a_release_that_is_not_kept_fails_naming_the_setting_and_the_kept_ones():
    release = ReleaseArgs(pin="test-ffffffffffff", history=["test-aaaaaaaaaaaa"], setting="standard-stack:api.release")
    with pytest.raises(pulumi.RunError) as err:
        run(lambda: PythonApi("api", api_args(release=release)))
    message = str(err.value)
    assert "standard-stack:api.release: 'test-ffffffffffff' is not a release of stack test kept on the Docker host" in message
    assert "kept releases, newest first: test-aaaaaaaaaaaa" in message and "scripts/releases test api" in message


# --- the program -----------------------------------------------------------------------------------
def test_the_program_keeps_the_releases_of_its_previous_deploy_and_exports_them_newest_first():
    earlier = ["dev-aaaaaaaaaaaa", "dev-bbbbbbbbbbbb"]
    run_ = run_stack("dev", mocks=RecordingMocks(stack_outputs={"releases": {"api": earlier, "web": []}}))
    current = run_.mocks.named("api-image").plain("imageName").split(":", 1)[1]
    assert run_.values["releases"]["api"] == [current, *earlier]
    assert {f"api-release-{t}" for t in earlier} <= {r.name for r in run_.mocks.of_type(REMOTE_IMAGE)}


def test_the_program_reads_its_history_from_its_own_stack():
    reference = RecordingMocks()
    run_ = run_stack("dev", mocks=reference)
    ref = run_.mocks.named("previous-deploy", "pulumi:pulumi:StackReference")
    assert ref.plain("name").endswith("/standard-stack/dev")


def test_the_program_pins_the_api_to_a_kept_release_from_config():
    pin = "dev-aaaaaaaaaaaa"
    run_ = run_stack(
        "dev",
        overrides={"standard-stack:api": {"release": pin}},
        mocks=RecordingMocks(stack_outputs={"releases": {"api": ["dev-bbbbbbbbbbbb", pin]}}),
    )
    assert "api-image" not in {r.name for r in run_.mocks.of_type(IMAGE)}
    assert run_.values["releases"]["api"] == [pin, "dev-bbbbbbbbbbbb"]
    assert run_.values["images"]["api"] == f"standard-stack-api:{pin}"


def test_the_program_exports_each_services_current_container(dev):
    containers = dev.values["containers"]
    assert {k: v for k, v in containers.items() if k not in ("api", "web")} == {
        "postgres": "standard-stack-dev-postgres",
        "redis": "standard-stack-dev-redis",
        "proxy": "standard-stack-dev-proxy",
    }
    # apps are replaced create-first: each release's container has its own name
    assert re.fullmatch(r"standard-stack-dev-api-[0-9a-f]{7}", containers["api"])
    assert re.fullmatch(r"standard-stack-dev-web-[0-9a-f]{7}", containers["web"])


# --- settings ------------------------------------------------------------------------------------
BASE = {"environment": "dev", "publicUrl": "http://localhost:8080"}


def refused(**settings) -> str:
    with pytest.raises(ConfigError) as err:
        parse({**BASE, **settings})
    return str(err.value)


def test_a_release_with_characters_docker_tags_cannot_hold_is_refused_with_the_allowed_form():
    message = refused(api={"release": "v1 final"})
    assert 'standard-stack:api.release: must look like dev-3f9a1c0b7d2e, prod-0a1b2c3d4e5f; got "v1 final"' in message


def test_a_pinned_release_with_hot_reload_is_refused():
    assert "standard-stack:web.release needs hotReload: false" in refused(hotReload=True, web={"release": "dev-3f9a1c0b7d2e"})


def test_releases_kept_must_keep_at_least_the_running_release():
    assert "standard-stack:releasesKept: Input should be greater than or equal to 1; got 0" in refused(releasesKept=0)


def test_the_program_refuses_an_unknown_pin_naming_its_stack_setting():
    with pytest.raises(pulumi.RunError) as caught:
        run_stack(
            "dev",
            overrides={"standard-stack:api": {"release": "dev-ffffffffffff"}},
            mocks=RecordingMocks(stack_outputs={"releases": {"api": ["dev-aaaaaaaaaaaa"]}}),
        )
    assert "standard-stack:api.release: 'dev-ffffffffffff' is not a release of stack dev" in str(caught.value)
