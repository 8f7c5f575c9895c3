"""Human units for resource limits, parsed once so every component speaks the provider's units.

pulumi-docker takes memory as an integer number of MiB and CPUs as a decimal string; people write
``512Mi`` and ``1.5``. These types accept the human form, reject anything ambiguous with a message
that shows the allowed form, and convert at the edge.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_MEMORY = re.compile(r"^(?P<num>[0-9]+)(?P<unit>Ki|Mi|Gi|Ti)$")
_FACTORS_KIB = {"Ki": 1, "Mi": 1024, "Gi": 1024**2, "Ti": 1024**3}
MEMORY_FORM = "an integer with a binary unit: 64Mi, 512Mi, 2Gi (Ki, Mi, Gi, Ti)"
CPUS_FORM = "a number of CPUs greater than 0 with at most 2 decimals: 0.25, 1, 1.5"
_NANO = 10**9


def _parse_memory(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    match = _MEMORY.match(text or "")
    if not match:
        raise ValueError(f"must be {MEMORY_FORM}")
    if int(match["num"]) * _FACTORS_KIB[match["unit"]] < 1024 * 4:
        raise ValueError(f"must be at least 4Mi (Docker's floor); use {MEMORY_FORM}")
    return text  # type: ignore[return-value]


def _parse_cpus(value: object) -> str:
    if isinstance(value, bool):
        raise ValueError(f"must be {CPUS_FORM}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"must be {CPUS_FORM}") from None
    if not number.is_finite() or number <= 0 or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"must be {CPUS_FORM}")
    spelled = provider_cpus(int(number * _NANO))
    if Decimal(spelled) != number:
        raise ValueError(f"must be {CPUS_FORM}; Docker reports {value} back as {spelled}, so pick a value such as 0.1 or 0.25")
    return spelled


def provider_cpus(nano_cpus: int) -> str:
    """The spelling the docker provider reads ``cpus`` back in, so a registered value never differs from state.

    Follows terraform-provider-docker ``internal/provider/helpers.go`` ``nanoInt64ToDecimalString``:
    ``big.Rat.FloatString(9)``; a result with exactly nine ``0`` characters is re-rendered with one
    decimal (rounded half away from zero), anything else loses its trailing zeros. Hence 1 -> "1.0",
    0.5 -> "0.5", 1.5 -> "1.5", 10 -> "10." and 0.05 -> "0.1". ``cpus`` is ForceNew there, so any
    other spelling replaces the container on every later deploy.
    """
    if nano_cpus == 0:
        return "0"
    whole, fraction = divmod(nano_cpus, _NANO)
    text = f"{whole}.{fraction:09d}"
    if text.count("0") == 9:
        return str((Decimal(nano_cpus) / _NANO).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
    return text.rstrip("0")


Memory = Annotated[str, BeforeValidator(_parse_memory), PlainSerializer(str)]
"""Memory such as ``512Mi``; convert with :func:`to_mib` / :func:`to_bytes`."""

Cpus = Annotated[str, BeforeValidator(_parse_cpus), PlainSerializer(str)]
"""CPUs such as ``"1.5"``, normalised to the provider's own read-back spelling (``"1"`` becomes ``"1.0"``)."""


def to_bytes(memory: str) -> int:
    match = _MEMORY.match(memory)
    assert match, memory
    return int(match["num"]) * _FACTORS_KIB[match["unit"]] * 1024


def to_mib(memory: str) -> int:
    """pulumi-docker's ``memory``/``memory_reservation`` unit; rounds up so a limit is never lowered."""
    return -(-to_bytes(memory) // (1024 * 1024))
