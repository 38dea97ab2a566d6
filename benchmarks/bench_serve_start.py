"""``pyengine serve`` start time: from launching the command to its first HTTP answer.

Each round starts a new process (``--port 0``, a fresh workout log) and polls ``GET
/api/health`` until it answers; the process is stopped after. The target is under 3 s.
The pose model is loaded in the background after the server answers, so this is also
when the page can be opened.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx2", reason="the web tests' HTTP client (the test extra)")
pytest.importorskip("fastapi", reason="the web extra is not installed")


def _start_and_stop(folder: Path) -> float:
    db = folder / f"log-{time.monotonic_ns()}.sqlite"
    argv = [sys.executable, "-m", "pyengine", "serve", "--port", "0", "--db", str(db)]
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=folder
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("pyengine serve: ")
        while True:
            try:
                if httpx.get(url + "api/health", timeout=2.0).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def test_serve_start_time(benchmark, tmp_path):
    times: list[float] = []
    benchmark.pedantic(lambda: times.append(_start_and_stop(tmp_path)), rounds=3, iterations=1)
    benchmark.extra_info["start_s"] = [round(t, 3) for t in times]
    print(f"\npyengine serve answered after {', '.join(f'{t:.2f}' for t in times)} s")
