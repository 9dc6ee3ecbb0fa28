"""``MediaClient``: the front door for Twitter/X media uploads (API v1.1 and v2).

It owns the session lifecycle (a caller's ``aiohttp.ClientSession`` is used and never closed;
otherwise one is opened lazily and closed by :meth:`MediaClient.close`), turns the ``source``
argument into a :class:`~asyncmedia.sources.MediaSource`, decides the media type, the uploader
and the category, enforces the per-type limits before any byte is sent, and runs the chosen
strategy.  Wire details live in :mod:`asyncmedia.protocols`, I/O in :mod:`asyncmedia.transport`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import aiohttp
from yarl import URL

from .auth import BearerToken, OAuth1, Signer, mask
from .config import UploadConfig, check_chunk_size
from .errors import MediaTooLarge, PostMayExist, TransportError, UnsupportedMediaType
from .media import Media
from .posting import Post, check_alt_texts
from .protocols import media_rules
from .protocols.http import malformed_answer, numeric_id
from .protocols.tweet_text import MAX_WEIGHTED_LENGTH, weighted_length
from .protocols.twitter_v1 import TwitterV1Protocol
from .protocols.twitter_v2 import DEFAULT_V2_URL, SIMPLE_CATEGORIES, TwitterV2Protocol
from .resume import JournalStore, ResumeTarget, journal_key
from .service import PreparedMedia, ServiceClient
from .sources import MediaSource
from .transport import ProgressCallback, ProgressReporter
from .uploaders import ChunkedUploader, SimpleUploader, UploadJob

__all__ = ["MediaClient"]

log = logging.getLogger("asyncmedia")

DEFAULT_UPLOAD_URL = "https://upload.twitter.com/1.1/"
DEFAULT_API_URL = "https://api.twitter.com/1.1/"
#: ``statuses/update_with_media`` took one image of at most 3 MB (tweepy: 3072 KB).
UPDATE_WITH_MEDIA_LIMIT = 3_145_728
#: The public page of a Tweet, from its id alone (no user name needed).
TWEET_URL = "https://x.com/i/web/status/{id}"
#: The keyword arguments :meth:`MediaClient.post` hands on to each upload.
POST_UPLOAD_OPTIONS = frozenset(
    {"media_category", "chunked", "chunk_size", "additional_owners", "progress", "resume"}
)


@dataclass(frozen=True)
class _Planned:
    """One upload of a post, decided before the first byte is sent."""

    prepared: PreparedMedia
    chunked: bool
    category: str | None


class MediaClient(ServiceClient):
    """Upload media to Twitter/X: API v1.1 (the default) or API v2 (``api_version=2``).

    >>> async def main():                                     # doctest: +SKIP
    ...     async with MediaClient(ck, cs, at, ats, api_version=2) as client:
    ...         media = await client.upload_media("cat.png", alt_text="A cat on a sofa")
    ...         print(media.media_id, media.media_key)

    X reports the v1.1 upload endpoints as retired; new code should pass ``api_version=2``.

    Credentials: the four OAuth 1.0a user-context keys (v1.1 and v2), or with
    ``api_version=2`` an OAuth 2.0 *user* access token (scope ``media.write``) as
    ``bearer_token=…``, sent as ``Authorization: Bearer``.  App-only bearer tokens are not
    accepted by X for media upload.

    :param api_version: ``1`` (``upload.twitter.com/1.1``) or ``2`` (``api.x.com/2``).
    :param bearer_token: OAuth 2.0 user access token; only with ``api_version=2``.
    :param upload_url: root of the media upload API: for v1.1 ``media/upload.json`` and
        ``media/metadata/create.json`` are joined onto it (default
        ``https://upload.twitter.com/1.1/``); for v2 ``media/upload…`` and ``media/metadata``
        (default ``https://api.x.com/2/``).
    :param api_url: root of the other v1.1 endpoints (``statuses/update_with_media.json``).
    :param session: an ``aiohttp.ClientSession`` to use; the client never closes it.
    :param config: an :class:`~asyncmedia.config.UploadConfig`; keyword arguments named like its
        fields (``chunk_size=…``, ``max_in_flight=…``) override single fields.
    :param verify_ssl: TLS certificate verification (on by default; turn it off only for a
        test server you control, and only when you pass no session of your own).
    :param signer: replace the signer (e.g. a deterministic OAuth 1.0a one in tests); the
        credentials may then be left out.
    :raises ValueError: no credentials, incomplete OAuth keys, both kinds at once, a bearer
        token with ``api_version=1``, or an unknown ``api_version``.

    Session, config and transport handling are :class:`~asyncmedia.service.ServiceClient`'s.
    """

    #: The name :attr:`Post.service <asyncmedia.Post.service>` carries.
    service: ClassVar[str] = "x"

    protocol: TwitterV1Protocol | TwitterV2Protocol

    def __init__(
        self,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        *,
        bearer_token: str | None = None,
        api_version: int = 1,
        upload_url: str | URL | None = None,
        api_url: str | URL = DEFAULT_API_URL,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        signer: Signer | None = None,
        **config_overrides: Any,
    ) -> None:
        if api_version not in (1, 2):
            raise ValueError(f"api_version must be 1 or 2, got {api_version!r}")
        keys = {
            "consumer_key": consumer_key,
            "consumer_secret": consumer_secret,
            "access_token": access_token,
            "access_token_secret": access_token_secret,
        }
        if signer is None:
            signer = _signer_for(keys, bearer_token, api_version)
        super().__init__(
            signer, session=session, config=config, verify_ssl=verify_ssl, **config_overrides
        )
        self.api_version = api_version
        if api_version == 2:
            self.protocol = TwitterV2Protocol(upload_url or DEFAULT_V2_URL)
        else:
            self.protocol = TwitterV1Protocol(upload_url or DEFAULT_UPLOAD_URL, api_url)
        self._consumer_key = consumer_key
        self._account = journal_key(consumer_key or "", access_token or bearer_token or "")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(consumer_key={mask(self._consumer_key)}, "
            f"api_version={self.api_version}, upload_url={str(self.protocol.upload_url)!r})"
        )

    async def upload_media(
        self,
        source: Any,
        *,
        media_type: str | None = None,
        media_category: str | None = None,
        chunked: bool | None = None,
        chunk_size: int | None = None,
        alt_text: str | None = None,
        additional_owners: Iterable[int | str] | None = None,
        progress: ProgressCallback | None = None,
        size: int | None = None,
        filename: str | None = None,
        resume: bool = False,
    ) -> Media:
        """Upload ``source`` and return the :class:`Media` once it is ready to use.

        ``source`` is a path (``str`` or :class:`pathlib.Path`), an ``http(s)://`` URL
        (``str`` or :class:`yarl.URL`), ``bytes``/``bytearray``/``memoryview``, a binary file
        object (sync, or aiofiles), an :class:`aiohttp.ClientResponse`, an aiohttp request body
        or multipart field, or an async iterable of bytes (with ``size=``).

        ``chunked=None`` picks the chunked uploader for video, for media over 5 MiB and for
        media of unknown size, the simple one otherwise.  ``progress(sent, total)`` is called
        (sync or async) as bytes go out; it may go backwards when a part has to be re-sent.

        ``resume=True`` keeps a journal of a chunked upload (in ``config.resume_dir``) so that,
        if it is interrupted, the same call later — from any client with the same credentials —
        continues it without resending acknowledged parts, while the media id is alive.  Only
        seekable sources (paths, seekable files, bytes) can resume; others start over.
        """
        try:
            media_rules.check_alt_text(alt_text)
            check_chunk_size(chunk_size)
        except ValueError:
            # A MediaSource handed in is ours once called (prepared() closes it after the
            # upload): a refusal before that must close it too.
            if isinstance(source, MediaSource):
                await source.aclose()
            raise
        owners = tuple(str(owner) for owner in additional_owners or ())
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            plan = self._plan(prepared, media_category=media_category, chunked=chunked)
            media = await self._run(
                plan,
                chunk_size=chunk_size or self.config.chunk_size,  # None: adaptive
                owners=owners,
                progress=progress,
                resume=resume,
            )
        if alt_text is not None:
            await self.create_metadata(media.media_id_string, alt_text)
        return media

    def _plan(
        self, prepared: PreparedMedia, *, media_category: str | None, chunked: bool | None
    ) -> _Planned:
        """Choose the uploader and category and check the size limit; nothing is sent."""
        kind, size = prepared.media_type, prepared.size
        use_chunked = media_rules.choose_chunked(kind, size, chunked)
        if (
            self.api_version == 2
            and not use_chunked
            and chunked is None
            and media_category
            and media_category not in SIMPLE_CATEGORIES
        ):
            # The v2 one-shot upload takes only tweet_image/dm_image/subtitles.
            use_chunked = True
        category = media_category
        if use_chunked and not category:
            category = media_rules.default_category(kind)
        media_rules.check_size(kind, category, size, chunked=use_chunked)
        return _Planned(prepared, use_chunked, category)

    async def _run(
        self,
        plan: _Planned,
        *,
        chunk_size: int | None,
        owners: tuple[str, ...],
        progress: ProgressCallback | None,
        resume: bool = False,
    ) -> Media:
        prepared, use_chunked, category = plan.prepared, plan.chunked, plan.category
        kind, size = prepared.media_type, prepared.size
        job = UploadJob(
            source=prepared.source,
            size=size,
            filename=prepared.filename,
            media_type=kind,
            media_category=category,
            additional_owners=owners,
            chunk_size=(
                None if chunk_size is None else media_rules.effective_chunk_size(chunk_size, size)
            ),
            progress=ProgressReporter(progress, size),
        )
        log.debug(
            "uploading %s (%s, %d bytes) %s",
            prepared.source.describe(),
            kind,
            size,
            "chunked" if use_chunked else "in one request",
        )
        if use_chunked:
            uploader = ChunkedUploader(
                self.transport,
                self.protocol,
                max_in_flight=self.config.max_in_flight,
                processing_timeout=self.config.processing_timeout,
                max_status_interval=self.config.max_status_interval,
                memory_budget=self.config.memory_budget,
                max_parallel=self.config.max_concurrent_requests,
            )
            target = None
            if resume:
                fingerprint = await prepared.source.fingerprint()
                if fingerprint is None:
                    log.warning("%s cannot resume (one-pass)", prepared.source.describe())
                else:
                    key = journal_key(str(self.protocol.upload_url), self._account, fingerprint)
                    target = ResumeTarget(JournalStore(self.config.resume_dir), key, fingerprint)
            media = await uploader.upload(job, resume=target)
        else:
            media = await SimpleUploader(self.transport, self.protocol).upload(job)
        return replace(media, media_type=kind)

    async def create_metadata(self, media_id: str | int, alt_text: str) -> None:
        """Attach alt text to uploaded media (v1.1 ``media/metadata/create.json``, v2
        ``media/metadata``)."""
        media_rules.check_alt_text(alt_text)
        response = await self.transport.send(self.protocol.metadata(str(media_id), alt_text))
        self.protocol.check(response)

    async def upload_one(
        self,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Media:
        """Upload one ``source`` with its alt text: :meth:`upload_media` with the defaults
        (the :class:`~asyncmedia.PostingClient` interface)."""
        return await self.upload_media(
            source, alt_text=alt_text, media_type=media_type, progress=progress
        )

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        reply_to: Post | str | int | None = None,
        **upload_options: Any,
    ) -> Post:
        """Upload ``media`` and post a Tweet with ``text`` and it; return the :class:`Post`.

        With ``api_version=2`` the Tweet is ``POST tweets`` (joined onto ``upload_url``, the
        v2 root) with JSON ``{"text", "media": {"media_ids": [...]}, "reply":
        {"in_reply_to_tweet_id"}}``; with ``api_version=1`` it is ``POST
        statuses/update.json`` (joined onto ``api_url``), urlencoded and so signed.

        ``media`` items are uploaded one after the other, in order, with
        ``upload_options`` (``media_category``, ``chunked``, ``chunk_size``,
        ``additional_owners``, ``progress`` — called per item —, ``resume``) and their
        ``alt_texts`` (one per item, ``None`` for none).  An item may also be a
        :class:`~asyncmedia.Media` uploaded earlier (e.g. ``PostMayExist.media``): it is
        not uploaded again (its alt text, if given, is set again).

        ``reply_to`` is a :class:`~asyncmedia.Post` returned earlier or a Tweet id.

        Checked before anything is uploaded (``ValueError``): at most 4 images, or one GIF,
        or one video, not mixed; ``alt_texts`` as long as ``media``; alt texts of at most
        1000 characters, and none for a video (X's metadata call takes images and GIFs);
        ``text`` of at most 280 characters as X counts them
        (:func:`~asyncmedia.protocols.tweet_text.weighted_length`: URLs count 23, emoji and
        CJK 2); some text or some media.  Media types and size limits are checked then too.

        The Tweet request is sent once.  It is repeated only when X cannot have acted on it
        (the connection was never made, 429, 503 over capacity).  When the request may have
        reached X but its answer was lost, :class:`~asyncmedia.errors.PostMayExist` is
        raised with the uploaded ``media``: check the account, and to post again without
        uploading anew, call ``post(text, media=exc.media, ...)``.

        :raises TypeError: an unknown keyword in ``upload_options``.
        """
        unknown = set(upload_options) - POST_UPLOAD_OPTIONS
        if unknown:
            raise TypeError(
                f"post() got unexpected keyword arguments {sorted(unknown)}; it passes on "
                f"only {sorted(POST_UPLOAD_OPTIONS)} to the uploads"
            )
        items = list(media)
        texts = check_alt_texts(media, alt_texts)
        for alt_text in texts:
            media_rules.check_alt_text(alt_text)
        if not text and not items:
            raise ValueError("nothing to post: give some text or some media")
        if text:
            counted = weighted_length(text)
            if not counted.valid:
                raise ValueError(
                    f"text is {counted.weighted} characters as X counts them (URLs count 23, "
                    f"emoji and CJK characters 2); a Tweet takes at most {MAX_WEIGHTED_LENGTH}: "
                    "shorten it, or split it over several Tweets (e.g. a reply thread)"
                )
        reply_id = _tweet_id(reply_to)
        chunk_size = upload_options.get("chunk_size") or self.config.chunk_size  # None: adaptive
        check_chunk_size(chunk_size)
        owners = tuple(str(owner) for owner in upload_options.get("additional_owners") or ())
        async with AsyncExitStack() as stack:
            plans = await self.prepare_each(
                stack,
                items,
                Media,
                lambda prepared: self._plan(
                    prepared,
                    media_category=upload_options.get("media_category"),
                    chunked=upload_options.get("chunked"),
                ),
            )
            kinds = [
                plan.media_type if isinstance(plan, Media) else plan.prepared.media_type
                for plan in plans
            ]
            media_rules.check_post_media(kinds)
            for kind, alt_text in zip(kinds, texts, strict=True):
                if alt_text is not None and (kind or "").startswith("video/"):
                    raise ValueError(
                        "X takes alt text for images and GIFs only; give None as the alt text "
                        "of a video"
                    )
            uploaded: list[Media] = []
            for plan, alt_text in zip(plans, texts, strict=True):
                if isinstance(plan, Media):
                    result = plan
                else:
                    result = await self._run(
                        plan,
                        chunk_size=chunk_size,
                        owners=owners,
                        progress=upload_options.get("progress"),
                        resume=bool(upload_options.get("resume")),
                    )
                    await plan.prepared.source.aclose()  # done with it; free it now
                if alt_text is not None:
                    await self.create_metadata(result.media_id_string, alt_text)
                uploaded.append(result)
        return await self._send_post(text, tuple(uploaded), reply_id)

    async def _send_post(self, text: str, media: tuple[Media, ...], reply_id: str | None) -> Post:
        media_ids = tuple(item.media_id_string for item in media)
        request = self.protocol.create_post(text, media_ids, reply_id)

        def lost(exc: TransportError) -> PostMayExist:
            ids = ", ".join(media_ids) or "none"
            return PostMayExist(
                f"the Tweet request reached X or may have, but its answer was lost ({exc}); "
                f"the Tweet may exist. Check the account before posting again; to post again "
                f"without uploading anew, call post(text, media=exc.media) "
                f"(media ids: {ids})",
                service=self.service,
                media=media,
                media_ids=media_ids,
            )

        response = await self._publish(request, lost)
        tweet_id, raw = self.protocol.read_post(response)
        log.info("posted Tweet %s with %d media", tweet_id, len(media))
        return Post(
            service=self.service,
            id=tweet_id,
            url=TWEET_URL.format(id=tweet_id),
            media=media,
            raw=raw,
        )

    async def update_with_media(
        self,
        source: Any,
        status: str = "",
        *,
        media_type: str | None = None,
        size: int | None = None,
        filename: str | None = None,
        progress: ProgressCallback | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Tweet ``status`` with one image in one call (legacy ``statuses/update_with_media``).

        The endpoint was retired by Twitter; it remains for compatible servers.  ``status``
        and ``media[]`` travel as multipart fields, as do ``params`` (``possibly_sensitive``,
        ``in_reply_to_status_id``, ``lat``, ``long``, ``place_id``, ``display_coordinates``;
        values are sent as ``str``, booleans as ``true``/``false``).  None of them enters the
        OAuth signature — signing them is the classic cause of 401 on this endpoint.

        Returns the Tweet object (a dict).

        :raises MediaTooLarge: the image is over 3 MB (3 145 728 bytes); nothing is sent.
        :raises UnsupportedMediaType: not an image.
        """
        fields = {
            name: ("true" if value else "false") if isinstance(value, bool) else str(value)
            for name, value in params.items()
            if value is not None
        }
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            if not prepared.media_type.startswith("image/"):
                raise UnsupportedMediaType(
                    f"update_with_media takes one image, not {prepared.media_type}"
                )
            if prepared.size > UPDATE_WITH_MEDIA_LIMIT:
                raise MediaTooLarge(
                    f"{prepared.source.describe()} is {prepared.size} bytes; "
                    f"update_with_media takes at most {UPDATE_WITH_MEDIA_LIMIT} bytes",
                    size=prepared.size,
                    limit=UPDATE_WITH_MEDIA_LIMIT,
                )
            if not isinstance(self.protocol, TwitterV1Protocol):
                raise ValueError("update_with_media is an API v1.1 endpoint; use api_version=1")
            request = self.protocol.update_with_media(
                status, prepared.filename, prepared.media_type, fields
            )
            response = await self.transport.send(
                request, prepared.source, progress=ProgressReporter(progress, prepared.size)
            )
        tweet = self.protocol.read_json(response)
        if not isinstance(tweet, dict):
            raise malformed_answer(response, "unexpected answer without a Tweet")
        return tweet


def _tweet_id(reply_to: Post | str | int | None) -> str | None:
    """The Tweet id ``reply_to`` names (a :class:`Post` of X, or an id); ``ValueError`` else."""
    if reply_to is None:
        return None
    if isinstance(reply_to, Post):
        if reply_to.service != "x":
            raise ValueError(
                f"reply_to is a {reply_to.service} post; a Tweet can only reply to a Tweet"
            )
        reply_to = reply_to.id
    if isinstance(reply_to, bool) or not isinstance(reply_to, str | int):
        raise ValueError(f"reply_to must be a Post or a Tweet id, got {type(reply_to).__name__}")
    try:
        return numeric_id(reply_to)
    except ValueError:
        raise ValueError(f"reply_to must be a Tweet id (digits), got {reply_to!r}") from None


def _signer_for(keys: dict[str, str | None], bearer_token: str | None, api_version: int) -> Signer:
    """OAuth 1.0a from the four keys, or a bearer token (v2 only); clear errors otherwise."""
    given = [name for name, value in keys.items() if value]
    if bearer_token:
        if api_version != 2:
            raise ValueError(
                "bearer_token works with api_version=2 only; v1.1 media upload needs the four "
                "OAuth 1.0a keys"
            )
        if given:
            raise ValueError("pass either bearer_token or the four OAuth 1.0a keys, not both")
        return BearerToken(bearer_token)
    if not given:
        raise ValueError(
            "no credentials: pass consumer_key, consumer_secret, access_token and "
            "access_token_secret (OAuth 1.0a), or bearer_token=... with api_version=2"
        )
    missing = [name for name, value in keys.items() if not value]
    if missing:
        raise ValueError(f"OAuth 1.0a needs all four keys; missing {', '.join(missing)}")
    return OAuth1(
        keys["consumer_key"] or "",
        keys["consumer_secret"] or "",
        keys["access_token"],
        keys["access_token_secret"],
    )
