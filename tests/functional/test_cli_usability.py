"""The ``asyncmedia`` command's words, as a new user reads them: help, usage errors, Ctrl-C."""

from __future__ import annotations

import logging
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asyncmedia.cli import EXIT_INTERRUPTED, EXIT_USAGE, UPLOAD_SERVICES, _log_to_stderr, main
from asyncmedia.registry import spec_for


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ASYNCMEDIA_"):
            monkeypatch.delenv(name)


def help_of(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["upload", "post"])
def test_help_lists_every_variable_and_the_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(command, capsys)
    for name in UPLOAD_SERVICES:
        spec = spec_for(name)
        for variable in spec.environment:
            assert variable in text, (name, variable)
    assert "exit codes: 0 " in text and "130 interrupted" in text
    # the two credential sets of x2 are alternatives, not one list of six variables
    assert "ASYNCMEDIA_X_BEARER_TOKEN, or ASYNCMEDIA_CONSUMER_KEY" in " ".join(text.split())


def test_upload_help_has_no_stale_limit_and_readable_metavars(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of("upload", capsys)
    assert "1500" not in text  # Mastodon's description limit is the instance's
    assert "instance's limit" in " ".join(text.split())
    assert "OPTION_" not in text  # argparse's dest leaking into the metavars
    assert "--upload-url UPLOAD_URL" in text and "--concurrency N" in text


def test_post_without_arguments_asks_for_the_text_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["post"])
    assert stop.value.code == EXIT_USAGE
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == "asyncmedia post: error: the following arguments are required: TEXT"


def test_an_unknown_type_names_the_option_not_the_keyword(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("just text")
    code = main(["upload", str(notes), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "give --media-type (e.g. --media-type image/png)" in err, err
    assert "media_type=" not in err


def test_logged_exceptions_are_one_line_and_the_sandboxs_hang_ups_are_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_log = logging.getLogger("asyncmedia.sandbox.server")
    with _log_to_stderr(logging.WARNING):
        try:
            raise ConnectionResetError("Connection lost")
        except ConnectionResetError:
            sandbox_log.exception("sandbox handler failed for POST /1.1/media/upload.json")
        try:
            raise KeyError("media_id")
        except KeyError:
            sandbox_log.exception("sandbox handler failed for GET /1.1/media/upload.json")
    err = capsys.readouterr().err
    assert err == (
        "asyncmedia: sandbox handler failed for GET /1.1/media/upload.json (KeyError: 'media_id')\n"
    )


def test_ctrl_c_during_an_upload_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    # a sparse 400 MB "video": the upload to the embedded sandbox lasts long enough to
    # interrupt it mid-body, which made the sandbox log a traceback per open request
    clip = tmp_path / "big.mp4"
    with clip.open("wb") as file:
        file.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
        file.truncate(400 << 20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "asyncmedia", "upload", str(clip)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    notice = proc.stderr.readline().decode()
    assert "embedded sandbox" in notice
    time.sleep(1.0)  # into the chunks
    assert proc.poll() is None, "the upload ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err.decode()
    assert err.decode().splitlines() == ["asyncmedia: interrupted"]
    assert out == b""


def test_alt_text_refused_on_an_upload_says_where_it_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    code = main(["upload", str(image), "--service", "bluesky", "--alt-text", "A cat"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "asyncmedia post TEXT FILE --alt-text" in err, err


def test_the_post_bar_counts_services_done_not_posted(tmp_path: Path) -> None:
    # the bar's counter also counts a service that failed: "1/2 posted" was wrong then
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(2 << 20))
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}
    env["COLUMNS"] = "120"
    argv = ["post", "Hi", str(image), "--service", "mastodon"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "asyncmedia", *argv],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty closed: the command is over
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert proc.wait(30) == 0, text
    assert "0/1 services done" in text and "posted:" not in text, text


def test_no_command_names_the_missing_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([])
    assert stop.value.code == EXIT_USAGE
    assert capsys.readouterr().err.strip().endswith("required: COMMAND")
    assert "COMMAND --help" in help_of_main(capsys)


def help_of_main(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main(["--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["upload", "post"])
def test_too_long_alt_text_names_the_option(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    argv = [command, *(["Hi"] if command == "post" else []), str(image), "--alt-text", "x" * 1001]
    code = main([*argv, "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "--alt-text is 1001 characters; the limit is 1000: shorten it" in err, err


def test_refused_credentials_name_the_variables_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from asyncmedia.sandbox import ThreadedSandbox

    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with ThreadedSandbox() as sb:
        monkeypatch.setenv("ASYNCMEDIA_MASTODON_URL", sb.describe()["mastodon"]["instance_url"])
        monkeypatch.setenv("ASYNCMEDIA_MASTODON_TOKEN", "not-the-token")
        code = main(["upload", str(image), "--service", "mastodon", "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("asyncmedia: error: ") and "AuthenticationError" in err, err
    assert err.rstrip().endswith("(check ASYNCMEDIA_MASTODON_URL, ASYNCMEDIA_MASTODON_TOKEN)")


def test_an_unreachable_service_names_its_url_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASYNCMEDIA_MASTODON_URL", "http://127.0.0.1:9/")  # nothing listens
    monkeypatch.setenv("ASYNCMEDIA_MASTODON_TOKEN", "x")
    code = main(["post", "Hi", "--service", "mastodon", "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert "TransportError" in err and "(check ASYNCMEDIA_MASTODON_URL and the network)" in err
