"""TwitrPix API 1.0 request building, validation, answers and error codes, without a network."""

from __future__ import annotations

import json
import math

import pytest
from multidict import CIMultiDict

from asyncmedia import (
    APIError,
    AuthenticationError,
    MediaTooLarge,
    RejectedMediaSize,
    RejectedMediaType,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.twitrpix import (
    ERROR_CODES,
    TwitrPixProtocol,
    check_coordinates,
    error_for_code,
    format_tags,
)

PROTO = TwitrPixProtocol("http://api.twitrpix.com/1/")
CREDENTIALS = {
    "api_key": "AK",
    "consumer_key": "CK",
    "consumer_secret": "CS",
    "access_token": "AT",
    "access_token_secret": "ATS",
}
SUCCESS_JSON = {
    "response": {
        "media": {
            "id": "5kr",
            "url": "http://twitrpix.com/5kr",
            "text": "http://twitrpix.com/5kr [pic] My photo upload",
            "thumb": "http://img.twitrpix.com/thumb/5kr",
            "full": "http://img.twitrpix.com/5kr",
        },
        "user": {
            "id": "5",
            "screen_name": "twitrpixsupport",
            "profile_url": "http://twitrpix.com/user/twitrpixsupport",
        },
    }
}
SUCCESS_XML = (
    b"<response><media><id>5kr</id><url>http://twitrpix.com/5kr</url>"
    b"<text>http://twitrpix.com/5kr [pic] My photo upload</text>"
    b"<thumb>http://img.twitrpix.com/thumb/5kr</thumb><full>http://img.twitrpix.com/5kr</full>"
    b"</media><user><id>5</id><screen_name>twitrpixsupport</screen_name>"
    b"<profile_url>http://twitrpix.com/user/twitrpixsupport</profile_url></user></response>"
)


def response(status: int, body: object) -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, "", CIMultiDict(), raw)


def failure(code: int, msg: str, fmt: str) -> bytes:
    if fmt == "xml":
        return f'<response status="fail"><error code="{code}" msg="{msg}"/></response>'.encode()
    return json.dumps(
        {"response": {"status": "fail", "error": {"code": code, "msg": msg}}}
    ).encode()


def test_upload_fields_use_the_service_names() -> None:
    request = PROTO.upload(
        **CREDENTIALS,
        filename="cat.png",
        media_type="image/png",
        message="hi",
        tags=["cats", "sofa"],
        latitude=51.5,
        longitude=-0.25,
    )
    assert str(request.url) == "http://api.twitrpix.com/1/upload.json"
    assert dict(request.fields) == {
        "api_key": "AK",
        "consumer_token": "CK",
        "consumer_secret": "CS",
        "oauth_token": "AT",
        "oauth_secret": "ATS",
        "message": "hi",
        "tags": "cats,sofa",
        "latitude": "51.5",
        "longitude": "-0.25",
    }
    assert request.file is not None and request.file.name == "media"
    assert request.signed is False


def test_optional_fields_are_left_out_and_post_changes_the_method() -> None:
    request = TwitrPixProtocol("http://api.twitrpix.com/1", "xml").upload(
        **CREDENTIALS, filename="a.gif", media_type="image/gif", post=True
    )
    assert str(request.url) == "http://api.twitrpix.com/1/uploadAndPost.xml"
    assert {name for name, _ in request.fields} == {
        "api_key",
        "consumer_token",
        "consumer_secret",
        "oauth_token",
        "oauth_secret",
    }
    ping = PROTO.ping()
    assert (ping.method, str(ping.url)) == ("GET", "http://api.twitrpix.com/1/ping")


@pytest.mark.parametrize(
    ("latitude", "longitude", "match"),
    [
        (90.5, 0, "latitude"),
        (-91, 0, "latitude"),
        (0, 180.01, "longitude"),
        (0, -181, "longitude"),
        (math.nan, 0, "latitude"),
        (0, math.inf, "longitude"),
        (10, None, "together"),
        (None, 10, "together"),
        (True, 0, "number"),
        ("1", 0, "number"),
    ],
)
def test_coordinates_are_checked(latitude: object, longitude: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_coordinates(latitude, longitude)  # type: ignore[arg-type]


def test_coordinates_at_the_bounds_are_fine() -> None:
    check_coordinates(90, -180)
    check_coordinates(-90.0, 180.0)
    check_coordinates(None, None)


@pytest.mark.parametrize("tags", ["a,,b", ["a,b"], [" "], [], "", " , ", ["ok", ""], [1]], ids=repr)
def test_bad_tags_are_refused(tags: object) -> None:
    with pytest.raises(ValueError, match="tag"):
        format_tags(tags)  # type: ignore[arg-type]


def test_good_tags_are_joined() -> None:
    assert format_tags("cats, sofa ,x") == "cats,sofa,x"
    assert format_tags(("one",)) == "one"
    assert format_tags(tag for tag in ["a", "b"]) == "a,b"
    assert format_tags(None) is None


@pytest.mark.parametrize("body", [SUCCESS_JSON, SUCCESS_XML], ids=["json", "xml"])
def test_success_is_the_same_from_json_and_xml(body: object) -> None:
    media = PROTO.read_media(response(200, body))
    assert media.id == media.media_id == "5kr"
    assert media.page_url == "http://twitrpix.com/5kr"
    assert media.text == "http://twitrpix.com/5kr [pic] My photo upload"
    # Server URLs win, even the sample's odd "full" without /full/.
    assert media.thumb_url == "http://img.twitrpix.com/thumb/5kr"
    assert media.full_url == "http://img.twitrpix.com/5kr"
    assert media.user is not None and media.user.screen_name == "twitrpixsupport"


def test_image_urls_are_built_only_when_missing() -> None:
    body = {"response": {"media": {"url": "http://twitrpix.com/9zz"}}}
    media = PROTO.read_media(response(200, body))
    assert media.id == "9zz"  # the last path segment of the page link
    assert media.thumb_url == "http://img.twitrpix.com/thumb/9zz"
    assert media.full_url == "http://img.twitrpix.com/full/9zz"
    assert media.user is None


CODES = [
    (999, AuthenticationError),
    (1000, APIError),
    (1001, AuthenticationError),
    (1002, APIError),
    (1003, RejectedMediaType),
    (1004, RejectedMediaSize),
    (4242, APIError),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("code", "kind"), CODES)
def test_every_error_code_maps_to_its_type(fmt: str, code: int, kind: type[APIError]) -> None:
    with pytest.raises(APIError) as caught:
        PROTO.read_media(response(400, failure(code, "Server says no", fmt)))
    error = caught.value
    assert type(error) is kind
    assert error.status == 400
    assert error.code == code
    assert "Server says no" in error.message
    assert error.message.startswith("TwitrPix: ")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("code", "kind"), CODES)
def test_the_service_msg_is_kept_verbatim_even_when_it_repeats_the_meaning(
    fmt: str, code: int, kind: type[APIError]
) -> None:
    # what the service itself sends: its meaning with its own capitalisation ("Unknown error")
    msg = ERROR_CODES.get(code, "Something odd").capitalize()
    with pytest.raises(APIError) as caught:
        PROTO.read_media(response(400, failure(code, msg, fmt)))
    assert caught.value.message == f"TwitrPix: {msg}"
    assert type(caught.value) is kind and caught.value.code == code


def test_service_errors_are_also_the_client_side_types() -> None:
    assert isinstance(error_for_code(1004, "x"), MediaTooLarge)
    assert isinstance(error_for_code(1003, "x"), UnsupportedMediaType)
    assert isinstance(error_for_code(1003, "x"), ValueError)
    assert "media exceeds the maximum size" in str(error_for_code(1004, None))


def test_a_400_without_the_service_shape_is_still_an_api_error() -> None:
    with pytest.raises(APIError) as caught:
        PROTO.read_media(response(400, b"<html><body>Bad Request</body></html>"))
    assert caught.value.code is None
    with pytest.raises(APIError, match="unexpected TwitrPix answer"):
        PROTO.read_media(response(200, {"response": {}}))


def test_ping_pong_maintenance_and_nonsense() -> None:
    ok = b'<response status="ok"><message>pong</message></response>'
    assert PROTO.read_ping(response(200, ok)) == "pong"
    down = b'<response status="ok"><message>maintenance</message></response>'
    with pytest.raises(ServiceUnavailable, match="maintenance"):
        PROTO.read_ping(response(200, down))
    with pytest.raises(APIError, match="unexpected TwitrPix ping"):
        PROTO.read_ping(response(200, b'<response status="ok"><message>hm</message></response>'))
