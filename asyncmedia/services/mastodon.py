"""``MastodonClient``: media attachments and statuses on a Mastodon instance.

Session, config, transport and sources come from :class:`~asyncmedia.service.ServiceClient`;
wire details from :mod:`asyncmedia.protocols.mastodon`.  This module only sequences the calls:
read the instance's limits once (lazily, one fetch shared by concurrent callers), upload, poll
while the instance processes (1 s backing off to 5 s, within ``config.processing_timeout``),
the optional thumbnail ``PUT``, and the status that publishes the uploads.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any, ClassVar

import aiohttp
from yarl import URL

from ..auth import BearerToken
from ..config import UploadConfig
from ..errors import (
    APIError,
    MediaTooLarge,
    PostMayExist,
    ProcessingTimeout,
    TransportError,
    UnsupportedMediaType,
)
from ..media import MastodonMedia
from ..posting import Post, check_alt_texts
from ..protocols.http import FilePart
from ..protocols.mastodon import (
    VISIBILITIES,
    InstanceLimits,
    MastodonProtocol,
    check_description,
    format_focus,
    poll_delays,
    reply_status_id,
    status_length,
)
from ..service import PreparedMedia, ServiceClient
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["MastodonClient", "StatusMayExist"]

log = logging.getLogger("asyncmedia")


class StatusMayExist(PostMayExist):
    """The status request was sent but no answer came back, after every retry: it may exist.

    A :class:`~asyncmedia.errors.PostMayExist` (``service="mastodon"``, ``media``,
    ``media_ids``) that also carries the ``idempotency_key`` every attempt used: within the
    hour Mastodon remembers keys, ``post(..., media=err.media,
    idempotency_key=err.idempotency_key)`` answers with the status if it was created, or
    creates it once — without uploading again.
    """

    def __init__(
        self,
        message: str,
        *,
        idempotency_key: str,
        media: tuple[Any, ...] = (),
        media_ids: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, service="mastodon", media=media, media_ids=media_ids)
        self.idempotency_key = idempotency_key


class MastodonClient(ServiceClient):
    """Upload media to a Mastodon instance and post statuses with a user access token
    (scopes ``write:media`` and ``write:statuses``).

    >>> async def main():                                                # doctest: +SKIP
    ...     async with MastodonClient("https://mastodon.social", token) as mastodon:
    ...         media = await mastodon.upload_media("cat.png", description="A cat", focus=(0, 0.5))
    ...         post = await mastodon.post("Our cat", media=[media])
    ...         print(post.id, post.url)

    The instance's limits (:attr:`limits`) are read once, on first need, from
    ``GET /api/v2/instance`` (``/api/v1/instance`` on servers without it); an instance that
    does not say keeps Mastodon's defaults.

    :param instance_url: the instance root, e.g. ``https://mastodon.social``.
    :param access_token: the user's OAuth token, sent as ``Authorization: Bearer``.
    :param session: an ``aiohttp.ClientSession`` to use; the client never closes it.
    :param config: an :class:`~asyncmedia.config.UploadConfig` (``processing_timeout``,
        ``retries``, ``max_rate_limit_wait``… apply); its fields may be overridden by keyword.
    :param poll_interval: first wait before polling a 202 upload (seconds); doubles per poll.
    :param max_poll_interval: cap of one wait between polls (seconds).
    :param description_limit: longest description accepted client-side; by default the
        instance's ``description_limit`` (1500 when it does not say).
    :param max_characters: longest status text; by default the instance's (500).
    :param max_media_attachments: most media in one status; by default the instance's (4).
    """

    #: :attr:`Post.service <asyncmedia.Post.service>` of this client's posts.
    service: ClassVar[str] = "mastodon"

    def __init__(
        self,
        instance_url: str | URL,
        access_token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        poll_interval: float = 1.0,
        max_poll_interval: float = 5.0,
        description_limit: int | None = None,
        max_characters: int | None = None,
        max_media_attachments: int | None = None,
        **config_overrides: Any,
    ) -> None:
        if not access_token:
            raise ValueError("MastodonClient needs an access token (scope write:media)")
        if poll_interval <= 0 or max_poll_interval < poll_interval:
            raise ValueError("need 0 < poll_interval <= max_poll_interval")
        super().__init__(
            BearerToken(access_token),
            session=session,
            config=config,
            verify_ssl=verify_ssl,
            **config_overrides,
        )
        self.protocol = MastodonProtocol(instance_url)
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        #: Limits given to the constructor; they win over the instance's.
        self._explicit: dict[str, int | None] = {
            "description_limit": description_limit,
            "max_characters": max_characters,
            "max_media_attachments": max_media_attachments,
        }
        for name, value in self._explicit.items():
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self._limits: InstanceLimits | None = None
        self._limits_lock = asyncio.Lock()

    @property
    def limits(self) -> InstanceLimits | None:
        """The limits in force, once read (``None`` before the first :meth:`instance_limits`)."""
        return self._limits

    async def instance_limits(self) -> InstanceLimits:
        """The instance's limits, read once per client (concurrent callers share one fetch).

        ``GET /api/v2/instance``, then ``/api/v1/instance`` if that is 404; both are public and
        sent without the token.  Constructor arguments win over what the instance says.  An
        instance that answers with an error or a document without limits gives the defaults
        (:class:`~asyncmedia.protocols.mastodon.InstanceLimits`) with a debug log line, never
        an error; when no answer comes at all, the defaults are used for now and the fetch is
        tried again next time (likewise after a 5xx or 429).
        """
        if self._limits is not None:
            return self._limits
        async with self._limits_lock:
            if self._limits is not None:
                return self._limits
            found: InstanceLimits | None = None
            transient = False
            try:
                for version in (2, 1):
                    response = await self.transport.send(self.protocol.instance(version))
                    found = self.protocol.read_instance(response, version)
                    transient = response.status >= 500 or response.status in (420, 429)
                    if found is not None:
                        break
                else:
                    log.debug("mastodon instance documents v2 and v1 are 404; using defaults")
                    found = InstanceLimits()
            except (TransportError, APIError) as exc:
                log.debug("mastodon instance document unreachable (%s); defaults for now", exc)
                return InstanceLimits().override(**self._explicit)
            limits = found.override(**self._explicit)
            if not transient:  # a 5xx or 429 may pass: ask again next time
                self._limits = limits
            return limits

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.protocol.instance_url)!r}, access_token=***)"

    def _check_media(self, prepared: PreparedMedia, limits: InstanceLimits) -> None:
        """Refuse, before sending, what the instance says it does not take."""
        if not limits.accepts_type(prepared.media_type):
            raise UnsupportedMediaType(
                f"{prepared.source.describe()} is {prepared.media_type}, which this instance "
                f"does not accept (it lists {len(limits.supported_mime_types or ())} types in "
                "configuration.media_attachments.supported_mime_types); convert it first"
            )
        limit = limits.size_limit(prepared.media_type)
        if limit is not None and prepared.size > limit:
            raise MediaTooLarge(
                f"{prepared.source.describe()} is {prepared.size} bytes; this instance takes "
                f"{prepared.media_type} up to {limit} bytes",
                size=prepared.size,
                limit=limit,
            )

    async def upload_media(
        self,
        source: Any,
        *,
        description: str | None = None,
        focus: tuple[float, float] | None = None,
        thumbnail: Any = None,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
        size: int | None = None,
        filename: str | None = None,
    ) -> MastodonMedia:
        """Upload ``source`` and return the attachment once the instance has processed it.

        ``source`` and ``thumbnail`` accept everything :meth:`MediaClient.upload_media
        <asyncmedia.MediaClient.upload_media>` does.  ``description`` is the alt text
        (≤ ``description_limit`` characters); ``focus=(x, y)`` with both in −1.0…1.0.
        ``thumbnail`` (an image, for audio and video) is sent by a follow-up
        ``PUT /api/v1/media/{id}`` once processing finished.

        :raises ValueError: description too long, focus out of range.
        :raises RejectedMediaType: the instance refused the type (422); also
            :class:`UnsupportedMediaType`.
        :raises RejectedMediaSize: the instance refused the size (422/413); also
            :class:`MediaTooLarge`.
        :raises ProcessingError: the instance failed to process it (422 on a poll).
        :raises ProcessingTimeout: still processing after ``config.processing_timeout``.
        """
        limits = await self.instance_limits()
        check_description(description, limits.description_limit)
        focus_text = format_focus(focus)
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            self._check_media(prepared, limits)
            media = await self._send_upload(prepared, description, focus_text, progress)
        return await self._finish_upload(media, thumbnail)

    async def upload_one(
        self,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> MastodonMedia:
        """:meth:`upload_media` with ``alt_text`` as the description (the
        :class:`~asyncmedia.PostingClient` interface)."""
        return await self.upload_media(
            source, description=alt_text, media_type=media_type, progress=progress
        )

    async def _send_upload(
        self,
        prepared: PreparedMedia,
        description: str | None,
        focus: str | None,
        progress: ProgressCallback | None,
    ) -> tuple[MastodonMedia, bool]:
        request = self.protocol.upload(
            filename=prepared.filename,
            media_type=prepared.media_type,
            description=description,
            focus=focus,
        )
        response = await self.transport.send(
            request, prepared.source, progress=ProgressReporter(progress, prepared.size)
        )
        return self.protocol.read_upload(response)

    async def _finish_upload(
        self, uploaded: tuple[MastodonMedia, bool], thumbnail: Any = None
    ) -> MastodonMedia:
        media, ready = uploaded
        if not ready:
            media = await self.wait_until_ready(media.id)
        if thumbnail is not None:
            media = await self.update_media(media.id, thumbnail=thumbnail)
        return media

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        sensitive: bool = False,
        spoiler_text: str | None = None,
        visibility: str | None = None,
        language: str | None = None,
        reply_to: Any = None,
        idempotency_key: str | None = None,
    ) -> Post:
        """Upload ``media`` (each with its alt text as description), wait until the instance
        has processed every one, and publish ``text`` with them (``POST /api/v1/statuses``).

        ``media`` items are sources (anything :meth:`upload_media` takes) or
        :class:`~asyncmedia.MastodonMedia` already uploaded and not yet attached (sent as
        they are).  ``sensitive``, ``spoiler_text``, ``visibility`` (``public``, ``unlisted``,
        ``private``, ``direct``) and ``language`` (ISO 639-1) are sent only when given, so the
        account's own defaults apply otherwise.  ``reply_to`` is a :class:`~asyncmedia.Post`
        or a status id.

        Every attempt of the status request carries the same ``Idempotency-Key`` (a fresh
        one per call, or ``idempotency_key``), so it is repeated after a timeout or a 5xx
        without risk of a second status: the instance answers a repeated key with the first.

        :raises ValueError: before anything is uploaded — more media than the instance's
            ``max_media_attachments`` (4), a video or audio with anything else, ``alt_texts``
            of another length than ``media``, text (with ``spoiler_text``) over
            ``max_characters`` (500; a URL counts ``characters_reserved_per_url``, 23), empty
            text without media, an alt text over ``description_limit``, a media type the
            instance does not take (:class:`~asyncmedia.UnsupportedMediaType`) or a file over
            its size limit (:class:`~asyncmedia.MediaTooLarge`).
        :raises StatusMayExist: no answer to the status request after every retry; carries
            the uploads and the idempotency key to repeat it safely.
        :raises APIError: the instance refused (422 with its message, 401…).
        """
        texts = check_alt_texts(media, alt_texts)
        items = list(media)
        if visibility is not None and visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)} or None")
        reply_id = None if reply_to is None else reply_status_id(reply_to)
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        if not text.strip() and not items:
            raise ValueError("nothing to post: give some text or at least one media item")
        limits = await self.instance_limits()
        if len(items) > limits.max_media_attachments:
            raise ValueError(
                f"{len(items)} media items; this instance takes at most "
                f"{limits.max_media_attachments} in one status: split them over several "
                "statuses (e.g. a reply thread)"
            )
        length = status_length(
            text, spoiler_text, characters_reserved_per_url=limits.characters_reserved_per_url
        )
        if length > limits.max_characters:
            raise ValueError(
                f"the status is {length} characters as Mastodon counts them (a URL counts "
                f"{limits.characters_reserved_per_url}, the spoiler text counts too); this "
                f"instance takes at most {limits.max_characters}: shorten it, or split it over "
                "several statuses (e.g. a reply thread)"
            )
        for alt in texts:
            check_description(alt, limits.description_limit)
        key = idempotency_key or uuid.uuid4().hex
        uploads = await self._upload_for_post(items, texts, limits)
        request = self.protocol.status(
            text,
            [item.id for item in uploads],
            idempotency_key=key,
            in_reply_to_id=reply_id,
            sensitive=sensitive,
            spoiler_text=spoiler_text,
            visibility=visibility,
            language=language,
        )

        def lost(exc: TransportError) -> StatusMayExist:
            return StatusMayExist(
                f"the status request reached {self.protocol.instance_url.host} but no answer "
                f"came back ({exc}); it may exist.  Repeat with post(text, media=err.media, "
                f"idempotency_key={key!r}) within the hour: Mastodon answers a repeated key "
                "with the first status instead of posting twice",
                idempotency_key=key,
                media=tuple(uploads),
                media_ids=tuple(item.id for item in uploads),
            )

        response = await self._publish(request, lost)
        status_id, url, raw = self.protocol.read_status(response)
        return Post(service="mastodon", id=status_id, url=url, media=tuple(uploads), raw=raw)

    async def _upload_for_post(
        self, items: Sequence[Any], texts: Sequence[str | None], limits: InstanceLimits
    ) -> list[MastodonMedia]:
        """Open and check every source first (type, size, mixing), then upload them all at
        once and wait until each is processed; the results keep the order of ``items``."""

        def checked(prepared: PreparedMedia) -> PreparedMedia:
            self._check_media(prepared, limits)
            return prepared

        async with AsyncExitStack() as stack:
            slots = await self.prepare_each(stack, items, MastodonMedia, checked)
            kinds = [_kind_of(slot) for slot in slots]
            if len(slots) > 1 and any(kind in ("video", "audio") for kind in kinds):
                raise ValueError(
                    "Mastodon takes one video or audio file alone in a status, not with other "
                    "media: post it separately"
                )

            async def one(slot: PreparedMedia | MastodonMedia, alt: str | None) -> MastodonMedia:
                if isinstance(slot, MastodonMedia):
                    if alt is not None and alt != slot.description:
                        return await self.update_media(slot.id, description=alt)
                    return slot if slot.url is not None else await self.wait_until_ready(slot.id)
                return await self._finish_upload(await self._send_upload(slot, alt, None, None))

            pairs = zip(slots, texts, strict=True)
            tasks = [asyncio.ensure_future(one(slot, alt)) for slot, alt in pairs]
            try:
                return list(await asyncio.gather(*tasks))
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise

    async def update_media(
        self,
        media_id: str,
        *,
        description: str | None = None,
        focus: tuple[float, float] | None = None,
        thumbnail: Any = None,
    ) -> MastodonMedia:
        """Change the description, focus or thumbnail of an unattached upload (``PUT``).

        Waits for processing when the instance answers 206.
        """
        check_description(description, (await self.instance_limits()).description_limit)
        focus_text = format_focus(focus)
        if thumbnail is None:
            request = self.protocol.update(media_id, description=description, focus=focus_text)
            media, ready = self.protocol.read_update(await self.transport.send(request))
        else:
            async with self.prepared(thumbnail) as thumb:
                if not thumb.media_type.startswith("image/"):
                    raise UnsupportedMediaType(
                        f"a thumbnail must be an image, got {thumb.media_type}"
                    )
                request = self.protocol.update(
                    media_id,
                    description=description,
                    focus=focus_text,
                    thumbnail=FilePart("thumbnail", thumb.filename, thumb.media_type),
                )
                response = await self.transport.send(request, thumb.source)
                media, ready = self.protocol.read_update(response)
        return media if ready else await self.wait_until_ready(media.id)

    async def wait_until_ready(self, media_id: str) -> MastodonMedia:
        """Poll ``GET /api/v1/media/{id}`` until 200 (1 s backing off to 5 s).

        :raises ProcessingError: the instance answered 422 (processing failed).
        :raises ProcessingTimeout: not ready within ``config.processing_timeout``.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        slept = 0.0
        timeout = self.config.processing_timeout
        for delay in poll_delays(self.poll_interval, self.max_poll_interval):
            # Count both the clock and the sleeps asked for, so an injected sleep that
            # returns at once still reaches the deadline.
            elapsed = max(loop.time() - started, slept)
            if elapsed + delay > timeout:
                raise ProcessingTimeout(
                    f"media {media_id} was still processing after {elapsed:.1f}s "
                    f"(processing_timeout={timeout:g}s); raise processing_timeout or poll later "
                    "with wait_until_ready()",
                    media_id=media_id,
                )
            await self.transport.sleep(delay)
            slept += delay
            media = self.protocol.read_poll(
                await self.transport.send(self.protocol.get(media_id)), media_id
            )
            if media is not None:
                return media
        raise AssertionError("unreachable: poll_delays never ends")  # pragma: no cover


def _kind_of(slot: PreparedMedia | MastodonMedia) -> str:
    if isinstance(slot, MastodonMedia):
        return slot.type
    return slot.media_type.split("/", 1)[0]
