"""StatusNet ``statuses/update`` request building and answer reading, without a network."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict

from asyncmedia import APIError, AuthenticationError, StatusNetClient
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.statusnet import StatusNetProtocol, check_status

PROTO = StatusNetProtocol("https://identi.ca/api")

STATUS_JSON = {
    "text": "Test update from Python 3",
    "truncated": False,
    "created_at": "Wed Jun 10 03:53:46 +0000 2009",
    "in_reply_to_status_id": None,
    "source": "api",
    "id": 5131472,
    "in_reply_to_user_id": None,
    "favorited": False,
    "user": {"id": 42, "name": "Al Ice", "screen_name": "alice"},
}
STATUS_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<status><text>Test update from Python 3</text><truncated>false</truncated>
<created_at>Wed Jun 10 03:53:46 +0000 2009</created_at><in_reply_to_status_id/>
<source>api</source><id>5131472</id><in_reply_to_user_id/><in_reply_to_screen_name/>
<favorited>false</favorited><user><id>42</id><name>Al Ice</name><screen_name>alice</screen_name>
</user></status>"""


def response(status: int, body: object) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "Reason", CIMultiDict(), raw)


def test_update_is_urlencoded_and_not_retried() -> None:
    request = PROTO.update("héllo & = +", in_reply_to_status_id=12, source="asyncmedia")
    assert str(request.url) == "https://identi.ca/api/statuses/update.json"
    assert request.form == (
        ("status", "héllo & = +"),
        ("in_reply_to_status_id", "12"),
        ("source", "asyncmedia"),
    )
    assert not request.is_multipart
    assert request.retry_safe is False


def test_update_with_media_is_multipart_with_a_media_part() -> None:
    request = StatusNetProtocol("https://example.org/api/", "xml").update_with_media(
        "pic", filename="a.png", media_type="image/png"
    )
    assert str(request.url) == "https://example.org/api/statuses/update.xml"
    assert request.is_multipart
    assert request.fields == (("status", "pic"),)
    assert request.file is not None and request.file.name == "media"
    assert request.file.content_type == "image/png"


@pytest.mark.parametrize("body", [STATUS_JSON, STATUS_XML], ids=["json", "xml"])
def test_status_is_the_same_from_json_and_xml(body: object) -> None:
    status = PROTO.read_status(response(200, body))
    assert status.id == "5131472"
    assert status.text == "Test update from Python 3"
    assert status.created_at == datetime(2009, 6, 10, 3, 53, 46, tzinfo=UTC)
    assert status.source == "api"
    assert status.truncated is False
    assert status.in_reply_to_status_id is None
    assert status.user is not None
    assert (status.user.id, status.user.screen_name, status.user.name) == ("42", "alice", "Al Ice")


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            401,
            {"error": "Could not authenticate you.", "request": "/api/statuses/update.json"},
            AuthenticationError,
            "Could not authenticate you.",
        ),
        (
            401,
            b"<hash><error>Could not authenticate you.</error>"
            b"<request>/api/statuses/update.xml</request></hash>",
            AuthenticationError,
            "Could not authenticate you.",
        ),
        (
            406,
            b"<hash><error>That's too long. Max notice size is 140 chars.</error></hash>",
            APIError,
            "too long",
        ),
        (
            400,
            {"error": "Client must provide a 'status' parameter with a value."},
            APIError,
            "status",
        ),
    ],
)
def test_errors_carry_the_server_message(
    status: int, body: object, kind: type[APIError], message: str
) -> None:
    with pytest.raises(kind) as caught:
        PROTO.read_status(response(status, body))
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert message in caught.value.message


def test_a_success_that_is_not_a_status_is_an_error() -> None:
    with pytest.raises(APIError, match="unexpected StatusNet answer"):
        PROTO.read_status(response(200, {"hello": "world"}))


def test_status_length_is_checked_in_characters() -> None:
    check_status("é" * 140, 140)
    with pytest.raises(ValueError, match="141 characters"):
        check_status("é" * 141, 140)
    with pytest.raises(ValueError, match="empty"):
        check_status("  ", 140)
    check_status("", 140, allow_empty=True)
    with pytest.raises(TypeError):
        check_status(b"bytes", 140)  # type: ignore[arg-type]


def test_client_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="status_limit"):
        StatusNetClient("u", "p", status_limit=0)
    with pytest.raises(ValueError, match="response_format"):
        StatusNetClient("u", "p", response_format="atom")
    assert "p4ss" not in repr(StatusNetClient("u", "p4ss"))
