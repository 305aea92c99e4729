# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop the emulator as a subprocess, as users and the pipeline do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START_TIMEOUT = 30


class EmulatorProcess:
    """``python -m okms_emulator`` on a state directory; ``info`` is its emulator.json once ready."""

    def __init__(self, state_dir: str, *extra_args: str) -> None:
        self.state_dir = str(state_dir)
        self.info_path = os.path.join(self.state_dir, "emulator.json")
        # stderr goes to a file: a pipe nobody reads would block the emulator once full
        self.log_path = self.state_dir.rstrip(os.sep) + ".stderr.log"
        self.args = [sys.executable, "-m", "okms_emulator", "--state-dir", self.state_dir, *extra_args]
        self.process = None
        self.info = None

    def start(self, timeout: float = START_TIMEOUT) -> dict:
        """Run it and wait (polling) until emulator.json appears; fails if the process exits first."""
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))
        with open(self.log_path, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(self.args, env=env, stderr=log)  # pylint: disable=consider-using-with
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.info_path):
            if self.process.poll() is not None:
                raise RuntimeError("emulator exited with %s: %s" % (self.process.returncode, self.log()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("emulator.json did not appear within %s s" % timeout)
            time.sleep(0.02)
        with open(self.info_path, encoding="utf-8") as handle:
            self.info = json.load(handle)
        return self.info

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send ``signum`` and return the exit code."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        """What the emulator wrote to stderr so far."""
        with open(self.log_path, encoding="utf-8") as handle:
            return handle.read()


def run_to_exit(state_dir: str, *extra_args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run the emulator expecting it to exit by itself (bad configuration...)."""
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "okms_emulator", "--state-dir", str(state_dir), *extra_args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
