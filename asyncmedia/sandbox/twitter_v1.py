"""Twitter/X v1.1 media upload, emulated strictly (PROTOCOLS.md §1 to §4).

Routes, under ``/1.1/``:

- ``POST media/upload.json`` — simple upload (multipart ``media`` / ``media_data``) and the
  chunked commands INIT (202), APPEND (204, empty ``text/html``), FINALIZE (201);
- ``GET media/upload.json?command=STATUS&media_id=…`` — one step of the processing state
  machine per call;
- ``POST media/metadata/create.json`` — alt text (JSON body, 200 with an empty body);
- ``POST statuses/update_with_media.json`` — the legacy Tweet-with-one-image call (multipart
  ``status`` + ``media[]``, at most 3 MB), recorded in :attr:`TwitterV1Service.statuses`;
- ``POST statuses/update.json`` — a Tweet with ``status``, ``media_ids`` (comma-separated ids
  of processed media, up to 4 images or one GIF/video) and ``in_reply_to_status_id``,
  urlencoded or in the query, so signed; 200 with the Tweet object, 403 code 187 for a
  duplicate, 403 code 186 for a text over 280, 400 code 324 for a bad media id; recorded in
  :attr:`Sandbox.posts <asyncmedia.sandbox.Sandbox.posts>` (service ``"x"``).

As the real host answered (tweepy's recordings): FINALIZE is **200** with ``processing_info``
when the media needs processing and 201 without; STATUS has the documented shape (no
``media_key``, no ``size``); STATUS sent by POST is 400 code 38 "media parameter is missing."

Every request is OAuth 1.0a-verified the way the real host does it (form bodies signed,
multipart and JSON bodies not), and every upload leaves an :class:`UploadRecord` for tests.

This module must not trust the client: it sniffs media types from magic bytes itself and
must never import the client side of :mod:`asyncmedia`.  It must not keep whole uploads in
memory either: contiguous APPEND segments are hashed and dropped; only segments that arrive
ahead of a gap wait in memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

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
from .oauth import AuthenticationFailed, MissingAuthorization, verify_oauth1
from .posts import PostRecord
from .server import BoundService, RequestContext, service_context
from .tweet_rules import MAX_TWEET_LENGTH, media_problem, tweet_length

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = [
    "MAX_ALT_TEXT",
    "MAX_CHUNK_BYTES",
    "MAX_GIF_BYTES",
    "MAX_IMAGE_BYTES",
    "MAX_UPDATE_WITH_MEDIA_BYTES",
    "MAX_VIDEO_BYTES",
    "MEDIA_CATEGORIES",
    "RATE_LIMITS",
    "StatusRecord",
    "TwitterV1Service",
    "UploadRecord",
    "image_dimensions",
    "sniff_media_type",
]

MAX_IMAGE_BYTES = 5_242_880
MAX_GIF_BYTES = 15_728_640
MAX_VIDEO_BYTES = 536_870_912
#: Video without a video category is held to the old synchronous limit.
MAX_UNCATEGORISED_VIDEO_BYTES = 15_728_640
MAX_CHUNK_BYTES = 5_242_880
MAX_SEGMENT_INDEX = 999
MAX_ALT_TEXT = 1000
MAX_ADDITIONAL_OWNERS = 100
MAX_UPDATE_WITH_MEDIA_BYTES = 3_145_728
MAX_TWEET_CHARS = 280
#: ``x-mediaratelimit-limit`` of update_with_media (PROTOCOLS.md §4.3, recorded).
MEDIA_RATE_LIMIT = 6000

MEDIA_CATEGORIES = frozenset(
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
_GIF_CATEGORIES = frozenset({"tweet_gif", "dm_gif"})
_VIDEO_CATEGORIES = frozenset({"tweet_video", "amplify_video", "dm_video"})
_IMAGE_CATEGORIES = frozenset({"tweet_image", "dm_image"})

#: ``x-rate-limit-limit`` per command.  SIMPLE/INIT/APPEND/FINALIZE as recorded
#: (PROTOCOLS.md §4.3); STATUS and METADATA are not in the recordings, so these are guesses.
RATE_LIMITS: dict[str, int] = {
    "SIMPLE": 415,
    "INIT": 200,
    "APPEND": 20000,
    "FINALIZE": 615,
    "STATUS": 1000,
    "METADATA": 2000,
    "UPDATE_WITH_MEDIA": 300,
    "TWEET": 300,
}

_FORM = "application/x-www-form-urlencoded"
_JSON_TYPE = "application/json;charset=utf-8"
_HTML_TYPE = "text/html;charset=utf-8"
_HEAD_BYTES = 65536
_FIRST_MEDIA_ID = 1349010955083132928
_FIRST_TWEET_ID = 1149914662164684800
_OWNER_IDS = re.compile(r"^\d+(,\d+)*$")


@dataclass
class UploadRecord:
    """What the sandbox knows about one media id, for tests to assert on.

    ``sha256`` is the hex digest of every byte in segment order, set once the upload is
    complete (simple upload: at once; chunked: at a successful FINALIZE).  ``segments``
    maps ``segment_index`` to how many times it was received.  ``state`` is one of
    ``"uploading"``, ``"pending"``, ``"in_progress"``, ``"succeeded"``, ``"failed"``.
    ``status_polls`` holds the :func:`time.monotonic` time of each STATUS request.
    ``processing`` tells whether FINALIZE answered with ``processing_info``;
    ``sniffed_type``, ``width`` and ``height`` come from the bytes themselves.
    """

    media_id: int
    media_id_string: str
    sha256: str | None = None
    size: int = 0
    total_bytes: int | None = None
    media_type: str | None = None
    media_category: str | None = None
    alt_text: str | None = None
    chunked: bool = False
    segments: dict[int, int] = field(default_factory=dict)
    additional_owners: str | None = None
    state: str = "uploading"
    status_polls: list[float] = field(default_factory=list)
    finalized_at: float | None = None
    processing: bool = False
    sniffed_type: str | None = None
    width: int = 0
    height: int = 0
    created_at: float = field(default_factory=time.monotonic)
    # Running hash of the contiguous prefix; segments beyond a gap wait in _pending.
    _hasher: Any = field(default_factory=hashlib.sha256, init=False, repr=False, compare=False)
    _next_index: int = field(default=0, init=False, repr=False, compare=False)
    _pending: dict[int, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)
    _segment_sizes: dict[int, int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _segment_digests: dict[int, bytes] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _conflict: int | None = field(default=None, init=False, repr=False, compare=False)
    _status_calls: int = field(default=0, init=False, repr=False, compare=False)

    def expires_in(self, lifetime: float) -> int:
        """Seconds left (rounded up, never negative) of a media id that lives ``lifetime``."""
        return max(0, math.ceil(lifetime - (time.monotonic() - self.created_at)))

    @property
    def pending_bytes(self) -> int:
        """Bytes held in memory for segments that arrived ahead of a gap."""
        return sum(len(chunk) for chunk in self._pending.values())

    def add_segment(self, index: int, data: bytes, digest: bytes | None = None) -> None:
        """Store one APPEND segment (a re-sent index replaces the earlier one); ``digest``
        is its SHA-256 when already known (computed otherwise)."""
        self.segments[index] = self.segments.get(index, 0) + 1
        self._segment_sizes[index] = len(data)
        self.size = sum(self._segment_sizes.values())
        if index < self._next_index:
            # Already hashed: a retry must carry the same bytes or the digest would lie.
            if (digest or hashlib.sha256(data).digest()) != self._segment_digests[index]:
                self._conflict = index
            return
        self._pending[index] = data
        self._segment_digests[index] = digest or hashlib.sha256(data).digest()
        while self._next_index in self._pending:
            self._hasher.update(self._pending.pop(self._next_index))
            self._next_index += 1

    def completeness_error(self) -> str | None:
        """Why FINALIZE must fail, or None when the segments make up ``total_bytes``."""
        if self._conflict is not None:
            return f"Segment {self._conflict} was re-sent with different content."
        if (
            not self._segment_sizes
            or self._pending
            or self._next_index != len(self._segment_sizes)
            or self.size != self.total_bytes
        ):
            return "Segments do not add up to provided total file size."
        return None

    def complete(self) -> None:
        """Freeze the digest once every byte has arrived."""
        self.sha256 = self._hasher.hexdigest()


@dataclass
class StatusRecord:
    """One Tweet posted with ``statuses/update_with_media``, as the sandbox received it.

    ``status`` is the text exactly as decoded from its multipart part; ``params`` the other
    text fields; ``sha256``/``size``/``media_type`` describe the ``media[]`` part (type sniffed
    from the bytes); ``filename``/``part_content_type`` are the part's own headers.
    """

    id: int
    id_str: str
    status: str
    sha256: str
    size: int
    media_type: str | None
    filename: str | None
    part_content_type: str | None
    params: dict[str, str]
    media_id: int


class _Refusal(Exception):
    """Raised inside a handler to answer at once with ``response``."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class _Params:
    fields: dict[str, str]
    media: MediaPart | None
    form_body: str | None  # the raw body, only for application/x-www-form-urlencoded
    multipart: bool


def _json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    all_headers = {"Content-Type": _JSON_TYPE}
    all_headers.update(headers or {})
    return web.Response(
        status=status, body=json.dumps(body, separators=(",", ":")).encode(), headers=all_headers
    )


def _shape_a(status: int, code: int, message: str) -> _Refusal:
    return _Refusal(_json_response(status, {"errors": [{"code": code, "message": message}]}))


def _shape_b(request: web.Request, message: str, status: int = 400) -> _Refusal:
    return _Refusal(_json_response(status, {"request": request.path, "error": message}))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- request reading ---


def _media_from_base64(request: web.Request, text: str) -> MediaPart:
    try:
        data = base64.b64decode(text, validate=False)
    except (binascii.Error, ValueError):
        raise _shape_b(request, "media_data is not valid base64.") from None
    return MediaPart(
        data=data if len(data) <= MAX_CHUNK_BYTES else None,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        head=data[:_HEAD_BYTES],
    )


async def _read_params(
    request: web.Request, *, media_names: tuple[str, ...] = ("media",)
) -> _Params:
    """Query parameters plus, depending on Content-Type, form or multipart fields.

    Multipart parts named in ``media_names`` are the media (``media[]`` for
    update_with_media).
    """
    fields = {key: request.query.getall(key)[-1] for key in request.query}
    media: MediaPart | None = None
    form_body: str | None = None
    multipart = request.content_type.startswith("multipart/")
    try:
        if multipart:
            reader = await open_multipart(request)
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise _shape_b(request, "Nested multipart bodies are not supported.")
                if part.name in media_names:
                    media = await read_media_part(part)
                elif part.name == "media_data":
                    media = _media_from_base64(request, (await part.read()).decode("ascii"))
                elif part.name:
                    fields[part.name] = (await part.read()).decode("utf-8")
        elif request.content_type == _FORM:
            form_body = await request.text()
            for key, value in parse_qsl(form_body, keep_blank_values=True):
                if key == "media_data":
                    media = _media_from_base64(request, value)
                else:
                    fields[key] = value
    except MALFORMED_BODY_ERRORS as exc:
        raise _shape_b(request, f"Malformed request body: {exc}") from None
    return _Params(fields=fields, media=media, form_body=form_body, multipart=multipart)


def _int_param(request: web.Request, fields: Mapping[str, str], name: str) -> int:
    raw = fields.get(name)
    if raw is None or raw == "":
        raise _shape_a(400, 38, f"{name} parameter is missing.")
    try:
        return int(raw)
    except ValueError:
        raise _shape_b(request, f"Invalid {name}: {raw!r}.") from None


class TwitterV1Service(BoundService):
    """The Twitter v1.1 upload host's routes and the media records they produce.

    Knobs (``check_after_secs``, ``processing_steps``, ``processing_outcome``,
    ``expires_after_secs``) and credentials are read from the owning :class:`Sandbox` at
    request time, so tests can change them mid-run.
    """

    name = "twitter_v1"
    title = "Twitter v1.1"
    prefix = "/1.1/"
    description_key = "twitter"
    url_keys = ("upload_url", "api_url")

    def __init__(self) -> None:
        #: Media by ``media_id``.
        self.uploads: dict[int, UploadRecord] = {}
        #: Tweets posted with ``statuses/update_with_media``, in order.
        self.statuses: list[StatusRecord] = []
        #: Tweets created with ``statuses/update.json``, by id (the Tweet objects answered).
        self.tweets: dict[str, dict[str, Any]] = {}
        self._last_id = _FIRST_MEDIA_ID - 1
        self._last_tweet_id = _FIRST_TWEET_ID - 1

    def credentials(self) -> dict[str, str]:
        """The OAuth 1.0a keys the sandbox accepts (:attr:`Sandbox.credentials`)."""
        return {key: str(value) for key, value in self.sandbox.credentials.items()}

    def records(self) -> dict[str, Any]:
        """``uploads`` (media by id), ``statuses`` (update_with_media Tweets) and ``tweets``
        (statuses/update Tweets by id)."""
        return {"uploads": self.uploads, "statuses": self.statuses, "tweets": self.tweets}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/1.1/`` routes on ``app``."""
        self.bind(sandbox)
        app.router.add_route("POST", self.prefix + "media/upload.json", self.upload_post)
        app.router.add_route("GET", self.prefix + "media/upload.json", self.upload_get)
        app.router.add_route(
            "POST", self.prefix + "media/metadata/create.json", self.metadata_create
        )
        app.router.add_route(
            "POST", self.prefix + "statuses/update_with_media.json", self.update_with_media
        )
        app.router.add_route("POST", self.prefix + "statuses/update.json", self.update_status)

    # --- shared steps ---

    def _new_record(self, **values: Any) -> UploadRecord:
        # Ids above 2**53 with random gaps catch clients that parse ids as floats.
        self._last_id += 1 + secrets.randbelow(1 << 20)
        record = UploadRecord(media_id=self._last_id, media_id_string=str(self._last_id), **values)
        self.uploads[record.media_id] = record
        return record

    def _expires_in(self, record: UploadRecord) -> int:
        return record.expires_in(self.sandbox.expires_after_secs)

    def _lookup(self, request: web.Request, fields: Mapping[str, str]) -> UploadRecord:
        media_id = _int_param(request, fields, "media_id")
        record = self.uploads.get(media_id)
        if record is None or self._expires_in(record) <= 0:
            raise _shape_b(request, "Invalid or expired mediaId.")
        return record

    def _authenticate(
        self, request: web.Request, form_body: str | None, context: RequestContext
    ) -> None:
        sandbox = self.sandbox
        # The URL exactly as the client sent it: scheme, Host header, raw path and query.
        url = f"{request.scheme}://{request.host}{request.raw_path}"
        try:
            verify_oauth1(
                request.method,
                url,
                request.headers.get("Authorization"),
                form_body,
                sandbox.credentials,
                nonces=sandbox.nonces,
                now=sandbox.clock,
                max_skew=sandbox.max_skew,
            )
        except MissingAuthorization:
            context.authenticated = False
            raise _shape_a(400, 215, "Bad Authentication data.") from None
        except AuthenticationFailed:
            context.authenticated = False
            raise _shape_a(401, 32, "Could not authenticate you.") from None
        context.authenticated = True

    def _media_object(self, record: UploadRecord) -> dict[str, Any]:
        media_type = record.media_type or "application/octet-stream"
        if media_type.startswith("video/"):
            return {"video": {"video_type": media_type}}
        if media_type.startswith("image/"):
            return {"image": {"image_type": media_type, "w": record.width, "h": record.height}}
        return {}

    @staticmethod
    def _media_key(record: UploadRecord) -> str:
        media_type = record.media_type or ""
        if media_type == "image/gif" and record.media_category in _GIF_CATEGORIES:
            prefix = 16
        elif media_type.startswith("video/"):
            prefix = 7
        else:
            prefix = 3
        return f"{prefix}_{record.media_id}"

    def _check_category(
        self, request: web.Request, fields: Mapping[str, str], media_type: str
    ) -> str | None:
        category = fields.get("media_category") or None
        if category is None:
            return None
        # Strict: lower-case values only (upper-case forms are [UNCERTAIN] in PROTOCOLS §1.1).
        if category not in MEDIA_CATEGORIES:
            raise _shape_b(request, f"Invalid media_category: {category!r}.")
        fits = (
            (category in _VIDEO_CATEGORIES and media_type.startswith("video/"))
            or (category in _GIF_CATEGORIES and media_type == "image/gif")
            or (category in _IMAGE_CATEGORIES and media_type.startswith("image/"))
            or (category == "subtitles" and not media_type.startswith(("image/", "video/")))
        )
        if not fits:
            raise _shape_b(request, f"media_category {category} does not fit {media_type}.")
        return category

    def _check_owners(self, request: web.Request, fields: Mapping[str, str]) -> str | None:
        owners = fields.get("additional_owners") or None
        if owners is not None and (
            not _OWNER_IDS.match(owners) or owners.count(",") >= MAX_ADDITIONAL_OWNERS
        ):
            raise _shape_b(request, "Invalid additional_owners.")
        return owners

    # --- handlers ---

    async def upload_post(self, request: web.Request) -> web.Response:
        """``POST media/upload.json``: simple upload, INIT, APPEND or FINALIZE."""
        context = service_context(request)
        context.rate_limit = ("twitter_v1:SIMPLE", RATE_LIMITS["SIMPLE"])
        try:
            params = await _read_params(request)
            command = params.fields.get("command")
            context.command = command
            if command in RATE_LIMITS:
                context.rate_limit = (f"twitter_v1:{command}", RATE_LIMITS[command])
            self._authenticate(request, params.form_body, context)
            fault = await self.sandbox.strike(request, command or "SIMPLE")
            if fault is not None:
                return fault
            if command is None:
                return self._simple_upload(request, params)
            if command == "STATUS":
                # What the real upload host answered to STATUS sent by POST (reported twice).
                raise _shape_a(400, 38, "media parameter is missing.")
            if command in ("INIT", "FINALIZE") and params.multipart:
                raise _shape_b(
                    request, f"{command} must be sent as application/x-www-form-urlencoded."
                )
            if command == "INIT":
                return self._init(request, params.fields)
            if command == "APPEND":
                return self._append(request, params)
            if command == "FINALIZE":
                return self._finalize(request, params.fields)
            raise _shape_b(request, f"Invalid command: {command!r}.")
        except _Refusal as refusal:
            return refusal.response

    async def upload_get(self, request: web.Request) -> web.Response:
        """``GET media/upload.json?command=STATUS&media_id=…``."""
        context = service_context(request)
        command = request.query.get("command")
        context.rate_limit = ("twitter_v1:STATUS", RATE_LIMITS["STATUS"])
        try:
            self._authenticate(request, None, context)
            fault = await self.sandbox.strike(request, "STATUS")
            if fault is not None:
                return fault
            if command in ("INIT", "APPEND", "FINALIZE"):
                raise _shape_b(request, f"{command} must be sent with POST.", status=405)
            if command != "STATUS":
                raise _shape_b(request, f"Invalid command: {command!r}.")
            return self._status(request, request.query)
        except _Refusal as refusal:
            return refusal.response

    def _simple_upload(self, request: web.Request, params: _Params) -> web.Response:
        media = params.media
        if media is None:
            raise _shape_a(400, 38, "media parameter is missing.")
        sniffed = sniff_media_type(media.head)
        if sniffed is None:
            raise _shape_b(request, "media type unrecognized.")
        if sniffed.startswith("video/"):
            raise _shape_b(request, "Video must be uploaded with command=INIT/APPEND/FINALIZE.")
        if media.size > MAX_IMAGE_BYTES:
            raise _shape_b(request, f"File size exceeds {MAX_IMAGE_BYTES} bytes.")
        category = self._check_category(request, params.fields, sniffed)
        owners = self._check_owners(request, params.fields)
        width, height = image_dimensions(sniffed, media.head)
        now = time.monotonic()
        record = self._new_record(
            sha256=media.sha256,
            size=media.size,
            media_type=sniffed,
            media_category=category,
            additional_owners=owners,
            state="succeeded",
            finalized_at=now,
            sniffed_type=sniffed,
            width=width,
            height=height,
            created_at=now,
        )
        body: dict[str, Any] = {
            "media_id": record.media_id,
            "media_id_string": record.media_id_string,
        }
        if category is not None:
            body["media_key"] = self._media_key(record)
        body.update(
            size=record.size,
            expires_after_secs=self._expires_in(record),
            **self._media_object(record),
        )
        return _json_response(200, body, {"Content-Disposition": "attachment; filename=json.json"})

    def _init(self, request: web.Request, fields: Mapping[str, str]) -> web.Response:
        total_bytes = _int_param(request, fields, "total_bytes")
        media_type = fields.get("media_type")
        if not media_type:
            raise _shape_a(400, 38, "media_type parameter is missing.")
        if total_bytes <= 0:
            raise _shape_b(request, "total_bytes must be a positive integer.")
        category = self._check_category(request, fields, media_type)
        owners = self._check_owners(request, fields)
        if media_type == "image/gif":
            limit = MAX_GIF_BYTES if category in _GIF_CATEGORIES else MAX_IMAGE_BYTES
        elif media_type.startswith("image/"):
            limit = MAX_IMAGE_BYTES
        elif media_type.startswith("video/"):
            limit = (
                MAX_VIDEO_BYTES if category in _VIDEO_CATEGORIES else MAX_UNCATEGORISED_VIDEO_BYTES
            )
        elif category == "subtitles":
            limit = MAX_IMAGE_BYTES
        else:
            raise _shape_b(request, "media type unrecognized.")
        if total_bytes > limit:
            raise _shape_b(request, f"File size exceeds {limit} bytes.")
        record = self._new_record(
            total_bytes=total_bytes,
            media_type=media_type,
            media_category=category,
            additional_owners=owners,
            chunked=True,
        )
        body: dict[str, Any] = {
            "media_id": record.media_id,
            "media_id_string": record.media_id_string,
        }
        if category is not None:
            body["media_key"] = self._media_key(record)
        body["expires_after_secs"] = self._expires_in(record)
        return _json_response(202, body, {"x-mediaid": record.media_id_string})

    def _append(self, request: web.Request, params: _Params) -> web.Response:
        record = self._lookup(request, params.fields)
        if not record.chunked or record.state != "uploading":
            raise _shape_b(request, "Media id is already finalized.")
        raw_index = params.fields.get("segment_index")
        if raw_index is None or not is_digits(raw_index) or int(raw_index) > MAX_SEGMENT_INDEX:
            raise _shape_b(
                request, f"Segment index must be an integer from 0 to {MAX_SEGMENT_INDEX}."
            )
        media = params.media
        if media is None:
            raise _shape_a(400, 38, "media parameter is missing.")
        if media.data is None or media.size > MAX_CHUNK_BYTES:
            raise _shape_b(request, f"Segment size exceeds {MAX_CHUNK_BYTES} bytes.")
        index = int(raw_index)
        if index == 0:
            record.sniffed_type = sniff_media_type(media.head)
            record.width, record.height = image_dimensions(record.sniffed_type, media.head)
        record.add_segment(index, media.data, bytes.fromhex(media.sha256))
        return web.Response(
            status=204,
            headers={
                "Content-Type": _HTML_TYPE,
                "x-mediaid": record.media_id_string,
                # Recorded as 0 even after data was accepted (PROTOCOLS.md §2.2).
                "x-segmentcount": "0",
                "x-totalbytes": "0",
            },
        )

    def _finalize(self, request: web.Request, fields: Mapping[str, str]) -> web.Response:
        record = self._lookup(request, fields)
        if not record.chunked:
            raise _shape_b(request, "Media id was not created with INIT.")
        if record.state == "uploading":
            problem = record.completeness_error()
            if problem is not None:
                raise _shape_b(request, problem)
            record.complete()
            record.finalized_at = time.monotonic()
            media_type = record.media_type or ""
            record.processing = record.media_category is not None and (
                media_type.startswith("video/") or media_type == "image/gif"
            )
            record.state = "pending" if record.processing else "succeeded"
        body = self._media_body(record)
        if record.processing and record.state in ("pending", "in_progress"):
            body["processing_info"] = {
                "state": record.state,
                "check_after_secs": _number(self.sandbox.check_after_secs),
            }
        elif record.processing:
            body["processing_info"] = self._terminal_info(record)
        # Recorded: 200 when processing_info comes back (tweepy testvideoupload.yaml), 201
        # without (testmediauploadmp4.yaml).
        return _json_response(200 if "processing_info" in body else 201, body)

    def _media_body(self, record: UploadRecord) -> dict[str, Any]:
        body: dict[str, Any] = {
            "media_id": record.media_id,
            "media_id_string": record.media_id_string,
        }
        if record.media_category is not None:
            body["media_key"] = self._media_key(record)
        body["size"] = record.size
        body["expires_after_secs"] = self._expires_in(record)
        if record.state in ("succeeded",):
            body.update(self._media_object(record))
        return body

    def _terminal_info(self, record: UploadRecord) -> dict[str, Any]:
        if record.state == "failed":
            return {
                "state": "failed",
                "progress_percent": 0,
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"},
            }
        return {"state": "succeeded", "progress_percent": 100}

    def _status(self, request: web.Request, query: Mapping[str, str]) -> web.Response:
        record = self._lookup(request, query)
        record.status_polls.append(time.monotonic())
        if not record.processing:
            raise _shape_b(request, "Media id has no processing status.")
        if record.state in ("pending", "in_progress"):
            record._status_calls += 1
            steps = max(0, int(self.sandbox.processing_steps))
            if record._status_calls <= steps:
                record.state = "pending" if record._status_calls == 1 else "in_progress"
            else:
                failed = self.sandbox.processing_outcome == "failed"
                record.state = "failed" if failed else "succeeded"
        # The documented shape: no media_key, no size; the media object once succeeded; a
        # failed answer without expires_after_secs.
        body: dict[str, Any] = {
            "media_id": record.media_id,
            "media_id_string": record.media_id_string,
        }
        if record.state != "failed":
            body["expires_after_secs"] = self._expires_in(record)
        if record.state == "succeeded":
            body.update(self._media_object(record))
        if record.state in ("pending", "in_progress"):
            info: dict[str, Any] = {
                "state": record.state,
                "check_after_secs": _number(self.sandbox.check_after_secs),
            }
            if record.state == "in_progress":
                steps = max(1, int(self.sandbox.processing_steps))
                info["progress_percent"] = min(99, 100 * record._status_calls // (steps + 1))
            body["processing_info"] = info
        else:
            body["processing_info"] = self._terminal_info(record)
        return _json_response(200, body)

    async def metadata_create(self, request: web.Request) -> web.Response:
        """``POST media/metadata/create.json``: JSON alt text; 200 with an empty body."""
        context = service_context(request)
        context.rate_limit = ("twitter_v1:METADATA", RATE_LIMITS["METADATA"])
        try:
            form_body = await request.text() if request.content_type == _FORM else None
            self._authenticate(request, form_body, context)
            fault = await self.sandbox.strike(request, "METADATA")
            if fault is not None:
                return fault
            if request.content_type not in ("application/json", "text/plain"):
                raise _shape_a(400, 44, "Body must be JSON (application/json).")
            try:
                payload = await read_json(request)
            except (ValueError, UnicodeDecodeError):
                raise _shape_a(400, 44, "Body is not valid JSON.") from None
            if not isinstance(payload, dict):
                raise _shape_a(400, 44, "Body must be a JSON object.")
            raw_id = payload.get("media_id")
            if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
                raise _shape_a(400, 38, "media_id parameter is missing.")
            alt = payload.get("alt_text")
            text = alt.get("text") if isinstance(alt, dict) else None
            if not isinstance(text, str):
                raise _shape_a(400, 38, "alt_text.text parameter is missing.")
            if len(text) > MAX_ALT_TEXT:
                raise _shape_a(400, 44, f"alt_text.text must be at most {MAX_ALT_TEXT} characters.")
            try:
                record = self.uploads.get(int(raw_id))
            except ValueError:
                record = None
            if record is None or self._expires_in(record) <= 0:
                raise _shape_a(400, 325, "Media id not found.")
            media_type = record.media_type or ""
            if not media_type.startswith("image/"):
                raise _shape_a(400, 44, "Alt text is for images and GIFs only.")
            if record.state != "succeeded":
                raise _shape_a(400, 324, "Media id is not ready (upload or processing).")
            record.alt_text = text
            return web.Response(status=200, body=b"", headers={"Content-Type": _HTML_TYPE})
        except _Refusal as refusal:
            return refusal.response

    async def update_with_media(self, request: web.Request) -> web.Response:
        """``POST statuses/update_with_media.json``: multipart ``status`` + ``media[]``.

        The signature is checked with no body parameters (multipart never enters it), so a
        client that signed ``status`` or ``media[]`` gets 401 code 32 — the original bug.
        """
        context = service_context(request)
        context.rate_limit = ("twitter_v1:UPDATE_WITH_MEDIA", RATE_LIMITS["UPDATE_WITH_MEDIA"])
        try:
            params = await _read_params(request, media_names=("media[]",))
            self._authenticate(request, params.form_body, context)
            if not params.multipart:
                raise _shape_b(request, "update_with_media must be sent as multipart/form-data.")
            media = params.media
            if media is None:
                raise _shape_a(400, 38, "media parameter is missing.")
            sniffed = sniff_media_type(media.head)
            if sniffed is None or not sniffed.startswith("image/"):
                raise _shape_b(request, "media type unrecognized.")
            if media.size > MAX_UPDATE_WITH_MEDIA_BYTES:
                raise _shape_b(request, f"File size exceeds {MAX_UPDATE_WITH_MEDIA_BYTES} bytes.")
            fields = dict(params.fields)
            status = fields.pop("status", "")
            if len(status) > MAX_TWEET_CHARS:
                raise _shape_a(403, 186, "Status is over 280 characters.")
            record = self._new_record(
                sha256=media.sha256,
                size=media.size,
                media_type=sniffed,
                state="succeeded",
                sniffed_type=sniffed,
            )
            record.width, record.height = image_dimensions(sniffed, media.head)
            tweet_id = record.media_id + 7
            self.statuses.append(
                StatusRecord(
                    id=tweet_id,
                    id_str=str(tweet_id),
                    status=status,
                    sha256=media.sha256,
                    size=media.size,
                    media_type=sniffed,
                    filename=media.filename,
                    part_content_type=media.content_type,
                    params=fields,
                    media_id=record.media_id,
                )
            )
            remaining = MEDIA_RATE_LIMIT - len(self.statuses)
            return _json_response(
                200,
                self._tweet(tweet_id, status, record),
                {
                    "x-mediaratelimit-class": "photos",
                    "x-mediaratelimit-limit": str(MEDIA_RATE_LIMIT),
                    "x-mediaratelimit-remaining": str(max(0, remaining)),
                    "x-mediaratelimit-reset": str(int(self.sandbox.clock()) + 86400),
                },
            )
        except _Refusal as refusal:
            return refusal.response

    def _tweet(self, tweet_id: int, status: str, record: UploadRecord) -> dict[str, Any]:
        """A Tweet object shaped like the recorded answer (PROTOCOLS.md §5.5)."""
        code = format(record.media_id % 36**10, "x")[:10]
        short = f"https://t.co/{code}"
        start = len(status) + 1 if status else 0
        entity = {
            "id": record.media_id,
            "id_str": record.media_id_string,
            "indices": [start, start + len(short)],
            "media_url": f"http://pbs.twimg.com/media/{code}.png",
            "media_url_https": f"https://pbs.twimg.com/media/{code}.png",
            "url": short,
            "display_url": f"pic.twitter.com/{code}",
            "expanded_url": f"https://twitter.com/sandbox/status/{tweet_id}/photo/1",
            "type": "photo",
            "sizes": {
                "large": {"w": record.width, "h": record.height, "resize": "fit"},
                "thumb": {"w": 150, "h": 150, "resize": "crop"},
            },
        }
        user_id = self.sandbox.credentials["access_token"].split("-", 1)[0]
        return {
            "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
            "id": tweet_id,
            "id_str": str(tweet_id),
            "text": f"{status} {short}" if status else short,
            "truncated": False,
            "entities": {"hashtags": [], "urls": [], "user_mentions": [], "media": [entity]},
            "extended_entities": {"media": [entity]},
            "user": {"id": int(user_id) if user_id.isdigit() else 1, "screen_name": "sandbox"},
        }

    async def update_status(self, request: web.Request) -> web.Response:
        """``POST statuses/update.json``: a Tweet with ``status``, ``media_ids`` and
        ``in_reply_to_status_id``, urlencoded (or in the query): every field is signed."""
        context = service_context(request)
        context.command = "TWEET"
        context.rate_limit = ("twitter_v1:TWEET", RATE_LIMITS["TWEET"])
        try:
            params = await _read_params(request)
            self._authenticate(request, params.form_body, context)
            fault = await self.sandbox.strike(request, "TWEET")
            if fault is not None:
                return fault
            if params.multipart:
                raise _shape_b(request, "statuses/update must be sent urlencoded.")
            fields = dict(params.fields)
            status = fields.get("status", "")
            raw_ids = fields.get("media_ids", "")
            ids = [part.strip() for part in raw_ids.split(",")] if raw_ids else []
            if not status and not ids:
                raise _shape_a(400, 170, "Missing required parameter: status.")
            if tweet_length(status) > MAX_TWEET_LENGTH:
                raise _shape_a(403, 186, "Tweet needs to be a bit shorter.")
            records = [self._tweetable(request, media_id) for media_id in ids]
            problem = media_problem([record.media_type or "" for record in records])
            if problem is not None:
                code = 323 if any(r.media_type == "image/gif" for r in records) else 324
                raise _shape_a(400, code, problem)
            if status and any(
                post.service == "x" and post.text == status for post in self.sandbox.posts
            ):
                raise _shape_a(403, 187, "Status is a duplicate.")
            self._last_tweet_id += 1 + secrets.randbelow(1 << 16)
            tweet_id = str(self._last_tweet_id)
            reply_to = fields.get("in_reply_to_status_id")
            # Unknown reply ids are ignored, as the real service does.
            parent = self.tweets.get(reply_to or "")
            tweet = self._update_tweet(tweet_id, status, records, parent)
            self.tweets[tweet_id] = tweet
            self.sandbox.posts.append(
                PostRecord(
                    service="x",
                    text=status,
                    media_ids=tuple(record.media_id_string for record in records),
                    alt_texts=tuple(record.alt_text for record in records),
                    raw=fields,
                )
            )
            return _json_response(200, tweet)
        except _Refusal as refusal:
            return refusal.response

    def _tweetable(self, request: web.Request, media_id: str) -> UploadRecord:
        """The processed, unexpired media ``media_id`` names, or 400 code 324."""
        record = self.uploads.get(int(media_id)) if is_digits(media_id) else None
        if record is None or self._expires_in(record) <= 0:
            raise _shape_a(400, 324, f"The validation of media ids failed: {media_id} not found.")
        if record.state != "succeeded":
            raise _shape_a(
                400, 324, f"The validation of media ids failed: {media_id} is not ready yet."
            )
        return record

    def _update_tweet(
        self,
        tweet_id: str,
        status: str,
        records: list[UploadRecord],
        parent: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """A Tweet object in the recorded shape, with one media entity per attached media."""
        user_id = self.sandbox.credentials["access_token"].split("-", 1)[0]
        text = status
        entities: list[dict[str, Any]] = []
        if records:
            code = format(int(tweet_id) % 36**10, "x")[:10]
            short = f"https://t.co/{code}"
            start = len(status) + 1 if status else 0
            text = f"{status} {short}" if status else short
            for index, record in enumerate(records, 1):
                kind = record.media_type or ""
                entities.append(
                    {
                        "id": record.media_id,
                        "id_str": record.media_id_string,
                        "indices": [start, start + len(short)],
                        "url": short,
                        "display_url": f"pic.twitter.com/{code}",
                        "expanded_url": (
                            f"https://twitter.com/sandbox/status/{tweet_id}/photo/{index}"
                        ),
                        "type": (
                            "video"
                            if kind.startswith("video/")
                            else "animated_gif"
                            if kind == "image/gif"
                            else "photo"
                        ),
                    }
                )
        tweet: dict[str, Any] = {
            "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
            "id": int(tweet_id),
            "id_str": tweet_id,
            "text": text,
            "truncated": False,
            "entities": {"hashtags": [], "urls": [], "user_mentions": [], "media": entities},
            "in_reply_to_status_id": int(parent["id_str"]) if parent else None,
            "in_reply_to_status_id_str": parent["id_str"] if parent else None,
            "user": {"id": int(user_id) if user_id.isdigit() else 1, "screen_name": "sandbox"},
        }
        if entities:
            tweet["extended_entities"] = {"media": entities}
        return tweet
