# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crashes on purpose: a process tree killed at a chosen point, found by watching, never by waiting a while.

- Process: a command (ansible-playbook) in its own session, its output in a log; ``kill_tree()`` stops then kills it
  and every descendant (Ansible's workers call setsid(), so a process group would miss them);
- Process.watch(): until it exits, or until ``stop_when()`` says it reached the point where it must die; wait_all():
  several processes, each one's end time noted;
- stop_between_renames(): the environment that makes the process stop between renaming a key and a certificate into
  place (stop_hook/sitecustomize.py), with the marker file it creates there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STOP_HOOK = Path(__file__).resolve().parent / 'stop_hook'
POLL = 0.05


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (Linux /proc)."""
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, encoding='utf-8', errors='replace') as handle:
                fields = handle.read().rpartition(')')[2].split()
        except OSError:
            continue  # gone meanwhile
        found[int(entry)] = int(fields[1])
    return found


def descendants(root: int) -> set[int]:
    parents = _parents()
    tree, grew = {root}, True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grew = bool(children)
    return tree - {root}


def kill_tree(root: int) -> None:
    """SIGSTOP the process and its descendants until no new one appears (nothing forks any more), then SIGKILL them all."""
    stopped: set[int] = set()
    while True:
        fresh = ({root} | descendants(root)) - stopped
        if not fresh:
            break
        for pid in fresh:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        stopped |= fresh
    for pid in stopped:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class Outcome:
    """How a run ended: its exit code (negative: killed by that signal), whether the test killed it, its output and
    wall time (seconds)."""
    rc: int
    killed: bool
    timed_out: bool
    output: str
    wall: float


class Process:
    """A command started in its own session, output (stdout and stderr) to LOG."""

    def __init__(self, cmd: list[str], env: dict, log: Path):
        self.log = log
        self.started = time.monotonic()
        self.ended = None
        with log.open('w', encoding='utf-8') as out:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.killed = self.timed_out = False

    def kill(self) -> None:
        kill_tree(self.proc.pid)
        self.proc.wait()
        self.killed = True

    def running(self) -> bool:
        if self.proc.poll() is None:
            return True
        if self.ended is None:
            self.ended = time.monotonic()
        return False

    def outcome(self) -> Outcome:
        self.proc.wait()
        self.running()
        return Outcome(self.proc.returncode, self.killed, self.timed_out, self.log.read_text(encoding='utf-8', errors='replace'),
                       self.ended - self.started)

    def watch(self, stop_when=None, timeout: float = 180.0) -> Outcome:
        """Until the process exits; killed (tree) as soon as STOP_WHEN() is true, or after TIMEOUT seconds."""
        deadline = time.monotonic() + timeout
        while self.running():
            if stop_when is not None and stop_when():
                self.kill()
                break
            if time.monotonic() > deadline:
                self.timed_out = True
                self.kill()
                break
            time.sleep(POLL)  # polling the process and the stop point, not waiting for a race to settle
        return self.outcome()


def wait_all(processes: list[Process]) -> None:
    """Until every process exited, each one's end time noted when it happens."""
    while [process for process in processes if process.running()]:
        time.sleep(POLL)


def stop_between_renames(env: dict, key_path: str, cert_path: str, marker: Path) -> dict:
    """ENV with the stop hook for one key and certificate pair; MARKER appears when a process stopped between them."""
    pythonpath = [str(STOP_HOOK)] + [part for part in env.get('PYTHONPATH', '').split(os.pathsep) if part]
    return dict(env, PYTHONPATH=os.pathsep.join(pythonpath), OKMS_TEST_STOP_BETWEEN='%s:%s' % (key_path, cert_path),
                OKMS_TEST_STOP_MARKER=str(marker))
