"""Running the CLI on a pseudo-terminal, for the tests of what it draws there."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time


def run_on_a_terminal(*argv: str) -> tuple[int, str]:
    """``python -m asyncmedia ARGV`` with a pty as stdin/stdout/stderr: exit code, output.

    The environment has no ``ASYNCMEDIA_`` variable (every service uses the embedded sandbox)
    and ``COLUMNS=120``; output is read until the pty closes or the command has ended, for at
    most 60 s.
    """
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCMEDIA_")}
    env["COLUMNS"] = "120"
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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(30), seen.decode("utf-8", "replace")
