# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OKMS emulator (tests/emulator) as the tests use it.

- AdminClient: its admin routes (request counters, settings, preloaded credentials, faults, expiry dates);
- Emulator: start it as a child process in its own state directory, stop it; it is an AdminClient once started;
- split_requests(): sort its request counters into auth, OKMS reads/writes, list pages, API writes, mTLS;
- role_inputs(), ovh_environment(): what the role or the modules need to talk to it.

Every function takes or returns the emulator's description, ``emulator.json`` (the pipeline writes the same
dictionary under ``okms_emulator`` in tests/integration/integration_config.yml).
"""

from __future__ import annotations

import ctypes
import datetime
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from okms_testlib import HarnessError
from okms_testlib.collection import REPO

_PR_SET_PDEATHSIG = 1
LIST_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential'
_WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')


class AdminClient:
    """The admin routes of the emulator that INFO (its emulator.json) describes, verified with its CA."""

    def __init__(self, info: dict):
        self.info = info

    def call(self, method: str, path: str, body: dict | None = None):
        """Call an admin route (GET /requests, POST /requests/reset, /config, /preload, ...); returns parsed JSON.

        The admin interface answers loopback clients only: the connection leaves from 127.0.0.1 even when
        the emulator listens on another address of this machine (--host, for the SSH fleet).
        """
        url = urllib.parse.urlsplit(self.info['admin_url'])
        context = ssl.create_default_context(cafile=self.info['ca_file'])
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=300, context=context, source_address=('127.0.0.1', 0))
        try:
            conn.request(method, url.path.rstrip('/') + path, body=None if body is None else json.dumps(body),
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
        """The request counters since the last reset, keyed "METHOD /route/template"."""
        return dict(self.call('GET', '/requests').get('by_route', {}))

    def reset_requests(self) -> None:
        self.call('POST', '/requests/reset', {})

    def configure(self, **settings) -> None:
        self.call('POST', '/config', settings)

    def preload(self, count: int) -> None:
        """Add COUNT unrelated READY credentials to the domain."""
        if count:
            self.call('POST', '/preload', {'okms_id': self.info['okms_id'], 'count': count})

    def expire_in(self, credential_id: str, days: float) -> str:
        """Move a credential's expiry date to DAYS days from now; returns the new date."""
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
        return self.call('POST', '/credentials/%s' % credential_id, {'expiredAt': when.isoformat()})['expiredAt']

    def fail_next(self, route: str, status: int) -> None:
        """Answer the next request of ROUTE ("METHOD /route/template") with STATUS."""
        self.call('POST', '/faults', {'route': route, 'status': status, 'count': 1})

    def clear_faults(self) -> None:
        self.call('DELETE', '/faults')


def split_requests(by_route: dict) -> dict:
    """Sort the emulator's counters (keys "METHOD /route/template") into what the tests talk about.

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


def role_inputs(info: dict) -> dict:
    """The role's inputs for the emulator of INFO: its domain, its account, application-key auth, its CA."""
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


def ovh_environment(info: dict) -> dict:
    """The OVH_* variables (read as python-ovh reads them) for the emulator of INFO; requests takes its CA from
    REQUESTS_CA_BUNDLE. Secrets: give them to a child process's environment, never print them."""
    return {
        'OVH_ENDPOINT': info['api_url'],
        'OVH_APPLICATION_KEY': info['application_key'],
        'OVH_APPLICATION_SECRET': info['application_secret'],
        'OVH_CONSUMER_KEY': info['consumer_key'],
        'REQUESTS_CA_BUNDLE': info['ca_file'],
    }


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the parent dies, so that a killed test leaves no emulator behind (Linux).

    The signal comes when the thread that started the emulator ends: start it from the main thread.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Emulator(AdminClient):
    """The OKMS emulator run as a child process with its own state directory; its log is STATE_DIR.log."""

    def __init__(self, state_dir: Path, host: str | None = None, python: str = sys.executable, verbose: bool = False,
                 config: dict | None = None):
        super().__init__({})
        self.state_dir = state_dir
        self.host = host
        self.config = config
        self.verbose = verbose
        self.python = python
        self.log = state_dir.with_name(state_dir.name + '.log')
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> dict:
        """Start the emulator and wait for STATE_DIR/emulator.json (written once it serves); returns it."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        ready_file = self.state_dir / 'emulator.json'
        if ready_file.exists():
            ready_file.unlink()
        cmd = [self.python, '-m', 'okms_emulator', '--state-dir', str(self.state_dir)]
        if self.host:
            cmd += ['--host', self.host]
        if self.verbose:
            cmd.append('--verbose')
        if self.config is not None:  # the emulator's --config (accounts, settings), beside the state directory
            config_file = self.state_dir.with_name(self.state_dir.name + '-config.json')
            config_file.write_text(json.dumps(self.config), encoding='utf-8')
            cmd += ['--config', str(config_file)]
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
        return self.info

    def cpu_seconds(self) -> float:
        """The CPU time (user + system) that the running emulator has used so far; 0 when it is not running."""
        try:
            fields = Path('/proc/%d/stat' % self._proc.pid).read_text().rsplit(')', 1)[1].split()
        except (AttributeError, OSError):
            return 0.0
        # Fields 14 and 15 of proc(5) (utime, stime), counted here after the command name's closing parenthesis.
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def stop(self) -> bool:
        """SIGTERM, then SIGKILL after 15 s; safe to call twice. True when this call stopped a running emulator."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return True

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
