#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH fleet test: okms.access.client in csr mode on N real SSH hosts, each in its own network namespace.

Brings up the fleet (tests/utils/okms_testlib/fleet.py), starts the emulator on the fleet's gateway address
so that the hosts can reach its mTLS endpoint, and runs, over SSH:

1. tests/fleet/smoke.yml: every host answers, is alone in its namespace and has its own /etc/okms;
2. tests/fleet/site.yml four times: check mode, real, check mode, real; expecting changed, changed,
   unchanged, unchanged, no API write in check mode or in the second real run;
3. per host, from the root namespace: files, owners and modes, the certificate matches the key and
   names the domain, a different credential per host;
4. per host: the role's mTLS check came from that host's own address (emulator log), and the deployed
   files open the mTLS endpoint from inside the host's namespaces (nsenter into its sshd).

Tears everything down at the end, also on failure or SIGTERM, and cleans an aborted run's leftovers
first. Needs root. Exit 0 when every check passed; the last line reads "N passed, M failed".
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'utils'))

from okms_testlib import HarnessError, fleet  # noqa: E402
from okms_testlib.certificates import credential_id  # noqa: E402
from okms_testlib.collection import REPO, sync_collection  # noqa: E402
from okms_testlib.emulator import Emulator, role_inputs, split_requests  # noqa: E402
from okms_testlib.playbook import run_playbook, write_ansible_cfg  # noqa: E402
from okms_testlib.secret_scan import find_leaks, issued_tokens, secrets_of  # noqa: E402

FILE_MODES = {'domain.key': 0o600, 'client.cert': 0o644, 'ca.pem': 0o644}
DIR_MODE = 0o750
CREATE_ROUTE = 'POST /v2/okms/resource/{okmsId}/credential'
MTLS_ROUTE = 'GET /api/{okmsId}/v1/random'
# One line of the emulator's access log (http.server format), for a request to the mTLS endpoint.
MTLS_LOG_LINE = re.compile(r'^(?P<client>\S+) - - \[[^\]]*\] "GET /api/[^/]+/v1/random\S* HTTP/1\.[01]" (?P<status>\d{3})', re.MULTILINE)
# Runs inside a host's namespaces: an mTLS request with the host's own files, as a client of the domain would.
MTLS_PROBE = '''
import json, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile="/etc/okms/ca.pem")
ctx.load_cert_chain("/etc/okms/client.cert", "/etc/okms/domain.key")
with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=30) as resp:
    print(resp.status, len(json.load(resp)["bytes"]))
'''


class Checks:
    """Named checks, printed as they are made and counted for the closing line."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def check(self, name: str, ok: bool, detail: str = '') -> bool:
        print('  %s %s%s' % ('ok  ' if ok else 'FAIL', name, ' (%s)' % detail if detail else ''), flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok


class FleetTest:
    """One run of the SSH fleet test; setup() and teardown() bracket the steps."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state_dir: Path = args.state_dir.resolve()
        self.checks = Checks()
        self.emulator: Emulator | None = None
        self.state: dict = {}
        self.env: dict = {}
        self.inventory = self.state_dir / 'inventory-test.yml'
        self.logs: list[Path] = []

    def setup(self) -> None:
        started = time.monotonic()
        self.state = fleet.fleet_up(self.state_dir, self.args.hosts, self.args.subnet, self.args.python)
        self.emulator = Emulator(self.state_dir / 'emulator', host=self.state['gateway'], verbose=True)
        info = self.emulator.start()
        collections = self.args.collections_path.resolve() if self.args.collections_path else sync_collection(self.state_dir / 'collections')
        cfg = write_ansible_cfg(self.state_dir / 'ansible.cfg', self.args.forks)
        self.env = {'ANSIBLE_CONFIG': str(cfg), 'ANSIBLE_COLLECTIONS_PATH': str(collections), 'ANSIBLE_PIPELINING': 'True'}
        inventory = json.loads(Path(self.state['inventory']).read_text())
        inventory['all']['children']['fleet']['vars'].update(role_inputs(info))
        self.inventory.write_text(json.dumps(inventory, indent=2) + '\n')
        print('fleet of %d hosts up in %.1f s (host python %s); emulator at %s, mTLS at %s'
              % (len(self.hosts), time.monotonic() - started, self.state['python'], info['api_url'], info['rest_url']), flush=True)

    @property
    def hosts(self) -> list[dict]:
        return self.state.get('hosts', [])

    def playbook(self, name: str, playbook: str, *extra: str) -> tuple:
        """Run a playbook of tests/fleet on the fleet; returns the run, the API requests it made and the emulator's log of it."""
        self.emulator.reset_requests()
        log = self.state_dir / ('%s.log' % name)
        log_start = self.emulator.log.stat().st_size
        run = run_playbook(name, HERE / playbook, self.inventory, self.env, log, list(extra))
        by_route = self.emulator.requests_by_route()
        with self.emulator.log.open() as emulator_log:
            emulator_log.seek(log_start)
            access_log = emulator_log.read()
        problems = run.problems([host['name'] for host in self.hosts])
        print('%s: %.1f s, changed per host %s, requests %s' % (
            name, run.wall, {h: c['changed'] for h, c in sorted(run.recap.items())}, json.dumps(by_route, sort_keys=True)), flush=True)
        self.checks.check('%s ran on every host without failure' % name, not problems, '; '.join(problems))
        self.logs.append(log)
        return run, by_route, access_log

    def step_smoke(self) -> None:
        self.playbook('smoke', 'smoke.yml')

    def step_four_runs(self) -> None:
        """Check mode, real, check mode, real: changed, changed, unchanged, unchanged."""
        names = [host['name'] for host in self.hosts]
        run, by_route, _access = self.playbook('role-1-check', 'site.yml', '--check')
        self.checks.check('check mode predicts a change on every host', all(run.recap.get(n, {}).get('changed') for n in names))
        self.checks.check('check mode makes no API write', split_requests(by_route)['api_writes'] == 0, str(by_route))
        left = {host['name']: sorted(p.name for p in self.okms_dir(host).iterdir()) for host in self.hosts}
        self.checks.check('check mode writes no file', not any(left.values()), str(left))

        run, by_route, access_log = self.playbook('role-2-real', 'site.yml', '-vvv')
        self.checks.check('first real run changes every host', all(run.recap.get(n, {}).get('changed') for n in names))
        self.checks.check('one credential created per host', by_route.get(CREATE_ROUTE, 0) == len(names), '%s' % by_route.get(CREATE_ROUTE, 0))
        self.checks.check('every host made an mTLS check', by_route.get(MTLS_ROUTE, 0) >= len(names), '%s' % by_route.get(MTLS_ROUTE, 0))
        self.check_mtls_sources(access_log, len(names))

        run, by_route, _access = self.playbook('role-3-check', 'site.yml', '--check')
        self.checks.check('check mode again predicts no change', run.changed() == 0, 'changed=%d' % run.changed())
        self.checks.check('check mode again makes no API write', split_requests(by_route)['api_writes'] == 0, str(by_route))

        run, by_route, _access = self.playbook('role-4-real', 'site.yml')
        requests = split_requests(by_route)
        okms = requests['okms_reads'] + requests['okms_writes']
        self.checks.check('second real run changes nothing (changed=0)', run.changed() == 0, 'changed=%d' % run.changed())
        self.checks.check('second real run makes no API write and lists nothing', requests['api_writes'] == 0 and requests['list_pages'] == 0,
                          str(by_route))
        self.checks.check('second real run: OKMS requests <= hosts + 1', okms <= len(names) + 1, '%d' % okms)

    def check_mtls_sources(self, access_log: str, count: int) -> None:
        """The emulator's access log of the run shows a successful mTLS request from each host's own address."""
        sources = {}
        for match in MTLS_LOG_LINE.finditer(access_log):
            if match.group('status') == '200':
                sources[match.group('client')] = sources.get(match.group('client'), 0) + 1
        for host in self.hosts:
            self.checks.check('%s: the role\'s mTLS check came from %s' % (host['name'], host['address']), host['address'] in sources,
                              'successful mTLS requests by source: %s' % sources)
        self.checks.check('no mTLS request came from outside the fleet', set(sources) <= {h['address'] for h in self.hosts}, str(sources))
        self.checks.check('as many successful mTLS requests as hosts or more', sum(sources.values()) >= count, str(sources))

    def okms_dir(self, host: dict) -> Path:
        """The directory bind-mounted on the host's /etc/okms, seen from the root namespace."""
        return Path(host['dir']) / 'etc-okms'

    def step_files(self) -> None:
        """Per host: modes and owners, certificate and key match, the certificate is the domain's and the host's own."""
        okms_id = self.emulator.info['okms_id']
        users_ca = x509.load_pem_x509_certificate(Path(self.emulator.info['users_ca_file']).read_bytes())
        serials = {}
        for host in self.hosts:
            base = self.okms_dir(host)
            present = sorted(p.name for p in base.iterdir())
            if not self.checks.check('%s: /etc/okms holds %s' % (host['name'], ', '.join(FILE_MODES)), set(FILE_MODES) <= set(present), str(present)):
                continue
            modes = {name: (base / name).stat().st_mode & 0o7777 for name in FILE_MODES}
            modes['.'] = base.stat().st_mode & 0o7777
            wanted = dict(FILE_MODES, **{'.': DIR_MODE})
            self.checks.check('%s: modes' % host['name'], modes == wanted,
                              ', '.join('%s %04o' % (name, mode) for name, mode in sorted(modes.items())))
            owners = {(base / name).stat().st_uid for name in list(FILE_MODES) + ['.']}
            self.checks.check('%s: owned by root' % host['name'], owners == {0}, str(owners))
            key = serialization.load_pem_private_key((base / 'domain.key').read_bytes(), None)
            cert = x509.load_pem_x509_certificate((base / 'client.cert').read_bytes())
            spki = serialization.PublicFormat.SubjectPublicKeyInfo
            same_key = cert.public_key().public_bytes(serialization.Encoding.DER, spki) == key.public_key().public_bytes(serialization.Encoding.DER, spki)
            self.checks.check('%s: certificate matches the key' % host['name'], same_key)
            subject = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
            issuer = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
            self.checks.check('%s: certificate of the domain' % host['name'], (subject, issuer) == (okms_id, 'CCMUsersCA'), '%s / %s' % (subject, issuer))
            self.checks.check('%s: certificate signed by the domain\'s users CA' % host['name'], signed_by(cert, users_ca))
            serials[host['name']] = credential_id(cert)
        self.checks.check('every host has its own credential', len(set(serials.values())) == len(self.hosts), str(serials))

    def step_mtls_inside(self) -> None:
        """From inside each host's network and mount namespaces (those of its sshd), the host's files open the mTLS endpoint."""
        url = '%s/api/%s/v1/random?length=8' % (self.emulator.info['rest_url'], self.emulator.info['okms_id'])
        for host in self.hosts:
            cmd = ['nsenter', '--target', str(host['sshd_pid']), '--net', '--mount', self.state['python'], '-c', MTLS_PROBE, url]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
            self.checks.check('%s: mTLS request from inside its namespaces with its /etc/okms files' % host['name'],
                              proc.returncode == 0 and proc.stdout.split() == ['200', '12'], (proc.stdout + proc.stderr).strip()[-300:])

    def scan_logs(self) -> None:
        """No secret in the playbooks' output (one real run is at -vvv): the emulator's keys and tokens, the hosts' private keys."""
        secrets = secrets_of(self.emulator.info, issued_tokens(self.emulator.state_dir))
        secrets['a line of a host private key'] = [line for host in self.hosts for line in private_key_lines(self.okms_dir(host) / 'domain.key')]
        for log in self.logs:
            leaks = find_leaks(log.read_text(errors='replace'), secrets)
            self.checks.check('no secret in the output of %s' % log.name, not leaks,
                              '; '.join('%s on lines %s' % (kind, lines[:5]) for kind, lines in leaks.items()))

    def teardown(self) -> None:
        """Stop the emulator, scan the logs, tear the fleet down; the fleet goes whatever happens before."""
        try:
            if self.emulator is not None:
                self.emulator.stop()
                if self.emulator.info:
                    self.scan_logs()
        except (OSError, ValueError, sqlite3.Error) as exc:
            self.checks.check('logs scanned for secrets', False, '%s: %s' % (type(exc).__name__, exc))
        finally:
            fleet.fleet_down(self.state_dir)
        state = fleet.read_state(self.state_dir)
        leftovers = fleet.our_namespaces(state) + fleet.our_links(state)
        self.checks.check('teardown left no namespace, sshd or link', not leftovers, str(leftovers))


def private_key_lines(path: Path) -> list[str]:
    """The base64 lines of the PEM key at PATH that hold private material: a SEC1 key ends with its public key,
    whose last line can equal the last line of the public key's PEM, which the role may show."""
    if not path.exists():
        return []
    pem = path.read_bytes()
    public_pem = serialization.load_pem_private_key(pem, None).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return [line for line in pem.decode().splitlines() if '-----' not in line and line not in public_pem]


def signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def interrupted(signum, _frame):
    raise KeyboardInterrupt('signal %d' % signum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--hosts', type=int, default=4, help='number of SSH hosts (default 4)')
    parser.add_argument('--forks', type=int, default=10, help='ansible forks (default 10)')
    parser.add_argument('--state-dir', type=Path, default=REPO / 'build' / 'fleet-test', help='scratch directory (default build/fleet-test)')
    parser.add_argument('--subnet', default=fleet.DEFAULT_SUBNET, help='private subnet of the fleet (default %s)' % fleet.DEFAULT_SUBNET)
    parser.add_argument('--python', default='auto', help="hosts' interpreter (default: /usr/bin/python3 if it has cryptography)")
    parser.add_argument('--collections-path', type=Path, default=None,
                        help='use this collections root (holding ansible_collections/okms/access) instead of copying the repository')
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, interrupted)
    test = FleetTest(args)
    started = time.monotonic()
    try:
        test.setup()
        for step in (test.step_smoke, test.step_four_runs, test.step_files, test.step_mtls_inside):
            step()
    except (HarnessError, fleet.FleetError, KeyboardInterrupt) as exc:
        test.checks.check('fleet test ran to the end', False, '%s: %s' % (type(exc).__name__, exc))
    finally:
        test.teardown()
    print('fleet test: %d hosts, %.0f s, logs in %s' % (args.hosts, time.monotonic() - started, test.state_dir))
    print('%d passed, %d failed' % (test.checks.passed, len(test.checks.failed)))
    return 1 if test.checks.failed else 0


if __name__ == '__main__':
    sys.exit(main())
