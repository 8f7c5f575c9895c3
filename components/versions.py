"""Pinned default versions, declared once: the component args and the stack settings both read them."""

from typing import Annotated

from pydantic import BeforeValidator, Field

POSTGRES = "17"
REDIS = "7.4"
PYTHON = "3.12"
NODE = "22"
NGINX = "1.28"
GO = "1.25"
"""Go for App's static env wrapper (env-exec), built in ``golang:<GO>-bookworm``."""
HEALTH_START_INTERVAL = "1s"
"""Health probes this often during a service's start period, where the engine takes it (``engine``): a
service is seen healthy about a second after it is, instead of one full ``interval`` later."""
START_INTERVAL_API = "1.44"
"""The first Engine API version (Docker 25) that takes a health check's ``start_interval``."""


def _number_to_text(value: object) -> object:
    """YAML reads ``version: 15`` as a number; versions and tags are text.

    A whole number is unambiguous. A decimal is not: YAML reads ``16.10`` as the number 16.1, so
    ``postgres:16.1`` would be deployed instead of 16.10. Decimals must be quoted.
    """
    if isinstance(value, float):
        raise ValueError(f'must be quoted text ("{value}"): YAML reads an unquoted version such as 16.10 as the number 16.1')
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Version = Annotated[
    str, BeforeValidator(_number_to_text), Field(pattern=r"^[0-9][0-9A-Za-z.\-]*$", examples=["16", "16.4", "7.4-bookworm"])
]
"""How a version is written, pinned: never latest."""
