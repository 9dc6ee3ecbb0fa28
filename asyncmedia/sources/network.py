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
from .base import MediaSource
from .checks import _too_large


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
        encoding = response.headers.get(hdrs.CONTENT_ENCODING, "").strip().lower()
        if encoding not in ("", "identity"):
            # aiohttp decodes the body; Content-Length counts the *encoded* bytes, so it says
            # nothing of the media's size: measure the decoded bytes (spooled, capped) instead.
            if not _decodes(response):
                raise MediaSourceError(
                    f"URL {self._url} answered with Content-Encoding: {encoding} and the "
                    "session does not decode it (auto_decompress=False); use a session that "
                    "does, or pass the decoded bytes"
                )
            length = None
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


def _decodes(response: aiohttp.ClientResponse) -> bool:
    """Whether ``response``'s session undoes Content-Encoding (aiohttp's default)."""
    session = getattr(response, "_session", None)
    return bool(getattr(session, "auto_decompress", True))


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
        # A session that does not decode Content-Encoding asks for the bytes as they are.
        headers = None if session.auto_decompress else {"Accept-Encoding": "identity"}
        if block_private_networks:
            response = await _get_public(session, url, headers)
        else:
            response = await session.get(url, headers=headers)
    except aiohttp.ClientError as exc:
        raise MediaSourceError(f"cannot download URL {masked}: {exc}") from exc
    except TimeoutError as exc:
        raise MediaSourceError(f"timed out downloading URL {masked}") from exc
    except ValueError as exc:  # a URL aiohttp cannot connect to (a port out of range...)
        raise MediaSourceError(f"cannot download URL {masked}: {exc}") from exc
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


async def _get_public(
    session: aiohttp.ClientSession, url: yarl.URL, headers: dict[str, str] | None = None
) -> aiohttp.ClientResponse:
    """GET ``url`` following redirects by hand, checking every hop is a public address."""
    for _ in range(10):
        await check_public_url(url)
        response = await session.get(url, allow_redirects=False, headers=headers)
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        response.release()
        try:
            url = url.join(yarl.URL(location))
        except ValueError as exc:
            raise MediaSourceError(f"malformed redirect Location {location!r}: {exc}") from None
        if url.scheme not in ("http", "https"):
            raise MediaSourceError(f"refusing redirect to a {url.scheme}: URL")
    raise MediaSourceError(f"too many redirects downloading {_mask_url(url)}")
