"""The one place that turns a partner's ``[transport]`` config into a Transport."""

from __future__ import annotations

from gateway.partners import LocalTransport, TradingPartner
from gateway.transport.base import Transport
from gateway.transport.local import LocalFolderTransport
from gateway.transport.retry import RetryPolicy


def open_transport(partner: TradingPartner, retry: RetryPolicy | None = None) -> Transport:
    """A transport for ``partner``; SFTP connects on first use (one connection per cycle).

    ``retry`` defaults to the partner's ``[retry]`` settings.
    """
    config = partner.transport
    if isinstance(config, LocalTransport):
        return LocalFolderTransport(config, partner.folders, partner.max_file_size)
    # Imported here so that a local-only set-up never loads paramiko.
    from gateway.transport.sftp import SftpClientTransport

    return SftpClientTransport(partner, retry or RetryPolicy.from_settings(partner.retry))
