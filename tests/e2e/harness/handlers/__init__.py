"""Resource handlers by type token."""

from .base import Handler
from .container import ContainerHandler
from .image import ImageHandler, RemoteImageHandler
from .network import NetworkHandler
from .providers import DockerProviderHandler, RandomProviderHandler
from .random_ import PasswordHandler, RandomIdHandler, StringHandler
from .volume import VolumeHandler

HANDLERS: dict[str, Handler] = {
    h.token: h
    for h in (
        ContainerHandler(),
        ImageHandler(),
        RemoteImageHandler(),
        NetworkHandler(),
        VolumeHandler(),
        PasswordHandler(),
        StringHandler(),
        RandomIdHandler(),
        DockerProviderHandler(),
        RandomProviderHandler(),
    )
}
