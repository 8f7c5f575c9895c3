"""The harness's checkpoint: what exists, from which inputs, with which outputs.

One JSON file per stack (like a Pulumi checkpoint). Input secrets are stored only as HMAC
fingerprints (enough to diff), output secrets sealed with the key in `<state>.key` (0600), so no
secret is ever written in plain. Records are keyed by URN; a record replaced create-first stays
until the end of the run under `<urn>#condemned-<seq>`.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time

from . import wire

FORMAT = 1


class State:
    def __init__(self, path: str, label: str | None = None):
        self.path = path
        self.key = _load_or_create_key(path + ".key")
        self.lock = threading.RLock()
        self.resources: dict[str, dict] = {}
        self.seq = 0
        self.label = label
        if os.path.exists(path):
            with open(path) as fh:
                raw = json.load(fh)
            if raw.get("format") != FORMAT:
                raise ValueError(f"{path}: unknown state format {raw.get('format')!r}")
            self.seq = raw["seq"]
            if label and raw["label"] != label:
                raise ValueError(f"{path} belongs to label {raw['label']}, not {label}")
            self.label = raw["label"]
            for key, rec in raw["resources"].items():
                rec = dict(rec)
                rec["inputs_live"] = wire.unseal(rec["inputs_live"], self.key)
                rec["outputs"] = wire.unseal(rec["outputs"], self.key)
                self.resources[key] = rec
        if not self.label:
            self.label = secrets.token_hex(5)

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def put(self, key: str, record: dict) -> None:
        with self.lock:
            self.resources[key] = record
            self.save()

    def pop(self, key: str) -> None:
        with self.lock:
            self.resources.pop(key, None)
            self.save()

    def save(self) -> None:
        with self.lock:
            data = {"format": FORMAT, "label": self.label, "seq": self.seq, "saved": time.time(), "resources": {}}
            for key, rec in self.resources.items():
                rec = dict(rec)
                rec["inputs_live"] = wire.seal(rec["inputs_live"], self.key)
                rec["outputs"] = wire.seal(rec["outputs"], self.key)
                data["resources"][key] = rec
            tmp = self.path + ".tmp"
            with open(tmp, "w") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)


def _load_or_create_key(path: str) -> bytes:
    if os.path.exists(path):
        with open(path, "rb") as fh:
            return fh.read()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key
