"""Refusing media URLs that point into private networks (SSRF protection), opt-in.

A server that uploads media from URLs its users supply must not let them make it fetch
``http://127.0.0.1:…``, ``http://169.254.169.254/`` (cloud metadata) or hosts on the internal
network.  :func:`check_public_url` resolves the host and refuses the URL when any address it
resolves to is loopback, private, link-local, multicast, reserved or unspecified; downloads
with ``block_private_networks=True`` check every redirect hop the same way.

Limit: the check resolves the name once and the connection resolves it again, so a hostile
DNS server answering differently the second time (DNS rebinding) is not stopped here; put an
egress firewall in front of such a server as well.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import yarl

from .errors import MediaSourceError

__all__ = ["check_public_url", "is_public_address"]


def is_public_address(address: str) -> bool:
    """Whether ``address`` (an IPv4/IPv6 literal) is a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def check_public_url(url: yarl.URL) -> None:
    """Raise :class:`MediaSourceError` unless every address of ``url``'s host is public."""
    host = url.host
    if not host:
        raise MediaSourceError(f"URL {url.with_user(None)} has no host")
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, url.port or 80, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise MediaSourceError(f"cannot resolve {host!r}: {exc}") from exc
    for info in infos:
        address = str(info[4][0])
        if not is_public_address(address):
            raise MediaSourceError(
                f"refusing to download from {host!r}: it resolves to {address}, a private, "
                "loopback or link-local address (block_private_networks is on)"
            )
