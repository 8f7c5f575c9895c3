"""The GitHub workflows: what a pull request's code can reach, and what may deploy."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.support.program import REPO

WORKFLOWS = [REPO / ".github" / "workflows" / name for name in ("ci.yml", "deploy.yml", "preview.yml")]
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")


def steps(path):
    for job in yaml.safe_load(path.read_text())["jobs"].values():
        yield from job.get("steps", [])


def jobs(name: str) -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())["jobs"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_tag_in_a_comment(path):
    """A tag can be moved to other code; a commit cannot."""
    uses = [line.strip() for line in path.read_text().splitlines() if re.match(r"^\s*(- )?uses:", line.strip())]
    assert uses
    for line in uses:
        ref, _, comment = line.split("uses:", 1)[1].strip().partition("#")
        assert PINNED.match(ref.strip()), line
        assert re.fullmatch(r"v\d+(\.\d+)*", comment.strip()), f"name the tag the SHA stands for: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_checkout_leaves_no_token_in_the_git_config(path):
    checkouts = [s for s in steps(path) if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts
    for step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, path.name


def test_deploy_jobs_with_secrets_run_for_main_only():
    for name, job in jobs("deploy.yml").items():
        if "environment" in job:
            assert job.get("if") == "github.ref == 'refs/heads/main'", name


def test_a_deploy_of_another_ref_fails_loudly_rather_than_skipping():
    refuse = [job for job in jobs("deploy.yml").values() if job.get("if") == "github.ref != 'refs/heads/main'"]
    assert len(refuse) == 1 and "exit 1" in refuse[0]["steps"][-1]["run"]


def test_previews_never_run_for_forks_and_get_secrets_only_through_a_reviewed_environment():
    (preview,) = jobs("preview.yml").values()
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert preview["environment"] == "${{ matrix.stack }}-preview"
    header = (REPO / ".github" / "workflows" / "preview.yml").read_text().split("\nname:", 1)[0]
    assert "both\n# environments, `dev-preview` and `prod-preview`, have required reviewers" in header
