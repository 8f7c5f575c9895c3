"""standard-stack: PostgreSQL, Redis, a Python API, a Next.js app and nginx on one Docker host.

Everything that differs between stacks comes from Pulumi.<stack>.yaml through stack_settings; the
library's StandardStack builds it.
"""

import pulumi

from stack_settings import ConfigError, engine_api_version, load_from_pulumi, stack_args
from standard_stack import StandardStack

try:
    cfg = load_from_pulumi(pulumi.get_stack())
    # what the engine takes decides whether health checks carry a start interval (healthStartInterval)
    api_version = engine_api_version(cfg, pulumi.Config("docker").get("host"))
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

# The releases this stack kept so far (its own `releases` output from the last deploy, newest first):
# the program keeps the newest `releasesKept` of them on the Docker host and may pin one of them.
previous = pulumi.StackReference(
    "previous-deploy", stack_name=f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
)
secrets = pulumi.Config("standard-stack")
stack = StandardStack(
    "stack",
    stack_args(
        cfg,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        secret=secrets.get_secret,
        release_history=previous.get_output("releases"),
        engine_api_version=api_version,
    ),
)

pulumi.export("url", stack.url)
pulumi.export("health_url", stack.health_url)
pulumi.export("api_health_url", stack.url.apply(lambda url: f"{url}/api/health"))
pulumi.export("api_ready_url", stack.url.apply(lambda url: f"{url}/api/health/ready"))
pulumi.export("images", stack.images)
pulumi.export("releases", stack.releases)  # kept on the host, newest (running) first
pulumi.export("containers", stack.containers)  # `scripts/logs <stack> <service>` reads them by label
pulumi.export("database_url", stack.database_url)  # secret: shown only with `pulumi stack output --show-secrets`
pulumi.export("redis_url", stack.redis_url)  # secret
