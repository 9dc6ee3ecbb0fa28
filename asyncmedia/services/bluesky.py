"""``BlueskyClient``: blobs and posts on a Bluesky PDS (AT Protocol).

Session, config, transport and sources come from :class:`~asyncmedia.service.ServiceClient`;
wire details from :mod:`asyncmedia.protocols.bluesky`.  This module keeps the session alive
(``createSession``, then ``refreshSession`` before the access token's ``exp`` and when an
answer says ``ExpiredToken``), streams the media as the raw request body
(``uploadBlob``) and publishes ``app.bsky.feed.post`` records (``createRecord``) without
ever posting twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import aiohttp
from yarl import URL

from ..config import UploadConfig
from ..errors import APIError, AuthenticationError, PostMayExist, TransportError
from ..media import Blob
from ..posting import Post, check_alt_texts
from ..protocols.bluesky import (
    DEFAULT_SERVICE_URL,
    IMAGE_SIZE_LIMIT,
    MAX_LANGS,
    BlueskyProtocol,
    Session,
    check_alt_lengths,
    check_post_media,
    check_post_text,
    check_size,
    created_at,
    images_embed,
    jwt_claims,
    link_facets,
    parse_at_uri,
    post_record,
    post_web_url,
    video_embed,
)
from ..protocols.http import HTTPRequest, HTTPResponse
from ..service import PreparedMedia, ServiceClient
from ..sniff import DIMENSION_BYTES, media_dimensions
from ..sources import MediaSource
from ..transport import ProgressCallback, ProgressReporter

__all__ = ["BlueskyClient"]

log = logging.getLogger("asyncmedia")

#: A 500 answer to a token the PDS could not parse says so in words like these.
_BAD_TOKEN_WORDS = re.compile(r"token|jwt|auth", re.IGNORECASE)


class _SessionToken:
    """Bearer signer whose token arrives later (from createSession); signs nothing before."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def __repr__(self) -> str:
        return "_SessionToken(token=***)"


@dataclass(frozen=True)
class _Uploaded:
    """What the client learnt about a blob it uploaded: its alt text and dimensions."""

    alt_text: str | None
    dimensions: tuple[int, int] | None


#: How many uploaded blobs' alt texts and dimensions a client remembers (for posting them
#: later by :class:`Blob`); the oldest are forgotten first.
_REMEMBERED_BLOBS = 512


class BlueskyClient(ServiceClient):
    """Upload blobs to Bluesky and publish posts with them.

    >>> async def main():                                                  # doctest: +SKIP
    ...     async with BlueskyClient(identifier="me.bsky.social", password=app_password) as bsky:
    ...         post = await bsky.post("Our cat", media=["cat.png"], alt_texts=["A cat"])
    ...         print(post.url)

    :param service_url: the PDS root (``https://bsky.social`` by default).
    :param access_jwt: an ``accessJwt`` you already have (with its ``refresh_jwt`` if you
        want the session renewed); else ``identifier`` and ``password`` (an app password) are
        used to log in with ``createSession`` on first use.
    :param image_size_limit: images over this many bytes raise :class:`MediaTooLarge` before
        any request (Bluesky's image embeds take at most 1,000,000 bytes); ``None`` disables
        the check (the PDS still applies its own blob limit).
    :param clock: epoch-seconds clock used to refresh before the token's ``exp``.
    :param session, config, verify_ssl: as for every :class:`~asyncmedia.service.ServiceClient`.

    Sessions outlive the access token: the client refreshes (``refreshSession``) before the
    access JWT's ``exp`` (:attr:`refresh_margin` ahead, at most half its lifetime) and when an
    answer says ``ExpiredToken`` (then repeats that request once); when the refresh fails it
    logs in again if it knows the password, else raises :class:`AuthenticationError`.
    Concurrent requests share one refresh.
    """

    service: ClassVar[str] = "bluesky"
    #: Refresh this many seconds before the access token's ``exp`` (at most half its lifetime).
    refresh_margin: float = 300.0

    def __init__(
        self,
        service_url: str | URL = DEFAULT_SERVICE_URL,
        *,
        access_jwt: str | None = None,
        refresh_jwt: str | None = None,
        identifier: str | None = None,
        password: str | None = None,
        session: aiohttp.ClientSession | None = None,
        config: UploadConfig | None = None,
        verify_ssl: bool = True,
        image_size_limit: int | None = IMAGE_SIZE_LIMIT,
        clock: Callable[[], float] = time.time,
        **config_overrides: Any,
    ) -> None:
        if not access_jwt and not (identifier and password):
            raise ValueError(
                "BlueskyClient needs access_jwt=..., or identifier=... and password=... "
                "(an app password) to log in"
            )
        self._token = _SessionToken(None)
        super().__init__(
            self._token, session=session, config=config, verify_ssl=verify_ssl, **config_overrides
        )
        self.protocol = BlueskyProtocol(service_url)
        self.identifier = identifier
        self._password = password
        self.image_size_limit = image_size_limit
        self._clock = clock
        self._session_lock = asyncio.Lock()
        self._refresh_jwt: str | None = None
        self._did: str | None = None
        #: The account's handle, once a session answer said it.
        self.handle: str | None = None
        self._expiry: float | None = None
        self._lifetime: float | None = None
        self._proven = False
        self._from_login = False
        self._generation = 0
        self._uploaded: dict[str, _Uploaded] = {}
        #: How many times this client renewed its session (refreshSession or a new login).
        self.renewals = 0
        if access_jwt:
            self._adopt(Session(access_jwt, refresh_jwt))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.protocol.service_url)!r}, "
            f"identifier={self.identifier!r})"
        )

    # -- session ------------------------------------------------------------------------------

    @property
    def did(self) -> str | None:
        """The account's DID, once known (from the session answer or the token's ``sub``)."""
        return self._did

    @property
    def access_jwt(self) -> str | None:
        """The access token in use (``None`` before the first login)."""
        return self._token.token

    @property
    def refresh_jwt(self) -> str | None:
        """The refresh token of the session, when the PDS gave one."""
        return self._refresh_jwt

    @property
    def expires_at(self) -> float | None:
        """When the access token expires (epoch seconds, this machine's clock), when it is a
        JWT that says so: for a token the client received, now + its ``exp - iat``."""
        return self._expiry

    @property
    def _can_login(self) -> bool:
        return bool(self.identifier and self._password)

    def _adopt(self, session: Session, *, from_login: bool = False, received: bool = False) -> None:
        """Use ``session``'s tokens from now on; read what the access JWT tells."""
        self._token.token = session.access_jwt
        self._generation += 1
        if session.refresh_jwt:
            self._refresh_jwt = session.refresh_jwt
        claims = jwt_claims(session.access_jwt) or {}
        exp, iat, sub = _number(claims.get("exp")), _number(claims.get("iat")), claims.get("sub")
        self._expiry = exp
        self._lifetime = None
        if exp is not None and iat is not None and exp > iat:
            # Count the lifetime from now on this machine's clock, so a clock that runs
            # ahead of the PDS's does not make every fresh token look about to expire.
            self._lifetime = exp - iat
            if received:
                self._expiry = self._clock() + self._lifetime
        did = session.did or (sub if isinstance(sub, str) and sub.startswith("did:") else None)
        if did:
            self._did = did
        if session.handle:
            self.handle = session.handle
        self._proven = False
        self._from_login = from_login

    async def login(self) -> str:
        """Create a session with ``identifier``/``password``; returns (and uses) the accessJwt."""
        if not self._can_login:
            raise ValueError("login needs identifier and password")
        assert self.identifier is not None and self._password is not None
        request = self.protocol.create_session(self.identifier, self._password)
        session = self.protocol.read_session_info(await self.transport.send(request))
        self._adopt(session, from_login=True, received=True)
        return session.access_jwt

    async def refresh(self) -> str:
        """Renew the session now (``refreshSession``; a new login if that fails and the
        password is known); returns the new accessJwt.

        :raises AuthenticationError: the refresh failed and there is no password to log in.
        """
        async with self._session_lock:
            await self._refresh_locked()
        assert self._token.token is not None
        return self._token.token

    async def _refresh_locked(self) -> None:
        self.renewals += 1
        if self._refresh_jwt:
            try:
                response = await self.transport.send(
                    self.protocol.refresh_session(self._refresh_jwt)
                )
                session = self.protocol.read_session_info(response)
            except APIError as exc:
                if not self._can_login:
                    raise AuthenticationError(
                        exc.status,
                        f"refreshSession failed ({exc.message}) and there is no password to "
                        "log in again: create the client with identifier= and password= (an "
                        "app password), or give a fresh access_jwt and refresh_jwt",
                        code=exc.code,
                        body=exc.body,
                        headers=exc.headers,
                    ) from exc
                log.info("Bluesky refreshSession failed (%s); logging in again", exc.message)
                await self.login()
                return
            self._adopt(session, received=True)
            log.debug("Bluesky session refreshed; access token expires at %s", self._expiry)
            return
        if self._can_login:
            await self.login()
            return
        raise AuthenticationError(
            401,
            "the access token has expired and this client has neither a refresh token nor a "
            "password to renew it: create the client with identifier= and password= (an app "
            "password), or give refresh_jwt= along with access_jwt=",
            code="ExpiredToken",
        )

    async def _renew(self, generation: int, *, login: bool) -> None:
        """Renew the session of token ``generation`` — unless another task already did.

        Generations, not token strings, tell sessions apart: the PDS can issue the very same
        access JWT twice within one second (same claims, no ``jti``).
        """
        async with self._session_lock:
            if self._token.token is not None and self._generation != generation:
                return  # renewed meanwhile by a concurrent request: share its result
            if self._token.token is None:
                await self.login()  # the first login, not a renewal
            elif login:
                self.renewals += 1
                await self.login()
            else:
                await self._refresh_locked()

    async def _ensure_session(self) -> None:
        """Log in when there is no token; refresh when the token's ``exp`` is near."""
        generation = self._generation
        if self._token.token is None:
            await self._renew(generation, login=True)
            return
        if self._expiry is None:
            return
        margin = self.refresh_margin
        if self._lifetime is not None and self._lifetime > 0:
            margin = min(margin, self._lifetime / 2)
        if self._clock() >= self._expiry - margin:
            await self._renew(generation, login=False)

    def _token_problem(self, response: HTTPResponse, used: str | None, fresh: bool) -> str | None:
        """``"expired"``, ``"invalid"`` or ``None``: what ``response`` says about ``used``."""
        error = self.protocol.error(response)
        if error.code == "ExpiredToken":
            return "expired"
        if error.code == "InvalidToken":
            return "invalid"
        # The reference PDS answers a token it cannot even parse with a bare 500.
        # (A PDS may issue tokens that are not JWTs itself: "not a JWT" counts only for a
        # token the client was given, not for one it got from its own login.)
        if (
            response.status == 500
            and fresh
            and (
                (not self._from_login and jwt_claims(used) is None)
                or _BAD_TOKEN_WORDS.search(error.message)
            )
        ):
            return "invalid"
        return None

    async def _call(
        self,
        request: HTTPRequest,
        data: MediaSource | None = None,
        *,
        progress: ProgressCallback | None = None,
        total: int = 0,
        lost: Callable[[TransportError], Exception] | None = None,
    ) -> HTTPResponse:
        """Send an authenticated XRPC ``request``; renew the session and repeat it once when
        the answer says the token expired (or, for a token the client did not get from its own
        login, is invalid and the password is known).

        A token not yet accepted by the PDS gets at most one retry for a 5xx.  ``lost`` turns
        a :class:`TransportError` of this very request that may have reached the PDS into the
        error to raise instead.
        """
        start = data.position if data is not None else 0
        attempt = 0
        while True:
            await self._ensure_session()
            used, generation = self._token.token, self._generation
            fresh = not self._proven
            send = request
            if fresh and (request.max_retries is None or request.max_retries > 1):
                send = replace(request, max_retries=1)
            if attempt and data is not None:
                await data.seek(start)
            reporter = ProgressReporter(progress, total) if progress is not None else None
            try:
                response = await self.transport.send(send, data, progress=reporter)
            except TransportError as exc:
                if lost is not None and exc.request_sent and not isinstance(exc, PostMayExist):
                    raise lost(exc) from exc
                raise
            if response.ok:
                if generation == self._generation:
                    self._proven = True
                return response
            problem = self._token_problem(response, used, fresh)
            if problem is None:
                return response
            replayable = data is None or data.seekable
            if problem == "expired":
                await self._renew(generation, login=False)
            elif self._can_login and not self._from_login and attempt == 0:
                log.info("Bluesky refused the access token; logging in again")
                await self._renew(generation, login=True)
            elif response.status == 500:
                error = self.protocol.error(response)
                raise AuthenticationError(
                    500,
                    f"the PDS answered {error.message!r} to the first request with this access "
                    "token: the token is probably malformed (not a JWT); give a valid "
                    "access_jwt, or identifier= and password= to log in",
                    code="InvalidToken",
                    body=error.body,
                    headers=error.headers,
                )
            else:
                return response
            if attempt or not replayable:
                return response
            attempt += 1

    async def _account_did(self) -> str:
        """The account's DID: from the session, the token, or ``getSession``."""
        if self._did is None:
            response = await self._call(self.protocol.get_session())
            self._did = self.protocol.read_did(response)
        return self._did

    # -- uploads ------------------------------------------------------------------------------

    async def _upload_prepared(
        self,
        prepared: PreparedMedia,
        *,
        alt_text: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Blob:
        dimensions = None
        if prepared.media_type.startswith(("image/", "video/")):
            dimensions = media_dimensions(await prepared.source.peek(DIMENSION_BYTES))
        response = await self._call(
            self.protocol.upload_blob(prepared.media_type),
            prepared.source,
            progress=progress,
            total=prepared.size,
        )
        blob = self.protocol.read_blob(response, size=prepared.size)
        self._remember(blob, _Uploaded(alt_text, dimensions))
        return blob

    def _remember(self, blob: Blob, note: _Uploaded) -> None:
        self._uploaded.pop(blob.ref, None)
        self._uploaded[blob.ref] = note
        while len(self._uploaded) > _REMEMBERED_BLOBS:
            del self._uploaded[next(iter(self._uploaded))]

    async def upload_blob(
        self,
        source: Any,
        media_type: str | None = None,
        progress: ProgressCallback | None = None,
        *,
        size: int | None = None,
        filename: str | None = None,
    ) -> Blob:
        """Upload ``source`` (streamed as the raw body) and return its :class:`Blob` reference.

        ``source`` accepts everything :meth:`MediaClient.upload_media
        <asyncmedia.MediaClient.upload_media>` does.

        :raises MediaTooLarge: an image over ``image_size_limit`` (before any request), or
            :class:`RejectedMediaSize` when the PDS refuses the size (413 ``PayloadTooLarge``).
        :raises AuthenticationError: bad identifier/password, or a token that could not be
            renewed.
        """
        async with self.prepared(
            source, media_type=media_type, size=size, filename=filename
        ) as prepared:
            check_size(prepared.media_type, prepared.size, self.image_size_limit)
            return await self._upload_prepared(prepared, progress=progress)

    async def upload_one(
        self,
        source: Any,
        *,
        alt_text: str | None = None,
        media_type: str | None = None,
        progress: Any = None,
    ) -> Blob:
        """Upload one ``source`` and return its :class:`Blob` (:class:`PostingClient
        <asyncmedia.PostingClient>` interface).

        Bluesky has no alt text on blobs: it belongs to the post's embed.  The client
        remembers ``alt_text`` (and the image's dimensions) for this blob, and :meth:`post`
        uses them when it is given the :class:`Blob` and no alt text of its own.
        """
        async with self.prepared(source, media_type=media_type) as prepared:
            check_size(prepared.media_type, prepared.size, self.image_size_limit)
            return await self._upload_prepared(prepared, alt_text=alt_text, progress=progress)

    # -- posts --------------------------------------------------------------------------------

    @staticmethod
    def _langs(langs: Sequence[str] | str | None) -> list[str] | None:
        if langs is None:
            return None
        tags = [langs] if isinstance(langs, str) else list(langs)
        if len(tags) > MAX_LANGS or not all(isinstance(tag, str) and tag for tag in tags):
            raise ValueError(
                f"langs takes at most {MAX_LANGS} language tags such as 'en' or 'pt-BR', "
                f"got {langs!r}"
            )
        return tags

    @staticmethod
    def _reply_uri(reply_to: Post | str | None) -> str | None:
        if reply_to is None:
            return None
        if isinstance(reply_to, Post):
            if reply_to.service != "bluesky":
                raise ValueError(
                    f"reply_to is a {reply_to.service} post; a Bluesky post can only answer a "
                    "Bluesky post"
                )
            reply_to = reply_to.id
        parse_at_uri(reply_to)
        return reply_to

    async def post(
        self,
        text: str,
        media: Sequence[Any] = (),
        *,
        alt_texts: Sequence[str | None] | None = None,
        langs: Sequence[str] | str | None = None,
        reply_to: Post | str | None = None,
    ) -> Post:
        """Upload ``media`` and publish ``text`` with it as an ``app.bsky.feed.post``.

        ``media`` holds up to four images or one video, as any source :meth:`upload_blob`
        takes, or :class:`Blob` objects uploaded before (by this or another call: the way to
        post again after :class:`~asyncmedia.PostMayExist` without uploading anew).
        ``alt_texts`` gives one alt text (or ``None``) per item; images always carry an
        ``alt`` ("" when none) and their ``aspectRatio`` read from the image.  Links in
        ``text`` become link facets.  ``langs`` are language tags (``["en"]``).
        ``reply_to`` is a :class:`~asyncmedia.Post` or a post's ``at://`` URI: the client
        reads that record to reference it and its thread's root.

        :raises ValueError: before any request, for text over 300 graphemes (or 3000 bytes),
            empty text without media, more than four images, more than one video, images
            and video mixed, ``alt_texts`` of another length than ``media``, or a malformed
            ``reply_to``.
        :raises PostMayExist: the createRecord request was sent but its answer was lost; the
            exception's ``media`` are the uploaded blobs.
        :raises APIError: the PDS refused (``InvalidRecord``…), with its message.
        """
        texts = check_alt_texts(media, alt_texts)
        items = list(media)
        if len(items) > 4:
            raise ValueError(
                f"a Bluesky post takes at most 4 images or one video, got {len(items)} items; "
                "split them over several posts (e.g. a reply thread)"
            )
        check_post_text(text, has_media=bool(items))
        check_alt_lengths(texts)
        tags = self._langs(langs)
        parent = self._reply_uri(reply_to)
        async with AsyncExitStack() as stack:
            opened = await self.prepare_each(stack, items, Blob, lambda prepared: prepared)
            kinds = [one.mime_type if isinstance(one, Blob) else one.media_type for one in opened]
            kind = check_post_media(kinds)
            check_alt_lengths(texts, video=kind == "video")
            for one in opened:
                if isinstance(one, PreparedMedia):
                    check_size(one.media_type, one.size, self.image_size_limit)
            # Every check passed: from here on, requests.
            await self._ensure_session()
            did = await self._account_did()
            reply = None
            if parent is not None:
                uri, cid, value = self.protocol.read_record(
                    await self._call(self.protocol.get_record(parent))
                )
                reply = self.protocol.reply_refs(uri, cid, value)
            results = await asyncio.gather(
                *(
                    self._upload_prepared(one, alt_text=alt)
                    if isinstance(one, PreparedMedia)
                    else _same(one)
                    for one, alt in zip(opened, texts, strict=True)
                ),
                return_exceptions=True,
            )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        blobs = [result for result in results if isinstance(result, Blob)]
        alts: list[str | None] = []
        dimensions: list[tuple[int, int] | None] = []
        for blob, alt in zip(blobs, texts, strict=True):
            note = self._uploaded.get(blob.ref)
            alts.append(alt if alt is not None else (note.alt_text if note else None))
            dimensions.append(note.dimensions if note else None)
        embed = None
        if kind == "images":
            embed = images_embed(blobs, alts, dimensions)
        elif kind == "video":
            embed = video_embed(blobs[0], alts[0], dimensions[0])
        record = post_record(
            text,
            created=created_at(),
            langs=tags,
            embed=embed,
            reply=reply,
            facets=link_facets(text),
        )
        return await self._create_post(did, record, tuple(blobs))

    async def _create_post(self, did: str, record: dict[str, Any], blobs: tuple[Blob, ...]) -> Post:
        def lost(exc: TransportError) -> PostMayExist:
            return PostMayExist(
                f"the post was sent to the PDS but its answer was lost ({exc}), so it may "
                "exist: look at the account's posts before posting again; to post it again "
                "without uploading anew, pass the uploaded blobs (this exception's .media) as "
                "post(text, media=exc.media, alt_texts=...)",
                service="bluesky",
                media=blobs,
                media_ids=tuple(blob.ref for blob in blobs),
            )

        response = await self._call(self.protocol.create_record(did, record), lost=lost)
        uri, _cid = self.protocol.read_created(response)
        return Post(
            service="bluesky",
            id=uri,
            url=post_web_url(uri),
            media=blobs,
            raw=response.json(),
        )


def _number(value: Any) -> float | None:
    """``value`` as a float when it is a JSON number (not a bool), else ``None``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


async def _same(blob: Blob) -> Blob:
    return blob
