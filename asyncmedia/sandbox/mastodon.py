"""A Mastodon instance (media attachments and statuses), emulated strictly (PROTOCOLS.md §10,
§13.3), in the shape of the real Mastodon 4.6.4 answers on record.

Routes, under ``/mastodon/`` (the emulated instance root):

- ``GET api/v2/instance`` and ``GET api/v1/instance`` (also with a trailing slash, as
  Mastodon.py asks) — public, no token: the instance documents with this service's limits
  (:attr:`MastodonService.max_characters`, :attr:`~MastodonService.supported_types`…);
  ``api/v2/instance`` answers 404 when :attr:`~MastodonService.instance_v2` is False (an
  instance older than 4.0);
- ``POST api/v2/media`` — multipart ``file`` (its part **must** carry a MIME type that
  agrees with the bytes and that the instance lists), ``description``, ``focus``
  (``"x,y"`` in −1…1), ``thumbnail``; answers 200 with ``url`` set when processed at once
  (images, by default) or 202 with ``url: null`` (video, audio, GIF, or every upload when
  :attr:`MastodonService.sync_images` is False);
- ``POST api/v1/media`` — the legacy upload: the same, always processed before answering 200;
- ``GET api/v1/media/{id}`` — 206 while processing (``processing_steps`` times), then 200, or
  422 ``{"error": "Error processing thumbnail for uploaded media"}`` when
  :attr:`MastodonService.outcome` is ``"failed"``; 404 for unknown or attached media;
- ``PUT api/v1/media/{id}`` — update ``description``, ``focus`` and ``thumbnail`` of
  unattached media (206 while it is processing);
- ``POST api/v1/statuses`` — form, multipart or JSON: ``status``, ``media_ids[]`` (a bare
  ``media_ids`` field is silently dropped, as Rails' strong parameters do; in JSON the
  ``media_ids`` array), ``in_reply_to_id``, ``sensitive``, ``spoiler_text``, ``visibility``,
  ``language``.  A repeated ``Idempotency-Key`` answers the status the first request created.
  422 with Mastodon's messages for unknown/attached media ("Media 1, 2 not found or already
  attached to another post"), unprocessed media ("Cannot attach files that have not finished
  processing. Try again in a moment!"), more than ``max_media_attachments`` ("Cannot attach
  more than 4 files"), a video with other media, a text over ``max_characters`` or empty
  without media; 404 for an unknown ``in_reply_to_id``.  200 with the Status JSON; every
  status is kept in :attr:`MastodonService.statuses` and appended to ``Sandbox.posts``
  (:class:`~asyncmedia.sandbox.posts.PostRecord`, service ``"mastodon"``);
- ``GET api/v1/statuses/{id}`` — the Status, or 404.

Authentication: ``Authorization: Bearer <sandbox.mastodon_token>``, else 401
``{"error": "The access token is invalid"}`` (the instance documents need none).  Errors are
``{"error": "…"}`` with the status code carrying the meaning.  Every answer has
``X-RateLimit-Limit/Remaining/Reset`` with an **ISO 8601** reset; :attr:`throttle` injects
429s.  Every received file and thumbnail is hashed (sha256) into a :class:`MastodonRecord`.

Fault injection (:class:`~asyncmedia.sandbox.server.Fault`) by command: ``"INSTANCE"``,
``"UPLOAD"`` (both media uploads), ``"GET"`` / ``"PUT"`` (a media id), ``"STATUS_POST"``
(before the status is created: a refusal, a 5xx, a slow answer), ``"STATUS_ANSWER"`` (*after*
the status was created: ``delay`` or ``drop`` lose the answer of a request that acted, the
case an ``Idempotency-Key`` exists for), ``"STATUS_GET"``.

Like every sandbox module this one must not import the client side of :mod:`asyncmedia`.
"""

from __future__ import annotations

import html
import json
import math
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .forms import MALFORMED_BODY_ERRORS, MediaPart, open_multipart, read_json, read_media_part
from .media_inspection import image_dimensions, sniff_media_type
from .oauth import same_secret
from .posts import PostRecord
from .server import BoundService, RequestContext, Throttle, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = [
    "DESCRIPTION_LIMIT",
    "SUPPORTED_MIME_TYPES",
    "MastodonRecord",
    "MastodonService",
    "MastodonStatus",
]

#: The recorded 4.6.4 instance's ``description_limit`` (the sandbox's default).
DESCRIPTION_LIMIT = 10_000
#: The 28 types the recorded Mastodon 4.6.4 instance lists in ``supported_mime_types``.
SUPPORTED_MIME_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/webp",
    "image/avif",
    "video/webm",
    "video/mp4",
    "video/quicktime",
    "video/ogg",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-pn-wave",
    "audio/vnd.wave",
    "audio/ogg",
    "audio/vorbis",
    "audio/mpeg",
    "audio/mp3",
    "audio/webm",
    "audio/flac",
    "audio/aac",
    "audio/m4a",
    "audio/x-m4a",
    "audio/mp4",
    "audio/3gpp",
    "video/x-ms-asf",
)
_JSON_TYPE = "application/json; charset=utf-8"
_RATE_LIMIT = 300
_UPLOAD_RATE_LIMIT = 30
_KEEP_FOR_INSPECTION = 16 * 1024 * 1024  # MP4s up to this size get duration/frame rate
_SMALL_PIXELS = 230_400  # Mastodon's ``small`` style for images: at most 480x480 worth
_FALSE_VALUES = frozenset({"0", "f", "false", "off", ""})
_NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
_IMAGES_AND_VIDEO = "Cannot attach a video to a post that already contains images"


@dataclass
class MastodonRecord:
    """One media attachment as the sandbox knows it.

    ``declared_type`` is the ``Content-Type`` of the ``file`` part, ``sniffed_type`` what the
    bytes are (the declared type when the bytes fit several, such as ``audio/mp4`` and
    ``video/mp4``); ``state`` is ``"processing"``, ``"done"`` or ``"failed"``; ``polls``
    counts ``GET api/v1/media/{id}`` calls; ``updates`` counts PUTs; ``status_id`` is the
    status it is attached to; ``video`` holds what could be read of a video (``duration``,
    ``frame_rate``, ``bitrate``, ``width``, ``height``).
    """

    id: str
    sha256: str
    size: int
    declared_type: str
    sniffed_type: str
    filename: str | None
    description: str | None = None
    focus: tuple[float, float] | None = None
    thumbnail_sha256: str | None = None
    thumbnail_type: str | None = None
    thumbnail_size: tuple[int, int] = (0, 0)
    state: str = "done"
    polls: int = 0
    updates: int = 0
    width: int = 0
    height: int = 0
    status_id: str | None = None
    video: dict[str, Any] = field(default_factory=dict)
    legacy: bool = False
    created_at: float = field(default_factory=time.monotonic)


@dataclass
class MastodonStatus:
    """One status the sandbox created: the fields as received and what it made of them.

    ``fields`` are the request's (name, value) pairs in order (JSON bodies flattened the same
    way); ``idempotency_key`` the header, if sent; ``attempts`` how many requests answered
    with this status (a repeated key adds one).
    """

    id: str
    text: str
    media_ids: tuple[str, ...]
    in_reply_to_id: str | None
    sensitive: bool
    spoiler_text: str
    visibility: str
    language: str | None
    idempotency_key: str | None
    fields: list[tuple[str, str]]
    created_at: str
    attempts: int = 1


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _kind(media_type: str) -> str:
    if media_type == "image/gif":
        return "gifv"
    if media_type.startswith("image/"):
        return "image"
    if media_type.startswith("video/"):
        return "video"
    if media_type.startswith("audio/"):
        return "audio"
    return "unknown"


def _parse_focus(raw: str) -> tuple[float, float]:
    try:
        x_text, y_text = raw.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise _Refusal(422, "Validation failed: Focus is invalid") from None
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise _Refusal(422, "Validation failed: Focus must be between -1.0 and 1.0")
    return x, y


# --- what the bytes are: every family the recorded instance lists -------------------------------

_WAV = frozenset({"audio/wave", "audio/wav", "audio/x-wav", "audio/x-pn-wave", "audio/vnd.wave"})
_MP4_AUDIO = frozenset({"audio/mp4", "audio/m4a", "audio/x-m4a"})
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})


def _ftyp_brands(head: bytes) -> list[bytes]:
    size = int.from_bytes(head[0:4], "big")
    end = min(len(head), size if size >= 16 else 16)
    return [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]


def declarable_types(head: bytes) -> frozenset[str]:
    """The MIME types the file starting with ``head`` may honestly be declared as (empty when
    the bytes are nothing the instance knows).  Paperclip compares the declared type with
    the detected one; a container holding audio or video (MP4, WebM, Ogg) fits both."""
    if head[4:8] == b"ftyp":
        brands = _ftyp_brands(head)
        major = brands[0]
        if major in (b"avif", b"avis"):
            return frozenset({"image/avif"})
        if major in _HEIC_BRANDS:
            return frozenset({"image/heic", "image/heif"})
        if major in (b"mif1", b"msf1"):
            heic = any(b in _HEIC_BRANDS for b in brands)
            avif = any(b in (b"avif", b"avis") for b in brands)
            if avif and not heic:
                return frozenset({"image/avif"})
            return frozenset({"image/heif", "image/heic"})
        if major in (b"M4A ", b"M4B ", b"M4P "):
            return _MP4_AUDIO
        if major.startswith((b"3gp", b"3g2", b"3ge")):
            return frozenset({"audio/3gpp"})
        if major == b"qt  ":
            return frozenset({"video/quicktime"})
        return frozenset({"video/mp4"}) | _MP4_AUDIO
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return frozenset({"video/webm", "audio/webm"})
    if head.startswith(b"OggS"):
        return frozenset({"video/ogg", "audio/ogg", "audio/vorbis"})
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _WAV
    if head.startswith(b"fLaC"):
        return frozenset({"audio/flac"})
    if head.startswith(b"ID3") or (
        len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and head[1] & 0x06
    ):
        return frozenset({"audio/mpeg", "audio/mp3"})  # MPEG audio frame: layer bits set
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return frozenset({"audio/aac"})  # ADTS: layer bits 00
    if head.startswith(_ASF_GUID):
        return frozenset({"video/x-ms-asf"})
    sniffed = sniff_media_type(head)
    return frozenset() if sniffed is None else frozenset({sniffed})


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO BMFF boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        header = 8
        if size == 1 and offset + 16 <= end:
            size, header = int.from_bytes(data[offset + 8 : offset + 16], "big"), 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)


def _timescaled(data: bytes, start: int) -> tuple[int, int]:
    """(timescale, duration) of an ``mvhd``/``mdhd`` payload (version 0 or 1)."""
    if data[start] == 1:
        return (
            int.from_bytes(data[start + 20 : start + 24], "big"),
            int.from_bytes(data[start + 24 : start + 32], "big"),
        )
    return (
        int.from_bytes(data[start + 12 : start + 16], "big"),
        int.from_bytes(data[start + 16 : start + 20], "big"),
    )


def mp4_video_meta(data: bytes) -> dict[str, Any]:
    """``duration`` (s), ``frame_rate`` (``"30/1"``), ``bitrate`` (bit/s of the whole file),
    ``width`` and ``height`` from an MP4/MOV's ``moov`` box, as far as they are there."""
    meta: dict[str, Any] = {}
    try:
        moov = next(((s, e) for k, s, e in _boxes(data) if k == b"moov"), None)
        if moov is None:
            return meta
        mvhd = _child(data, *moov, b"mvhd")
        if mvhd is not None:
            scale, duration = _timescaled(data, mvhd[0])
            if scale and duration:
                meta["duration"] = round(duration / scale, 3)
                meta["bitrate"] = int(len(data) * 8 / (duration / scale))
        for kind, start, end in _boxes(data, *moov):
            if kind != b"trak":
                continue
            mdia = _child(data, start, end, b"mdia")
            hdlr = mdia and _child(data, *mdia, b"hdlr")
            if not mdia or not hdlr or data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
                continue
            tkhd = _child(data, start, end, b"tkhd")
            if tkhd is not None and tkhd[1] - tkhd[0] >= 84:
                meta["width"] = int.from_bytes(data[tkhd[1] - 8 : tkhd[1] - 4], "big") >> 16
                meta["height"] = int.from_bytes(data[tkhd[1] - 4 : tkhd[1]], "big") >> 16
            mdhd = _child(data, *mdia, b"mdhd")
            minf = _child(data, *mdia, b"minf")
            stbl = minf and _child(data, *minf, b"stbl")
            stts = stbl and _child(data, *stbl, b"stts")
            if mdhd and stts and int.from_bytes(data[stts[0] + 4 : stts[0] + 8], "big"):
                scale, _ = _timescaled(data, mdhd[0])
                delta = int.from_bytes(data[stts[0] + 12 : stts[0] + 16], "big")
                if scale and delta:
                    rate = Fraction(scale, delta).limit_denominator(1001)
                    meta["frame_rate"] = f"{rate.numerator}/{rate.denominator}"
            break
    except IndexError:
        pass
    return meta


def _small(width: int, height: int) -> tuple[int, int]:
    """The ``small`` version's size: at most :data:`_SMALL_PIXELS`, never enlarged."""
    if width * height <= _SMALL_PIXELS:
        return width, height
    scale = math.sqrt(_SMALL_PIXELS / (width * height))
    return round(width * scale), round(height * scale)


def _size_meta(width: int, height: int) -> dict[str, Any]:
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": width / height,
    }


# --- statuses: length and HTML as Mastodon renders them -------------------------------------

_URL = re.compile(r"(?<![\w/])https?://[^\s<>\"']+[^\s<>\"'.,:;!?)\]]", re.IGNORECASE)
_REMOTE_MENTION = re.compile(r"(?<![=/\w])(@\w+)@[\w\-]+(?:\.[\w\-]+)+")


def _countable_length(text: str, reserved_per_url: int) -> int:
    """The sandbox's own count (independent of the client's): URLs weigh ``reserved_per_url``,
    ``@user@domain`` weighs ``@user``; combining marks, variation selectors and whatever a
    zero-width joiner glues on add nothing."""
    text = _URL.sub("x" * reserved_per_url, text)
    text = _REMOTE_MENTION.sub(r"\1", text)
    count = 0
    glued = False
    for char in unicodedata.normalize("NFC", text):
        if glued:
            glued = False
            continue
        if char == "\u200d":
            glued = True
            continue
        code = ord(char)
        if unicodedata.combining(char) or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF:
            continue
        count += 1
    return count


def _html(text: str) -> str:
    """Plain text as Mastodon's formatter renders it: escaped, paragraphs on blank lines,
    line breaks as ``<br />``, http(s) URLs as links."""

    def paragraph(block: str) -> str:
        escaped = html.escape(block, quote=False)
        linked = _URL.sub(
            lambda m: (
                f'<a href="{m.group(0)}" target="_blank" rel="nofollow noopener" '
                f'translate="no">{m.group(0)}</a>'
            ),
            escaped,
        )
        return "<p>" + linked.replace("\n", "<br />") + "</p>"

    blocks = [b for b in re.split(r"\n{2,}", text.strip("\n")) if b]
    return "".join(paragraph(block) for block in blocks)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in _FALSE_VALUES


class MastodonService(BoundService):
    """The ``/mastodon/`` routes: an instance, its media attachments and statuses.

    Knobs (attributes, read at request time; the instance documents advertise them):

    ``sync_images``
        Answer image uploads 200 at once (Mastodon ≥ 4.0 does for small images); video,
        audio and GIF always take the 202 path.
    ``processing_steps``
        How many polls answer 206 before the terminal answer.
    ``outcome``
        ``"done"`` or ``"failed"`` (the terminal poll answers 422).
    ``image_size_limit``, ``video_size_limit``
        Per-type limits in bytes (16 MB and 99 MB); audio counts as video.
    ``supported_types``
        MIME types accepted in the ``file`` part: the 28 of the recorded 4.6.4 instance.
    ``description_limit``
        Longest description (10 000, as the recorded instance).
    ``max_characters``, ``max_media_attachments``, ``characters_reserved_per_url``
        Status limits (500, 4, 23).
    ``image_matrix_limit``, ``video_matrix_limit``, ``video_frame_rate_limit``
        Advertised only (33 177 600, 8 294 400, 120).
    ``version``
        The ``version`` the documents give (``"4.6.4"``).
    ``instance_v2``
        Serve ``api/v2/instance`` (True); False answers it 404, as Mastodon < 4.0.
    ``default_visibility``, ``default_sensitive``, ``default_language``
        The account's defaults, used when a status does not say (``"public"``, False,
        ``"en"``).
    ``throttle``
        :class:`~asyncmedia.sandbox.server.Throttle`: the next ``count`` requests answer 429.
    """

    name = "mastodon"
    title = "Mastodon"
    prefix = "/mastodon/"
    url_keys = ("instance_url",)

    def __init__(self) -> None:
        #: Attachments by id (string).
        self.media: dict[str, MastodonRecord] = {}
        #: Statuses by id (string), in creation order.
        self.statuses: dict[str, MastodonStatus] = {}
        self.sync_images = True
        self.processing_steps = 2
        self.outcome = "done"
        self.image_size_limit = 16_777_216
        self.video_size_limit = 103_809_024
        self.supported_types = frozenset(SUPPORTED_MIME_TYPES)
        self.description_limit = DESCRIPTION_LIMIT
        self.max_characters = 500
        self.max_media_attachments = 4
        self.characters_reserved_per_url = 23
        self.image_matrix_limit = 33_177_600
        self.video_matrix_limit = 8_294_400
        self.video_frame_rate_limit = 120
        self.version = "4.6.4"
        self.instance_v2 = True
        self.default_visibility = "public"
        self.default_sensitive = False
        self.default_language: str | None = "en"
        self.throttle = Throttle()
        self.account_id = "109348752103465001"
        self.username = "sandbox"
        self._last_id = 109348752103465132
        self._idempotency: dict[tuple[str, str], str] = {}

    def credentials(self) -> dict[str, str]:
        """The access token the instance accepts (:attr:`Sandbox.mastodon_token`)."""
        return {"access_token": self.sandbox.mastodon_token}

    def records(self) -> dict[str, Any]:
        """``media``: attachments by id; ``statuses``: statuses by id."""
        return {"media": self.media, "statuses": self.statuses}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/mastodon/`` routes on ``app``."""
        self.bind(sandbox)
        p = self.prefix
        for version in (1, 2):
            for slash in ("", "/"):
                route = self._wrap(self._instance_v1 if version == 1 else self._instance_v2)
                app.router.add_route("GET", f"{p}api/v{version}/instance{slash}", route)
        app.router.add_route("POST", p + "api/v2/media", self._wrap(self._upload))
        app.router.add_route("POST", p + "api/v1/media", self._wrap(self._upload_legacy))
        app.router.add_route("GET", p + "api/v1/media/{id}", self._wrap(self._get))
        app.router.add_route("PUT", p + "api/v1/media/{id}", self._wrap(self._update))
        app.router.add_route("POST", p + "api/v1/statuses", self._wrap(self._post_status))
        app.router.add_route("GET", p + "api/v1/statuses/{id}", self._wrap(self._get_status))

    @staticmethod
    def _command(request: web.Request) -> str:
        path = request.path.rstrip("/")
        if path.endswith("/instance"):
            return "INSTANCE"
        if "/statuses" in path:
            return "STATUS_POST" if request.method == "POST" else "STATUS_GET"
        return "UPLOAD" if request.method == "POST" else request.method

    def _wrap(self, handler: Any) -> Any:
        async def route(request: web.Request) -> web.Response:
            context = service_context(request)
            context.twitter_rate_headers = False
            command = context.command = self._command(request)
            upload = command == "UPLOAD"
            bucket = "mastodon:media" if upload else "mastodon:all"
            limit = _UPLOAD_RATE_LIMIT if upload else _RATE_LIMIT
            context.rate_limit = (bucket, limit)
            taken = self.sandbox.rate_limits.take(bucket, limit)
            reset = float(taken["x-rate-limit-reset"])
            remaining = taken["x-rate-limit-remaining"]
            try:
                if command != "INSTANCE":  # the instance documents are public
                    self._authenticate(request, context)
                if self.throttle.take():
                    reset, remaining = self.sandbox.clock() + self.throttle.reset_in, "0"
                    raise _Refusal(429, "Too many requests")
                fault = await self._strike(request, command)
                response: web.Response = fault or await handler(request)
            except _Refusal as refusal:
                response = _answer(refusal.status, {"error": refusal.message})
            response.headers.update(
                {
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": remaining,
                    "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat(
                        timespec="milliseconds"
                    ),
                }
            )
            return response

        return route

    async def _strike(self, request: web.Request, command: str) -> web.Response | None:
        """A due fault for ``command`` (faults by path alone already struck before routing)."""
        sandbox = self.sandbox
        saved = sandbox.faults
        sandbox.faults = [f for f in saved if f.command is not None]
        try:
            struck = await sandbox.strike(request, command)
        finally:
            sandbox.faults = saved
        return struck if isinstance(struck, web.Response) else None

    def _authenticate(self, request: web.Request, context: RequestContext) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        context.authenticated = scheme.lower() == "bearer" and same_secret(
            token.strip(), self.sandbox.mastodon_token
        )
        if not context.authenticated:
            raise _Refusal(401, "The access token is invalid")

    def _lookup(self, media_id: str) -> MastodonRecord:
        record = self.media.get(media_id)
        if record is None or record.status_id is not None:
            raise _Refusal(404, "Record not found")  # unknown, or attached to a status
        return record

    def _next_id(self) -> str:
        self._last_id += 1 + secrets.randbelow(1 << 16)
        return str(self._last_id)

    # --- documents ---

    def _configuration(self) -> dict[str, Any]:
        return {
            "statuses": {
                "max_characters": self.max_characters,
                "max_media_attachments": self.max_media_attachments,
                "characters_reserved_per_url": self.characters_reserved_per_url,
            },
            "media_attachments": {
                "description_limit": self.description_limit,
                "image_matrix_limit": self.image_matrix_limit,
                "image_size_limit": self.image_size_limit,
                "supported_mime_types": sorted(
                    self.supported_types, key=lambda t: (_order(t), t)
                ),
                "video_frame_rate_limit": self.video_frame_rate_limit,
                "video_matrix_limit": self.video_matrix_limit,
                "video_size_limit": self.video_size_limit,
            },
            "polls": {
                "max_options": 4,
                "max_characters_per_option": 50,
                "min_expiration": 300,
                "max_expiration": 2629746,
            },
        }

    async def _instance_v2(self, request: web.Request) -> web.Response:
        if not self.instance_v2:
            raise _Refusal(404, "Record not found")
        root = self.sandbox.mastodon_url
        host = request.host
        configuration = self._configuration()
        configuration["urls"] = {"streaming": f"ws://{host}", "status": None}
        configuration["accounts"] = {"max_featured_tags": 10, "max_pinned_statuses": 5}
        configuration["translation"] = {"enabled": False}
        return _answer(
            200,
            {
                "domain": host,
                "title": "asyncmedia sandbox",
                "version": self.version,
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "An emulated Mastodon instance for tests (asyncmedia sandbox).",
                "usage": {"users": {"active_month": 1}},
                "thumbnail": {"url": root + "packs/images/preview.png"},
                "languages": ["en"],
                "configuration": configuration,
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "api_versions": {"mastodon": 11},
                "contact": {"email": "", "account": None},
                "rules": [],
            },
        )

    async def _instance_v1(self, request: web.Request) -> web.Response:
        configuration = self._configuration()
        # The v1 document has no description_limit (as the recorded 4.6.4 one).
        del configuration["media_attachments"]["description_limit"]
        configuration["accounts"] = {"max_featured_tags": 10}
        return _answer(
            200,
            {
                "uri": request.host,
                "title": "asyncmedia sandbox",
                "short_description": "",
                "description": "An emulated Mastodon instance for tests (asyncmedia sandbox).",
                "email": "",
                "version": self.version,
                "urls": {"streaming_api": f"ws://{request.host}"},
                "stats": {
                    "user_count": 1,
                    "status_count": len(self.statuses),
                    "domain_count": 1,
                },
                "thumbnail": self.sandbox.mastodon_url + "packs/images/preview.png",
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": configuration,
                "contact_account": None,
                "rules": [],
            },
        )

    # --- media ---

    def _json(self, record: MastodonRecord) -> dict[str, Any]:
        base = self.sandbox.mastodon_url + f"system/media_attachments/files/{record.id}/"
        ready = record.state == "done"
        ext = (record.filename or "file").rpartition(".")[2] or "bin"
        kind = _kind(record.sniffed_type)
        meta: dict[str, Any] = {}
        if kind in ("video", "audio"):
            original = {
                k: record.video[k]
                for k in ("width", "height", "frame_rate", "duration", "bitrate")
                if k in record.video
            }
            if original:
                meta["original"] = original
            small = record.thumbnail_size
            if small == (0, 0) and record.video.get("width") and record.video.get("height"):
                small = (record.video["width"], record.video["height"])
            elif small != (0, 0):
                small = _small(*small)
            if small != (0, 0):
                meta["small"] = _size_meta(*small)
        elif record.width and record.height:
            meta["original"] = _size_meta(record.width, record.height)
            meta["small"] = _size_meta(*_small(record.width, record.height))
        if record.focus is not None:
            meta["focus"] = {"x": record.focus[0], "y": record.focus[1]}
        preview = (
            f"system/media_attachments/thumbnails/{record.id}/original/thumb.jpg"
            if record.thumbnail_sha256
            else f"system/media_attachments/files/{record.id}/small/file.png"
        )
        return {
            "id": record.id,
            "type": kind,
            "url": base + f"original/file.{ext}" if ready else None,
            "preview_url": self.sandbox.mastodon_url + preview,
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": meta,
            "description": record.description,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }

    async def _read(
        self, request: web.Request
    ) -> tuple[list[tuple[str, str]], dict[str, tuple[MediaPart, str, str | None]]]:
        """Text fields in order, and file parts as (part, declared content type, filename)."""
        fields: list[tuple[str, str]] = []
        files: dict[str, tuple[MediaPart, str, str | None]] = {}
        if request.content_type.startswith("multipart/"):
            try:
                reader = await open_multipart(request)
                while (part := await reader.next()) is not None:
                    if not isinstance(part, BodyPartReader) or not part.name:
                        raise _Refusal(422, "Validation failed: malformed multipart body")
                    if part.filename is not None:
                        declared = part.headers.get("Content-Type", "")
                        media = await read_media_part(part, keep_up_to=_KEEP_FOR_INSPECTION)
                        files[part.name] = (media, declared, part.filename)
                    else:
                        fields.append((part.name, (await part.read()).decode("utf-8")))
            except MALFORMED_BODY_ERRORS:
                raise _Refusal(422, "Validation failed: malformed multipart body") from None
        elif request.content_type == "application/json":
            try:
                payload = await read_json(request, empty={})
            except ValueError:
                raise _Refusal(400, "Error occurred while parsing request parameters") from None
            if not isinstance(payload, dict):
                raise _Refusal(422, "Validation failed: body must be a JSON object")
            for key, value in payload.items():
                if key == "media_ids" and isinstance(value, list):
                    fields += [("media_ids[]", str(v)) for v in value]
                elif isinstance(value, str | bool | int | float):
                    text = json.dumps(value) if isinstance(value, bool) else str(value)
                    fields.append((key, text))
        elif request.content_type == "application/x-www-form-urlencoded":
            fields = [(k, v) for k, v in (await request.post()).items() if isinstance(v, str)]
        return fields, files

    def _check_file(self, media: MediaPart, declared: str) -> str:
        """The accepted MIME type, or the 422 Mastodon answers."""
        declared = declared.split(";")[0].strip().lower()
        # Paperclip checks the declared type against the content: they must agree, and the
        # instance must list the type.
        if declared not in declarable_types(media.head) or declared not in self.supported_types:
            raise _Refusal(422, "Validation failed: File content type is invalid, File is invalid")
        larger = declared.startswith(("video/", "audio/"))
        limit = self.video_size_limit if larger else self.image_size_limit
        if media.size > limit:
            raise _Refusal(
                422, f"Validation failed: File file size must be less than {limit} bytes"
            )
        return declared

    def _apply_fields(self, record: MastodonRecord, fields: list[tuple[str, str]]) -> None:
        values = dict(fields)
        if "description" in values:
            if len(values["description"]) > self.description_limit:
                raise _Refusal(
                    422,
                    "Validation failed: Description is too long "
                    f"(maximum is {self.description_limit} characters)",
                )
            record.description = values["description"] or None
        if values.get("focus"):
            record.focus = _parse_focus(values["focus"])

    def _apply_thumbnail(
        self, record: MastodonRecord, files: dict[str, tuple[MediaPart, str, str | None]]
    ) -> None:
        if "thumbnail" not in files:
            return
        part, declared, _ = files["thumbnail"]
        sniffed = sniff_media_type(part.head)
        if sniffed is None or declared != sniffed or not sniffed.startswith("image/"):
            raise _Refusal(
                422, "Validation failed: Thumbnail content type is invalid, Thumbnail is invalid"
            )
        record.thumbnail_sha256, record.thumbnail_type = part.sha256, sniffed
        record.thumbnail_size = image_dimensions(sniffed, part.head)

    async def _receive(self, request: web.Request, *, legacy: bool) -> MastodonRecord:
        if not request.content_type.startswith("multipart/"):
            raise _Refusal(422, "Validation failed: File can't be blank")
        fields, files = await self._read(request)
        if "file" not in files:
            raise _Refusal(422, "Validation failed: File can't be blank")
        media, declared, filename = files["file"]
        accepted = self._check_file(media, declared)
        record = MastodonRecord(
            id=self._next_id(),
            sha256=media.sha256,
            size=media.size,
            declared_type=declared,
            sniffed_type=accepted,
            filename=filename,
            legacy=legacy,
        )
        record.width, record.height = image_dimensions(sniff_media_type(media.head), media.head)
        if _kind(accepted) in ("video", "audio") and media.data is not None:
            record.video = mp4_video_meta(media.data) if media.head[4:8] == b"ftyp" else {}
        self._apply_fields(record, fields)
        self._apply_thumbnail(record, files)
        return record

    async def _upload(self, request: web.Request) -> web.Response:
        record = await self._receive(request, legacy=False)
        synchronous = self.sync_images and _kind(record.sniffed_type) == "image"
        record.state = "done" if synchronous else "processing"
        self.media[record.id] = record
        return _answer(200 if synchronous else 202, self._json(record))

    async def _upload_legacy(self, request: web.Request) -> web.Response:
        """``POST api/v1/media``: processed before the answer, always 200."""
        record = await self._receive(request, legacy=True)
        record.state = "failed" if self.outcome == "failed" else "done"
        if record.state == "failed":
            raise _Refusal(422, "Error processing thumbnail for uploaded media")
        self.media[record.id] = record
        return _answer(200, self._json(record))

    async def _get(self, request: web.Request) -> web.Response:
        record = self._lookup(request.match_info["id"])
        record.polls += 1
        if record.state == "processing" and record.polls > max(0, int(self.processing_steps)):
            record.state = "failed" if self.outcome == "failed" else "done"
        if record.state == "failed":
            raise _Refusal(422, "Error processing thumbnail for uploaded media")
        return _answer(206 if record.state == "processing" else 200, self._json(record))

    async def _update(self, request: web.Request) -> web.Response:
        record = self._lookup(request.match_info["id"])
        fields, files = await self._read(request)
        self._apply_fields(record, fields)
        self._apply_thumbnail(record, files)
        record.updates += 1
        if record.state == "failed":
            raise _Refusal(422, "Error processing thumbnail for uploaded media")
        return _answer(206 if record.state == "processing" else 200, self._json(record))

    # --- statuses ---

    def _status_json(self, status: MastodonStatus) -> dict[str, Any]:
        root = self.sandbox.mastodon_url
        account_url = f"{root}@{self.username}"
        reply_to = self.statuses.get(status.in_reply_to_id or "")
        replies = sum(1 for s in self.statuses.values() if s.in_reply_to_id == status.id)
        return {
            "id": status.id,
            "created_at": status.created_at,
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": self.account_id if reply_to is not None else None,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"{root}users/{self.username}/statuses/{status.id}",
            "url": f"{account_url}/{status.id}",
            "replies_count": replies,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "content": _html(status.text),
            "filtered": [],
            "reblog": None,
            "application": {"name": "asyncmedia", "website": None},
            "account": {
                "id": self.account_id,
                "username": self.username,
                "acct": self.username,
                "display_name": "Sandbox",
                "locked": False,
                "bot": True,
                "created_at": "2026-01-01T00:00:00.000Z",
                "note": "",
                "url": account_url,
                "uri": f"{root}users/{self.username}",
                "followers_count": 0,
                "following_count": 0,
                "statuses_count": len(self.statuses),
                "emojis": [],
                "fields": [],
            },
            "media_attachments": [self._json(self.media[i]) for i in status.media_ids],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def _check_media_ids(self, media_ids: list[str]) -> list[MastodonRecord]:
        """PostStatusService#validate_media!'s checks, in its order."""
        if len(media_ids) > self.max_media_attachments:
            raise _Refusal(422, f"Cannot attach more than {self.max_media_attachments} files")
        missing = [i for i in media_ids if i not in self.media or self.media[i].status_id]
        if missing:
            raise _Refusal(
                422, f"Media {', '.join(missing)} not found or already attached to another post"
            )
        records = [self.media[i] for i in dict.fromkeys(media_ids)]
        if len(records) > 1 and any(_kind(r.sniffed_type) in ("video", "audio") for r in records):
            raise _Refusal(422, _IMAGES_AND_VIDEO)
        if any(r.state != "done" for r in records):
            raise _Refusal(422, _NOT_READY)
        return records

    async def _post_status(self, request: web.Request) -> web.Response:
        fields, _ = await self._read(request)
        key = request.headers.get("Idempotency-Key") or None
        if key is not None:
            known = self._idempotency.get((self.sandbox.mastodon_token, key))
            if known is not None:  # the first status, not a second one
                first = self.statuses[known]
                first.attempts += 1
                lost = await self._strike(request, "STATUS_ANSWER")
                return lost or _answer(200, self._status_json(first))
        values = dict(fields)
        # Only ``media_ids[]`` reaches the server as a list; a bare ``media_ids`` is dropped.
        media_ids = [value for name, value in fields if name == "media_ids[]"]
        records = self._check_media_ids(media_ids)
        text = values.get("status", "")
        spoiler = values.get("spoiler_text", "")
        if not text.strip() and not records:
            raise _Refusal(422, "Validation failed: Text can't be blank")
        length = _countable_length(spoiler + text, self.characters_reserved_per_url)
        if length > self.max_characters:
            raise _Refusal(
                422, f"Validation failed: Text character limit of {self.max_characters} exceeded"
            )
        visibility = values.get("visibility") or self.default_visibility
        if visibility not in ("public", "unlisted", "private", "direct"):
            raise _Refusal(422, f"'{visibility}' is not a valid visibility")
        reply_to = values.get("in_reply_to_id") or None
        if reply_to is not None and reply_to not in self.statuses:
            raise _Refusal(404, "Record not found")
        language = values.get("language") or self.default_language
        if language is not None and not re.fullmatch(r"[a-z]{2,3}", language):
            language = self.default_language  # Mastodon ignores a language it does not know
        status = MastodonStatus(
            id=self._next_id(),
            text=text,
            media_ids=tuple(r.id for r in records),
            in_reply_to_id=reply_to,
            sensitive=_flag(values["sensitive"]) if "sensitive" in values else bool(
                self.default_sensitive or (spoiler and records)
            ),
            spoiler_text=spoiler,
            visibility=visibility,
            language=language,
            idempotency_key=key,
            fields=fields,
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        for record in records:
            record.status_id = status.id
        self.statuses[status.id] = status
        if key is not None:
            self._idempotency[(self.sandbox.mastodon_token, key)] = status.id
        self.sandbox.posts.append(
            PostRecord(
                service="mastodon",
                text=text,
                media_ids=status.media_ids,
                alt_texts=tuple(r.description for r in records),
                raw=list(fields),
            )
        )
        # The status exists now: a fault here loses the answer of a request that acted.
        lost = await self._strike(request, "STATUS_ANSWER")
        return lost or _answer(200, self._status_json(status))

    async def _get_status(self, request: web.Request) -> web.Response:
        status = self.statuses.get(request.match_info["id"])
        if status is None:
            raise _Refusal(404, "Record not found")
        return _answer(200, self._status_json(status))


def _order(media_type: str) -> int:
    """The recorded instance lists images, then video, then audio (then ASF)."""
    try:
        return SUPPORTED_MIME_TYPES.index(media_type)
    except ValueError:
        return len(SUPPORTED_MIME_TYPES)


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": _JSON_TYPE}
    )
