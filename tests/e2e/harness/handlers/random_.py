"""pulumi_random resources: RandomPassword (secret result), RandomString, RandomId.

Every input of the random provider forces replacement, so a changed length or keeper gives a new
value, and an unchanged resource keeps its previous value (sealed in the state).
"""

from __future__ import annotations

import base64
import secrets
import string

from ..wire import InputError, as_int, secret
from .base import Applied, Context, Handler, require

PASSWORD = "random:index/randomPassword:RandomPassword"
STRING = "random:index/randomString:RandomString"
RANDOM_ID = "random:index/randomId:RandomId"
_DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?"


class _Chars(Handler):
    known = frozenset(
        {
            "length",
            "special",
            "upper",
            "lower",
            "numeric",
            "number",
            "minLower",
            "minUpper",
            "minNumeric",
            "minSpecial",
            "overrideSpecial",
            "keepers",
        }
    )
    secret_result = False

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        length = as_int(require(inputs, "length", name, self.token), "length")
        numeric = inputs.get("numeric", inputs.get("number", True))
        classes = [
            (inputs.get("upper", True), string.ascii_uppercase, inputs.get("minUpper", 0)),
            (inputs.get("lower", True), string.ascii_lowercase, inputs.get("minLower", 0)),
            (numeric, string.digits, inputs.get("minNumeric", 0)),
            (inputs.get("special", True), inputs.get("overrideSpecial") or _DEFAULT_SPECIAL, inputs.get("minSpecial", 0)),
        ]
        chars, pool = [], ""
        for enabled, alphabet, minimum in classes:
            if enabled:
                pool += alphabet
                chars += [secrets.choice(alphabet) for _ in range(as_int(minimum, "min*"))]
        if not pool:
            raise InputError(f"{self.token} '{name}': every character class is disabled")
        if len(chars) > length:
            raise InputError(f"{self.token} '{name}': length {length} is below the sum of minimums")
        chars += [secrets.choice(pool) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        value = "".join(chars)
        outputs = dict(inputs)
        outputs["result"] = secret(value) if self.secret_result else value
        return Applied("none" if self.secret_result else value, outputs)

    def delete(self, ctx: Context, record: dict) -> None:
        """Nothing outside the state."""


class PasswordHandler(_Chars):
    token = PASSWORD
    secret_result = True


class StringHandler(_Chars):
    token = STRING


class RandomIdHandler(Handler):
    token = RANDOM_ID
    known = frozenset({"byteLength", "prefix", "keepers"})

    def create(self, ctx: Context, name: str, inputs: dict) -> Applied:
        raw = secrets.token_bytes(as_int(require(inputs, "byteLength", name, RANDOM_ID), "byteLength"))
        prefix = inputs.get("prefix", "")
        b64url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        outputs = dict(inputs)
        outputs.update(
            {
                "hex": prefix + raw.hex(),
                "b64Url": prefix + b64url,
                "b64Std": prefix + base64.b64encode(raw).decode(),
                "dec": prefix + str(int.from_bytes(raw, "big")),
            }
        )
        return Applied(b64url, outputs)

    def delete(self, ctx: Context, record: dict) -> None:
        """Nothing outside the state."""
