"""Opens a report in headless Chromium over the DevTools pipe: screenshot, console messages, network requests."""

from __future__ import annotations

import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


def chromium_binary() -> str | None:
    """Debian's chromium, or another Chromium/Chrome on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageVisit:
    """What a page did in the browser: its screenshot, console output, errors and every request it made."""

    png: bytes = b""
    height: int = 0
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class _Pipe:
    """A DevTools session over --remote-debugging-pipe: JSON messages ending in NUL on fds 3 (in) and 4 (out)."""

    def __init__(self, proc: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.proc, self.w, self.r = proc, to_browser, from_browser
        self.buf = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        msg: dict[str, Any] = json.loads(raw)
        return msg

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout_s: float = 20.0,
    ) -> dict[str, Any]:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def wait_event(self, method: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read_message(deadline))


def _spawn(binary: str, profile: Path, width: int) -> tuple[subprocess.Popen[bytes], _Pipe]:
    to_r, to_w = os.pipe()
    from_r, from_w = os.pipe()

    def place_fds() -> None:  # the child reads commands on fd 3 and writes answers on fd 4
        a, b = os.dup(to_r), os.dup(from_w)
        os.dup2(a, 3)
        os.dup2(b, 4)

    argv = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},900"]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=place_fds,  # noqa: PLW1509 - fds 3 and 4 must be set in the child; no threads here
        close_fds=False,
    )
    os.close(to_r)
    os.close(from_w)
    return proc, _Pipe(proc, to_w, from_r)


def _collect(events: list[dict[str, Any]], visit: PageVisit, page_url: str) -> None:
    for e in events:
        method, p = e.get("method"), e.get("params") or {}
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            visit.console.append(f"{p.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            visit.errors.append(str((p.get("exceptionDetails") or {}).get("text")))
        elif method == "Log.entryAdded" and (p.get("entry") or {}).get("level") in ("error", "warning"):
            visit.errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            url = str((p.get("request") or {}).get("url"))
            if url != page_url:
                visit.requests.append(url)


def visit_page(
    html_path: Path,
    png_path: Path | None = None,
    width: int = 1280,
    max_height: int = 16000,
    binary: str | None = None,
    settle: Callable[[], None] | None = None,
    top: int = 0,
) -> PageVisit:
    """Open a local HTML file in headless Chromium, record what it does, and take a full-page screenshot.

    Args:
        html_path: The page.
        png_path: Where to save the screenshot (None: keep it in the result only).
        width: Viewport width in CSS px.
        max_height: Screenshot height cap in px.
        binary: The Chromium to use; default `chromium_binary()`.
        settle: Called after load, before the screenshot (tests use it to wait; default a short pause).
        top: Where the screenshot starts, in CSS px from the top of the page.

    Returns:
        The visit: PNG bytes, page height, console messages, errors (exceptions, error log entries such as
        blocked loads), and the URL of every request other than the page itself.
    """
    exe = binary or chromium_binary()
    if exe is None:
        raise FileNotFoundError("no chromium on PATH")
    page_url = html_path.resolve().as_uri()
    visit = PageVisit()
    with tempfile.TemporaryDirectory(prefix="lw-chromium-") as profile:
        proc, cdp = _spawn(exe, Path(profile), width)
        try:
            target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            sid = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.call(f"{domain}.enable", session=sid)
            cdp.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=sid,
            )
            cdp.events.clear()
            cdp.call("Page.navigate", {"url": page_url}, session=sid)
            cdp.wait_event("Page.loadEventFired")
            (settle or (lambda: time.sleep(0.3)))()
            size = cdp.call("Page.getLayoutMetrics", session=sid)["cssContentSize"]
            visit.height = max(1, min(int(size["height"]) - top, max_height))
            shot = cdp.call(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": top, "width": width, "height": visit.height, "scale": 1},
                },
                session=sid,
                timeout_s=60,
            )
            visit.png = b64decode(shot["data"])
            _collect(cdp.events, visit, page_url)
            cdp.call("Browser.close", timeout_s=5)
        finally:
            os.close(cdp.w)
            os.close(cdp.r)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
    if png_path is not None:
        png_path.parent.mkdir(parents=True, exist_ok=True)
        png_path.write_bytes(visit.png)
    return visit


def png_colours(png: bytes, every: int = 7, max_rows: int = 1200) -> tuple[int, int, int]:
    """(width, height, distinct colours in a sample of pixels of the top rows) of an 8-bit RGB(A) PNG, no Pillow."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, prev = zlib.decompress(idat), width * channels, bytearray(width * channels)
    colours: set[bytes] = set()
    for y in range(min(height, max_rows)):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % every == 0:
            colours.update(bytes(line[x : x + 3]) for x in range(0, stride, channels * every))
        prev = line
    return width, height, len(colours)
