"""Reading XML answers safely, and turning them into the plain dicts the JSON answers give.

Why :mod:`defusedxml` and not :mod:`xml.etree.ElementTree` alone: the Python documentation
("XML vulnerabilities", in the ``xml`` package docs) states that the standard library parsers
are not secure against maliciously constructed data — entity expansion ("billion laughs",
quadratic blowup) is not limited by every expat version Python may be linked with, and the
answers parsed here come from third-party or long-defunct services (or whatever now answers on
their host names).  ``defusedxml.ElementTree.fromstring`` refuses DTDs, entity declarations and
external references outright (``forbid_dtd=True``), none of which these services ever sent, and
otherwise returns ordinary :class:`xml.etree.ElementTree.Element` objects.

The conversion rule (:func:`element_to_data`) is deliberately simple so that XML and JSON
answers of the same service end up in the same shape: attributes and child elements become
keys, a repeated child becomes a list, a leaf becomes its text (``None`` when empty).  Values
stay strings; the protocol modules convert the fields they expose.

This module does no I/O and knows no service.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

__all__ = [
    "XMLBodyError",
    "element_to_data",
    "looks_like_xml",
    "parse_answer",
    "parse_xml_document",
    "xml_bool",
    "xml_int",
]


class XMLBodyError(ValueError):
    """The body is not well-formed XML, or it uses DTDs/entities (refused for safety)."""


def looks_like_xml(body: bytes) -> bool:
    """Whether ``body`` starts (after whitespace and a BOM) with ``<`` but is not HTML."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    return head.startswith(b"<") and not head.startswith((b"<!doctype html", b"<html"))


def element_to_data(element: Element) -> Any:
    """Convert one element: a dict of attributes and children, or the leaf's text.

    >>> from defusedxml.ElementTree import fromstring
    >>> element_to_data(fromstring('<r s="ok"><a>1</a><b/><a>2</a></r>'))
    {'s': 'ok', 'a': ['1', '2'], 'b': None}
    """
    children = list(element)
    if not children and not element.attrib:
        text = (element.text or "").strip()
        return text or None
    data: dict[str, Any] = dict(element.attrib)
    for child in children:
        value = element_to_data(child)
        if child.tag in data and child.tag not in element.attrib:
            existing = data[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                data[child.tag] = [existing, value]
        else:
            data[child.tag] = value
    if not children:
        text = (element.text or "").strip()
        if text:
            data["text"] = text
    return data


def parse_xml_document(body: bytes) -> dict[str, Any]:
    """Parse ``body`` and return ``{root_tag: element_to_data(root)}``.

    :raises XMLBodyError: malformed XML, or a DTD / entity declaration / external reference.
    """
    try:
        root = SafeElementTree.fromstring(body, forbid_dtd=True)
        return {root.tag: element_to_data(root)}
    except DefusedXmlException as exc:
        raise XMLBodyError(f"refused unsafe XML ({type(exc).__name__})") from exc
    except SafeElementTree.ParseError as exc:
        raise XMLBodyError(f"malformed XML: {exc}") from exc
    except (LookupError, ValueError) as exc:
        # expat refuses an unknown encoding= (LookupError) or a multi-byte one such as
        # utf-32 (ValueError), before any element is read.
        raise XMLBodyError(f"XML in an unusable encoding: {exc}") from exc
    except RecursionError as exc:
        raise XMLBodyError("XML nested too deeply to read") from exc


def parse_answer(body: bytes) -> Any:
    """The body as data whatever its format: parsed JSON, :func:`parse_xml_document`'s dict, or
    ``None`` when it is empty, plain text, HTML, or malformed/unsafe (never raises).

    Used for error answers (whose format may not match the one asked for) and as the first step
    of reading a success answer, whose shape the protocol module then checks.
    """
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            return None
    if looks_like_xml(stripped):
        try:
            return parse_xml_document(stripped)
        except XMLBodyError:
            return None
    return None


def xml_int(value: Any) -> int | None:
    """An integer from a JSON number or an XML text (``None`` when absent or not a number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def xml_bool(value: Any) -> bool | None:
    """A boolean from JSON ``true``/``false`` or XML ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
