"""Safe XML reading and the XML→dict shape shared by the classic services."""

from __future__ import annotations

import pytest

from asyncmedia.protocols.xml_bodies import (
    XMLBodyError,
    element_to_data,
    looks_like_xml,
    parse_answer,
    parse_xml_document,
    xml_bool,
    xml_int,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<status><text>&lol3;</text></status>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<status><text>&x;</text></status>"""


def test_attributes_children_and_repeats_become_a_dict() -> None:
    data = parse_xml_document(b'<r s="ok"><a>1</a><b/><a>2</a><c><d>x</d></c></r>')
    assert data == {"r": {"s": "ok", "a": ["1", "2"], "b": None, "c": {"d": "x"}}}


def test_attributes_only_element_keeps_them() -> None:
    data = parse_xml_document(b'<response status="fail"><error code="1001" msg="No"/></response>')
    assert data == {"response": {"status": "fail", "error": {"code": "1001", "msg": "No"}}}


def test_non_ascii_text_is_decoded() -> None:
    body = '<?xml version="1.0" encoding="UTF-8"?><status><text>héllo 🎉</text></status>'
    assert parse_xml_document(body.encode()) == {"status": {"text": "héllo 🎉"}}


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["bomb", "external"])
def test_entities_and_dtds_are_refused(body: bytes) -> None:
    with pytest.raises(XMLBodyError, match="unsafe"):
        parse_xml_document(body)
    assert parse_answer(body) is None


def test_malformed_xml_is_an_error_and_no_answer() -> None:
    with pytest.raises(XMLBodyError, match="malformed"):
        parse_xml_document(b"<status><text>")
    assert parse_answer(b"<status><text>") is None


def test_parse_answer_dispatches_on_the_body() -> None:
    assert parse_answer(b' {"a": 1}') == {"a": 1}
    assert parse_answer(b"<a>1</a>") == {"a": "1"}
    assert parse_answer(b"") is None
    assert parse_answer(b"There was an error communicating with the delegator") is None
    assert parse_answer(b"<!DOCTYPE html><html><body>502</body></html>") is None
    assert parse_answer(b"{not json") is None


def test_looks_like_xml_skips_bom_and_rejects_html() -> None:
    assert looks_like_xml(b"\xef\xbb\xbf  <a/>")
    assert not looks_like_xml(b"<html><body/></html>")
    assert not looks_like_xml(b"plain")


def test_leaf_conversion_and_scalars() -> None:
    from defusedxml.ElementTree import fromstring

    assert element_to_data(fromstring(b"<a> x </a>")) == "x"
    assert element_to_data(fromstring(b'<a k="v">t</a>')) == {"k": "v", "text": "t"}
    assert xml_int("42") == 42
    assert xml_int(7) == 7
    assert xml_int(True) is None
    assert xml_int("x") is None
    assert xml_int(None) is None
    assert xml_bool("true") is True
    assert xml_bool("False") is False
    assert xml_bool(False) is False
    assert xml_bool("yes") is None
