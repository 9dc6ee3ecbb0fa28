"""Media from the network: an ``aiohttp.ClientResponse`` body, or a URL downloaded for it.

A download is a plain ``session.get(url)``; with ``block_private_networks`` every redirect
hop is checked by :mod:`asyncmedia.netguard` first.
"""

from __future__ import annotations

import aiohttp
import yarl
from aiohttp import hdrs

from ..errors import MediaSourceError
from ..netguard import check_public_url
from .base import MediaSource, _too_large


def _mask_url(url: yarl.URL) -> str:
    """Render ``url`` for messages with any user name / password hidden."""
    if url.user is not None or url.password is not None:
        url = url.with_password(None).with_user("***")
    return str(url)


class ResponseSource(MediaSource):
    """The body of an ``aiohttp.ClientResponse``, streamed from ``resp.content``.

    ``owned=True`` (responses :func:`open_source` fetched itself) releases the response in
    :meth:`aclose`; a caller's response is left alone.  A non-2xx status raises
    :class:`MediaSourceError`; a ``Content-Length`` over ``max_bytes`` raises
    :class:`~asyncmedia.errors.MediaTooLarge` before any of the body is read.
    """

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        *,
        owned: bool = False,
        size: int | None = None,
        filename: str | None = None,
        max_bytes: int | None = None,
        url: yarl.URL | None = None,
    ) -> None:
        self._response = response
        self._owned = owned
        self._url = _mask_url(url if url is not None else response.url)
        if not 200 <= response.status < 300:
            reason = f" {response.reason}" if response.reason else ""
            raise MediaSourceError(f"HTTP {response.status}{reason} from URL {self._url}")
        length = response.content_length
        if max_bytes is not None and length is not None and length > max_bytes:
            raise _too_large(f"URL {self._url}", max_bytes, length)
        super().__init__(
            size=size if size is not None else length,
            filename=filename if filename is not None else response.url.name,
            content_type=response.headers.get(hdrs.CONTENT_TYPE),
            seekable=False,
            max_bytes=max_bytes,
        )

    async def _read_raw(self, n: int) -> bytes:
        try:
            return await self._response.content.read(n)
        except aiohttp.ClientError as exc:
            raise MediaSourceError(
                f"download of URL {self._url} failed after {self._raw_pos} bytes: {exc}"
            ) from exc

    async def _close(self) -> None:
        if self._owned:
            self._response.release()

    def describe(self) -> str:
        return f"URL {self._url}"


def _http_url(obj: object) -> yarl.URL | None:
    """Return ``obj`` as an http(s) URL, ``None`` if it is a path; refuse other schemes."""
    if isinstance(obj, yarl.URL):
        url = obj
    elif isinstance(obj, str) and "://" in obj:
        scheme = obj.split("://", 1)[0]
        if not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
            return None  # "://" somewhere inside a path
        try:
            url = yarl.URL(obj)
        except ValueError as exc:
            raise MediaSourceError(f"invalid URL: {exc}") from None
    else:
        return None
    if url.scheme.lower() not in ("http", "https"):
        raise MediaSourceError(
            f"unsupported URL scheme {url.scheme!r} in {_mask_url(url)}; "
            "only http:// and https:// URLs are downloaded"
        )
    if not url.host:
        raise MediaSourceError(f"URL without a host: {_mask_url(url)}")
    return url


async def _fetch(
    url: yarl.URL,
    session: aiohttp.ClientSession | None,
    *,
    max_download_size: int,
    size: int | None,
    filename: str | None,
    block_private_networks: bool = False,
) -> ResponseSource:
    masked = _mask_url(url)
    if session is None:
        raise MediaSourceError(
            f"downloading URL {masked} needs an aiohttp.ClientSession: pass session="
        )
    try:
        if block_private_networks:
            response = await _get_public(session, url)
        else:
            response = await session.get(url)
    except aiohttp.ClientError as exc:
        raise MediaSourceError(f"cannot download URL {masked}: {exc}") from exc
    except TimeoutError as exc:
        raise MediaSourceError(f"timed out downloading URL {masked}") from exc
    try:
        return ResponseSource(
            response,
            owned=True,
            size=size,
            filename=filename if filename is not None else url.name,
            max_bytes=max_download_size,
            url=url,
        )
    except BaseException:
        response.release()
        raise


async def _get_public(session: aiohttp.ClientSession, url: yarl.URL) -> aiohttp.ClientResponse:
    """GET ``url`` following redirects by hand, checking every hop is a public address."""
    for _ in range(10):
        await check_public_url(url)
        response = await session.get(url, allow_redirects=False)
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        response.release()
        url = url.join(yarl.URL(location))
        if url.scheme not in ("http", "https"):
            raise MediaSourceError(f"refusing redirect to a {url.scheme}: URL")
    raise MediaSourceError(f"too many redirects downloading {_mask_url(url)}")
