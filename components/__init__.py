"""standard_stack: the standard web stack on Docker, as reusable Pulumi component resources.

    from standard_stack import PostgresService, PostgresServiceArgs, Runtime

Names load on first use, so ``standard_stack.nginx`` (the nginx renderer) and ``standard_stack.units``
import with pydantic alone, without Pulumi installed (the proxy image's tests run that way).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module defining it
_EXPORTS = {
    "ImageBuild": "_models",
    "LogRotation": "_models",
    "Resources": "_models",
    "Runtime": "_models",
    "App": "app",
    "AppArgs": "app",
    "AppJob": "app",
    "HealthCheck": "app",
    "Worker": "app",
    "WorkerArgs": "app",
    "AcmeArgs": "acme",
    "acme_directory": "acme",
    "StackNetworks": "networks",
    "StackNetworksArgs": "networks",
    "NextApp": "next_app",
    "NextAppArgs": "next_app",
    "ProxyRoute": "nginx",
    "AppDatabase": "postgres",
    "AppDatabaseConnection": "postgres",
    "PostgresBackupArgs": "postgres",
    "PostgresService": "postgres",
    "PostgresServiceArgs": "postgres",
    "DatabaseConnection": "python_api",
    "PythonApi": "python_api",
    "PythonApiArgs": "python_api",
    "RedisConnection": "python_api",
    "RedisService": "redis",
    "RedisServiceArgs": "redis",
    "ReleaseArgs": "releases",
    "ReverseProxy": "reverse_proxy",
    "ReverseProxyArgs": "reverse_proxy",
    "StandardStack": "stack",
    "StandardStackArgs": "stack",
    "StackSettings": "settings",
}

__all__ = [
    "AcmeArgs",
    "App",
    "AppArgs",
    "AppDatabase",
    "AppDatabaseConnection",
    "AppJob",
    "DatabaseConnection",
    "HealthCheck",
    "ImageBuild",
    "LogRotation",
    "NextApp",
    "NextAppArgs",
    "PostgresBackupArgs",
    "PostgresService",
    "PostgresServiceArgs",
    "ProxyRoute",
    "PythonApi",
    "PythonApiArgs",
    "RedisConnection",
    "RedisService",
    "RedisServiceArgs",
    "ReleaseArgs",
    "Resources",
    "ReverseProxy",
    "ReverseProxyArgs",
    "Runtime",
    "StackNetworks",
    "StackNetworksArgs",
    "StackSettings",
    "StandardStack",
    "StandardStackArgs",
    "Worker",
    "WorkerArgs",
    "acme_directory",
]

if TYPE_CHECKING:
    from ._models import ImageBuild, LogRotation, Resources, Runtime
    from .acme import AcmeArgs, acme_directory
    from .app import App, AppArgs, AppJob, HealthCheck, Worker, WorkerArgs
    from .networks import StackNetworks, StackNetworksArgs
    from .next_app import NextApp, NextAppArgs
    from .nginx import ProxyRoute
    from .postgres import AppDatabase, AppDatabaseConnection, PostgresBackupArgs, PostgresService, PostgresServiceArgs
    from .python_api import DatabaseConnection, PythonApi, PythonApiArgs, RedisConnection
    from .redis import RedisService, RedisServiceArgs
    from .releases import ReleaseArgs
    from .reverse_proxy import ReverseProxy, ReverseProxyArgs
    from .settings import StackSettings
    from .stack import StandardStack, StandardStackArgs


def __getattr__(name: str) -> Any:
    """PEP 562: import the defining module on first access to a public name."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'standard_stack' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
