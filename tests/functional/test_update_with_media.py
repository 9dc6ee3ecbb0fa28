"""``MediaClient.update_with_media`` against the sandbox's legacy v1.1 route."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlencode

import pytest
from yarl import URL

from asyncmedia import (
    APIError,
    AuthenticationError,
    MediaClient,
    MediaTooLarge,
    OAuth1,
    UnsupportedMediaType,
)
from asyncmedia.sandbox import Sandbox

TRICKY_STATUS = "Ünïcödé & more = 1+1 100% ✓ 🐈‍⬛ a&b=c"
LIMIT = 3_145_728


def png_bytes(size: int = 30_000) -> bytes:
    body = bytes((i * 13 + i // 97) % 256 for i in range(size - 8))
    return b"\x89PNG\r\n\x1a\n" + body


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FieldSigningOAuth1(OAuth1):
    """The original bug: the multipart ``status`` field signed as if it were a form body."""

    def __init__(self, status: str, **credentials: str) -> None:
        super().__init__(**credentials)  # type: ignore[arg-type]
        self.status = status

    def sign(self, method: str, url: URL, *, form: str | None = None) -> dict[str, str]:
        return {
            "Authorization": self.authorization(
                method, url, form=urlencode({"status": self.status})
            )
        }


async def test_status_and_media_arrive_intact_from_a_path(sandbox: Sandbox, tmp_path: Path) -> None:
    data = png_bytes()
    path = tmp_path / "card.png"
    path.write_bytes(data)
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        tweet = await c.update_with_media(path, status=TRICKY_STATUS, possibly_sensitive=True)
    record = sandbox.twitter_v1.statuses[-1] if sandbox.twitter_v1 else None
    assert record is not None
    assert record.status == TRICKY_STATUS
    assert record.sha256 == sha(data)
    assert record.size == len(data)
    assert record.filename == "card.png"
    assert record.part_content_type == "image/png"
    assert record.params == {"possibly_sensitive": "true"}
    assert tweet["id_str"] == record.id_str
    assert tweet["text"].startswith(TRICKY_STATUS)
    assert tweet["entities"]["media"][0]["type"] == "photo"
    request = sandbox.requests[-1]
    assert request.path == "/1.1/statuses/update_with_media.json"
    assert request.authenticated is True


async def test_signing_the_multipart_fields_is_rejected(sandbox: Sandbox) -> None:
    bad = FieldSigningOAuth1(TRICKY_STATUS, **sandbox.credentials)
    async with MediaClient(
        **sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url, signer=bad
    ) as c:
        with pytest.raises(AuthenticationError) as caught:
            await c.update_with_media(png_bytes(), status=TRICKY_STATUS)
    assert caught.value.status == 401
    assert caught.value.code == 32
    assert sandbox.requests[-1].authenticated is False
    assert sandbox.twitter_v1 is not None and sandbox.twitter_v1.statuses == []
    # The same call signed the right way (oauth params only) goes through.
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        await c.update_with_media(png_bytes(), status=TRICKY_STATUS)
    assert [s.status for s in sandbox.twitter_v1.statuses] == [TRICKY_STATUS]


async def test_over_3_mb_is_refused_before_sending(sandbox: Sandbox) -> None:
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        with pytest.raises(MediaTooLarge) as caught:
            await c.update_with_media(png_bytes(LIMIT + 1), status="big")
        assert caught.value.limit == LIMIT
        with pytest.raises(UnsupportedMediaType):
            await c.update_with_media(b"%PDF-1.4 not an image", status="x")
        # Exactly at the limit is accepted.
        await c.update_with_media(png_bytes(LIMIT), status="edge")
    assert [r.path for r in sandbox.requests] == ["/1.1/statuses/update_with_media.json"]
    assert sandbox.twitter_v1 is not None
    assert sandbox.twitter_v1.statuses[-1].size == LIMIT


async def test_sync_file_source(sandbox: Sandbox, tmp_path: Path) -> None:
    data = png_bytes(12_345)
    (tmp_path / "f.png").write_bytes(data)
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        with (tmp_path / "f.png").open("rb") as handle:
            await c.update_with_media(handle, status="from a file", in_reply_to_status_id=99)
    assert sandbox.twitter_v1 is not None
    record = sandbox.twitter_v1.statuses[-1]
    assert (record.sha256, record.params) == (sha(data), {"in_reply_to_status_id": "99"})


async def test_service_refusals_keep_their_code(sandbox: Sandbox) -> None:
    async with MediaClient(**sandbox.credentials, upload_url=sandbox.url, api_url=sandbox.url) as c:
        with pytest.raises(APIError) as caught:
            await c.update_with_media(png_bytes(), status="x" * 281)
    assert type(caught.value) is APIError
    assert (caught.value.status, caught.value.code) == (403, 186)
    assert sandbox.twitter_v1 is not None and sandbox.twitter_v1.statuses == []
