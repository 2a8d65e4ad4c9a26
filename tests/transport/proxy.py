"""A loopback TCP proxy that breaks connections on purpose (tests only).

Forwards to a target port. The first ``faulty`` connections misbehave once
``after_bytes`` have gone from client to server: ``mode="cut"`` closes both sides
(a dropped connection), ``mode="stall"`` stops forwarding and leaves them open (a
hung server, for timeouts). Later connections pass untouched.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Literal


class FaultyProxy:
    def __init__(self, target_port: int, *, after_bytes: int, faulty: int = 1,
                 mode: Literal["cut", "stall"] = "cut") -> None:
        self.target_port = target_port
        self.after_bytes = after_bytes
        self.faulty = faulty
        self.mode = mode
        self.connections = 0
        self.faults = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(timeout=5)
        for t in self._threads:
            t.join(timeout=5)
        self._listener.close()

    def _accept(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            faulty = self.connections <= self.faulty
            t = threading.Thread(target=self._pump, args=(client, faulty), daemon=True)
            self._threads.append(t)
            t.start()

    def _pump(self, client: socket.socket, faulty: bool) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            client.close()
            return
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, upstream)
        sel.register(upstream, selectors.EVENT_READ, client)
        sent_up = 0
        stalled = False
        try:
            while not self._stop.is_set():
                if stalled:
                    self._stop.wait(0.05)
                    continue
                for key, _ in sel.select(timeout=0.05):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    if faulty and source is client and sent_up + len(data) >= self.after_bytes:
                        key.data.sendall(data[: self.after_bytes - sent_up])
                        self.faults += 1
                        if self.mode == "cut":
                            return
                        stalled = True
                        break
                    if source is client:
                        sent_up += len(data)
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            sel.close()
            for s in (client, upstream):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
