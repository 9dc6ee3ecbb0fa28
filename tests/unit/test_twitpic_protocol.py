"""TwitPic API v2 (OAuth Echo) request building and answer reading, without a network."""

from __future__ import annotations

import json

import pytest
from multidict import CIMultiDict

from asyncmedia import APIError, AuthenticationError, OAuth1, TwitPicClient
from asyncmedia.protocols.http import HTTPResponse
from asyncmedia.protocols.twitpic import DEFAULT_SERVICE_PROVIDER, TwitPicProtocol

# PROTOCOLS.md §5.4 test vectors.
VECTOR = {
    "consumer_key": "xvz1evFS4wEEPTGEFPHBog",
    "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "access_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    "access_token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}
NONCE = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
TIMESTAMP = 1318622958

PHOTO_JSON = {
    "id": "1lad07",
    "text": "test",
    "url": "http://twitpic.com/1lacuz",
    "width": 220,
    "height": 84,
    "size": 8722,
    "type": "png",
    "timestamp": "Wed, 05 May 2010 16:11:48 +0000",
    "user": {"id": 12345, "screen_name": "twitpicuser"},
}
PHOTO_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<image><id>1lad07</id><text>test</text><url>http://twitpic.com/1lacuz</url><width>220</width>
<height>84</height><size>8722</size><type>png</type>
<timestamp>Wed, 05 May 2010 16:11:48 +0000</timestamp>
<user><id>12345</id><screen_name>twitpicuser</screen_name></user></image>"""


def response(status: int, body: object, reason: str = "") -> HTTPResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return HTTPResponse(status, reason, CIMultiDict(), raw)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_upload_request_carries_echo_headers_and_no_authorization(fmt: str) -> None:
    proto = TwitPicProtocol("https://api.twitpic.com/2", fmt)
    request = proto.upload(
        api_key="KEY",
        message="My cat",
        filename="cat.png",
        media_type="image/png",
        echo_authorization='OAuth oauth_consumer_key="ck"',
    )
    assert str(request.url) == f"https://api.twitpic.com/2/upload.{fmt}"
    assert request.method == "POST"
    assert request.fields == (("key", "KEY"), ("message", "My cat"))
    assert request.file is not None and request.file.name == "media"
    assert request.file.filename == "cat.png"
    headers = dict(request.headers)
    assert headers["X-Auth-Service-Provider"] == DEFAULT_SERVICE_PROVIDER
    assert headers["X-Verify-Credentials-Authorization"] == 'OAuth oauth_consumer_key="ck"'
    assert "Authorization" not in headers
    assert request.signed is False


def test_echo_header_matches_the_documented_vector() -> None:
    signer = OAuth1(
        **VECTOR,
        nonce_factory=lambda: NONCE,
        clock=lambda: TIMESTAMP,
        realm="http://api.twitter.com/",
    )
    client = TwitPicClient("KEY", **VECTOR, echo_signer=signer)
    header = client.echo_authorization()
    # Signed for GET of exactly the provider URL (PROTOCOLS.md §5.4, last vector).
    assert 'oauth_signature="Wl%2BfwPzf6UXKwhAtPH%2BBFle7RHM%3D"' in header
    assert header.startswith('OAuth realm="http://api.twitter.com/"')
    for secret in (VECTOR["consumer_secret"], VECTOR["access_token_secret"]):
        assert secret not in header
    assert "KEY" not in repr(client)


@pytest.mark.parametrize("body", [PHOTO_JSON, PHOTO_XML], ids=["json", "xml"])
def test_photo_is_the_same_from_json_and_xml(body: object) -> None:
    photo = TwitPicProtocol("https://api.twitpic.com/2/").read_photo(response(200, body))
    assert photo.id == "1lad07"
    assert photo.text == "test"
    assert photo.url == "http://twitpic.com/1lacuz"
    assert (photo.width, photo.height, photo.size) == (220, 84, 8722)
    assert photo.type == "png"
    assert photo.timestamp == "Wed, 05 May 2010 16:11:48 +0000"
    assert photo.user.id == 12345
    assert photo.user.screen_name == "twitpicuser"
    assert photo.raw["id"] == "1lad07"


@pytest.mark.parametrize(
    ("status", "body", "kind", "message"),
    [
        (
            401,
            {"errors": [{"code": 401, "message": "Could not authenticate you."}]},
            AuthenticationError,
            "Could not authenticate you.",
        ),
        (
            401,
            b"<errors><error><code>401</code><message>Bad echo</message></error></errors>",
            AuthenticationError,
            "Bad echo",
        ),
        (
            400,
            b"<errors><error><code>400</code><message>Missing API key</message></error></errors>",
            APIError,
            "Missing API key",
        ),
        (
            400,
            b"There was an error communicating with the delegator",
            APIError,
            "There was an error communicating with the delegator",
        ),
    ],
)
def test_errors_are_typed_with_the_service_message(
    status: int, body: object, kind: type[APIError], message: str
) -> None:
    with pytest.raises(kind) as caught:
        TwitPicProtocol("https://api.twitpic.com/2/").read_photo(response(status, body, "Bad"))
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert message in caught.value.message


def test_success_without_an_id_is_an_api_error() -> None:
    with pytest.raises(APIError, match="unexpected TwitPic answer"):
        TwitPicProtocol("https://api.twitpic.com/2/").read_photo(response(200, {"ok": 1}))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="response_format"):
        TwitPicProtocol("https://api.twitpic.com/2/", "yaml")
    with pytest.raises(ValueError, match="service_provider"):
        TwitPicProtocol("https://api.twitpic.com/2/", service_provider="https://x/v?a=1")
    with pytest.raises(ValueError, match="absolute"):
        TwitPicProtocol("api.twitpic.com/2/")
    with pytest.raises(ValueError, match="API key"):
        TwitPicClient("", **VECTOR)
