"""Fixtures: the real program run under Pulumi's mocks with the committed stack files."""

from __future__ import annotations

import pytest

from tests.support.program import REPO, RecordingMocks, run_program, stack_config

FAKE_CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n"
PROD_SECRETS = {
    "standard-stack:postgresPassword": "prod-postgres-password-9f8e7d",
    "standard-stack:redisPassword": "prod-redis-password-6c5b4a",
    "standard-stack:tlsCertificate": FAKE_CERT,
    "standard-stack:tlsPrivateKey": FAKE_KEY,
}


def run_stack(stack: str, *, overrides: dict | None = None, secrets: dict | None = None, mocks=None):
    config = {**stack_config(REPO / f"Pulumi.{stack}.yaml"), **(overrides or {}), **(secrets or {})}
    return run_program(mocks or RecordingMocks(), config, stack=stack, secret_keys=list(secrets or {}))


@pytest.fixture(scope="session")
def dev():
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod():
    return run_stack("prod", secrets=PROD_SECRETS)
