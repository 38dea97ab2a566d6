"""A ``pyengine`` command run as a child process, watched while it works (for tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

PYENGINE = [sys.executable, "-m", "pyengine"]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class RunningCommand:
    """Start ``pyengine ARGV...`` and collect its stdout and stderr while it runs."""

    def __init__(self, argv: list[str], **popen) -> None:
        self.process = subprocess.Popen(
            [*PYENGINE, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # A shell starts background jobs with Ctrl-C ignored, and children inherit
            # that; the command must see SIGINT as a terminal would send it.
            preexec_fn=_default_sigint,
            **popen,
        )
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._drain, args=(self.process.stdout, self._out)),
            threading.Thread(target=self._drain, args=(self.process.stderr, self._err)),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _drain(pipe, chunks: list[bytes]) -> None:
        while chunk := os.read(pipe.fileno(), 65536):
            chunks.append(chunk)

    @property
    def stderr(self) -> str:
        return b"".join(self._err).decode("utf-8", "replace")

    @property
    def stdout(self) -> str:
        return b"".join(self._out).decode("utf-8", "replace")

    def wait_for_frames(self, n_frames: int = 5, timeout_s: float = 180) -> None:
        """Block until the progress bar shows at least ``n_frames`` frames done."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.frames_done() >= n_frames:
                return
            if self.process.poll() is not None:
                raise AssertionError(f"the command ended early:\n{self.stderr}")
            time.sleep(0.05)
        raise AssertionError(f"no progress after {timeout_s} s:\n{self.stderr}")

    def frames_done(self) -> int:
        """The last count the progress bar showed (``  123/987 [``)."""
        import re

        counts = re.findall(r"\| *(\d+)/\d+ \[", self.stderr)
        return int(counts[-1]) if counts else 0

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def finish(self, timeout_s: float = 600) -> int:
        """Wait for the command to end; its exit status."""
        status = self.process.wait(timeout=timeout_s)
        for reader in self._readers:
            reader.join()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return status
