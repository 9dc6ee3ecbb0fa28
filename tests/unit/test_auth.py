"""OAuth 1.0a signing against the test vectors of PROTOCOLS.md §5.4 (no network)."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlencode

import pytest
from yarl import URL

from asyncmedia.auth import BasicAuth, BearerToken, OAuth1

CK = "xvz1evFS4wEEPTGEFPHBog"
CS = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw"
AT = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"
ATS = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
NONCE = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
UPLOAD = URL("https://upload.twitter.com/1.1/media/upload.json")


@pytest.fixture
def signer() -> OAuth1:
    return OAuth1(CK, CS, AT, ATS, nonce_factory=lambda: NONCE, clock=lambda: 1318622958)


def signature(header: str) -> str:
    match = re.search(r'oauth_signature="([^"]+)"', header)
    assert match, header
    return unquote(match.group(1))


def test_twitter_documented_vector(signer: OAuth1) -> None:
    url = URL("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
    form = urlencode({"status": "Hello Ladies + Gentlemen, a signed OAuth request!"})
    header = signer.sign("POST", url, form=form)["Authorization"]
    assert signature(header) == "hCtSmYh+iHYCEqBWrE7C7hYmtUk="


def test_multipart_upload_signs_no_body(signer: OAuth1) -> None:
    header = signer.sign("POST", UPLOAD)["Authorization"]
    assert signature(header) == "NMzR2ONZg7LB8GenCn/47b0dz4A="


def test_init_signs_the_urlencoded_body(signer: OAuth1) -> None:
    form = "command=INIT&total_bytes=1577963&media_type=video%2Fmp4"
    header = signer.sign("POST", UPLOAD, form=form)["Authorization"]
    assert signature(header) == "7c+3iUfSVTMUIFhEPZqpIm/25Jw="


def test_status_signs_the_query(signer: OAuth1) -> None:
    url = UPLOAD.with_query({"command": "STATUS", "media_id": "1349803915521482754"})
    assert signature(signer.sign("GET", url)["Authorization"]) == "BMicHmrtfzbI/mo0x0lLhhurwls="


def test_echo_vector(signer: OAuth1) -> None:
    url = URL("https://api.twitter.com/1.1/account/verify_credentials.json")
    assert signature(signer.authorization("GET", url)) == "Wl+fwPzf6UXKwhAtPH+BFle7RHM="


def test_fresh_nonce_per_request() -> None:
    signer = OAuth1(CK, CS, AT, ATS)
    first = signer.sign("POST", UPLOAD)["Authorization"]
    second = signer.sign("POST", UPLOAD)["Authorization"]
    nonce = re.compile(r'oauth_nonce="([^"]+)"')
    assert nonce.search(first).group(1) != nonce.search(second).group(1)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "secret_holder",
    [OAuth1(CK, CS, AT, ATS), BearerToken("sekrit-token-value"), BasicAuth("me", "sekrit-pw")],
)
def test_reprs_mask_secrets(secret_holder: object) -> None:
    text = repr(secret_holder)
    for secret in (CS, ATS, AT, "sekrit-token-value", "sekrit-pw"):
        assert secret not in text


def test_empty_consumer_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="consumer key"):
        OAuth1("", CS, AT, ATS)
