# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pieces shared by the benchmark (scripts/bench.py) and the SSH fleet test (tests/fleet/run.py).

- sync_collection(): copy the working tree to ``ROOT/ansible_collections/okms/access``;
- Emulator: start the emulator in its own state directory, talk to its admin routes, stop it;
- run_playbook(): run ansible-playbook, time it and read the PLAY RECAP per host;
- split_requests(): sort the emulator's request counters into auth, OKMS reads/writes, list pages, mTLS.
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

# Never copied into the collection tree: VCS data, virtualenvs, build outputs, test outputs.
_SYNC_IGNORE = shutil.ignore_patterns('.git', '.venv', 'build', 'output', '__pycache__', '*.pyc', '.pytest_cache')

_PR_SET_PDEATHSIG = 1
LIST_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential'
_WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')
_RECAP = re.compile(
    r'^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
    r'failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)',
    re.MULTILINE)


class HarnessError(Exception):
    """A step of the harness failed; the message says which and where to look."""


def sync_collection(collections_root: Path) -> Path:
    """Copy the repository to COLLECTIONS_ROOT/ansible_collections/okms/access (a real directory, as Ansible needs)."""
    dest = collections_root / 'ansible_collections' / 'okms' / 'access'
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO, dest, ignore=_SYNC_IGNORE, symlinks=True)
    # ansible-test lists content with git when it sits in a checkout; the copy lies under build/, which the
    # repository ignores, so without a repository of its own ansible-test would see no file and test nothing.
    subprocess.run(['git', 'init', '--quiet', str(dest)], check=True)
    return collections_root


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
        """Why this run cannot be trusted: failed or unreachable hosts, or hosts missing from the recap."""
        found = []
        if self.rc != 0:
            found.append('%s: ansible-playbook exited %d (see %s)' % (self.name, self.rc, self.log))
        for host in hosts:
            counts = self.recap.get(host)
            if counts is None:
                found.append('%s: host %s missing from the PLAY RECAP (see %s)' % (self.name, host, self.log))
            elif counts['failed'] or counts['unreachable']:
                found.append('%s: host %s failed=%d unreachable=%d (see %s)'
                             % (self.name, host, counts['failed'], counts['unreachable'], self.log))
        return found


def run_playbook(name: str, playbook: Path, inventory: Path, env: dict, log: Path, extra_args: list[str] | None = None) -> PlaybookRun:
    """Run one playbook with the virtualenv's ansible-playbook; its output goes to LOG, never to our stdout."""
    cmd = [str(VENV_BIN / 'ansible-playbook'), '-i', str(inventory), str(playbook)] + list(extra_args or [])
    full_env = dict(os.environ)
    full_env.update(env)
    start, cpu_start = time.monotonic(), _children_cpu()
    with log.open('w') as out:
        out.write('$ %s\n' % ' '.join(cmd))
        out.flush()
        rc = subprocess.run(cmd, env=full_env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False).returncode
    wall, cpu = time.monotonic() - start, _children_cpu() - cpu_start
    recap = {}
    for match in _RECAP.finditer(log.read_text()):
        recap[match.group('host')] = {key: int(value) for key, value in match.groupdict().items() if key != 'host'}
    return PlaybookRun(name=name, wall=wall, cpu=cpu, rc=rc, recap=recap, log=str(log))


def _children_cpu() -> float:
    """CPU seconds (user + system) of the waited-for children so far: ansible-playbook, its forks and their modules."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def role_inputs(info: dict) -> dict:
    """The role's inputs for the emulator of INFO (emulator.json): its domain, its account, application-key auth, its CA."""
    return {
        'okms_client_okms_id': info['okms_id'],
        'okms_client_identity_urns': ['urn:v1:eu:identity:account:%s' % info['nichandle']],
        'okms_client_api': {
            'endpoint': info['api_url'],
            'application_key': info['application_key'],
            'application_secret': info['application_secret'],
            'consumer_key': info['consumer_key'],
            'ca_path': info['ca_file'],
        },
    }


def split_requests(by_route: dict) -> dict:
    """Sort the emulator's counters (keys "METHOD /route/template") into what the targets talk about.

    auth: server time, OAuth2 tokens, /auth/details (the cost of authenticating, reported apart);
    okms_reads/okms_writes: the /v2/okms routes; list_pages: GETs of the credential list;
    api_writes: every POST/PUT/PATCH/DELETE of the OVH API except token requests;
    mtls: requests to the KMS domain's own REST API (/api/...), made by the hosts.
    """
    result = {'auth': 0, 'okms_reads': 0, 'okms_writes': 0, 'list_pages': 0, 'api_writes': 0, 'mtls': 0, 'other': 0}
    for route, count in by_route.items():
        method, _sep, path = route.partition(' ')
        write = method in _WRITE_METHODS
        if '/auth/' in path or 'oauth2' in path:
            result['auth'] += count
        elif path.startswith('/api/'):
            result['mtls'] += count
            continue
        elif path.startswith('/v2/okms'):
            result['okms_writes' if write else 'okms_reads'] += count
            result['list_pages'] += count if route == LIST_ROUTE else 0
        else:
            result['other'] += count
        if write and 'oauth2' not in path:
            result['api_writes'] += count
    return result


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the parent dies, so that a killed harness leaves no emulator behind (Linux).

    The signal comes when the thread that started the emulator ends: start it from the main thread.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Emulator:
    """The OKMS emulator (tests/emulator) run as a child process with its own state directory."""

    def __init__(self, state_dir: Path, host: str | None = None, python: str = sys.executable, verbose: bool = False):
        self.state_dir = state_dir
        self.host = host
        self.verbose = verbose
        self.python = python
        self.log = state_dir.with_name(state_dir.name + '.log')
        self.info: dict = {}
        self._proc: subprocess.Popen | None = None
        self._ssl: ssl.SSLContext | None = None

    def start(self, timeout: float = 60.0) -> dict:
        """Start the emulator and wait for DIR/emulator.json (written once it serves)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready_file = self.state_dir / 'emulator.json'
        if ready_file.exists():
            ready_file.unlink()
        cmd = [self.python, '-m', 'okms_emulator', '--state-dir', str(self.state_dir)]
        if self.host:
            cmd += ['--host', self.host]
        if self.verbose:
            cmd.append('--verbose')
        env = dict(os.environ, PYTHONPATH=str(REPO / 'tests' / 'emulator'))
        with self.log.open('w') as out:
            self._proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while not ready_file.exists():
            if self._proc.poll() is not None:
                raise HarnessError('the emulator exited with %s before it was ready; see %s' % (self._proc.returncode, self.log))
            if time.monotonic() > deadline:
                self.stop()
                raise HarnessError('the emulator was not ready after %ds; see %s' % (timeout, self.log))
            time.sleep(0.1)
        self.info = json.loads(ready_file.read_text())
        self.info['state_dir'] = str(self.state_dir)
        self._ssl = ssl.create_default_context(cafile=self.info['ca_file'])
        return self.info

    def admin(self, method: str, path: str, body: dict | None = None):
        """Call an admin route (GET /requests, POST /requests/reset, /config, /preload, ...); returns parsed JSON.

        The admin interface answers loopback clients only: the connection leaves from 127.0.0.1 even when
        the emulator listens on another address of this machine (--host, for the SSH fleet).
        """
        url = urllib.parse.urlsplit(self.info['admin_url'])
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=300, context=self._ssl, source_address=('127.0.0.1', 0))
        try:
            conn.request(method, url.path + path, body=None if body is None else json.dumps(body),
                         headers={'Content-Type': 'application/json'})
            resp = conn.getresponse()
            payload = resp.read()
        except OSError as exc:
            raise HarnessError('emulator admin %s %s failed: %s' % (method, path, exc)) from exc
        finally:
            conn.close()
        if resp.status != 200:
            raise HarnessError('emulator admin %s %s answered %d: %s' % (method, path, resp.status, payload[:500]))
        return json.loads(payload)

    def requests_by_route(self) -> dict:
        return dict(self.admin('GET', '/requests').get('by_route', {}))

    def reset_requests(self) -> None:
        self.admin('POST', '/requests/reset', {})

    def configure(self, **settings) -> None:
        self.admin('POST', '/config', settings)

    def preload(self, count: int) -> None:
        if count:
            self.admin('POST', '/preload', {'okms_id': self.info['okms_id'], 'count': count})

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 15 s; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
