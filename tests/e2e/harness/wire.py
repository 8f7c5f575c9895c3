"""Values as the mock monitor hands them over: secrets, unknowns, numbers, Go durations.

Also the two ways a secret leaves memory: an HMAC fingerprint (to diff inputs across runs without
storing them) and a sealed blob (to give an unchanged resource its previous secret outputs back,
like Pulumi's encrypted state). Both use a per-state random key kept in a 0600 file beside the
state, the way Pulumi's passphrase secrets provider keeps its key out of the checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from typing import Any

from pulumi.runtime import rpc

# the same secret handling as the unit tests' recorder; re-exported for the harness modules
from tests.support.program import contains_secret as contains_secret
from tests.support.program import unwrap as reveal

SECRET_SIG_KEY = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
UNKNOWN = rpc.UNKNOWN


class InputError(Exception):
    """An input the harness cannot apply (unknown key, unknown value, bad shape)."""


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def secret(value: Any) -> dict:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def find_unknown(value: Any, path: str = "") -> str | None:
    """Path of the first unknown value, or None."""
    if value == UNKNOWN:
        return path or "<root>"
    if is_secret(value):
        return find_unknown(value["value"], path)
    if isinstance(value, dict):
        for k, v in value.items():
            hit = find_unknown(v, f"{path}.{k}" if path else k)
            if hit:
                return hit
    if isinstance(value, list):
        for i, v in enumerate(value):
            hit = find_unknown(v, f"{path}[{i}]")
            if hit:
                return hit
    return None


def as_int(value: Any, what: str) -> int:
    """Numbers arrive as floats; refuse fractions rather than truncating silently."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise InputError(f"{what}: expected an integer, got {value!r}")
    return int(value)


_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def go_duration_ns(text: str, what: str) -> int:
    """Parse a Go duration string ("10s", "1m30s", "500ms") to nanoseconds, like time.ParseDuration."""
    if text in ("0", ""):
        return 0
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or pos == 0:
        # The provider ignores ParseDuration's error and sends 0; refusing is kinder and loud.
        raise InputError(f"{what}: {text!r} is not a Go duration (e.g. 10s, 1m30s)")
    return int(total)


# --- fingerprints and sealing ---------------------------------------------------------------


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def fingerprint(value: Any, key: bytes) -> Any:
    """Copy of `value` with every secret replaced by an HMAC of its content (safe to store)."""
    if is_secret(value):
        digest = hmac.new(key, canonical(reveal(value["value"])).encode(), hashlib.sha256)
        return {"$secret-hmac": digest.hexdigest()}
    if isinstance(value, dict):
        return {k: fingerprint(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [fingerprint(v, key) for v in value]
    return value


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hmac.new(key, b"enc" + nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return bytes(out[:length])


def _seal_bytes(key: bytes, plain: bytes) -> str:
    nonce = os.urandom(16)
    cipher = bytes(a ^ b for a, b in zip(plain, _keystream(key, nonce, len(plain)), strict=False))
    tag = hmac.new(key, b"mac" + nonce + cipher, hashlib.sha256).digest()
    return base64.b64encode(nonce + cipher + tag).decode()


def _unseal_bytes(key: bytes, blob: str) -> bytes:
    raw = base64.b64decode(blob)
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    expected = hmac.new(key, b"mac" + nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise ValueError("sealed value does not match the state key (wrong or replaced .key file)")
    return bytes(a ^ b for a, b in zip(cipher, _keystream(key, nonce, len(cipher)), strict=False))


def seal(value: Any, key: bytes) -> Any:
    """Copy of `value` with every secret encrypted (for the state file)."""
    if is_secret(value):
        return {"$sealed": _seal_bytes(key, canonical(reveal(value["value"])).encode())}
    if isinstance(value, dict):
        return {k: seal(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [seal(v, key) for v in value]
    return value


def unseal(value: Any, key: bytes) -> Any:
    """Inverse of seal: sealed blobs come back as secret-wrapped values."""
    if isinstance(value, dict):
        if set(value) == {"$sealed"}:
            return secret(json.loads(_unseal_bytes(key, value["$sealed"])))
        return {k: unseal(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [unseal(v, key) for v in value]
    return value
