"""Property-based tests from the OpenAPI schema (schemathesis, all checks, valid and invalid data).

Every operation is called with generated requests against the real PostgreSQL and Redis; each
response must be a declared status with a declared body, invalid input must be rejected with a
4xx and valid input accepted, and nothing may answer 500.
"""

from __future__ import annotations

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from app.core.config import Settings
from app.factory import create_app

# Bounded so the whole module stays well under two minutes on a small machine.
EXAMPLES_PER_OPERATION = 150

# The schema is the same whatever the connection settings; this app only serves it (in dev, where
# /openapi.json is exposed) and never connects anywhere. Requests go to each test's own app.
_SCHEMA_ONLY = Settings(
    app_env="dev", postgres_host="unused", postgres_db="x", postgres_user="x", postgres_password="x", redis_host="unused"
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SCHEMA_ONLY))


@schema.parametrize()
# derandomize: the same examples on every run, so a red run is reproducible and not a matter of luck.
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_operation_conforms_to_the_openapi_schema(case: schemathesis.Case, client: TestClient) -> None:
    case.call_and_validate(app=client.app)
