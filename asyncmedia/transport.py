"""The thin I/O layer: sends :class:`~asyncmedia.protocols.http.HTTPRequest` values with aiohttp.

It signs each request just before sending it (a fresh OAuth nonce and timestamp every time,
retries included), streams file parts in bounded slices while reporting progress, caps the
number of requests on the wire, retries what is safe to retry, waits out short rate limits, and
keeps credentials on the configured service.  Redirects are followed by hand, once for every
service, with these rules:

* a request is never sent with its credentials to another origin than its own: a redirect
  elsewhere is followed without ``Authorization`` and without the headers the request marks
  as secret (:attr:`HTTPRequest.secret_headers`), and a request whose *body* carries
  credentials (:attr:`HTTPRequest.secret_body`) raises
  :class:`~asyncmedia.errors.CrossOriginRedirect` instead;
* a request with a body (an upload, a post) redirected with 301/302/303 raises
  :class:`~asyncmedia.errors.RedirectRefused`: it is never turned into a GET whose answer
  would pass for the upload's; 307/308 re-send it with the same method and body, provided the
  body can be sent again (a one-pass source cannot: ``RedirectRefused``);
* a malformed or non-http(s) ``Location``, and more than ``MAX_REDIRECTS`` hops, raise
  ``RedirectRefused``.

Answers are read whole (however many pieces they arrive in), decoded from their
``Content-Encoding`` by aiohttp, and capped at ``MAX_RESPONSE_BODY`` decoded bytes.

It makes no protocol decisions: which status means what is the protocol modules' business.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import hdrs, payload
from aiohttp.abc import AbstractStreamWriter
from yarl import URL

from .auth import FORM_CONTENT_TYPE, Signer
from .config import UploadConfig
from .errors import (
    AsyncMediaError,
    CrossOriginRedirect,
    MediaSourceError,
    RateLimitError,
    RedirectRefused,
    TransportError,
)
from .protocols.http import HTTPRequest, HTTPResponse, error_from_response
from .sources import MediaSource

Body = bytes | bytearray | memoryview | MediaSource

__all__ = [
    "ROUND_TRIP_OBSERVER",
    "Body",
    "ChunkPayload",
    "ProgressCallback",
    "ProgressReporter",
    "SourcePayload",
    "TcpSample",
    "Transport",
    "tcp_round_trip",
    "tcp_round_trips",
    "tcp_sample",
]

log = logging.getLogger("asyncmedia")

ProgressCallback = Callable[[int, int], Any]
Sleep = Callable[[float], Awaitable[None]]

WRITE_SLICE = 256 * 1024
MAX_RESPONSE_BODY = 16 * 1024 * 1024
MAX_REDIRECTS = 5
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class ProgressReporter:
    """Calls ``callback(sent, total)`` (sync or async) as bytes leave; may step backwards."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self._callback = callback
        self.total = total
        self.sent = 0

    async def advance(self, nbytes: int) -> None:
        """Count ``nbytes`` more (negative: bytes that must be sent again) and notify."""
        if not nbytes:
            return
        self.sent += nbytes
        if self._callback is not None:
            result = self._callback(self.sent, self.total)
            if inspect.isawaitable(result):
                await result

    def attempt(self) -> AttemptProgress:
        """A counter for one request attempt, so a failed attempt can take back its bytes."""
        return AttemptProgress(self)


class AttemptProgress:
    """Forwards to a :class:`ProgressReporter` and remembers what this attempt added."""

    def __init__(self, parent: ProgressReporter) -> None:
        self._parent = parent
        self.sent = 0

    async def advance(self, nbytes: int) -> None:
        self.sent += nbytes
        await self._parent.advance(nbytes)

    async def rollback(self) -> None:
        """Report this attempt's bytes as not sent (concurrent attempts are unaffected)."""
        sent, self.sent = self.sent, 0
        await self._parent.advance(-sent)


class SourcePayload(payload.Payload):
    """Streams the rest of a :class:`MediaSource` (from its current position) as a body part.

    The size is known up front, so the request carries a ``Content-Length`` and the media is
    never held in memory whole: it is read ``WRITE_SLICE`` bytes at a time.
    """

    def __init__(
        self,
        source: MediaSource,
        *,
        content_type: str,
        filename: str | None = None,
        progress: ProgressReporter | AttemptProgress | None = None,
    ) -> None:
        super().__init__(source, content_type=content_type, filename=filename)
        if source.size is None:
            raise ValueError("SourcePayload needs a source of known size")
        self._source = source
        self._size = source.size - source.position
        self._progress = progress

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a media stream cannot be decoded as text")

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        left = self._size if content_length is None else min(content_length, self._size or 0)
        while left:
            piece = await self._source.read(min(WRITE_SLICE, left))
            if not piece:
                raise MediaSourceError(f"{self._source.describe()} ended early")
            await writer.write(piece)
            left -= len(piece)
            if self._progress is not None:
                await self._progress.advance(len(piece))


@dataclass(frozen=True)
class TcpSample:
    """What the kernel says of one TCP connection (``TCP_INFO``, Linux): smoothed and minimum
    round trip in seconds (the minimum is ``None`` on kernels before 4.6), segments
    retransmitted so far, the congestion control algorithm (``""`` if unknown), and which
    connection it is (its socket's file descriptor; 0 if unknown)."""

    round_trip: float
    min_round_trip: float | None
    retransmitted: int
    congestion_control: str = ""
    connection: int = 0


#: Set (per task) by the chunked uploader around an APPEND: :class:`ChunkPayload` calls it with
#: a :class:`TcpSample` of the connection, once the first slice of the part is written and
#: again after the last.  The request body is written by a task aiohttp creates, which
#: inherits the value.
ROUND_TRIP_OBSERVER: ContextVar[Callable[[TcpSample], None] | None] = ContextVar(
    "asyncmedia_round_trip_observer", default=None
)
_TCPI_U32 = struct.Struct("=I")
_TCPI_RTT_OFFSET = 68  # tcpi_rtt (µs) in struct tcp_info
_TCPI_TOTAL_RETRANS_OFFSET = 100  # tcpi_total_retrans
_TCPI_MIN_RTT_OFFSET = 148  # tcpi_min_rtt (µs), Linux 4.6 and later
_TCP_CONGESTION = getattr(socket, "TCP_CONGESTION", None)


def tcp_sample(writer: AbstractStreamWriter) -> TcpSample | None:
    """A :class:`TcpSample` of the TCP connection ``writer`` writes to, or ``None`` where
    the platform does not say (no ``TCP_INFO``, not a TCP socket)."""
    tcp_info = getattr(socket, "TCP_INFO", None)
    transport = getattr(writer, "transport", None)
    if tcp_info is None or transport is None:
        return None
    sock = transport.get_extra_info("socket")
    if sock is None:
        return None
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, 232)
    except (OSError, ValueError):
        return None
    if len(info) < _TCPI_TOTAL_RETRANS_OFFSET + 4:
        return None
    (srtt,) = _TCPI_U32.unpack_from(info, _TCPI_RTT_OFFSET)
    if not srtt:
        return None
    (retrans,) = _TCPI_U32.unpack_from(info, _TCPI_TOTAL_RETRANS_OFFSET)
    low = None
    if len(info) >= _TCPI_MIN_RTT_OFFSET + 4:
        (micros,) = _TCPI_U32.unpack_from(info, _TCPI_MIN_RTT_OFFSET)
        low = micros / 1e6 if micros and micros != 0xFFFFFFFF else None
    algorithm = ""
    if _TCP_CONGESTION is not None:
        with contextlib.suppress(OSError, ValueError):
            raw = sock.getsockopt(socket.IPPROTO_TCP, _TCP_CONGESTION, 16)
            algorithm = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return TcpSample(srtt / 1e6, low, retrans, algorithm, sock.fileno())


def tcp_round_trips(writer: AbstractStreamWriter) -> tuple[float, float | None] | None:
    """The smoothed and the minimum round-trip time (seconds) of the TCP connection
    ``writer`` writes to, or ``None`` where the platform does not say (see
    :func:`tcp_sample`)."""
    sample = tcp_sample(writer)
    return None if sample is None else (sample.round_trip, sample.min_round_trip)


def tcp_round_trip(writer: AbstractStreamWriter) -> float | None:
    """The smoothed round-trip time (seconds) of the TCP connection ``writer`` writes to, or
    ``None`` where the platform does not say (see :func:`tcp_round_trips`)."""
    both = tcp_round_trips(writer)
    return None if both is None else both[0]


class ChunkPayload(payload.Payload):
    """Bytes already in memory, written in bounded slices that feed a progress reporter.

    aiohttp's ``BytesPayload`` warns above 1 MiB and writes in one go; this writes
    ``WRITE_SLICE`` at a time so progress moves and the event loop stays responsive.
    """

    _autoclose = True

    def __init__(
        self,
        value: bytes | bytearray | memoryview,
        *,
        content_type: str,
        filename: str | None = None,
        progress: ProgressReporter | AttemptProgress | None = None,
    ) -> None:
        view = memoryview(value).cast("B")
        super().__init__(view, content_type=content_type, filename=filename)
        self._view = view
        self._size = view.nbytes
        self._progress = progress
        self.written = 0

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._view).decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self._view)

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        end = (
            self._view.nbytes if content_length is None else min(content_length, self._view.nbytes)
        )
        observer = ROUND_TRIP_OBSERVER.get()
        for start in range(0, end, WRITE_SLICE):
            piece = self._view[start : min(start + WRITE_SLICE, end)]
            await writer.write(piece)
            self.written += len(piece)
            if observer is not None and (start == 0 or start + WRITE_SLICE >= end):
                sample = tcp_sample(writer)
                if sample is not None:
                    observer(sample)
            if self._progress is not None:
                await self._progress.advance(len(piece))


def _requests_use_connector(session: aiohttp.ClientSession) -> bool:
    """Whether ``session``'s requests run aiohttp's own ``ClientSession._request`` (not a
    subclass's or a test double's), which takes its connections from the connector."""
    code = getattr(type(session)._request, "__code__", None)
    return code is getattr(aiohttp.ClientSession._request, "__code__", None) and (
        code is not None and code.co_filename == inspect.getfile(aiohttp.client)
    )


def _same_origin(a: URL, b: URL) -> bool:
    return (a.scheme, a.host, a.explicit_port or a.port) == (
        b.scheme,
        b.host,
        b.explicit_port or b.port,
    )


class Transport:
    """Sends requests for one service with one signer over one aiohttp session.

    ``sleep`` and ``rng`` are injectable so retry timing can be tested without waiting.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        signer: Signer,
        config: UploadConfig,
        *,
        limiter: asyncio.Semaphore | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.signer = signer
        self.config = config
        self.limiter = limiter or asyncio.Semaphore(config.max_concurrent_requests)
        self.sleep = sleep
        self._rng = rng or random.Random()

    async def send(
        self,
        request: HTTPRequest,
        data: Body | None = None,
        *,
        progress: ProgressReporter | None = None,
    ) -> HTTPResponse:
        """Send ``request`` (with ``data`` as its file part or raw body) and return the answer.

        ``data`` is bytes already in memory (a chunk) or a :class:`MediaSource`, streamed from
        its current position; a source that cannot seek back makes the request non-retryable.

        Retries, when ``request.retry_safe``: connection errors, timeouts and 5xx answers, up to
        ``config.retries`` times with exponential backoff and full jitter.  429/420 are waited
        out when the reset is within ``config.max_rate_limit_wait`` (for every request: the
        service did not act on a throttled request), at most ``max(3, retries)`` times in a row;
        otherwise raised as :class:`RateLimitError`.
        Bytes of a failed attempt are reported back as negative progress.
        """
        attempt = throttled = 0
        retries = self.config.retries
        if request.max_retries is not None:
            retries = min(retries, request.max_retries)
        replayable = not isinstance(data, MediaSource) or data.seekable
        start = data.position if isinstance(data, MediaSource) else 0
        while True:
            counted = progress.attempt() if progress else None
            try:
                response = await self._send_once(request, data, counted)
                failure = None
            except AsyncMediaError:
                raise  # decided here (a refused redirect, a failing source): never retried
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                source_error = _source_error(exc)
                if source_error is not None:  # the media failed while being sent, not the wire
                    # Keep the source's own exception as __cause__; hide aiohttp's wrapper.
                    source_error.__suppress_context__ = True
                    raise source_error  # noqa: B904 - the cause is already the right one
                response, failure = None, exc
            if response is not None and not (
                response.status in (429, 420) or response.status in _RETRY_STATUSES
            ):
                return response
            # This attempt failed: its bytes have to go out again.
            if counted:
                await counted.rollback()
            # Could the service have acted on this attempt?  Not if the connection was never
            # made, nor when it answered with a status saying it refused before acting.
            unsent = isinstance(failure, aiohttp.ClientConnectorError) or (
                response is not None and response.status in request.retry_statuses
            )
            if response is not None and response.status in (429, 420):
                throttled += 1
                # A service that throttles again after every wait is not going to let us in.
                if not replayable or throttled > max(3, self.config.retries):
                    raise error_from_response(response)
                await self._wait_rate_limit(response)
            elif not ((request.retry_safe or unsent) and replayable) or attempt >= retries:
                if response is not None:
                    return response
                raise TransportError(
                    f"{request.method} {request.url.with_query(None)} failed: "
                    f"{type(failure).__name__}: {failure or 'no answer'}",
                    request_sent=not isinstance(failure, aiohttp.ClientConnectorError),
                ) from failure
            else:
                attempt += 1
                why = f"HTTP {response.status}" if response is not None else repr(failure)
                await self._backoff(attempt, request, why)
            if isinstance(data, MediaSource):
                await data.seek(start)

    async def preconnect(self, url: URL, count: int) -> int:
        """Open up to ``count`` connections to ``url``'s origin and leave them idle in the pool.

        Best effort, for requests about to go there in parallel (a chunked upload's APPENDs,
        opened while INIT is in flight): each saves the connection's own handshakes (TCP, and
        TLS on https) on a later request.  Connections already idle in the pool count, so
        nothing is opened twice.  Nothing is sent on them.  Failures are only logged: the
        requests that follow open their own connections and report their own errors.
        Skipped when the session may route through a proxy (``trust_env`` or a default
        proxy), whose connections could not be told apart here, and when its requests do
        not go through aiohttp's own connection path (``ClientSession._request`` replaced,
        as test doubles such as aioresponses do): nothing is opened behind a mock's back.
        Returns how many connections were open at the end.
        """
        session = self.session
        connector = session.connector
        if (
            count <= 0
            or connector is None
            or session.trust_env
            or getattr(session, "_default_proxy", None) is not None
            or not _requests_use_connector(session)
        ):
            return 0
        origin = URL(str(url), encoded=True).origin()
        # A request like the session's own (same origin, default TLS settings, no proxy),
        # so its connection key is theirs; aiohttp pools connections by that key.
        probe = aiohttp.ClientRequest(
            "POST", origin, loop=asyncio.get_running_loop(), session=session
        )
        timeout = aiohttp.ClientTimeout(connect=self.config.request_timeout)
        held: list[aiohttp.connector.Connection] = []

        async def one() -> None:
            try:
                held.append(await connector.connect(probe, traces=[], timeout=timeout))
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                log.debug("preconnect to %s: %s", origin, exc)

        try:
            # All held at once, so that each one is a distinct connection.
            # One below the connector's limits: the request under way holds a connection too.
            for limit in (connector.limit, connector.limit_per_host):
                count = min(count, limit - 1) if limit else count
            await asyncio.gather(*(one() for _ in range(count)))
        finally:
            for conn in held:
                conn.release()
        return len(held)

    async def _backoff(self, attempt: int, request: HTTPRequest, why: str) -> None:
        cap = min(self.config.max_backoff, self.config.backoff * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, cap)
        log.info(
            "retrying %s %s in %.2fs (attempt %d/%d): %s",
            request.method,
            request.url.with_query(None),
            delay,
            attempt,
            self.config.retries,
            why,
        )
        await self.sleep(delay)

    async def _wait_rate_limit(self, response: HTTPResponse) -> None:
        error = error_from_response(response)
        assert isinstance(error, RateLimitError)
        if error.reset is None:
            raise error
        wait = max(0.0, error.reset - time.time()) + 1.0
        if wait > self.config.max_rate_limit_wait:
            raise error
        log.warning("rate limited; waiting %.1fs for the window to reset", wait)
        await self.sleep(wait)

    async def _send_once(
        self,
        request: HTTPRequest,
        data: Body | None,
        progress: AttemptProgress | None,
    ) -> HTTPResponse:
        """One attempt, following redirects by hand under the module docstring's rules."""
        url = request.url
        method = request.method
        start = data.position if isinstance(data, MediaSource) else 0
        has_body = (
            request.form is not None
            or request.json is not None
            or request.raw is not None
            or request.is_multipart
        )
        for hop in range(MAX_REDIRECTS + 1):
            if hop and isinstance(data, MediaSource):
                await data.seek(start)
            home = _same_origin(url, request.url)
            # Away from the request's own origin, no credential-bearing header goes along.
            headers = {
                name: value
                for name, value in request.headers
                if home or not request.is_secret_header(name)
            }
            form = urlencode(request.form) if request.form is not None else None
            body = self._body(request, form, data, progress)
            if form is not None:
                headers[hdrs.CONTENT_TYPE] = FORM_CONTENT_TYPE
            if request.signed and home:
                headers.update(self.signer.sign(method, url, form=form))
            _check_header_values(headers)
            timeout = aiohttp.ClientTimeout(total=self.config.request_timeout)
            async with (
                self.limiter,
                self.session.request(
                    method,
                    URL(str(url), encoded=True),
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                    timeout=timeout,
                ) as resp,
            ):
                location = resp.headers.get(hdrs.LOCATION)
                status = resp.status
                if status not in _REDIRECTS or not location:
                    raw = await self._read_body(resp)
                    _abort_if_still_sending(resp)
                    return HTTPResponse(status, resp.reason or "", resp.headers, raw, url)
            here = f"{method} {url.with_query(None)}"
            target = _redirect_target(url, here, status, location)
            if has_body and method not in ("GET", "HEAD") and status in (301, 302, 303):
                raise RedirectRefused(
                    f"{here} was answered {status} (to {target.with_query(None)}): following "
                    "it would turn the request into a GET and take that answer for this "
                    "request's; check the service URL",
                    status=status,
                    location=location,
                )
            if has_body and isinstance(data, MediaSource) and not data.seekable:
                raise RedirectRefused(
                    f"{here} was redirected ({status}) but its body, {data.describe()}, is "
                    "one-pass and cannot be sent again; check the service URL",
                    status=status,
                    location=location,
                )
            if request.secret_body and not _same_origin(target, request.url):
                raise CrossOriginRedirect(
                    f"{here} was redirected ({status}) to another host, {target.host}; its "
                    "body carries credentials, so it is not sent there; check the service URL",
                    host=target.host,
                    status=status,
                    location=location,
                )
            if progress:
                await progress.rollback()
            log.info("following %d redirect to %s", status, target.with_query(None))
            url = target
        raise RedirectRefused(
            f"too many redirects (over {MAX_REDIRECTS}) from {request.url.with_query(None)}"
        )

    @staticmethod
    async def _read_body(resp: aiohttp.ClientResponse) -> bytes:
        """The whole answer, however many reads it takes, capped at ``MAX_RESPONSE_BODY``.

        ``content`` yields the decoded bytes (aiohttp undoes ``Content-Encoding``), so the cap
        is on what the answer decodes to, never only on what crossed the wire.
        """
        length = resp.content_length
        if length is not None and length > MAX_RESPONSE_BODY:
            raise TransportError(f"answer of {length} bytes is larger than expected")
        body = bytearray()
        while True:
            piece = await resp.content.read(MAX_RESPONSE_BODY + 1 - len(body))
            if not piece:
                return bytes(body)
            body += piece
            if len(body) > MAX_RESPONSE_BODY:
                raise TransportError(
                    f"answer is larger than expected (over {MAX_RESPONSE_BODY} bytes decoded)"
                )

    @staticmethod
    def _body(
        request: HTTPRequest,
        form: str | None,
        data: Body | None,
        progress: AttemptProgress | None,
    ) -> Any:
        if form is not None:
            return form.encode("ascii")
        if request.json is not None:
            return payload.JsonPayload(request.json)
        if request.raw is not None:
            return _data_payload(data, request.raw, None, progress)
        if not request.is_multipart:
            return None
        writer = aiohttp.MultipartWriter("form-data")
        for name, value in request.fields:
            part = writer.append(value)
            part.set_content_disposition("form-data", name=name)
        if request.file is not None:
            part_payload = _data_payload(
                data, request.file.content_type, request.file.filename, progress
            )
            part_payload.set_content_disposition(
                "form-data", name=request.file.name, filename=request.file.filename
            )
            writer.append_payload(part_payload)
        return writer


def _abort_if_still_sending(resp: aiohttp.ClientResponse) -> None:
    """Abort the connection of an answer that came before the request body was all sent.

    A server may answer early (413 from the Content-Length, 401 from the headers) and stop
    reading.  Once the whole answer is read, aiohttp keeps the connection on the response
    only while its body writer still runs; on release it would cancel the writer and close
    the transport gracefully, which keeps the socket open (``<_SelectorSocketTransport
    closing>``) until the unsent rest of the body drains, and warns "unclosed transport" if
    the event loop ends first.  Aborting drops the unsent bytes and the socket at once; such a
    connection is never returned to the pool.
    """
    connection = resp.connection
    transport = connection.transport if connection is not None else None
    if transport is not None:
        log.debug("answered before the request body was all sent; aborting the connection")
        transport.abort()


def _source_error(exc: BaseException) -> AsyncMediaError | None:
    """The asyncmedia error (a failing source) aiohttp wrapped in a connection error, if any."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, AsyncMediaError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _data_payload(
    data: Body | None,
    content_type: str,
    filename: str | None,
    progress: AttemptProgress | None,
) -> payload.Payload:
    if isinstance(data, MediaSource):
        return SourcePayload(data, content_type=content_type, filename=filename, progress=progress)
    return ChunkPayload(
        data or b"", content_type=content_type, filename=filename, progress=progress
    )


def _redirect_target(url: URL, here: str, status: int, location: str) -> URL:
    """The absolute http(s) URL a ``Location`` points at, or :class:`RedirectRefused`."""
    try:
        target = url.join(URL(location))
        port = target.port
    except (ValueError, TypeError) as exc:
        raise RedirectRefused(
            f"{here} was redirected ({status}) to a malformed Location {location!r}: {exc}",
            status=status,
            location=location,
        ) from exc
    if target.scheme not in ("http", "https") or not target.host or not port:
        raise RedirectRefused(
            f"{here} was redirected ({status}) to {location!r}; only http(s) URLs with a host "
            "and a port are followed",
            status=status,
            location=location,
        )
    return target


def _check_header_values(headers: dict[str, str]) -> None:
    """Refuse a header value aiohttp would refuse (CR, LF, NUL): a typed error, not ValueError.

    Such a value comes from a credential or an id that answered wrongly (a Bluesky
    ``accessJwt`` with a line break...); the request is not sent.
    """
    for name, value in headers.items():
        if any(ch in value for ch in "\r\n\x00") or any(ch in name for ch in "\r\n\x00:"):
            raise TransportError(
                f"refusing to send header {name}: its value contains a line break or NUL "
                "(check the credentials or token given to the client)",
                request_sent=False,
            )
