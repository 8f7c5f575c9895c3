"""Shared fixtures: the renderer loaded by file path, a self-signed certificate, and a
factory starting a real nginx with a rendered site.

components/nginx.py is loaded by path as the module ``components_nginx``: importing it as
``components.nginx`` would run components/__init__.py, which pulls in pulumi, and the proxy
tests need only pydantic.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _load_renderer() -> None:
    spec = importlib.util.spec_from_file_location("components_nginx", REPO_ROOT / "components" / "nginx.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["components_nginx"] = module  # pydantic resolves annotations through it
    spec.loader.exec_module(module)


_load_renderer()

import harness  # noqa: E402  (needs the paths above)


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
