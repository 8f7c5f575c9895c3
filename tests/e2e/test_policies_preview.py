"""The policy pack inside a real `pulumi preview --policy-pack` (nothing is deployed: previews only)."""

import secrets

import pytest
from deploy import DeployFailed, Deployment

from tests.support.stacks import PROD_SECRET_VALUES as PROD_SECRETS

pytestmark = pytest.mark.e2e


def preview_with_pack(run: Deployment, config: str | None = None):
    pack = str(run.program_dir / "policies")
    configs = [str(run.program_dir / "policies" / config)] if config else None
    return run.preview(policy_packs=[pack], policy_pack_configs=configs)


@pytest.fixture
def fresh(toolchain, tmp_path):
    def make(stack: str, **kwargs) -> Deployment:
        return Deployment(stack, tmp_path / f"{stack}-{secrets.token_hex(3)}", **kwargs)

    return make


def test_the_dev_stack_passes_the_pack(fresh):
    outcome = preview_with_pack(fresh("dev"))
    assert "✅ standard-stack@v0.0.1" in outcome.stdout  # the CLI ran the pack and it passed


def test_the_prod_stack_passes_the_pack_with_the_prod_policy_config(fresh):
    outcome = preview_with_pack(fresh("prod", secrets_=PROD_SECRETS), "policy-config.prod.json")
    assert "✅ standard-stack@v0.0.1" in outcome.stdout


def test_a_program_that_breaks_a_mandatory_rule_fails_the_preview_with_the_policys_message(fresh):
    run = fresh("prod", secrets_=PROD_SECRETS)
    source = run.program_dir / "components" / "_data_service.py"
    # the variant: the data services (Postgres, Redis) publish their port on every address, which only
    # the proxy may do
    original = source.read_text()
    variant = original.replace(
        "ports=loopback_port(port, args.host_port),",
        'ports=[docker.ContainerPortArgs(internal=port, external=25432, ip="0.0.0.0")],',
    )
    assert variant != original, "the variant no longer applies: update the replaced line"
    source.write_text(variant)
    with pytest.raises(DeployFailed) as err:
        preview_with_pack(run, "policy-config.prod.json")
    message = str(err.value)
    assert "container-published-ports" in message and "publishes host ports; only the reverse proxy may" in message
