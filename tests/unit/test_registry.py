"""The service registry: uploads go through upload_one unless service options need more."""

from __future__ import annotations

from typing import Any

import pytest

from asyncmedia.registry import REGISTRY, media_kind, parse_focus, spec_for


class Recorder:
    """Stands in for a client: records which upload call the spec made."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def upload_one(self, source: Any, **kwargs: Any) -> str:
        self.calls.append(("upload_one", kwargs))
        return "via upload_one"

    async def upload_media(self, source: Any, **kwargs: Any) -> str:
        self.calls.append(("upload_media", kwargs))
        return "via upload_media"


async def test_the_common_keywords_go_through_upload_one() -> None:
    client = Recorder()
    result = await spec_for("mastodon").upload_one(client, b"x", alt_text="A cat")
    assert result == "via upload_one"
    assert client.calls == [
        ("upload_one", {"alt_text": "A cat", "media_type": None, "progress": None})
    ]


async def test_service_options_go_through_the_client_s_own_upload_method() -> None:
    client = Recorder()
    await spec_for("mastodon").upload_one(client, b"x", alt_text="A cat", focus=(0.5, 0.0))
    assert client.calls == [
        (
            "upload_media",
            {"description": "A cat", "media_type": None, "progress": None, "focus": (0.5, 0.0)},
        )
    ]


def test_every_option_a_service_declares_has_a_way_to_reach_its_client() -> None:
    for spec in REGISTRY:
        if any(option.target == "upload" for option in spec.options):
            assert spec.upload_with_options is not None, spec.name
        if spec.posts is None:
            assert not spec.options and not spec.upload_alt_text, spec.name


@pytest.mark.parametrize(
    ("media_type", "kind"),
    [("image/gif", "gif"), ("image/png", "image"), ("video/mp4", "video"), ("audio/mpeg", "audio")],
)
def test_media_kind(media_type: str, kind: str) -> None:
    assert media_kind(media_type) == kind


def test_focus() -> None:
    assert parse_focus("0.5,-1") == (0.5, -1.0)
    with pytest.raises(ValueError, match="X,Y"):
        parse_focus("left")


@pytest.mark.parametrize("module", ["cli.py", "environment.py"])
def test_the_cli_and_the_environment_name_no_service(module: str) -> None:
    """No per-service branch: no string literal in their code is a service's name (the
    default comes from the registry too)."""
    import ast
    from pathlib import Path

    import asyncmedia

    path = Path(asyncmedia.__file__).parent / module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {spec.name for spec in REGISTRY} | {spec.posts for spec in REGISTRY if spec.posts}
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert not names & literals
