"""The load generator: N senders at once, each on its own keep-alive connection, sending the
next prepared request as soon as its previous one is answered. asyncio on raw sockets, so the
generator itself costs little of the two cores it shares with the server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

PATH = "/slack/events"


@dataclass(frozen=True)
class Prepared:
    """A signed request, ready to send: the bytes of the body and its headers."""

    body: bytes
    headers: dict[str, str]


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


def _encode(request: Prepared, host: str) -> bytes:
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(request.body)}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + request.body


async def _run(url: str, requests: Sequence[Prepared], concurrency: int) -> tuple[list[float], list[int]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    encoded = [_encode(request, f"{host}:{port}") for request in requests]
    latencies: list[float] = [0.0] * len(encoded)
    statuses: list[int] = [0] * len(encoded)
    next_index = 0

    async def sender() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(encoded):
                index = next_index
                next_index += 1
                started = time.perf_counter()
                writer.write(encoded[index])
                statuses[index] = await _read_response(reader)
                latencies[index] = time.perf_counter() - started
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return latencies, statuses


def send_all(url: str, requests: Sequence[Prepared], concurrency: int) -> tuple[list[float], float]:
    """Send every request with `concurrency` senders. Latencies in seconds, and the wall time.
    Anything but 200 is an error: a benchmark of failures would measure nothing."""
    started = time.perf_counter()
    latencies, statuses = asyncio.run(_run(url, requests, concurrency))
    elapsed = time.perf_counter() - started
    bad = [status for status in statuses if status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} of {len(statuses)} requests failed (status {bad[0]})")
    return latencies, elapsed
