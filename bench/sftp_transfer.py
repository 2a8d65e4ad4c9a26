"""SFTP throughput: the gateway's SftpClientTransport against OpenSSH's own `sftp` client.

    python bench/sftp_transfer.py [--runs 3] [--small 1000] [--big-mb 50]

Starts a throw-away OpenSSH sshd on loopback (tests/transport/sshd.py; needs root and
openssh-server), then in one process, for each run, times four transfers both ways:

  upload   1,000 files of 20 KB, then one 50 MB file
  download the same files back (list the folder, fetch each, write it locally)

Ours: one SftpClientTransport per phase (connect included), ``put`` with its full
protocol (temp name, confirmed writes, size check, posix-rename), ``list`` + ``get``.
OpenSSH: one ``sftp -b`` batch per phase (process start and connect included), same
server, same key, default settings. Prints medians (seconds, MB/s with MB = 10^6 bytes)
and ours/OpenSSH throughput ratios. Results: docs/benchmarks.md, "SFTP transport".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.partners import TradingPartner
from gateway.transport.base import Side
from gateway.transport.retry import RetryPolicy
from gateway.transport.sftp import REQUEST_SIZE, WINDOW_SIZE, SftpClientTransport
from tests.transport.sshd import Sshd, start_sshd, unavailable_reason

SMALL_SIZE = 20_000


def partner(server: Sshd, remote: Path) -> TradingPartner:
    return TradingPartner(
        name="bench", envelope={"sender_id": "BENCH", "receiver_id": "BENCH"},
        receiver={"name": "BENCH", "id": "BENCH"},
        transport={"kind": "sftp", "host": "127.0.0.1", "port": server.port,
                   "username": server.user, "key_file": str(server.client_key),
                   "known_hosts_file": str(server.known_hosts), "keepalive_seconds": 0},
        folders={"outbound": str(remote), "inbound": str(remote)},
        max_file_size=200 * 1024 * 1024)


class Bench:
    def __init__(self, server: Sshd, work: Path, small: int, big_mb: int,
                 request_size: int, window_size: int) -> None:
        self.server = server
        self.request_size, self.window_size = request_size, window_size
        self.src_small, self.src_big = work / "src-small", work / "src-big"
        self.dst = work / "dst"
        self.src_small.mkdir()
        self.src_big.mkdir()
        for i in range(small):
            (self.src_small / f"f{i:05d}.837").write_bytes(os.urandom(SMALL_SIZE))
        (self.src_big / "big.837").write_bytes(os.urandom(big_mb * 1_000_000))
        self.small_bytes = small * SMALL_SIZE
        self.big_bytes = big_mb * 1_000_000

    def remote(self, name: str) -> Path:
        """An empty remote folder, owned by the SFTP user."""
        path = self.server.data / name
        shutil.rmtree(path, ignore_errors=True)
        return self.server.make_dir(name)

    def local_dst(self) -> Path:
        shutil.rmtree(self.dst, ignore_errors=True)
        self.dst.mkdir()
        return self.dst

    # --- ours ----------------------------------------------------------------------------

    def transport(self, remote: Path) -> SftpClientTransport:
        return SftpClientTransport(partner(self.server, remote), RetryPolicy.never(),
                                   request_size=self.request_size,
                                   window_size=self.window_size)

    def ours_upload(self, src: Path, remote: Path) -> float:
        start = time.perf_counter()
        with self.transport(remote) as t:
            for path in sorted(src.iterdir()):
                t.put(path.name, path.read_bytes())
        return time.perf_counter() - start

    def ours_download(self, remote: Path) -> float:
        dst = self.local_dst()
        start = time.perf_counter()
        with self.transport(remote) as t:
            for f in t.list("*", Side.INBOUND):
                (dst / f.name).write_bytes(t.get(f.name, Side.INBOUND))
        return time.perf_counter() - start

    # --- OpenSSH -------------------------------------------------------------------------

    def sftp(self, batch: str) -> float:
        cmd = ["sftp", "-q", "-b", "-", "-i", str(self.server.client_key),
               "-o", f"UserKnownHostsFile={self.server.known_hosts}",
               "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
               "-P", str(self.server.port), f"{self.server.user}@127.0.0.1"]
        start = time.perf_counter()
        subprocess.run(cmd, input=batch.encode(), check=True, capture_output=True)
        return time.perf_counter() - start

    def openssh_upload(self, src: Path, remote: Path) -> float:
        return self.sftp(f"put {src}/* {remote}/\n")

    def openssh_download(self, remote: Path) -> float:
        return self.sftp(f"get {remote}/* {self.local_dst()}/\n")

    # --- one run -------------------------------------------------------------------------

    def run(self) -> dict[str, tuple[float, float]]:
        """(ours seconds, OpenSSH seconds) per phase; each side checks the other's copy."""
        times: dict[str, tuple[float, float]] = {}
        for label, src in (("small", self.src_small), ("big", self.src_big)):
            a, b = self.remote(f"ours-{label}"), self.remote(f"openssh-{label}")
            up = (self.ours_upload(src, a), self.openssh_upload(src, b))
            down_ours = self.ours_download(b)  # fetch what OpenSSH uploaded…
            check(src, self.dst)
            down_openssh = self.openssh_download(a)  # …and the other way round
            check(src, self.dst)
            times[f"upload {label}"] = up
            times[f"download {label}"] = (down_ours, down_openssh)
        return times


def check(src: Path, dst: Path) -> None:
    names = sorted(p.name for p in src.iterdir())
    if sorted(p.name for p in dst.iterdir()) != names:
        raise SystemExit(f"bench: {dst} does not hold the files of {src}")
    for name in (names[0], names[-1]):
        if (src / name).read_bytes() != (dst / name).read_bytes():
            raise SystemExit(f"bench: {name} differs after the transfer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--small", type=int, default=1000, help="number of 20 KB files")
    parser.add_argument("--big-mb", type=int, default=50)
    parser.add_argument("--request-size", type=int, default=REQUEST_SIZE)
    parser.add_argument("--window-size", type=int, default=WINDOW_SIZE)
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"bench: {reason}")
    work = Path(tempfile.mkdtemp(prefix="gw-bench-"))
    server = start_sshd()
    try:
        bench = Bench(server, work, args.small, args.big_mb, args.request_size,
                      args.window_size)
        runs = []
        for i in range(args.runs):
            runs.append(bench.run())
            print(f"run {i + 1}: " + ", ".join(f"{k} {o:.2f}/{s:.2f}s"
                                               for k, (o, s) in runs[-1].items()),
                  flush=True)
        report(runs, bench, args)
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def report(runs: list[dict[str, tuple[float, float]]], bench: Bench,
           args: argparse.Namespace) -> None:
    def median(key: str, i: int) -> float:
        return statistics.median(r[key][i] for r in runs)

    print(f"\nmedians of {len(runs)} runs; {os.cpu_count()} CPUs; request size "
          f"{args.request_size}, window {args.window_size}")
    print(f"{'transfer':<34}{'ours s':>8}{'MB/s':>8}{'OpenSSH s':>11}{'MB/s':>8}"
          f"{'ours/OpenSSH':>14}")
    for key in runs[0]:
        size = bench.small_bytes if key.endswith("small") else bench.big_bytes
        label = (f"{key.split()[0]} {args.small} × 20 KB" if key.endswith("small")
                 else f"{key.split()[0]} 1 × {args.big_mb} MB")
        ours, openssh = median(key, 0), median(key, 1)
        print(f"{label:<34}{ours:>8.2f}{size / ours / 1e6:>8.1f}{openssh:>11.2f}"
              f"{size / openssh / 1e6:>8.1f}{openssh / ours:>13.2f}×")


if __name__ == "__main__":
    main()
