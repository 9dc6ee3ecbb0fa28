"""Mastodon media attachments (API v2 upload), emulated strictly (PROTOCOLS.md §10).

Routes, under ``/mastodon/`` (the emulated instance root):

- ``POST api/v2/media`` — multipart ``file`` (its part **must** carry the real MIME type),
  ``description``, ``focus`` (``"x,y"`` in −1…1), ``thumbnail``; answers 200 with ``url`` set
  when processed at once (images, by default) or 202 with ``url: null`` (video, GIF, or every
  upload when :attr:`MastodonService.sync_images` is False);
- ``GET api/v1/media/{id}`` — 206 while processing (``processing_steps`` times), then 200, or
  422 ``{"error": "Error processing thumbnail for uploaded media"}`` when
  :attr:`MastodonService.outcome` is ``"failed"``; 404 for unknown ids;
- ``PUT api/v1/media/{id}`` — update ``description``, ``focus`` and ``thumbnail``.

Authentication: ``Authorization: Bearer <sandbox.mastodon_token>``, else 401
``{"error": "The access token is invalid"}``.  Errors are ``{"error": "…"}`` with the status
code carrying the meaning (422 for bad type, too large, description too long).  Every answer
has ``X-RateLimit-Limit/Remaining/Reset`` with an **ISO 8601** reset; :attr:`throttle`
injects 429s.  Every received file and thumbnail is hashed (sha256) into a
:class:`MastodonRecord`.

Like every sandbox module this one must not import the client side of :mod:`asyncmedia`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from .forms import MediaPart, read_media_part
from .media_inspection import image_dimensions, sniff_media_type
from .server import BoundService, RequestContext, Throttle, service_context

if TYPE_CHECKING:
    from .server import Sandbox

__all__ = ["DESCRIPTION_LIMIT", "MastodonRecord", "MastodonService"]

DESCRIPTION_LIMIT = 1500
_JSON_TYPE = "application/json; charset=utf-8"
_RATE_LIMIT = 300
_UPLOAD_RATE_LIMIT = 30


@dataclass
class MastodonRecord:
    """One media attachment as the sandbox knows it.

    ``declared_type`` is the ``Content-Type`` of the ``file`` part, ``sniffed_type`` what the
    bytes are; ``state`` is ``"processing"``, ``"done"`` or ``"failed"``; ``polls`` counts
    ``GET api/v1/media/{id}`` calls; ``updates`` counts PUTs.
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
    state: str = "done"
    polls: int = 0
    updates: int = 0
    width: int = 0
    height: int = 0
    created_at: float = field(default_factory=time.monotonic)


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


class MastodonService(BoundService):
    """The ``/mastodon/`` routes and the media attachments they produce.

    Knobs (attributes, read at request time):

    ``sync_images``
        Answer image uploads 200 at once (Mastodon ≥ 4.0 does for small images); video and
        GIF always take the 202 path.
    ``processing_steps``
        How many polls answer 206 before the terminal answer.
    ``outcome``
        ``"done"`` or ``"failed"`` (the terminal poll answers 422).
    ``image_size_limit``, ``video_size_limit``
        Per-type limits in bytes (Mastodon's defaults: 16 MB and 99 MB).
    ``supported_types``
        MIME types accepted in the ``file`` part.
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
        self.sync_images = True
        self.processing_steps = 2
        self.outcome = "done"
        self.image_size_limit = 16_777_216
        self.video_size_limit = 103_809_024
        self.supported_types = frozenset(
            {"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime"}
        )
        self.throttle = Throttle()
        self._last_id = 109348752103465132

    def credentials(self) -> dict[str, str]:
        """The access token the instance accepts (:attr:`Sandbox.mastodon_token`)."""
        return {"access_token": self.sandbox.mastodon_token}

    def records(self) -> dict[str, Any]:
        """``media``: attachments by id."""
        return {"media": self.media}

    def setup(self, app: web.Application, sandbox: Sandbox) -> None:
        """Register the ``/mastodon/`` routes on ``app``."""
        self.bind(sandbox)
        app.router.add_route("POST", self.prefix + "api/v2/media", self._wrap(self._upload))
        app.router.add_route("GET", self.prefix + "api/v1/media/{id}", self._wrap(self._get))
        app.router.add_route("PUT", self.prefix + "api/v1/media/{id}", self._wrap(self._update))

    def _wrap(self, handler: Any) -> Any:
        async def route(request: web.Request) -> web.Response:
            context = service_context(request)
            context.twitter_rate_headers = False
            upload = request.method == "POST"
            context.command = "UPLOAD" if upload else request.method
            bucket = "mastodon:media" if upload else "mastodon:all"
            limit = _UPLOAD_RATE_LIMIT if upload else _RATE_LIMIT
            context.rate_limit = (bucket, limit)
            taken = self.sandbox.rate_limits.take(bucket, limit)
            reset = float(taken["x-rate-limit-reset"])
            remaining = taken["x-rate-limit-remaining"]
            try:
                self._authenticate(request, context)
                if self.throttle.take():
                    reset, remaining = self.sandbox.clock() + self.throttle.reset_in, "0"
                    raise _Refusal(429, "Too many requests")
                response: web.Response = await handler(request)
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

    def _authenticate(self, request: web.Request, context: RequestContext) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.strip().partition(" ")
        context.authenticated = scheme.lower() == "bearer" and secrets.compare_digest(
            token.strip().encode(), self.sandbox.mastodon_token.encode()
        )
        if not context.authenticated:
            raise _Refusal(401, "The access token is invalid")

    def _lookup(self, media_id: str) -> MastodonRecord:
        record = self.media.get(media_id)
        if record is None:
            raise _Refusal(404, "Record not found")
        return record

    def _json(self, record: MastodonRecord) -> dict[str, Any]:
        base = self.sandbox.mastodon_url + f"system/media_attachments/files/{record.id}/"
        ready = record.state == "done"
        ext = (record.filename or "file").rpartition(".")[2] or "bin"
        meta: dict[str, Any] = {}
        if record.width and record.height:
            meta["original"] = {
                "width": record.width,
                "height": record.height,
                "size": f"{record.width}x{record.height}",
                "aspect": record.width / record.height,
            }
        if record.focus is not None:
            meta["focus"] = {"x": record.focus[0], "y": record.focus[1]}
        return {
            "id": record.id,
            "type": _kind(record.sniffed_type),
            "url": base + f"original/file.{ext}" if ready else None,
            "preview_url": base + "small/file.png",
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": meta,
            "description": record.description,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }

    async def _read(
        self, request: web.Request
    ) -> tuple[dict[str, str], dict[str, tuple[MediaPart, str, str | None]]]:
        """Text fields, and file parts as (part, declared content type, filename)."""
        fields: dict[str, str] = {}
        files: dict[str, tuple[MediaPart, str, str | None]] = {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or not part.name:
                    raise _Refusal(422, "Validation failed: malformed multipart body")
                if part.filename is not None:
                    declared = part.headers.get("Content-Type", "")
                    files[part.name] = (await read_media_part(part), declared, part.filename)
                else:
                    fields[part.name] = (await part.read()).decode("utf-8")
        elif request.content_type == "application/json":
            payload = json.loads(await request.text() or "{}")
            if not isinstance(payload, dict):
                raise _Refusal(422, "Validation failed: body must be a JSON object")
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in payload.items()}
        elif request.content_type == "application/x-www-form-urlencoded":
            fields = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        return fields, files

    def _check_file(self, media: MediaPart, declared: str) -> str:
        """The accepted MIME type, or the 422 Mastodon answers."""
        sniffed = sniff_media_type(media.head)
        # Paperclip checks the declared type and the content: both must agree.
        if sniffed is None or declared != sniffed:
            raise _Refusal(422, "Validation failed: File content type is invalid, File is invalid")
        if sniffed not in self.supported_types:
            raise _Refusal(422, "Validation failed: File content type is invalid, File is invalid")
        limit = self.video_size_limit if sniffed.startswith("video/") else self.image_size_limit
        if media.size > limit:
            raise _Refusal(
                422, f"Validation failed: File file size must be less than {limit} bytes"
            )
        return sniffed

    def _apply_fields(self, record: MastodonRecord, fields: dict[str, str]) -> None:
        if "description" in fields:
            if len(fields["description"]) > DESCRIPTION_LIMIT:
                raise _Refusal(
                    422,
                    "Validation failed: Description is too long "
                    f"(maximum is {DESCRIPTION_LIMIT} characters)",
                )
            record.description = fields["description"] or None
        if fields.get("focus"):
            record.focus = _parse_focus(fields["focus"])

    def _apply_thumbnail(
        self, record: MastodonRecord, files: dict[str, tuple[MediaPart, str, str | None]]
    ) -> None:
        if "thumbnail" not in files:
            return
        part, declared, _ = files["thumbnail"]
        sniffed = sniff_media_type(part.head)
        if declared != sniffed or not sniffed.startswith("image/"):
            raise _Refusal(
                422, "Validation failed: Thumbnail content type is invalid, Thumbnail is invalid"
            )
        record.thumbnail_sha256, record.thumbnail_type = part.sha256, sniffed

    # --- handlers ---

    async def _upload(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            raise _Refusal(422, "Validation failed: File can't be blank")
        fields, files = await self._read(request)
        if "file" not in files:
            raise _Refusal(422, "Validation failed: File can't be blank")
        media, declared, filename = files["file"]
        sniffed = self._check_file(media, declared)
        self._last_id += 1 + secrets.randbelow(1 << 16)
        record = MastodonRecord(
            id=str(self._last_id),
            sha256=media.sha256,
            size=media.size,
            declared_type=declared,
            sniffed_type=sniffed,
            filename=filename,
        )
        record.width, record.height = image_dimensions(sniffed, media.head)
        self._apply_fields(record, fields)
        self._apply_thumbnail(record, files)
        synchronous = self.sync_images and _kind(sniffed) == "image"
        record.state = "done" if synchronous else "processing"
        self.media[record.id] = record
        return _answer(200 if synchronous else 202, self._json(record))

    async def _get(self, request: web.Request) -> web.Response:
        record = self._lookup(request.match_info["id"])
        if record.state == "processing":
            record.polls += 1
            if record.polls > max(0, int(self.processing_steps)):
                record.state = "failed" if self.outcome == "failed" else "done"
        else:
            record.polls += 1
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


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), headers={"Content-Type": _JSON_TYPE}
    )
