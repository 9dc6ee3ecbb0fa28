"""Chunked-upload throughput over emulated WAN paths, against raw aiohttp in the same run.

    sudo .venv/bin/python benchmarks/wan.py                       # every path, 64 MB, 3 rounds
    sudo .venv/bin/python benchmarks/wan.py --paths 50ms-200mbit --rounds 3 --size 64
    sudo .venv/bin/python benchmarks/wan.py --paths loopback --rss-sizes 64,512

Needs root (network namespaces, tc, iptables) and a C compiler with Debian's
``libnetfilter-queue-dev``.  For every WAN path it builds three network namespaces of its own,
``client`` — ``router`` — ``server``, joined by veth pairs and addressed inside
``10.201.0.0/16`` (addresses that exist only inside those namespaces): the router forwards
every packet through an iptables NFQUEUE rule to ``delayline`` (``benchmarks/delayline.c``, compiled
at start into a temporary directory), which holds each packet RTT/2 and drops the requested
fraction, and a ``tbf`` qdisc on each router interface limits the rate (its queue holds one
bandwidth-delay product).  The kernel of the project's machine has no ``sch_netem``, hence
the user-space delay line.  ``net.ipv4.tcp_no_metrics_save=1`` in the end namespaces makes
every run start equal.  Everything is removed on every exit (``finally`` and SIGTERM/SIGINT).

The sandbox runs in the server namespace; each measured upload runs in a fresh child process
in the client namespace, so its CPU time and peak RSS are that upload's alone.  Contenders run
interleaved, round after round, and the table shows medians:

* ``raw``: what a careful aiohttp user writes by hand (``throughput.py``'s baseline): signed
  INIT, 4 MiB APPENDs one after the other on one connection, FINALIZE, STATUS;
* ``defaults``: ``MediaClient`` with no settings (adaptive parallelism and part size);
* ``fixed KxS``: ``max_in_flight=K, chunk_size=S MiB`` set explicitly (4x4 is what the
  defaults were before they adapted);
* ``bulk``: one TCP stream carrying the same bytes to a sink (no HTTP at all), the practical
  ceiling of one connection on that path.

Columns: MB/s (10^6 bytes, INIT to the end of STATUS polling), ratio to ``raw`` of the same
run, fraction of the link rate (the TCP payload ceiling is 1448/1514 = 95.6 % of it); "to
FINALIZE": MB/s from INIT to FINALIZE's answer, when every byte is with the service (what
follows is STATUS polling, which waits on the service's processing: two polls in this
sandbox), with its share of the TCP payload ceiling; client CPU seconds per 100 MB, and peak
RSS growth of the client during the upload (MiB).

The sender's congestion control decides how a lossy path is filled: ``--cc`` sets it on every
socket of the measured processes (``TCP_CONGESTION``), cubic by default, Linux's default and
what most senders run; ``--cc cubic,bbr`` runs each path with both.
"""

# ruff: noqa: ASYNC230, ASYNC240, E501 - a root-only benchmark driving ip/tc/iptables

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from throughput import run_raw, synthetic_mp4  # noqa: E402

SINK_PORT = 9000
PAYLOAD_CEILING = 1448 / 1514


@dataclass(frozen=True)
class WanPath:
    """One emulated path: round-trip time, link rate and per-direction packet loss."""

    name: str
    rtt_ms: float
    mbit: float
    loss: float = 0.0

    @property
    def link_mbs(self) -> float:
        return self.mbit / 8


PATHS = {
    p.name: p
    for p in (
        WanPath("loopback", 0.0, 0.0),
        WanPath("50ms-200mbit", 50.0, 200.0),
        WanPath("150ms-50mbit", 150.0, 50.0),
        WanPath("20ms-1gbit-0.1loss", 20.0, 1000.0, 0.001),
    )
}


# -- helpers run as root ----------------------------------------------------------------------


def sh(*cmd: str, check: bool = True, stdin: str | None = None) -> None:
    subprocess.run(cmd, check=check, timeout=30, capture_output=not check, input=stdin, text=True)


class Topology:
    """client — router — server namespaces; ``with`` builds them and always tears them down."""

    def __init__(self, path: WanPath, delayline: Path) -> None:
        tag = f"amwan{os.getpid()}"
        self.path = path
        self.ns = {role: f"{tag}-{role}" for role in ("c", "r", "s")}
        self.delayline = delayline
        self.procs: list[subprocess.Popen[str]] = []
        self.client_ip, self.server_ip = "10.201.1.1", "10.201.2.1"

    def exec(self, role: str, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns[role], *cmd]

    def __enter__(self) -> Topology:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> None:
        c, r, s = self.ns["c"], self.ns["r"], self.ns["s"]
        for ns in (c, r, s):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "amc0", "netns", c, "type", "veth", "peer", "amrc", "netns", r)
        sh("ip", "link", "add", "ams0", "netns", s, "type", "veth", "peer", "amrs", "netns", r)
        for ns, dev, addr in (
            (c, "amc0", "10.201.1.1/24"),
            (r, "amrc", "10.201.1.254/24"),
            (r, "amrs", "10.201.2.254/24"),
            (s, "ams0", "10.201.2.1/24"),
        ):
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            if shutil.which("ethtool"):  # per-packet emulation: no segmentation offloads
                sh(*self.exec_ns(ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"), check=False)
        sh("ip", "-n", c, "route", "add", "default", "via", "10.201.1.254")
        sh("ip", "-n", s, "route", "add", "default", "via", "10.201.2.254")
        sh(*self.exec("r", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
        for role in ("c", "s"):
            sh(*self.exec(role, "sysctl", "-q", "-w", "net.ipv4.tcp_no_metrics_save=1"))
        p = self.path
        rate_bytes = p.mbit * 1e6 / 8
        bdp = int(rate_bytes * p.rtt_ms / 1000)
        limit = max(bdp, 64 * 1024)
        burst = max(int(rate_bytes / 1000), 16 * 1514)  # ~1 ms of the rate
        for dev in ("amrc", "amrs"):
            sh(
                *self.exec("r", "tc", "qdisc", "add", "dev", dev, "root", "tbf",
                           "rate", f"{p.mbit:g}mbit", "burst", str(burst), "limit", str(limit))
            )
        # (xt_NFQUEUE: this kernel has no nft_queue.)
        sh(*self.exec("r", "iptables", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", "0"))
        # Raised priority: on a loaded machine a late delay line would add jitter of its own.
        line = subprocess.Popen(
            self.exec("r", "nice", "-n", "-10", str(self.delayline), "0",
                      str(int(p.rtt_ms * 500)), str(int(p.loss * 1e6)), "14"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.procs.append(line)
        assert line.stdout is not None
        if line.stdout.readline().strip() != "ready":
            raise RuntimeError(f"delayline did not start: {line.stderr.read() if line.stderr else ''}")

    @staticmethod
    def exec_ns(ns: str, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", ns, *cmd]

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self.procs.clear()
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)


# -- child: the server side ---------------------------------------------------------------------


async def serve(host: str) -> None:
    from asyncmedia.sandbox import Sandbox

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        want = int((await reader.readline()).strip())
        while want > 0:
            data = await reader.read(min(want, 1 << 20))
            if not data:
                break
            want -= len(data)
        writer.write(b"k")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(sink, host, SINK_PORT)
    async with server, Sandbox(host=host, check_after_secs=0.01, processing_steps=1) as sb:
        print(json.dumps({"url": sb.url, "credentials": sb.credentials}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# -- child: one measured upload -------------------------------------------------------------------


class Settled(logging.Handler):
    """Remembers the adaptive uploader's last report (parallelism and part size)."""

    last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("adaptive"):
            Settled.last = record.getMessage()


async def run_client(args: argparse.Namespace, creds: dict[str, str]) -> dict[str, Any]:
    from asyncmedia import MediaClient

    settings: dict[str, int] = {}
    if args.max_in_flight:
        settings["max_in_flight"] = args.max_in_flight
    if args.chunk_size:
        settings["chunk_size"] = args.chunk_size
    logging.getLogger("asyncmedia").addHandler(Settled())
    logging.getLogger("asyncmedia").setLevel(logging.DEBUG)
    async with MediaClient(**creds, upload_url=args.url, api_url=args.url, **settings) as client:
        finalized: list[float] = []
        send = client.transport.send

        async def timed(request: Any, *rest: Any, **kw: Any) -> Any:
            answer = await send(request, *rest, **kw)
            if request.form and ("command", "FINALIZE") in request.form:
                finalized.append(time.perf_counter())
            return answer

        client.transport.send = timed  # type: ignore[method-assign]
        start = time.perf_counter()
        await client.upload_media(args.file, media_type="video/mp4")
        return {
            "seconds": time.perf_counter() - start,
            "finalized": finalized[0] - start,
            "settled": Settled.last,
        }


async def run_bulk(args: argparse.Namespace) -> dict[str, Any]:
    host = args.url.split("//")[1].split(":")[0]
    size = os.path.getsize(args.file)
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, SINK_PORT)
    writer.write(f"{size}\n".encode())
    with open(args.file, "rb") as fh:
        while piece := fh.read(MIB):
            writer.write(piece)
            await writer.drain()
    await reader.readexactly(1)
    writer.close()
    return {"seconds": time.perf_counter() - start}


def use_congestion_control(name: str) -> None:
    """Make every TCP socket this process creates use ``name`` (``TCP_CONGESTION``): the
    sender's algorithm decides how a path is filled, and the namespaces' own sysctl cannot
    be set on every machine (it is refused inside some sandboxes), while the socket option can."""
    if name == "system":
        return
    base = socket.socket

    class Socket(base):  # type: ignore[misc, valid-type]
        def __init__(self, family: int = -1, type: int = -1, *rest: Any, **kw: Any) -> None:
            super().__init__(family, type, *rest, **kw)
            if self.type == socket.SOCK_STREAM and self.family in (socket.AF_INET, socket.AF_INET6):
                self.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, name.encode())

    socket.socket = Socket  # type: ignore[misc]


def child_main(args: argparse.Namespace) -> None:
    use_congestion_control(args.cc)
    import aiohttp  # noqa: F401 - every contender pays its imports before "before"
    import oauthlib.oauth1  # noqa: F401

    import asyncmedia  # noqa: F401

    creds = json.loads(args.creds)
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = time.process_time()
    if args.run == "client":
        result = asyncio.run(run_client(args, creds))
    elif args.run == "bulk":
        result = asyncio.run(run_bulk(args))
    else:
        args.small = 0
        args.chunk_size = args.chunk_size or 4 * MIB
        result = asyncio.run(run_raw(args, creds))
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.update(
        cpu=time.process_time() - cpu0,
        rss_before=before.ru_maxrss / 1024,
        rss_peak=after.ru_maxrss / 1024,
    )
    print(json.dumps(result))


# -- parent ---------------------------------------------------------------------------------------


def contenders(spec: str) -> list[tuple[str, str, int, int]]:
    """``raw,defaults,bulk,4x4,16x1`` → (label, kind, max_in_flight, chunk_size)."""
    out: list[tuple[str, str, int, int]] = []
    for item in spec.split(","):
        if item in ("raw", "bulk"):
            out.append((item, item, 0, 0))
        elif item == "defaults":
            out.append(("defaults", "client", 0, 0))
        else:
            k, s = item.split("x")
            out.append((f"fixed {item}", "client", int(k), int(float(s) * MIB)))
    return out


def measure(
    prefix: list[str], kind: str, file: Path, server: dict[str, Any], k: int, chunk: int, timeout: float,
    cc: str = "system",
) -> dict[str, Any]:
    cmd = [*prefix, sys.executable, str(HERE), "--run", kind, "--file", str(file),
           "--url", server["url"], "--creds", json.dumps(server["credentials"]),
           "--max-in-flight", str(k), "--chunk-size", str(chunk), "--cc", cc]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@contextlib.contextmanager
def sandbox_in(prefix: list[str], host: str) -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen(
        [*prefix, sys.executable, str(HERE), "--serve", "--host", host],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox did not start")
        yield json.loads(line)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_path(
    path: WanPath, file: Path, args: argparse.Namespace, delayline: Path | None, cc: str
) -> None:
    size_mb = file.stat().st_size / 1e6
    runs: dict[str, list[dict[str, Any]]] = {}
    labels = contenders(args.contenders)
    with contextlib.ExitStack() as stack:
        if path.rtt_ms or path.mbit:
            assert delayline is not None
            topo = stack.enter_context(Topology(path, delayline))
            server_prefix, client_prefix, host = topo.exec("s"), topo.exec("c"), topo.server_ip
        else:
            server_prefix, client_prefix, host = [], [], "127.0.0.1"
        server = stack.enter_context(sandbox_in(server_prefix, host))
        load0 = loadavg()
        for _ in range(args.rounds):
            for label, kind, k, chunk in labels:
                if kind == "bulk" and not client_prefix:
                    continue
                res = measure(client_prefix, kind, file, server, k, chunk, args.timeout, cc)
                runs.setdefault(label, []).append(res)
        load1 = loadavg()
    raw_mbs = statistics.median(size_mb / r["seconds"] for r in runs.get("raw", runs[labels[0][0]]))
    print(
        f"\n## {path.name}: RTT {path.rtt_ms:g} ms, {path.mbit:g} Mbit/s"
        f"{f', {path.loss:.1%} loss each way' if path.loss else ''}"
        f"{f', TCP {cc}' if path.mbit else ''}; {size_mb:.0f} MB,"
        f" median of {args.rounds} interleaved rounds; load average {load0} -> {load1}"
    )
    print(f"{'contender':<16} {'MB/s':>7} {'×raw':>6} {'of link':>8} {'to FINALIZE':>12} {'CPU s/100MB':>12} {'RSS +MiB':>9}  settled at")
    ceiling = path.link_mbs * PAYLOAD_CEILING
    shares = []
    for label, results in runs.items():
        mbs = statistics.median(size_mb / r["seconds"] for r in results)
        if path.mbit:
            shares.append(f"{label} {mbs / ceiling:.0%}")
        upto = [size_mb / r["finalized"] for r in results if r.get("finalized")]
        to_final = f"{statistics.median(upto):5.1f}" if upto else "    -"
        if upto and path.mbit:
            to_final += f" {statistics.median(upto) / ceiling:4.0%}"
        elif path.mbit:
            to_final += "     "
        cpu = statistics.median(r["cpu"] / size_mb * 100 for r in results)
        rss = statistics.median(r["rss_peak"] - r["rss_before"] for r in results)
        link = f"{mbs / path.link_mbs:7.0%}" if path.mbit else "      -"
        spread = "/".join(f"{size_mb / r['seconds']:.1f}" for r in results)
        settled = " | ".join(r["settled"] for r in results if r.get("settled"))
        print(f"{label:<16} {mbs:7.1f} {mbs / raw_mbs:6.2f} {link:>8} {to_final:>12} {cpu:12.2f} {rss:9.1f}  [{spread}] {settled}")
    if path.mbit:
        print(f"TCP payload ceiling: {ceiling:.1f} MB/s (end to end: {', '.join(shares)})")


def rss_sweep(sizes: list[int], tmp: Path, args: argparse.Namespace) -> None:
    print("\n## peak RSS growth of the client during one upload (loopback, defaults, MiB)")
    with sandbox_in([], "127.0.0.1") as server:
        for mb in sizes:
            path = tmp / f"rss-{mb}.mp4"
            synthetic_mp4(path, mb * MIB)
            res = measure([], "client", path, server, 0, 0, args.timeout)
            raw = measure([], "raw", path, server, 0, 0, args.timeout)
            print(
                f"{mb:5d} MB: defaults +{res['rss_peak'] - res['rss_before']:.1f}"
                f" (peak {res['rss_peak']:.1f}), raw aiohttp +{raw['rss_peak'] - raw['rss_before']:.1f}"
            )
            path.unlink()


def build_delayline(tmp: Path) -> Path:
    out = tmp / "delayline"
    cc = os.environ.get("CC", "cc")
    subprocess.run(
        [cc, "-O2", "-o", str(out), str(HERE.parent / "delayline.c"),
         "-lnetfilter_queue", "-lnfnetlink"],
        check=True, timeout=60,
    )
    return out


def parent_main(args: argparse.Namespace) -> None:
    paths = [PATHS[name] for name in args.paths.split(",")]
    wan = any(p.mbit for p in paths)
    if wan and os.geteuid() != 0:
        sys.exit("the WAN paths need root (network namespaces, tc, iptables); run with sudo")

    def on_signal(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through every finally: namespaces go

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        os.chmod(tmp, 0o755)
        delayline = build_delayline(tmp) if wan else None
        file = tmp / "clip.mp4"
        synthetic_mp4(file, args.size * MIB)
        os.chmod(file, 0o644)
        print(f"# asyncmedia WAN benchmark ({socket.gethostname()}, {os.cpu_count()} CPUs, "
              f"load average {loadavg()}): {' '.join(sys.argv[1:]) or '(defaults)'}")
        for path in paths:
            for cc in args.cc.split(",") if path.mbit else ["system"]:
                run_path(path, file, args, delayline, cc)
        if args.rss_sizes:
            rss_sweep(args.rss_sizes, tmp, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=["client", "raw", "bulk"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--creds", help=argparse.SUPPRESS)
    parser.add_argument("--max-in-flight", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated, of {', '.join(PATHS)}")
    parser.add_argument("--contenders", default="raw,defaults,4x4,16x1,bulk",
                        help="comma-separated: raw, defaults, bulk, KxS (max_in_flight x chunk MiB)")
    parser.add_argument("--cc", default="cubic",
                        help="TCP congestion control of both end namespaces, comma-separated to run"
                        " each (cubic: Linux's default sender; bbr; system: inherit the machine's)")
    parser.add_argument("--size", type=int, default=64, help="MiB of the uploaded file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for one upload")
    parser.add_argument("--rss-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=[],
                        help="MiB sizes for a loopback peak-RSS sweep with defaults, e.g. 64,512")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.host))
    elif args.run:
        child_main(args)
    else:
        parent_main(args)


if __name__ == "__main__":
    main()
