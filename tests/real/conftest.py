"""The real reference Bluesky PDS (``@atproto/pds`` run by ``@atproto/dev-env``) on 127.0.0.1.

``make test-real`` installs it once into a cache folder outside the repository
(``tests/real/pds/install.sh``: pinned npm packages, Node 22 from the npm registry,
better-sqlite3 compiled against that Node) and then runs ``pytest tests/real -m real``.
The session fixture :func:`real_pds` starts ``tests/real/pds/server.mjs`` (dev-env's
``TestNetworkNoAppView``: an in-memory PLC directory plus the PDS on sqlite, every socket on
127.0.0.1, the app view and moderation URLs on a closed loopback port), reads the one JSON
line it prints (URL, handle, password, ...), and stops it afterwards, whatever happened.

Without Node and npm these tests fail (they never skip): ``make test`` leaves them out with
``-m "not real"`` instead.
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import shutil
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from local_servers import media_server  # noqa: F401 - a fixture of these tests
from pds_helpers import RealPDS
from yarl import URL

from asyncmedia import BlueskyClient

HERE = Path(__file__).resolve().parent
INSTALL = HERE / "pds" / "install.sh"
#: A cold install downloads ~650 MB of npm packages and compiles sqlite: minutes, once (make
#: test-real runs it before pytest, whose per-test timeout would not allow it).
INSTALL_TIMEOUT = 1200.0
#: From ``node server.mjs`` to its JSON line (seen: 3 s idle, up to 30 s on a loaded machine).
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def install_pds() -> Path:
    """Run ``install.sh`` (a cache hit takes about a second) and return the install folder."""
    if shutil.which("bash") is None:
        pytest.fail("tests/real need bash to run tests/real/pds/install.sh")
    try:
        done = subprocess.run(
            ["bash", str(INSTALL)],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{INSTALL} did not finish within {INSTALL_TIMEOUT:.0f}s")
    if done.returncode != 0:
        pytest.fail(
            f"installing the reference PDS failed (exit {done.returncode}):\n{done.stderr}",
            pytrace=False,
        )
    return Path(done.stdout.strip().splitlines()[-1])


def _read_ready_line(proc: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    """The JSON line ``server.mjs`` prints once it is up; fails after :data:`READY_TIMEOUT`."""
    assert proc.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the PDS printed nothing within {READY_TIMEOUT:.0f}s")
            if not selector.select(timeout=min(left, 1.0)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    answer = json.loads(line)
                except ValueError:
                    continue  # a stray log line
                if isinstance(answer, dict) and answer.get("ready") is True:
                    return answer
    raise RuntimeError(
        f"the PDS exited (code {proc.wait()}) before it was ready; its log:\n"
        + log.read_text(errors="replace")[-4000:]
    )


def _wait_healthy(url: URL) -> None:
    """``GET /xrpc/_health`` answers 200 (bounded by :data:`READY_TIMEOUT`)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(str(url / "xrpc" / "_health"), timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Close stdin (the server's signal to stop), then SIGTERM, then SIGKILL."""
    if proc.poll() is None and proc.stdin is not None:
        proc.stdin.close()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.terminate()
    if proc.poll() is None:
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None and not stream.closed:
            stream.close()


@pytest.fixture(scope="session")
def real_pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealPDS]:
    """The reference PDS, started once for the session and always stopped afterwards."""
    folder = install_pds()
    node = folder / "node" / "bin" / "node"
    data = tmp_path_factory.mktemp("pds")
    log = data / "server.log"
    # A clean environment: no PDS_* variable of the caller's may reconfigure the server.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(data)),
        "TMPDIR": str(data),
        "ASYNCMEDIA_PDS_DATA": str(data / "pds"),
        "LOG_ENABLED": "false",
        "NODE_ENV": "test",
    }
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            [str(node), str(folder / "server.mjs")],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
        )
    try:
        try:
            answer = _read_ready_line(proc, log)
            pds = RealPDS(
                url=URL(answer["url"]),
                handle=answer["handle"],
                password=answer["password"],
                did=answer["did"],
                jwt_secret=answer["jwtSecret"],
                service_did=answer["serviceDid"],
                expired_access_jwt=answer["expiredAccessJwt"],
                blob_upload_limit=int(answer["blobUploadLimit"]),
                versions=dict(answer["versions"]),
                raw=answer,
            )
            assert pds.url.host == "127.0.0.1", pds.url
            _wait_healthy(pds.url)
        except (OSError, RuntimeError, KeyError) as exc:
            pytest.fail(f"the reference PDS did not start: {exc}", pytrace=False)
        yield pds
    finally:
        _stop(proc)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session for the tests' own XRPC calls (no asyncmedia code)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def bsky(real_pds: RealPDS) -> AsyncIterator[BlueskyClient]:
    """A ``BlueskyClient`` on the real PDS logging in with the account's handle/password."""
    async with BlueskyClient(
        str(real_pds.url), identifier=real_pds.handle, password=real_pds.password
    ) as client:
        yield client



@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect garbage after each test, so a leaked socket is blamed on the test that leaked it
    (pytest reports unraisable ResourceWarnings in whichever test the collector runs)."""
    yield
    gc.collect()
