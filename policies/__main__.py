"""Entry point the Pulumi CLI runs for ``pulumi preview --policy-pack policies``."""

from pulumi_policy import EnforcementLevel, PolicyPack

from standard_stack_policy import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.ADVISORY)
