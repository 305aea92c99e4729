# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-playbook as the tests run it: timed runs, their PLAY RECAP, what to expect of it, a shared ansible.cfg."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
_RECAP = re.compile(
    r'^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
    r'failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)',
    re.MULTILINE)


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """The last PLAY RECAP of an ansible-playbook output: host -> {ok, changed, unreachable, failed, ...}."""
    recap = {}
    for match in _RECAP.finditer(output[output.rfind('PLAY RECAP'):]):
        recap[match.group('host')] = {key: int(value) for key, value in match.groupdict().items() if key != 'host'}
    return recap


def recap_problems(recap: dict, changed=(), unchanged=(), failed=(), succeeded=()) -> list[str]:
    """What in RECAP contradicts the expectation: hosts that must have changed something (CHANGED), nothing
    (UNCHANGED), that must have failed (FAILED) or only not failed (SUCCEEDED). Unreachable counts as failed."""
    problems = []
    for expected, hosts in (('changed', changed), ('unchanged', unchanged), ('failed', failed), ('succeeded', succeeded)):
        for host in hosts:
            counts = recap.get(host)
            if counts is None:
                problems.append('%s is not in the PLAY RECAP' % host)
                continue
            host_failed = counts['failed'] or counts['unreachable']
            if expected == 'failed':
                if not host_failed:
                    problems.append('%s did not fail' % host)
                continue
            if host_failed:
                problems.append('%s failed (failed=%d unreachable=%d)' % (host, counts['failed'], counts['unreachable']))
            elif expected == 'changed' and not counts['changed']:
                problems.append('%s changed nothing, a change was expected' % host)
            elif expected == 'unchanged' and counts['changed']:
                problems.append('%s changed %d things, nothing was expected to change' % (host, counts['changed']))
    return problems


def write_ansible_cfg(path: Path, forks: int, extra_defaults: dict | None = None) -> Path:
    """Write an ansible.cfg used by every run of one tool, so that all runs share one configuration."""
    defaults = {
        'forks': str(forks),
        'strategy': 'linear',
        'gathering': 'explicit',
        'retry_files_enabled': 'False',
        'nocolor': 'True',
        'interpreter_python': 'auto_silent',
    }
    defaults.update(extra_defaults or {})
    lines = ['[defaults]'] + ['%s = %s' % item for item in sorted(defaults.items())]
    path.write_text('\n'.join(lines) + '\n')
    return path


@dataclass
class PlaybookRun:
    """One ansible-playbook run: its wall time, CPU time, exit code, per-host recap and where its output went."""
    name: str
    wall: float
    cpu: float
    rc: int
    recap: dict = field(default_factory=dict)
    log: str = ''

    def changed(self) -> int:
        return sum(counts['changed'] for counts in self.recap.values())

    def problems(self, hosts: list[str]) -> list[str]:
        """Why this run cannot be trusted: a non-zero exit code, failed or unreachable hosts, hosts missing from the recap."""
        found = ['ansible-playbook exited %d' % self.rc] if self.rc != 0 else []
        found += recap_problems(self.recap, succeeded=hosts)
        return ['%s: %s (see %s)' % (self.name, problem, self.log) for problem in found]


def run_playbook(name: str, playbook: Path | str, inventory: Path, env: dict, log: Path,
                 extra_args: list[str] | None = None, echo: bool = False) -> PlaybookRun:
    """Run one playbook (a path or a collection's playbook name) with the virtualenv's ansible-playbook.

    Its output goes to LOG, and with ECHO to our stdout as well.
    """
    cmd = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)] + list(extra_args or [])
    full_env = dict(os.environ)
    full_env.update(env)
    start, cpu_start = time.monotonic(), _children_cpu()
    with log.open('w') as out:
        out.write('$ %s\n' % ' '.join(cmd))
        out.flush()
        with subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE if echo else out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True) as proc:
            for line in proc.stdout if echo else ():
                out.write(line)
                sys.stdout.write(line)
                sys.stdout.flush()
        rc = proc.returncode
    wall, cpu = time.monotonic() - start, _children_cpu() - cpu_start
    return PlaybookRun(name=name, wall=wall, cpu=cpu, rc=rc, recap=parse_recap(log.read_text()), log=str(log))


def _children_cpu() -> float:
    """CPU seconds (user + system) of the waited-for children so far: ansible-playbook, its forks and their modules."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
