"""A burst of large image decodes under eventlet, as in a Nameko service: the hub
keeps answering. Each decode goes through ``servicekit.images.clean_upload`` from
its own green thread (one RPC worker each) while a heartbeat green thread, standing
in for any other call of the service (a ``ping``), measures how late the hub wakes
it. Decoded on the hub, a 5000x5000 PNG holds every other call for about a second
(issue 12: ping max 21 ms -> 2,340 ms); off the hub, in the bounded pool, the
heartbeat stays on time and only the burst waits for itself.

Run in a child process monkey-patched like ``nameko run``, so the test process's
own threads and hub are not involved.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
BURST = 4  # uploads at once, twice the pool's default size
SIDE = 5000  # 25 Mpx: the largest image the default limit accepts
MAX_LATENESS = 0.2  # seconds: the heartbeat's worst wake-up delay


def _burst() -> dict:
    """In the monkey-patched child: decode BURST big PNGs at once and report the
    heartbeat's worst lateness and what the uploads answered."""
    import base64
    import io
    import time

    import eventlet
    from PIL import Image
    from servicekit.images import clean_upload

    buffer = io.BytesIO()
    Image.new("RGB", (SIDE, SIDE), (200, 30, 30)).save(buffer, format="PNG")
    encoded = base64.b64encode(buffer.getvalue()).decode()

    lateness: list[float] = []
    done = eventlet.event.Event()

    def heartbeat() -> None:
        while not done.ready():
            asked = time.monotonic()
            eventlet.sleep(0.01)
            lateness.append(time.monotonic() - asked - 0.01)

    def upload(_: int) -> tuple[int, int]:
        image = clean_upload(encoded, 1024 * 1024, SIDE * SIDE)
        return image.width, image.height

    beat = eventlet.spawn(heartbeat)
    eventlet.sleep(0.05)  # the heartbeat is running before the burst starts
    started = time.monotonic()
    pool = eventlet.GreenPool(BURST)
    sizes = list(pool.imap(upload, range(BURST)))
    took = time.monotonic() - started
    done.send()
    beat.wait()
    return {
        "sizes": sizes,
        "png_bytes": len(buffer.getvalue()),
        "burst_seconds": round(took, 3),
        "max_lateness": round(max(lateness), 3),
        "beats": len(lateness),
    }


def test_a_burst_of_large_decodes_does_not_stall_the_hub():
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import eventlet; eventlet.monkey_patch(); import json; "
            "from tests.integration.servicekit import test_decode_burst as t; "
            "print(json.dumps(t._burst()))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout.strip().splitlines()[-1])
    print(report)
    assert report["sizes"] == [[SIDE, SIDE]] * BURST
    assert report["max_lateness"] < MAX_LATENESS, report
