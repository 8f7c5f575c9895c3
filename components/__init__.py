"""standard-stack components: the standard web stack on Docker, as reusable Pulumi component resources.

from components import PostgresService, PostgresServiceArgs, Runtime
"""

from ._wiring import ImageBuild, LogRotation, Resources, Runtime
from .acme import AcmeArgs, acme_directory
from .networks import StackNetworks, StackNetworksArgs
from .next_app import NextApp, NextAppArgs
from .nginx import ProxyRoute
from .postgres import PostgresBackupArgs, PostgresService, PostgresServiceArgs
from .python_api import DatabaseConnection, PythonApi, PythonApiArgs, RedisConnection
from .redis import RedisService, RedisServiceArgs
from .releases import ReleaseArgs
from .reverse_proxy import ReverseProxy, ReverseProxyArgs

__all__ = [
    "AcmeArgs",
    "DatabaseConnection",
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
    "acme_directory",
]
