"""Shared fixtures: a self-signed certificate and a factory starting a real nginx with a rendered site.

The renderer is ``standard_stack.nginx``, installed (editable, without dependencies) by scripts/test:
it imports with pydantic alone, so these tests need no Pulumi.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness


@pytest.fixture(scope="session")
def tls_pair():
    """A throwaway self-signed certificate for localhost / 127.0.0.1 (cert, key)."""
    directory = harness.world_readable_dir("proxytest-tls-")
    yield harness.make_self_signed(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def proxy_factory():
    """Start nginx processes for rendered sites; every one is stopped after the test."""
    started: list[harness.RunningNginx] = []

    def start(site_text: str, *, ports: list[int]) -> harness.RunningNginx:
        proxy = harness.RunningNginx.start(site_text, ports=ports)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
