"""Refusals as (field, reason) problems: each rule written once, each caller naming the field its own way."""

from __future__ import annotations

import pulumi
import pytest
from pydantic import ValidationError

from standard_stack import AcmeArgs, ReverseProxy
from standard_stack.problems import PROBLEMS, Problem, key
from standard_stack.settings import StackSettings
from tests.unit.components.harness import proxy_args, run, run_data

DEV = {"environment": "dev", "publicUrl": "http://localhost:8080"}


@pytest.mark.parametrize(
    ("field", "spelled"),
    [
        ("proxy.acme.directory_url", "proxy.acme.directoryUrl"),
        ("postgres.backup.enabled", "postgres.backup.enabled"),
        ("workers.celery-worker.working_dir", "workers.celery-worker.workingDir"),
        ("api.env.SENTRY_DSN_FILE", "api.env.SENTRY_DSN_FILE"),
    ],
)
def test_a_field_path_is_spelled_by_the_models_aliases_keeping_map_keys(field, spelled):
    assert key(StackSettings, field) == spelled


def test_the_settings_rules_reach_a_program_as_problems_naming_fields_not_as_text():
    with pytest.raises(ValidationError) as caught:
        StackSettings.model_validate({**DEV, "environment": "prod", "hotReload": True})
    (error,) = [e for e in caught.value.errors() if e["type"] == PROBLEMS]
    problems = error["ctx"]["problems"]
    assert Problem("hot_reload", "must be false in prod (bind-mounted sources are for dev)") in problems
    assert all(isinstance(p, Problem) for p in problems)
    assert "hotReload must be false in prod" in error["msg"]  # a library user reads the stack file's keys


def test_a_component_and_the_stack_file_refuse_the_same_swarm_rule_in_the_same_words():
    with pytest.raises(pulumi.RunError) as caught:
        run_data("redis", host_port=6380)
    with pytest.raises(ValidationError) as settings:
        StackSettings.model_validate({**DEV, "target": "swarm", "imageRegistry": "r.example/t", "redis": {"hostPort": 6380}})
    (error,) = [e for e in settings.value.errors() if e["type"] == PROBLEMS]
    (stack,) = [p for p in error["ctx"]["problems"] if p.field == "redis.host_port" and "swarm" in p.reason]
    assert str(caught.value) == f"redis: host_port {stack.reason}"


def test_a_proxy_given_a_certificate_and_acme_names_each_certificate_field():
    def program() -> None:
        args = proxy_args(tls=True, tls_certificate="c", tls_private_key="k", acme=AcmeArgs(domain="shop.example.com"))
        ReverseProxy("edge", args)

    with pytest.raises(pulumi.RunError) as caught:
        run(program)
    message = str(caught.value)
    assert "tls_certificate is set, but acme obtains the certificate" in message
    assert "tls_private_key is set, but acme obtains the certificate" in message


def test_a_proxy_with_tls_and_no_certificate_names_what_is_missing():
    with pytest.raises(pulumi.RunError, match="tls_private_key is required: tls is on and acme is off"):
        run(lambda: ReverseProxy("edge", proxy_args(tls=True, tls_certificate="c")))
