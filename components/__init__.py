"""standard-stack components: the standard web stack on Docker, as reusable Pulumi component resources.

from components import PostgresService, PostgresServiceArgs, Runtime
"""

from ._wiring import ImageBuild, LogRotation, Resources, Runtime
from .networks import StackNetworks, StackNetworksArgs
from .next_app import NextApp, NextAppArgs
from .nginx import ProxyRoute
from .postgres import PostgresService, PostgresServiceArgs
from .python_api import DatabaseConnection, PythonApi, PythonApiArgs, RedisConnection
from .redis import RedisService, RedisServiceArgs
from .releases import ReleaseArgs
from .reverse_proxy import ReverseProxy, ReverseProxyArgs

__all__ = [
    "DatabaseConnection",
    "ImageBuild",
    "LogRotation",
    "NextApp",
    "NextAppArgs",
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
]
