"""X API v2 media upload, emulated strictly (PROTOCOLS.md §9).

Routes, under ``/2/``:

- ``POST media/upload`` — one-shot multipart upload (``media`` and a required
  ``media_category`` of ``tweet_image``/``dm_image``/``subtitles``);
- ``POST media/upload/initialize`` — JSON ``media_type``, ``total_bytes``, ``media_category``;
- ``POST media/upload/{id}/append`` — multipart ``segment_index`` and ``media``;
- ``POST media/upload/{id}/finalize`` — must carry a JSON object body (``{}``), as one client
  observed; answers ``processing_info`` for video and GIF;
- ``GET media/upload?media_id=…&command=STATUS`` — one processing step per call, driven by the
  sandbox knobs shared with v1.1 (``check_after_secs``, ``processing_steps``,
  ``processing_outcome``);
- ``POST media/metadata`` — ``{"id": …, "metadata": {"alt_text": {"text": …}}}``;
- ``POST tweets`` — JSON ``{"text", "media": {"media_ids": [...]}, "reply":
  {"in_reply_to_tweet_id"}}``: 201 ``{"data": {"id", "text", "edit_history_tweet_ids"}}``;
  problem objects for unknown or unprocessed media ids, more than 4 media, mixed media, a text
  over 280 characters (400) and duplicate content (403); recorded in :attr:`Sandbox.posts
  <asyncmedia.sandbox.Sandbox.posts>` (service ``"x"``), with fault injection (command
  ``"TWEET"``).

Every answer is ``{"data": {...}}`` with status 200 (the spec's code) and string ids, except
finalize, which answers as the one real v2 FINALIZE on record did: **201**, with
``data.image {image_type, w, h}`` for an image (200 when ``processing_info`` follows, as v1.1
does), and ``POST tweets`` (201);
errors are problem objects (``application/problem+json``).  Authentication: OAuth 1.0a user
context, verified like v1.1 (JSON and multipart bodies unsigned, query signed), or
``Authorization: Bearer <sandbox.x_bearer_token>``.  Knob: :attr:`TwitterV2Service.throttle`
(429 with an ``x-rate-limit-reset`` in the future).

Like every sandbox module this one must not import the client side of :mod:`asyncmedia`; it
reuses the v1.1 emulator's upload bookkeeping (segment hashing) and media sniffing.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .forms import (
    MALFORMED_BODY_ERRORS,
    MediaPart,
    is_digits,
    open_multipart,
    read_json,
    read_media_part,
)
from .media_inspection import image_dimensions, sniff_media_type
from .oauth import OAuthVerificationError, same_secret, verify_oauth1
from .posts import PostRecord
from .server import BoundService, RequestContext, Throttle, service_context
from .tweet_rules import MAX_TWEET_LENGTH, media_problem, tweet_length
from .twitter_v1 import (
    MAX_ALT_TEXT,
    MAX_CHUNK_BYTES,
    MAX_GIF_BYTES,
    MAX_IMAGE_BYTES,
    MAX_SEGMENT_INDEX,
    MAX_VIDEO_BYTES,
    UploadRecord,
)

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["MEDIA_TYPES", "SIMPLE_CATEGORIES", "TwitterV2Service"]

#: The INIT ``media_type`` enum of the OpenAPI spec.
MEDIA_TYPES = frozenset(
    {
        "video/mp4",
        "video/webm",
        "video/mp2t",
        "video/quicktime",
        "text/srt",
        "text/vtt",
        "image/jpeg",
        "image/gif",
        "image/bmp",
        "image/png",
        "image/webp",
        "image/pjpeg",
        "image/tiff",
        "model/gltf-binary",
        "model/vnd.usdz+zip",
    }
)
SIMPLE_CATEGORIES = frozenset({"tweet_image", "dm_image", "subtitles"})
_CATEGORIES = frozenset(
    {
        "tweet_image",
        "tweet_gif",
        "tweet_video",
        "amplify_video",
        "dm_image",
        "dm_gif",
        "dm_video",
        "subtitles",
    }
)
_VIDEO_CATEGORIES = frozenset({"tweet_video", "amplify_video", "dm_video"})
_GIF_CATEGORIES = frozenset({"tweet_gif", "dm_gif"})
_PROBLEM_TYPE = "application/problem+json"
_JSON_TYPE = "application/json; charset=utf-8"
_FIRST_ID = 1880028106020515840
_RATE_LIMITS = {
    "SIMPLE": 500,
    "INIT": 500,
    "APPEND": 20000,
    "FINALIZE": 500,
    "STATUS": 1000,
    "TWEET": 200,
}
_FIRST_TWEET_ID = 1445880548472328192


class _Problem(Exception):
    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def _problem(
    status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any
) -> _Problem:
    body = {"title": title, "detail": detail, "type": kind, "status": status, **extra}
    return _Problem(
        web.Response(status=status, body=json.dumps(body).encode(), content_type=_PROBLEM_TYPE)
    )


def _invalid(message: str) -> _Problem:
    """The v2 "invalid request" problem, with the specific message in ``errors``."""
    return _problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        "https://api.twitter.com/2/problems/invalid-request",
        errors=[{"message": message}],
    )


def _data(
    body: Mapping[str, Any], headers: Mapping[str, str] | None = None, *, status: int = 200
) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps({"data": body}, separators=(",", ":")).encode(),
        headers={"Content-Type": _JSON_TYPE, **(headers or {})},
    )


async def _json_object(request: web.Request, what: str) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise _invalid(f"{what}: Request body must be a JSON object (application/json).")
    try:
        payload = await read_json(request)
    except (ValueError, UnicodeDecodeError):
        raise _invalid(f"{what}: Request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise _invalid(f"{what}: Request body must be a JSON object.")
    return payload


async def _multipart(request: web.Request) -> tuple[dict[str, str], MediaPart | None]:
    if not request.content_type.startswith("multipart/"):
        raise _invalid("Expected a multipart/form-data body.")
    fields: dict[str, str] = {}
    media: MediaPart | None = None
    try:
        reader = await open_multipart(request)
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise _invalid("Nested multipart bodies are not supported.")
            if part.name == "media":
                if part.filename is None:
                    raise _invalid("The media part needs a filename.")
                media = await read_media_part(part)
            elif part.name:
                fields[part.name] = (await part.read()).decode("utf-8")
    except MALFORMED_BODY_ERRORS as exc:
        raise _invalid(f"Malformed multipart body: {exc}") from None
    return fields, media


class TwitterV2Service(BoundService):
    """The ``/2/`` media routes and the media records they produce.

    ``uploads`` maps the string id to the v1.1 emulator's
    :class:`~asyncmedia.sandbox.twitter_v1.UploadRecord` (``sha256``, ``segments``, ``state``,
    ``alt_text``…).  ``auth_schemes`` records, per request, ``"oauth1"`` or ``"bearer"``.
    """

    name = "twitter_v2"
    title = "X API v2"
    prefix = "/2/"
    description_key = "x2"
    url_keys = ("upload_url",)

    def __init__(self) -> None:
        self.uploads: dict[str, UploadRecord] = {}
        self.auth_schemes: list[str] = []
        #: For fault injection, the next ``throttle.count`` requests answer 429.
        self.throttle = Throttle()
        #: Tweets created with ``POST tweets``, by id (the ``data`` objects answered).
        self.tweets: dict[str, dict[str, Any]] = {}
        self._last_id = _FIRST_ID - 1
        self._last_tweet_id = _FIRST_TWEET_ID - 1

    def credentials(self) -> dict[str, str]:
        """The bearer token and the OAuth 1.0a keys the sandbox accepts."""
        oauth1 = {key: str(value) for key, value in self.sandbox.credentials.items()}
        return {"bearer_token": self.sandbox.x_bearer_token, **oauth1}

    def records(self) -> dict[str, Any]:
        """``uploads`` (media by string id), ``auth_schemes`` (one per request) and ``tweets``
        (Tweets created with ``POST tweets``, by id)."""
        return {"uploads": self.uploads, "auth_schemes": self.auth_schemes, "tweets": self.tweets}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/2/`` routes on ``app``."""
        self.bind(sandbox)
        upload = self.prefix + "media/upload"
        app.router.add_route("POST", upload, self._wrap("SIMPLE", self._simple))
        app.router.add_route("GET", upload, self._wrap("STATUS", self._status))
        app.router.add_route("POST", upload + "/initialize", self._wrap("INIT", self._init))
        app.router.add_route("POST", upload + "/{id}/append", self._wrap("APPEND", self._append))
        app.router.add_route(
            "POST", upload + "/{id}/finalize", self._wrap("FINALIZE", self._finalize)
        )
        app.router.add_route(
            "POST", self.prefix + "media/metadata", self._wrap("METADATA", self._metadata)
        )
        app.router.add_route("POST", self.prefix + "tweets", self._wrap("TWEET", self._tweet))

    def _wrap(self, command: str, handler: Any) -> Any:
        async def route(request: web.Request) -> web.Response:
            context = service_context(request)
            context.command = command
            context.rate_limit = (f"twitter_v2:{command}", _RATE_LIMITS.get(command, 1000))
            try:
                self._authenticate(request, context)
                if self.throttle.take():
                    context.twitter_rate_headers = False
                    raise self._too_many(context)
                response: web.Response = await handler(request)
                return response
            except _Problem as problem:
                return problem.response

        return route

    def _too_many(self, context: RequestContext) -> _Problem:
        refusal = _problem(429, "Too Many Requests", "Too Many Requests")
        _, limit = context.rate_limit or ("twitter_v2", 1000)
        refusal.response.headers.update(
            {
                "x-rate-limit-limit": str(limit),
                "x-rate-limit-remaining": "0",
                "x-rate-limit-reset": str(int(self.sandbox.clock() + self.throttle.reset_in)),
            }
        )
        return refusal

    def _authenticate(self, request: web.Request, context: RequestContext) -> None:
        sandbox = self.sandbox
        header = request.headers.get("Authorization", "")
        scheme = header.split(None, 1)[0].lower() if header.strip() else ""
        context.authenticated = False
        if scheme == "bearer":
            given = header.split(None, 1)[1].strip() if " " in header.strip() else ""
            if not same_secret(given, sandbox.x_bearer_token):
                raise _problem(401, "Unauthorized", "Unauthorized")
            self.auth_schemes.append("bearer")
        elif scheme == "oauth":
            url = f"{request.scheme}://{request.host}{request.raw_path}"
            try:
                verify_oauth1(
                    request.method,
                    url,
                    header,
                    None,  # v2 media bodies are JSON or multipart: never signed
                    sandbox.credentials,
                    nonces=sandbox.nonces,
                    now=sandbox.clock,
                    max_skew=sandbox.max_skew,
                )
            except OAuthVerificationError:
                raise _problem(401, "Unauthorized", "Unauthorized") from None
            self.auth_schemes.append("oauth1")
        else:
            raise _problem(401, "Unauthorized", "Unauthorized")
        context.authenticated = True

    # --- bookkeeping ---

    def _new_record(self, **values: Any) -> UploadRecord:
        self._last_id += 1 + secrets.randbelow(1 << 20)
        record = UploadRecord(media_id=self._last_id, media_id_string=str(self._last_id), **values)
        self.uploads[record.media_id_string] = record
        return record

    def _expires_in(self, record: UploadRecord) -> int:
        return record.expires_in(self.sandbox.expires_after_secs)

    def _lookup(self, media_id: str | None) -> UploadRecord:
        record = self.uploads.get(media_id or "")
        if record is None or self._expires_in(record) <= 0:
            raise _invalid(f"The media_id {media_id!r} is invalid or expired.")
        return record

    @staticmethod
    def _media_key(record: UploadRecord) -> str:
        kind = record.media_type or ""
        prefix = 7 if kind.startswith("video/") else 16 if kind == "image/gif" else 3
        return f"{prefix}_{record.media_id}"

    def _body(self, record: UploadRecord) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": record.media_id_string,
            "media_key": self._media_key(record),
            "size": record.size,
            "expires_after_secs": self._expires_in(record),
        }
        if record.processing:
            if record.state in ("pending", "in_progress"):
                body["processing_info"] = {
                    "state": record.state,
                    "check_after_secs": self.sandbox.check_after_secs,
                }
            elif record.state == "failed":
                body["processing_info"] = {
                    "state": "failed",
                    "progress_percent": 0,
                    "error": {
                        "code": 1,
                        "name": "InvalidMedia",
                        "message": "Unsupported video format",
                    },
                }
            else:
                body["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return body

    # --- handlers ---

    async def _simple(self, request: web.Request) -> web.Response:
        fields, media = await _multipart(request)
        if media is None:
            raise _invalid("The media field is required.")
        category = fields.get("media_category")
        if category not in SIMPLE_CATEGORIES:
            raise _invalid(
                f"media_category must be one of tweet_image, dm_image, subtitles; got {category!r}."
            )
        sniffed = sniff_media_type(media.head)
        if sniffed is None or not sniffed.startswith("image/"):
            raise _invalid("Only images can be uploaded in one request; use initialize/append.")
        declared = fields.get("media_type")
        if declared is not None and declared != sniffed:
            raise _invalid(f"media_type {declared} does not match the bytes ({sniffed}).")
        if media.size > MAX_IMAGE_BYTES:
            raise _invalid(f"File size exceeds {MAX_IMAGE_BYTES} bytes.")
        width, height = image_dimensions(sniffed, media.head)
        now = time.monotonic()
        record = self._new_record(
            sha256=media.sha256,
            size=media.size,
            total_bytes=media.size,
            media_type=sniffed,
            media_category=category,
            additional_owners=fields.get("additional_owners"),
            state="succeeded",
            finalized_at=now,
            sniffed_type=sniffed,
            width=width,
            height=height,
            created_at=now,
        )
        body = self._body(record)
        body["image"] = {"image_type": sniffed, "w": width, "h": height}
        return _data(body)

    async def _init(self, request: web.Request) -> web.Response:
        payload = await _json_object(request, "initialize")
        media_type = payload.get("media_type")
        total = payload.get("total_bytes")
        category = payload.get("media_category")
        owners = payload.get("additional_owners")
        if media_type not in MEDIA_TYPES:
            raise _invalid(f"media_type must be one of the supported types; got {media_type!r}.")
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise _invalid("total_bytes must be a positive integer.")
        if category is not None and category not in _CATEGORIES:
            raise _invalid(f"Invalid media_category: {category!r}.")
        if owners is not None and (
            not isinstance(owners, list) or not all(isinstance(o, str) for o in owners)
        ):
            raise _invalid("additional_owners must be an array of user id strings.")
        if media_type.startswith("video/"):
            limit = MAX_VIDEO_BYTES if category in _VIDEO_CATEGORIES else MAX_GIF_BYTES
        elif media_type == "image/gif":
            limit = MAX_GIF_BYTES if category in _GIF_CATEGORIES else MAX_IMAGE_BYTES
        else:
            limit = MAX_IMAGE_BYTES
        if total > limit:
            raise _invalid(f"File size exceeds {limit} bytes.")
        record = self._new_record(
            total_bytes=total,
            media_type=media_type,
            media_category=category,
            additional_owners=",".join(owners) if owners else None,
            chunked=True,
        )
        return _data(
            {
                "id": record.media_id_string,
                "media_key": self._media_key(record),
                "expires_after_secs": self._expires_in(record),
            }
        )

    async def _append(self, request: web.Request) -> web.Response:
        record = self._lookup(request.match_info["id"])
        fields, media = await _multipart(request)
        if not record.chunked or record.state != "uploading":
            raise _invalid("The media_id is already finalized.")
        raw_index = fields.get("segment_index", "")
        if not is_digits(raw_index) or int(raw_index) > MAX_SEGMENT_INDEX:
            raise _invalid(f"segment_index must be an integer from 0 to {MAX_SEGMENT_INDEX}.")
        if media is None:
            raise _invalid("The media field is required.")
        if media.data is None or media.size > MAX_CHUNK_BYTES:
            raise _invalid(f"Segment size exceeds {MAX_CHUNK_BYTES} bytes.")
        index = int(raw_index)
        if index == 0:
            record.sniffed_type = sniff_media_type(media.head)
            record.width, record.height = image_dimensions(record.sniffed_type, media.head)
        record.add_segment(index, media.data, bytes.fromhex(media.sha256))
        return _data({"expires_at": int(self.sandbox.clock()) + self._expires_in(record)})

    async def _finalize(self, request: web.Request) -> web.Response:
        record = self._lookup(request.match_info["id"])
        await _json_object(request, "finalize")
        if not record.chunked:
            raise _invalid("The media_id was not created with initialize.")
        if record.state == "uploading":
            problem = record.completeness_error()
            if problem is not None:
                raise _invalid(problem)
            record.complete()
            record.finalized_at = time.monotonic()
            kind = record.media_type or ""
            record.processing = kind.startswith("video/") or kind == "image/gif"
            record.state = "pending" if record.processing else "succeeded"
        body = self._body(record)
        kind = record.media_type or ""
        if kind.startswith("image/") and record.state == "succeeded":
            body["image"] = {"image_type": kind, "w": record.width, "h": record.height}
        elif kind.startswith("video/") and record.state == "succeeded":
            body["video"] = {"video_type": kind}
        # The real v2 FINALIZE on record (an image) is 201; with processing_info to follow,
        # 200 as v1.1 answers.
        return _data(body, status=200 if "processing_info" in body else 201)

    async def _status(self, request: web.Request) -> web.Response:
        command = request.query.get("command")
        if command not in (None, "STATUS"):
            raise _invalid(f"Invalid command: {command!r}.")
        record = self._lookup(request.query.get("media_id"))
        record.status_polls.append(time.monotonic())
        if record.state in ("pending", "in_progress"):
            record._status_calls += 1
            if record._status_calls <= max(0, int(self.sandbox.processing_steps)):
                record.state = "pending" if record._status_calls == 1 else "in_progress"
            else:
                failed = self.sandbox.processing_outcome == "failed"
                record.state = "failed" if failed else "succeeded"
        return _data(self._body(record))

    async def _metadata(self, request: web.Request) -> web.Response:
        payload = await _json_object(request, "metadata")
        media_id = payload.get("id")
        metadata = payload.get("metadata")
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if not isinstance(media_id, str):
            # Sending the v1.1 shape here was reported to give a 500 [OBS].
            raise _invalid("id is required and must be a string.")
        if not isinstance(text, str):
            raise _invalid("metadata.alt_text.text is required.")
        if len(text) > MAX_ALT_TEXT:
            raise _invalid(f"alt_text.text must be at most {MAX_ALT_TEXT} characters.")
        record = self._lookup(media_id)
        if not (record.media_type or "").startswith("image/"):
            raise _invalid("Alt text is for images and GIFs only.")
        if record.state != "succeeded":
            raise _invalid("The media is not ready (upload or processing unfinished).")
        record.alt_text = text
        return _data({"id": media_id, "associated_metadata": {"alt_text": {"text": text}}})

    async def _tweet(self, request: web.Request) -> web.Response:
        """``POST tweets``: create a Tweet from a JSON body (never signed)."""
        payload = await _json_object(request, "tweets")
        fault = await self.sandbox.strike(request, "TWEET")
        if fault is not None:
            return fault
        text = payload.get("text")
        media = payload.get("media")
        reply = payload.get("reply")
        if text is not None and not isinstance(text, str):
            raise _invalid("text must be a string.")
        ids: list[Any] = []
        if media is not None:
            raw_ids = media.get("media_ids") if isinstance(media, dict) else None
            if not isinstance(raw_ids, list) or not raw_ids:
                raise _invalid("media.media_ids must be a non-empty array of id strings.")
            ids = raw_ids
        if any(not is_digits(media_id) for media_id in ids):
            raise _invalid("media.media_ids must hold media ids as strings.")
        if not text and not ids:
            raise _invalid("text is required unless media is given.")
        if tweet_length(text or "") > MAX_TWEET_LENGTH:
            raise _invalid("Your Tweet text is too long.")
        records = [self._tweetable(media_id) for media_id in ids]
        problem = media_problem([record.media_type or "" for record in records])
        if problem is not None:
            raise _invalid(problem)
        reply_to: str | None = None
        if reply is not None:
            parent = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
            if not is_digits(parent):
                raise _invalid("reply.in_reply_to_tweet_id must be a Tweet id string.")
            if parent not in self.tweets:
                raise _problem(
                    403,
                    "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you.",
                )
            reply_to = parent
        if text and any(post.service == "x" and post.text == text for post in self.sandbox.posts):
            raise _problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        self._last_tweet_id += 1 + secrets.randbelow(1 << 16)
        tweet_id = str(self._last_tweet_id)
        shown = text or ""
        if records:
            link = f"https://t.co/{format(int(tweet_id) % 36**10, 'x')[:10]}"
            shown = f"{shown} {link}" if shown else link
        data = {"id": tweet_id, "text": shown, "edit_history_tweet_ids": [tweet_id]}
        self.tweets[tweet_id] = {**data, "in_reply_to_tweet_id": reply_to}
        self.sandbox.posts.append(
            PostRecord(
                service="x",
                text=text or "",
                media_ids=tuple(record.media_id_string for record in records),
                alt_texts=tuple(record.alt_text for record in records),
                raw=payload,
            )
        )
        return _data(data, status=201)

    def _tweetable(self, media_id: str) -> UploadRecord:
        """The processed media ``media_id`` names, uploaded with v2 or v1.1 (one media store
        on X), or the invalid-request problem with the id in ``parameters``."""
        record = self.uploads.get(media_id)
        if record is None:
            v1 = self.sandbox.find_service("twitter_v1")
            uploads = getattr(v1, "uploads", {})
            record = uploads.get(int(media_id))
        if record is None or self._expires_in(record) <= 0:
            raise self._bad_media(media_id, "was not found or has expired")
        if record.state != "succeeded":
            raise self._bad_media(media_id, "is not processed yet; wait for STATUS to succeed")
        return record

    @staticmethod
    def _bad_media(media_id: str, why: str) -> _Problem:
        return _problem(
            400,
            "Invalid Request",
            "One or more parameters to your request was invalid.",
            "https://api.twitter.com/2/problems/invalid-request",
            errors=[
                {
                    "parameters": {"media.media_ids": [media_id]},
                    "message": f"Your media IDs are invalid: media {media_id} {why}.",
                }
            ],
        )
