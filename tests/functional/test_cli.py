"""The ``asyncmedia`` command as a user meets it: output modes, errors, exit codes, progress."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from terminal import run_on_a_terminal

from asyncmedia.cli import EXIT_OK, EXIT_SERVICE, EXIT_USAGE, main

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 200


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASYNCMEDIA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(3):
        path = tmp_path / f"card-{i}.png"
        path.write_bytes(PNG + bytes([i]) * 100)
        paths.append(path)
    return paths


def test_several_files_as_json(images: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["upload", *map(str, images), "--concurrency", "2", "--json"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    results = json.loads(out)
    assert [r["size"] for r in results] == [p.stat().st_size for p in images]
    assert [r["source"] for r in results] == [str(p) for p in images]
    assert "embedded sandbox" in err


def test_readable_lines_on_a_terminal(
    images: list[Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code = main(["upload", str(images[0]), "--quiet"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert out.startswith(f"{images[0]}: media ") and "(image/png, " in out
    assert err == ""  # --quiet: no sandbox notice, no bar


def test_errors_are_one_line_and_the_worst_exit_code_wins(
    images: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.png"
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    code = main(["upload", str(images[0]), str(missing), str(text), "--json", "-q"])
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE
    lines = err.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("asyncmedia: error: ") for line in lines)
    assert "Traceback" not in err
    first, second, third = json.loads(out)
    assert first["size"] == images[0].stat().st_size
    assert second["kind"] == "MediaSourceError" and "nope.png" in second["error"]
    assert third["kind"] == "UnsupportedMediaType"


def test_a_service_refusal_exits_1(
    images: list[Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(f"ASYNCMEDIA_{name}", "x")
    monkeypatch.setenv("ASYNCMEDIA_UPLOAD_URL", "http://127.0.0.1:9/1.1/")  # nothing listens
    code = main(["upload", str(images[0]), "-q"])
    _, err = capsys.readouterr()
    assert code == EXIT_SERVICE
    assert err.startswith("asyncmedia: error: ") and "TransportError" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("asyncmedia ")




def test_progress_bar_is_drawn_on_a_terminal(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(3 << 20))
    code, text = run_on_a_terminal("upload", str(clip))
    assert code == 0, text
    assert "files" in text and "B/s" in text, text  # tqdm: bytes, rate
    assert f"{clip}: media " in text  # readable result line on a terminal


def test_a_fast_upload_still_shows_the_bar_move(tmp_path: Path) -> None:
    # 20 MB to the local sandbox takes well under tqdm's redraw interval per chunk: the bar
    # must still be drawn once its total is known (0 %) and once complete before it closes
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(20 << 20))
    code, text = run_on_a_terminal("upload", str(clip))
    assert code == 0, text
    drawn = [int(percent) for percent in re.findall(r"(\d+)%\|", text)]
    assert len(drawn) >= 2, text
    assert drawn[0] == 0 and drawn[-1] == 100, drawn
    assert "20.0M/20.0M" in text, text  # the complete state, in bytes


async def test_sandbox_command_serves_what_it_prints() -> None:
    import asyncio
    import signal

    from asyncmedia import MastodonClient, MediaClient

    proc, services = await _start_sandbox()
    try:
        twitter = services["twitter"]
        async with MediaClient(**twitter) as client:
            media = await client.upload_media(PNG)
        assert media.size == len(PNG)
        mastodon = services["mastodon"]
        async with MastodonClient(mastodon["instance_url"], mastodon["access_token"]) as m:
            attachment = await m.upload_media(PNG)
        assert attachment.type == "image"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130 and b"Traceback" not in err


async def _start_sandbox(*prefix: str) -> tuple[Any, dict[str, Any]]:
    """``asyncmedia sandbox`` in a child process (after ``prefix``), and the JSON it printed."""
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "asyncmedia",
        "sandbox",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while not lines or lines[-1] != "}\n":  # one indented JSON document
            lines.append((await asyncio.wait_for(proc.stdout.readline(), 30)).decode())
            assert lines[-1], "the sandbox exited early"
        return proc, json.loads("".join(lines))
    except BaseException:
        proc.kill()
        await proc.communicate()
        raise


@pytest.mark.parametrize(
    ("prefix", "signum", "code"),
    [
        # a shell starts a background job (`asyncmedia sandbox &`) with SIGINT ignored
        (("sh", "-c", 'trap "" INT; exec "$0" "$@"'), signal.SIGINT, 130),
        ((), signal.SIGTERM, 143),  # what containers and process managers send
    ],
    ids=["sigint-as-a-background-job", "sigterm"],
)
async def test_sandbox_command_stops_cleanly_on_a_signal(
    prefix: tuple[str, ...], signum: int, code: int
) -> None:
    import asyncio

    from asyncmedia import MediaClient

    proc, services = await _start_sandbox(*prefix)
    try:
        async with MediaClient(**services["twitter"]) as client:
            assert (await client.upload_media(PNG)).size == len(PNG)
    finally:
        proc.send_signal(signum)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == code, err
    name = signal.Signals(signum).name
    assert f"asyncmedia: sandbox stopped ({name})" in err.decode()  # it ran its cleanup
    assert b"Traceback" not in err
