"""A :class:`Sandbox` running in a background thread, for synchronous code and doc tests.

Code that starts its own event loop (``asyncio.run`` in a script, a documentation example)
cannot share one with a sandbox started in another loop; this runs the sandbox in a thread
with its own loop and hands out its addresses and records.

>>> with ThreadedSandbox() as sb:           # doctest: +SKIP
...     asyncio.run(upload_to(sb.url, sb.credentials))
...     print(len(sb.uploads))
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Any

from .server import Sandbox

__all__ = ["ThreadedSandbox"]


class ThreadedSandbox:
    """Start with ``with ThreadedSandbox(**knobs) as sb:``; attributes are the sandbox's."""

    def __init__(self, **knobs: Any) -> None:
        self._knobs = knobs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self.sandbox: Sandbox | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or self.__dict__.get("sandbox") is None:
            raise AttributeError(name)
        return getattr(self.__dict__["sandbox"], name)

    def start(self) -> None:
        """Start the thread and wait until the sandbox listens."""
        ready = threading.Event()
        failure: list[BaseException] = []

        async def serve() -> None:
            self._stop = asyncio.Event()
            try:
                async with Sandbox(**self._knobs) as sandbox:
                    self.sandbox = sandbox
                    ready.set()
                    await self._stop.wait()
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                raise

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(serve())
            except BaseException:
                pass
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, name="asyncmedia-sandbox", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]

    def stop(self) -> None:
        """Stop the sandbox and join the thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(30)

    def __enter__(self) -> ThreadedSandbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
