"""Request bodies in, XML answers out: what the sandbox services share.

:func:`read_form` reads a multipart or urlencoded body into text fields and hashed file parts
(files are streamed through SHA-256 and only their head is kept, so an upload never sits whole
in memory); :func:`read_media_part` reads one multipart media part into a :class:`MediaPart`
for the services that walk a multipart body themselves (X v1.1 and v2, Mastodon), keeping its
bytes only up to a limit; :func:`xml_answer` renders a nested mapping as an XML document, the
way the classic services answered when asked for ``.xml``.

Generating XML with the standard library is safe (only *parsing* untrusted XML is not).  Like
the rest of the sandbox, this module must not import the client side of :mod:`asyncmedia`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

__all__ = [
    "HEAD_BYTES",
    "MALFORMED_BODY_ERRORS",
    "MEDIA_PART_KEEP_BYTES",
    "MediaPart",
    "PushbackStream",
    "ReceivedFile",
    "ReceivedForm",
    "is_digits",
    "open_multipart",
    "read_form",
    "read_json",
    "read_media_part",
    "read_text",
    "xml_answer",
]

HEAD_BYTES = 65536
FORM_TYPE = "application/x-www-form-urlencoded"
#: How many bytes of a media part :func:`read_media_part` keeps by default (5 MiB, the
#: largest chunk X accepts); a larger part is still counted and hashed, its bytes dropped.
MEDIA_PART_KEEP_BYTES = 5_242_880

#: What reading a malformed request body raises: bad framing and undecodable text
#: (``ValueError``), an unknown charset (``LookupError``), absurd nesting (``RecursionError``),
#: aiohttp's own refusals (a part header over 8 KB...).  The readers here turn each into a
#: ``ValueError``, which every service answers with its own 400.
MALFORMED_BODY_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    UnicodeError,
    LookupError,
    RecursionError,
    AssertionError,
    HttpProcessingError,
)


def is_digits(value: object) -> bool:
    """Whether ``value`` is a non-empty string of ASCII digits (``"²"`` and ``"١٢"`` are not,
    although ``str.isdigit`` says they are and ``int()`` may refuse them)."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


async def read_text(request: web.Request) -> str:
    """The body as text (its declared charset, else UTF-8); ``ValueError`` if it is not."""
    try:
        return await request.text()
    except MALFORMED_BODY_ERRORS as exc:
        raise ValueError(f"malformed request body: {exc}") from None


async def read_json(request: web.Request, *, empty: Any = None) -> Any:
    """The body parsed as JSON (``empty`` for an empty body when given); ``ValueError`` for a
    body that is not JSON, in an unusable charset, or nested too deeply to parse."""
    text = await read_text(request)
    if not text and empty is not None:
        return empty
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"request body is not JSON: {exc}") from None


@dataclass
class ReceivedFile:
    """A file part as received: its name, part headers, size, SHA-256 and first bytes."""

    name: str
    filename: str | None
    content_type: str | None
    size: int
    sha256: str
    head: bytes = field(repr=False)


@dataclass
class ReceivedForm:
    """Text fields (last value wins in ``fields``; all in ``items``) and file parts by name.

    ``raw_form`` is the body itself when it was ``application/x-www-form-urlencoded`` (the only
    kind of body that enters an OAuth signature).
    """

    fields: dict[str, str] = field(default_factory=dict)
    items: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, ReceivedFile] = field(default_factory=dict)
    multipart: bool = False
    raw_form: str | None = None


@dataclass
class MediaPart:
    """A media part as received: its bytes (``None`` when over the keep limit), size,
    SHA-256, first :data:`HEAD_BYTES` bytes, filename and part ``Content-Type``."""

    data: bytes | None  # None when larger than the keep limit (not retained)
    size: int
    sha256: str
    head: bytes
    filename: str | None = None
    content_type: str | None = None


async def read_media_part(
    part: BodyPartReader, *, keep_up_to: int = MEDIA_PART_KEEP_BYTES
) -> MediaPart:
    """Stream ``part`` through SHA-256, keeping its head and, up to ``keep_up_to`` bytes,
    its data."""
    hasher = hashlib.sha256()
    kept: list[bytes] | None = []  # joined once at the end: one copy of the data, not two
    head = b""
    size = 0
    while chunk := await part.read_chunk(65536):
        hasher.update(chunk)
        size += len(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        if kept is not None:
            if size <= keep_up_to:
                kept.append(chunk)
            else:
                kept = None  # over any limit: count and hash, but stop retaining
    return MediaPart(
        data=b"".join(kept) if kept is not None else None,
        size=size,
        sha256=hasher.hexdigest(),
        head=head,
        filename=part.filename,
        content_type=part.headers.get("Content-Type"),
    )


async def _read_file(name: str, part: BodyPartReader) -> ReceivedFile:
    # Hashed and measured as a media part, keeping none of its bytes beyond the head.
    media = await read_media_part(part, keep_up_to=0)
    return ReceivedFile(
        name=name,
        filename=media.filename,
        content_type=media.content_type,
        size=media.size,
        sha256=media.sha256,
        head=media.head,
    )


async def read_form(request: web.Request, *, file_fields: frozenset[str]) -> ReceivedForm:
    """Read the body of ``request``; parts named in ``file_fields`` are files.

    :raises ValueError: a malformed body (bad multipart framing, text that is not UTF-8).
    """
    form = ReceivedForm()
    try:
        if request.content_type.startswith("multipart/"):
            form.multipart = True
            reader = await open_multipart(request)
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise ValueError("nested multipart bodies are not supported")
                name = part.name or ""
                if name in file_fields:
                    form.files[name] = await _read_file(name, part)
                else:
                    value = (await part.read()).decode("utf-8")
                    form.fields[name] = value
                    form.items.append((name, value))
        elif request.content_type == FORM_TYPE:
            form.raw_form = await request.text()
            for name, value in parse_qsl(form.raw_form, keep_blank_values=True):
                form.fields[name] = value
                form.items.append((name, value))
    except MALFORMED_BODY_ERRORS as exc:
        raise ValueError(f"malformed request body: {exc}") from None
    return form


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            if isinstance(child, list):
                for item in child:
                    _fill(ElementTree.SubElement(element, key), item)
            else:
                _fill(ElementTree.SubElement(element, key), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def xml_answer(
    root: str, content: Any = None, *, attributes: Mapping[str, str] | None = None
) -> bytes:
    """``<root attributes…>content</root>`` as UTF-8 bytes with an XML declaration.

    Mappings become child elements (lists repeat the element), ``None`` an empty element,
    booleans ``true``/``false``, anything else its ``str``.

    >>> xml_answer("r", {"a": 1, "b": None}, attributes={"s": "ok"}).split(b"\n", 1)[1]
    b'<r s="ok"><a>1</a><b /></r>'
    """
    element = ElementTree.Element(root, dict(attributes or {}))
    _fill(element, content)
    document: bytes = ElementTree.tostring(element, encoding="utf-8", xml_declaration=True)
    return document


class PushbackStream:
    """A request body that can take bytes back, without aiohttp's deprecated ``unread_data``.

    aiohttp's multipart part reader hands back what it read past a boundary with
    ``StreamReader.unread_data()``, which aiohttp itself deprecated: whenever one read of the
    body ends just short of a boundary (how the bytes arrived decides it), a
    ``DeprecationWarning`` is raised there — an exception, and a 500, for anyone who runs the
    sandbox under ``-W error``, pytest's ``filterwarnings = error`` included.  This wrapper
    keeps the bytes given back itself and serves them first.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._back = bytearray()

    def unread_data(self, data: bytes) -> None:
        """Put ``data`` back in front of what is still to be read."""
        self._back[:0] = data

    def at_eof(self) -> bool:
        """Whether nothing is left: no bytes given back, and the body is at its end."""
        return not self._back and bool(self._stream.at_eof())

    async def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all given-back bytes first)."""
        if not self._back:
            return bytes(await self._stream.read(n))
        size = len(self._back) if n < 0 else min(n, len(self._back))
        out = bytes(self._back[:size])
        del self._back[:size]
        return out

    async def readline(self, **options: Any) -> bytes:
        """One line, ``\\n`` included, starting with the given-back bytes."""
        if not self._back:
            return bytes(await self._stream.readline(**options))
        end = self._back.find(b"\n")
        if end >= 0:
            line = bytes(self._back[: end + 1])
            del self._back[: end + 1]
            return line
        head = bytes(self._back)
        self._back.clear()
        return head + bytes(await self._stream.readline(**options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


async def open_multipart(request: web.Request) -> MultipartReader:
    """``await request.multipart()``, reading through a :class:`PushbackStream`.

    Every sandbox service walks multipart bodies through this, never ``request.multipart()``.
    """
    reader = await request.multipart()
    reader._content = PushbackStream(reader._content)  # type: ignore[assignment]
    return reader
