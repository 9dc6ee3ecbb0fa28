"""Bluesky (AT Protocol) sessions, blobs and posts, sans-I/O.

Builds ``com.atproto.server.createSession`` (JSON identifier/password → ``accessJwt`` and
``refreshJwt``), ``com.atproto.server.refreshSession`` (``Authorization: Bearer
<refreshJwt>``, no body), ``com.atproto.repo.uploadBlob`` (the media bytes themselves as the
body, with their ``Content-Type``; never multipart), ``com.atproto.repo.createRecord`` (an
``app.bsky.feed.post`` record) and ``com.atproto.repo.getRecord``, and reads the answers.
XRPC errors are ``{"error": <Name>, "message": <text>}``: 413 ``PayloadTooLarge`` (the real
PDS, from the Content-Length) and ``BlobTooLarge`` → :class:`~asyncmedia.errors.RejectedMediaSize`;
401 and ``InvalidToken``/``ExpiredToken`` → :class:`~asyncmedia.errors.AuthenticationError`;
429 → ``RateLimitError``.

The post record is built by pure functions: :func:`link_facets` (links as
``app.bsky.richtext.facet`` with UTF-8 byte offsets), :func:`grapheme_count` (as the PDS
counts: one per extended grapheme cluster), :func:`check_post_text`, :func:`images_embed`,
:func:`video_embed` and :func:`post_record`.

The image limit (1,000,000 bytes for ``app.bsky.embed.images``) is a *client-side* rule: the
PDS itself accepts larger blobs for other uses, so :func:`check_size` takes the limit as a
parameter.  This module does no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yarl import URL

from ..errors import APIError, AuthenticationError, MediaTooLarge, RejectedMediaSize
from ..media import Blob
from .graphemes import grapheme_count
from .http import HTTPRequest, HTTPResponse, error_from_response, malformed_answer
from .twitter_v1 import _as_base

__all__ = [
    "DEFAULT_SERVICE_URL",
    "IMAGE_SIZE_LIMIT",
    "MAX_IMAGES",
    "MAX_LANGS",
    "MAX_TEXT_BYTES",
    "MAX_TEXT_GRAPHEMES",
    "MAX_VIDEO_ALT_GRAPHEMES",
    "POST_COLLECTION",
    "BlueskyProtocol",
    "Session",
    "check_alt_lengths",
    "check_post_media",
    "check_post_text",
    "check_size",
    "created_at",
    "grapheme_count",
    "images_embed",
    "jwt_claims",
    "link_facets",
    "parse_at_uri",
    "post_record",
    "post_web_url",
    "strong_ref",
    "video_embed",
]

DEFAULT_SERVICE_URL = "https://bsky.social"
#: ``app.bsky.embed.images`` accepts images up to this many bytes.
IMAGE_SIZE_LIMIT = 1_000_000
#: A post takes at most this many images (or one video, not both).
MAX_IMAGES = 4
#: ``app.bsky.feed.post`` text limits: graphemes, and UTF-8 bytes.
MAX_TEXT_GRAPHEMES = 300
MAX_TEXT_BYTES = 3000
#: A video's ``alt`` takes at most this many graphemes (``app.bsky.embed.video``).
MAX_VIDEO_ALT_GRAPHEMES = 1000
#: ``langs`` holds at most this many language tags.
MAX_LANGS = 3
POST_COLLECTION = "app.bsky.feed.post"

_AUTH_ERRORS = frozenset({"InvalidToken", "ExpiredToken", "AuthenticationRequired", "AuthMissing"})


def check_size(media_type: str, size: int, image_limit: int | None = IMAGE_SIZE_LIMIT) -> None:
    """Raise :class:`MediaTooLarge` for an image over ``image_limit`` (``None``: no check)."""
    if image_limit is not None and media_type.startswith("image/") and size > image_limit:
        raise MediaTooLarge(
            f"{media_type} of {size} bytes is over Bluesky's image limit of {image_limit} "
            "bytes; shrink it (or pass image_size_limit=None to upload it as a plain blob)",
            size=size,
            limit=image_limit,
        )


# -- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    """What createSession / refreshSession answered: the two tokens and the account."""

    access_jwt: str
    refresh_jwt: str | None = None
    did: str | None = None
    handle: str | None = None


def jwt_claims(token: str | None) -> dict[str, Any] | None:
    """The payload of a JWT, decoded **without** verifying it, or ``None`` when ``token`` is
    not a JWT (``header.payload.signature``, base64url JSON objects).

    The client only reads ``exp``/``iat`` (to refresh in time) and ``sub`` (its DID); the PDS
    is the one that verifies.

    >>> jwt_claims("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3MDAwMDAwMDB9.c2ln")
    {'exp': 1700000000}
    >>> jwt_claims("not-a-jwt") is None
    True
    """
    if not token:
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    decoded: list[Any] = []
    for part in parts[:2]:
        try:
            raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            decoded.append(json.loads(raw))
        except (ValueError, binascii.Error):
            return None
    header, payload = decoded
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return payload


# -- post text -----------------------------------------------------------------------------

# What the official app links (@atproto/api RichText.detectFacets): an http(s) URL starting
# the text or after whitespace or "(", up to the next whitespace.
_LINK = re.compile(r"(?:^|(?<=[\s(]))(https?://\S+)", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?"


def link_facets(text: str) -> list[dict[str, Any]]:
    """``app.bsky.richtext.facet`` link facets for the http(s) URLs in ``text``.

    Offsets are UTF-8 **byte** offsets, end exclusive.  As in the official app, one final
    ``.,;:!?`` is not part of the link, nor a final ``)`` when the link has no ``(``.  Bare
    domains (``example.com``) are not linked.

    >>> [facet["index"] for facet in link_facets("see https://example.com.")]
    [{'byteStart': 4, 'byteEnd': 23}]
    """
    facets: list[dict[str, Any]] = []
    for match in _LINK.finditer(text):
        uri = match.group(1)
        if uri[-1] in _TRAILING_PUNCTUATION:
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        if len(uri) <= len("https://") or uri.endswith("://"):
            continue
        start = len(text[: match.start(1)].encode("utf-8"))
        end = start + len(uri.encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
            }
        )
    return facets


def check_post_text(text: str, *, has_media: bool) -> None:
    """Raise ``ValueError`` for a text the PDS would refuse: over
    :data:`MAX_TEXT_GRAPHEMES` graphemes or :data:`MAX_TEXT_BYTES` bytes, or empty with no
    media."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a str, got {type(text).__name__}")
    if not text and not has_media:
        raise ValueError("a Bluesky post needs text or media; both are empty")
    count = grapheme_count(text)
    if count > MAX_TEXT_GRAPHEMES:
        raise ValueError(
            f"text is {count} graphemes long; a Bluesky post takes at most "
            f"{MAX_TEXT_GRAPHEMES}: shorten it"
        )
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise ValueError(
            f"text is {size} bytes in UTF-8; a Bluesky post takes at most {MAX_TEXT_BYTES}: "
            "shorten it"
        )


def check_alt_lengths(alt_texts: Sequence[str | None], *, video: bool = False) -> None:
    """Raise ``ValueError`` for an alt text that is not a ``str`` (or ``None``), or, for a
    ``video``, one over :data:`MAX_VIDEO_ALT_GRAPHEMES` graphemes (image alt texts have no
    limit in the lexicon)."""
    for n, alt in enumerate(alt_texts):
        if alt is None:
            continue
        if not isinstance(alt, str):
            raise ValueError(f"alt_texts[{n}] must be a str or None, got {type(alt).__name__}")
        count = grapheme_count(alt) if video else 0
        if count > MAX_VIDEO_ALT_GRAPHEMES:
            raise ValueError(
                f"alt_texts[{n}] is {count} graphemes long; Bluesky takes at most "
                f"{MAX_VIDEO_ALT_GRAPHEMES} for a video's alt text: shorten it"
            )


def check_post_media(media_types: Sequence[str]) -> str | None:
    """Check what one post may carry: up to :data:`MAX_IMAGES` images, or one video, not
    mixed.  Returns ``"images"``, ``"video"`` or ``None`` (no media); raises ``ValueError``."""
    if not media_types:
        return None
    videos = [kind for kind in media_types if kind.startswith("video/")]
    images = [kind for kind in media_types if kind.startswith("image/")]
    others = [kind for kind in media_types if kind not in videos and kind not in images]
    if others:
        raise ValueError(
            f"Bluesky posts embed images or a video; {others[0]} is neither: convert it, or "
            "leave it out"
        )
    if videos and images:
        raise ValueError("a Bluesky post takes images or one video, not both; post them apart")
    if len(videos) > 1:
        raise ValueError(
            f"a Bluesky post takes one video, got {len(videos)}; post them apart (e.g. a "
            "reply thread)"
        )
    if len(images) > MAX_IMAGES:
        raise ValueError(
            f"a Bluesky post takes at most {MAX_IMAGES} images, got {len(images)}; split them "
            "over several posts (e.g. a reply thread)"
        )
    return "video" if videos else "images"


def created_at(now: datetime | None = None) -> str:
    """RFC 3339 UTC timestamp with milliseconds and ``Z``, as the official app writes it.

    >>> created_at(datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC))
    '2026-12-01T12:00:00.123Z'
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _aspect(dimensions: tuple[int, int] | None) -> dict[str, int] | None:
    if dimensions is None:
        return None
    return {"width": dimensions[0], "height": dimensions[1]}


def images_embed(
    blobs: Sequence[Blob],
    alts: Sequence[str | None],
    dimensions: Sequence[tuple[int, int] | None],
) -> dict[str, Any]:
    """An ``app.bsky.embed.images`` embed: each image with ``alt`` ("" when none) and
    ``aspectRatio`` where the dimensions are known."""
    images = []
    for blob, alt, size in zip(blobs, alts, dimensions, strict=True):
        image: dict[str, Any] = {"alt": alt or "", "image": blob.as_dict()}
        ratio = _aspect(size)
        if ratio is not None:
            image["aspectRatio"] = ratio
        images.append(image)
    return {"$type": "app.bsky.embed.images", "images": images}


def video_embed(blob: Blob, alt: str | None, dimensions: tuple[int, int] | None) -> dict[str, Any]:
    """An ``app.bsky.embed.video`` embed with ``alt`` and ``aspectRatio`` where known."""
    embed: dict[str, Any] = {"$type": "app.bsky.embed.video", "video": blob.as_dict()}
    embed["alt"] = alt or ""
    ratio = _aspect(dimensions)
    if ratio is not None:
        embed["aspectRatio"] = ratio
    return embed


def post_record(
    text: str,
    *,
    created: str,
    langs: Sequence[str] | None = None,
    embed: Mapping[str, Any] | None = None,
    reply: Mapping[str, Any] | None = None,
    facets: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """An ``app.bsky.feed.post`` record (keys present only when they have a value)."""
    record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": created}
    if facets:
        record["facets"] = [dict(facet) for facet in facets]
    if langs:
        record["langs"] = list(langs)
    if embed is not None:
        record["embed"] = dict(embed)
    if reply is not None:
        record["reply"] = dict(reply)
    return record


def strong_ref(uri: str, cid: str) -> dict[str, str]:
    """A ``com.atproto.repo.strongRef``: a record's ``uri`` and ``cid``."""
    return {"uri": uri, "cid": cid}


_AT_URI = re.compile(r"^at://([^/?#]+)/([^/?#]+)/([^/?#]+)$")


def parse_at_uri(uri: str) -> tuple[str, str, str]:
    """``(repo, collection, rkey)`` of a record's ``at://`` URI; ``ValueError`` otherwise.

    >>> parse_at_uri("at://did:plc:abc/app.bsky.feed.post/3kxyz")
    ('did:plc:abc', 'app.bsky.feed.post', '3kxyz')
    """
    match = _AT_URI.match(uri) if isinstance(uri, str) else None
    if match is None:
        raise ValueError(
            f"expected a record URI such as at://did:plc:…/app.bsky.feed.post/<rkey>, got {uri!r}"
        )
    return match.group(1), match.group(2), match.group(3)


def post_web_url(uri: str) -> str:
    """The bsky.app page of a post record: ``https://bsky.app/profile/<did>/post/<rkey>``."""
    repo, _collection, rkey = parse_at_uri(uri)
    return f"https://bsky.app/profile/{repo}/post/{rkey}"


class BlueskyProtocol:
    """Request builders and response readers for one PDS (``service_url``).

    >>> str(BlueskyProtocol("https://bsky.social").upload_blob("image/png").url)
    'https://bsky.social/xrpc/com.atproto.repo.uploadBlob'
    """

    def __init__(self, service_url: URL | str = DEFAULT_SERVICE_URL) -> None:
        self.service_url = _as_base(service_url)

    def _xrpc(self, method: str) -> URL:
        return self.service_url.join(URL(f"xrpc/{method}"))

    # -- requests ---------------------------------------------------------------------------

    def create_session(self, identifier: str, password: str) -> HTTPRequest:
        """``com.atproto.server.createSession``; sent without any Authorization header."""
        return HTTPRequest(
            "POST",
            self._xrpc("com.atproto.server.createSession"),
            json={"identifier": identifier, "password": password},
            signed=False,
            secret_body=True,  # the password never follows a redirect to another origin
        )

    def refresh_session(self, refresh_jwt: str) -> HTTPRequest:
        """``com.atproto.server.refreshSession``: no body, ``Authorization: Bearer
        <refreshJwt>`` (not the access token, so the request is not signed).

        Retry-safe: the reference PDS keeps a used refresh token valid for a grace period and
        answers a repeat with the same next session.
        """
        return HTTPRequest(
            "POST",
            self._xrpc("com.atproto.server.refreshSession"),
            headers=(("Authorization", f"Bearer {refresh_jwt}"),),
            signed=False,
            retry_safe=True,
        )

    def get_session(self) -> HTTPRequest:
        """``com.atproto.server.getSession``: who the access token belongs to (``did``)."""
        return HTTPRequest("GET", self._xrpc("com.atproto.server.getSession"), retry_safe=True)

    def create_record(self, repo: str, record: Mapping[str, Any]) -> HTTPRequest:
        """``com.atproto.repo.createRecord`` of a post ``record`` in ``repo`` (a DID).

        **Not** retry-safe: a repeat after a lost answer creates a second post.  The
        transport still repeats it when the PDS cannot have acted (no connection, 429).
        """
        return HTTPRequest(
            "POST",
            self._xrpc("com.atproto.repo.createRecord"),
            json={"repo": repo, "collection": POST_COLLECTION, "record": dict(record)},
        )

    def get_record(self, uri: str) -> HTTPRequest:
        """``com.atproto.repo.getRecord`` of the record at ``uri`` (``at://…``)."""
        repo, collection, rkey = parse_at_uri(uri)
        url = self._xrpc("com.atproto.repo.getRecord").with_query(
            {"repo": repo, "collection": collection, "rkey": rkey}
        )
        return HTTPRequest("GET", url, retry_safe=True)

    def upload_blob(self, media_type: str) -> HTTPRequest:
        """``com.atproto.repo.uploadBlob``: the media as the raw body, typed ``media_type``.

        Retry-safe: blobs are content-addressed, so a repeat yields the same CID.
        """
        return HTTPRequest(
            "POST", self._xrpc("com.atproto.repo.uploadBlob"), raw=media_type, retry_safe=True
        )

    # -- responses --------------------------------------------------------------------------

    def error(self, response: HTTPResponse, *, size: int | None = None) -> APIError:
        """The typed error of a non-2xx XRPC answer."""
        body = response.json()
        base = error_from_response(response, body)
        name = body.get("error") if isinstance(body, dict) else None
        kwargs: dict[str, Any] = {"code": base.code, "body": body, "headers": base.headers}
        if name in ("BlobTooLarge", "PayloadTooLarge") or response.status == 413:
            return RejectedMediaSize(response.status, base.message, size=size, **kwargs)
        if name in _AUTH_ERRORS and not isinstance(base, AuthenticationError):
            return AuthenticationError(response.status, base.message, **kwargs)
        return base

    def read_session(self, response: HTTPResponse) -> str:
        """The ``accessJwt`` of a createSession answer."""
        return self.read_session_info(response).access_jwt

    def read_session_info(self, response: HTTPResponse) -> Session:
        """The :class:`Session` of a createSession or refreshSession answer."""
        if not response.ok:
            raise self.error(response)
        body = response.json()
        token = body.get("accessJwt") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(token, str) or not token:
            raise malformed_answer(response, "the session answer has no accessJwt")
        if not all("!" <= ch <= "~" for ch in token):  # CR/LF would split the header
            raise malformed_answer(response, "the session answer has an unusable accessJwt")

        def text(key: str) -> str | None:
            value = body.get(key)
            return value if isinstance(value, str) and value else None

        return Session(token, text("refreshJwt"), text("did"), text("handle"))

    def read_did(self, response: HTTPResponse) -> str:
        """The ``did`` of a getSession answer."""
        if not response.ok:
            raise self.error(response)
        body = response.json()
        did = body.get("did") if isinstance(body, dict) else None
        if not isinstance(did, str) or not did:
            raise malformed_answer(response, "getSession answered without a did")
        return did

    def read_created(self, response: HTTPResponse) -> tuple[str, str]:
        """``(uri, cid)`` of a createRecord answer."""
        if not response.ok:
            raise self.error(response)
        body = response.json()
        uri = body.get("uri") if isinstance(body, dict) else None
        cid = body.get("cid") if isinstance(body, dict) else None
        if not isinstance(uri, str) or not isinstance(cid, str):
            raise malformed_answer(response, "createRecord answered without uri and cid")
        try:
            parse_at_uri(uri)
        except ValueError:
            raise malformed_answer(response, "createRecord answered a malformed uri") from None
        return uri, cid

    def read_record(self, response: HTTPResponse) -> tuple[str, str, dict[str, Any]]:
        """``(uri, cid, value)`` of a getRecord answer."""
        if not response.ok:
            raise self.error(response)
        body = response.json()
        if not isinstance(body, dict):
            raise malformed_answer(response, "getRecord answered no JSON object")
        uri, cid, value = body.get("uri"), body.get("cid"), body.get("value")
        if not isinstance(uri, str) or not isinstance(cid, str) or not isinstance(value, dict):
            raise malformed_answer(
                response, "getRecord answered without uri, cid and value (was the cid missing?)"
            )
        return uri, cid, value

    @staticmethod
    def reply_refs(uri: str, cid: str, value: Mapping[str, Any]) -> dict[str, Any]:
        """The ``reply`` of a post answering the record ``uri``/``cid`` whose ``value`` was
        read: ``parent`` is that record, ``root`` its own ``reply.root`` (or itself)."""
        parent = strong_ref(uri, cid)
        root: Any = None
        reply = value.get("reply")
        if isinstance(reply, dict):
            root = reply.get("root")
        if not (
            isinstance(root, dict)
            and isinstance(root.get("uri"), str)
            and isinstance(root.get("cid"), str)
        ):
            root = parent
        return {"root": strong_ref(root["uri"], root["cid"]), "parent": parent}

    def read_blob(self, response: HTTPResponse, *, size: int | None = None) -> Blob:
        """The :class:`Blob` of an uploadBlob answer ``{"blob": {...}}``."""
        if not response.ok:
            raise self.error(response, size=size)
        body = response.json()
        blob = body.get("blob") if isinstance(body, dict) else None
        ref = blob.get("ref") if isinstance(blob, dict) else None
        link = ref.get("$link") if isinstance(ref, dict) else None
        if not isinstance(blob, dict) or not isinstance(link, str):
            raise malformed_answer(response, "unexpected answer without blob.ref.$link")
        blob_size = blob.get("size")
        return Blob(
            ref=link,
            mime_type=str(blob.get("mimeType") or ""),
            size=blob_size if isinstance(blob_size, int) else (size or 0),
            raw=blob,
        )
