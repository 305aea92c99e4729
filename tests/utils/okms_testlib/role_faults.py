# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role okms.access.client under faults: the rows of the role_client_crash, role_client_concurrent,
role_client_partial and role_client_clone integration targets, each ended by a census (okms_testlib.census).

Hosts are local (ansible_connection local), each with its own root directory under WORK/rows/ROW/hosts/HOST: its files
in etc/okms and its Ansible temporary directory in tmp. Credential names are TARGET.ROW.N (shared mode:
TARGET.ROW.shared), so a row's census sees its own credentials only. The play is role_client_common/site.yml.

Stop points are reached by watching, never by waiting: the API (a credential appears; the emulator's request
counters), a marker file written by a handler or by the stop hook (okms_testlib.crash), or a fault that holds the
create call's answer. Then the whole process tree of ansible-playbook is killed.
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from okms_testlib import census, crash
from okms_testlib.certificates import credential_id, load_certificate
from okms_testlib.secret_scan import redact, secrets_of

COUNTS = ('lost', 'duplicates', 'foreign', 'mismatched', 'unsafe', 'leaks')
CREATE_ROUTE = 'POST /v2/okms/resource/{okmsId}/credential'
GET_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential/{credentialId}'
DELETE_ROUTE = 'DELETE /v2/okms/resource/{okmsId}/credential/{credentialId}'
# A credential made to expire within ROTATE_AT days is renewed by a run with okms_client_renew_before_days ROTATE_BEFORE,
# and not by a run with the role's default (30): the crash run rotates, the rerun has no reason to.
ROTATE_AT, ROTATE_BEFORE = 100, 200
# How long the answer of a create call is held, so that the run is inside the call when it is killed.
HOLD_ANSWER = 30
STUCK_READY_DELAY = 60


@dataclass
class Row:
    """One fault of a target, its hosts, and what its census reads."""
    id: str
    label: str
    mode: str
    hosts: list
    play: str
    name: str = ''
    outcome: list = field(default_factory=list)
    texts: dict = field(default_factory=dict)
    controller_tmp: list = field(default_factory=list)
    foreign: list = field(default_factory=list)
    failed: list = field(default_factory=list)


class Bench:
    """The hosts, runs and censuses of one target; the table of its rows at the end."""

    def __init__(self, config: Path, work: Path, target: str, site: Path, verbosity: list[str]):
        self.config, self.info = config, census.load(config)
        self.work, self.target, self.site, self.verbosity = work, target, site, verbosity
        self.rows: list[Row] = []
        self.overrides: dict[str, dict] = {}
        self.secrets = secrets_of(self.info, [])
        self.settings = census.admin(self.info, '/config', None, 'GET')
        self.runs = 0
        self.lines = ['| row | outcome | lost keys | duplicates | foreign deletes | mismatched pairs | unsafe files | leaks |',
                      '|---|---|---|---|---|---|---|---|']

    # Hosts and rows

    def row(self, row_id: str, label: str, mode: str, count: int, play: str = '') -> Row:
        """A row of COUNT hosts; rows of one PLAY (default: the row alone) share an inventory, which holds nothing else."""
        hosts = ['%s.%s.%d' % (self.target, row_id, number) for number in range(1, count + 1)]
        row = Row(row_id, label, mode, hosts, play or row_id, name='%s.%s.shared' % (self.target, row_id) if mode == 'shared' else '')
        self.rows.append(row)
        for host in hosts:
            (self.root(row, host) / 'etc').mkdir(parents=True, exist_ok=True)
            (self.root(row, host) / 'tmp').mkdir(mode=0o700, exist_ok=True)
        return row

    def prefix(self, row: Row) -> str:
        return '%s.%s.' % (self.target, row.id)

    def root(self, row: Row, host: str) -> Path:
        return self.work / 'rows' / row.id / 'hosts' / host

    def pair(self, row: Row, host: str) -> tuple[str, str]:
        return str(self.root(row, host) / 'etc/okms/domain.key'), str(self.root(row, host) / 'etc/okms/client.cert')

    def held_id(self, row: Row, host: str) -> str:
        return credential_id(load_certificate(Path(self.pair(row, host)[1])))

    def write_inventory(self, play: str) -> Path:
        groups = {}
        for row in (row for row in self.rows if row.play == play):
            group_vars = dict(okms_client_mode=row.mode)
            if row.name:
                group_vars['okms_client_name'] = row.name
            hosts = {}
            for host in row.hosts:
                root = self.root(row, host)
                hosts[host] = dict(okms_test_root=str(root), okms_client_dir=str(root / 'etc/okms'), ansible_remote_tmp=str(root / 'tmp'))
                hosts[host].update(self.overrides.get(host, {}))
            groups[row.id.replace('-', '_')] = dict(vars=group_vars, hosts=hosts)
        fleet = dict(vars=dict(ansible_connection='local', ansible_python_interpreter='{{ ansible_playbook_python }}'), children=groups)
        path = self.work / ('inventory-%s.yml' % play)
        path.write_text(yaml.safe_dump(dict(fleet=fleet), default_flow_style=False), encoding='utf-8')
        return path

    # Runs

    def command(self, play: str, hosts: list | None, args: tuple) -> list[str]:
        """ansible-playbook on every host of PLAY's inventory, or only on HOSTS (--limit)."""
        limit = ['--limit', ','.join(hosts)] if hosts else []
        return (['ansible-playbook', '-i', str(self.write_inventory(play)), str(self.site), '-e', '@%s' % self.config] + limit
                + list(self.verbosity) + list(args))

    def environment(self, tmp: Path, extra: dict | None = None) -> dict:
        tmp.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = dict(os.environ, ANSIBLE_LOCAL_TEMP=str(tmp), ANSIBLE_RETRY_FILES_ENABLED='false', ANSIBLE_NOCOLOR='1')
        env.update(extra or {})
        return env

    def start(self, rows: list[Row], what: str, *args, env: dict | None = None, tmp: Path | None = None,
              hosts: list | None = None) -> crash.Process:
        """One ansible-playbook run of site.yml on the play of ROWS (only on HOSTS if given), not waited for."""
        self.runs += 1
        tmp = tmp or self.work / 'controller' / str(self.runs)
        for row in rows:
            row.controller_tmp.append(tmp)
        print('\n=== %s: %s' % (self.target, what), flush=True)
        return crash.Process(self.command(rows[0].play, hosts, args), self.environment(tmp, env),
                             self.work / ('run-%d.log' % self.runs))

    def finish(self, rows: list[Row], what: str, process: crash.Process, stop_when=None) -> crash.Outcome:
        outcome = process.watch(stop_when)
        print(redact(outcome.output, self.secrets), flush=True)
        print('=== %s: %s: %s in %.1f s' % (self.target, what, describe(outcome), outcome.wall), flush=True)
        for row in rows:
            row.texts[what] = outcome.output
        return outcome

    def play(self, rows: list[Row], what: str, *args, stop_when=None, **kwargs) -> crash.Outcome:
        return self.finish(rows, what, self.start(rows, what, *args, **kwargs), stop_when)

    def must_pass(self, rows: list[Row], what: str, *args, **kwargs) -> crash.Outcome:
        outcome = self.play(rows, what, *args, **kwargs)
        for row in rows:
            row.outcome.append('%s %s' % (what, describe(outcome)))
            if outcome.rc != 0:
                row.failed.append('%s: exit %d' % (what, outcome.rc))
        return outcome

    # The emulator

    def live_ids(self, row: Row) -> set[str]:
        return {item['id'] for item in census.live(self.info, self.prefix(row))}

    def fault(self, **spec) -> None:
        census.admin(self.info, '/faults', spec)

    def configure(self, **settings) -> None:
        census.admin(self.info, '/config', settings)

    def restore(self, row: Row) -> None:
        """No fault, the settings of the start; credentials left CREATING are issued (as they would be, later)."""
        census.admin(self.info, '/faults', None, 'DELETE')
        self.configure(**self.settings)
        for item in census.live(self.info, self.prefix(row)):
            if item['status'] == 'CREATING':
                census.admin(self.info, '/credentials/%s' % item['id'], {'status': 'READY'})

    def expire(self, credential: str, days: float) -> None:
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
        census.admin(self.info, '/credentials/%s' % credential, {'expiredAt': when.isoformat()})

    def requests(self, route: str) -> int:
        return census.admin(self.info, '/requests', None, 'GET')['by_route'].get(route, 0)

    def clean_slate(self) -> None:
        for item in census.live(self.info, '%s.' % self.target):
            census.delete_credential(self.info, item)

    # Census

    def count(self, row: Row, stage: str, allowed: tuple = (), staged_allowed: bool = False) -> dict:
        """The row's census now; a count other than 0 fails the row unless ALLOWED names it. STAGED_ALLOWED: staged or
        temporary files beside a host's pair do not count as unsafe (exposed keys still do)."""
        pairs = [self.pair(row, host) for host in row.hosts]
        temporary = [self.root(row, host) / 'tmp' for host in row.hosts] + row.controller_tmp
        counts, details = census.role_census(self.info, self.prefix(row), self.work / 'rows' / row.id, pairs, row.foreign,
                                             row.texts, temporary)
        label = row.label if stage == 'final' else '%s (%s)' % (row.label, stage)
        outcome = '; '.join(row.outcome) + ('; FAILED: %s' % ', '.join(row.failed) if row.failed else '')
        self.lines.append('| %s | %s | %s |' % (label, outcome, ' | '.join(str(counts[key]) for key in COUNTS)))
        judged = dict(counts, unsafe=counts['unsafe'] - len(details['leftovers'])) if staged_allowed else counts
        bad = [key for key in COUNTS if judged[key] and key not in allowed]
        if bad:
            row.failed.append('census %s: %s' % (stage, ', '.join('%s=%d' % (key, counts[key]) for key in bad)))
            print('census of %s (%s): %s; credentials %s; mismatched %s; leftovers %s; leaks %s'
                  % (row.id, stage, counts, details['credentials'], details['mismatched'], details['leftovers'], details['leaks']))
        return counts

    def report(self) -> int:
        print('\nCensus (%s):' % self.target)
        print('\n'.join(self.lines))
        failed = [(row.id, problem) for row in self.rows for problem in row.failed]
        for row_id, problem in failed:
            print('FAILED: %s: %s' % (row_id, problem), file=sys.stderr)
        return 1 if failed else 0


def describe(outcome: crash.Outcome) -> str:
    if outcome.timed_out:
        return 'never reached its stop point (killed after the timeout)'
    if outcome.killed:
        return 'killed'
    return 'ok' if outcome.rc == 0 else 'failed (exit %d)' % outcome.rc


# Stop points

def new_credential(bench: Bench, row: Row, then=None):
    """True once a credential of ROW that was not there before exists (its create call committed); with THEN, from
    that moment on what THEN(credential id) says."""
    before = bench.live_ids(row)
    state = {}

    def check():
        if 'id' not in state:
            fresh = bench.live_ids(row) - before
            if not fresh:
                return False
            state['id'] = sorted(fresh)[0]
            if then is None:
                return True
            state['then'] = then(state['id'])
        return state['then']()
    return check


def polled_after(bench: Bench):
    """For new_credential(then=...): true once the run reads a credential by id after the create (its READY wait)."""
    def start(dummy):
        seen = bench.requests(GET_ROUTE)
        return lambda: bench.requests(GET_ROUTE) > seen
    return start


def forced_error(bench: Bench):
    """For new_credential(then=...): the new credential fails (ERROR); the run goes on."""
    def start(new_id):
        census.admin(bench.info, '/credentials/%s' % new_id, {'status': 'ERROR'})
        return lambda: False
    return start


def marker_exists(marker: Path):
    return marker.exists


# The crash points (role_client_crash)

def crash_run(bench: Bench, row: Row, point: str, rotation: bool) -> None:
    """ROW's crash run: the fault of POINT, the run (a rotation with ROTATION), the check that it stopped there."""
    args = ('-e', 'okms_client_renew_before_days=%d' % ROTATE_BEFORE) if rotation else ()
    if rotation:
        for credential in {bench.held_id(row, host) for host in row.hosts}:
            bench.expire(credential, ROTATE_AT)
    marker = bench.work / ('%s.stopped' % row.id)
    env, stop_when, must_stop = None, None, True
    if point == 'create':
        bench.fault(route=CREATE_ROUTE, delay_after_commit=HOLD_ANSWER)
        stop_when = new_credential(bench, row)
    elif point == 'wait':
        bench.configure(ready_delay=STUCK_READY_DELAY)
        stop_when = new_credential(bench, row, polled_after(bench))
    elif point == 'renames':
        env = crash.stop_between_renames({}, *bench.pair(row, row.hosts[0]), marker)
        stop_when = marker_exists(marker)
    elif point == 'handler':
        args += ('-e', 'okms_test_stop_marker=%s' % marker)
        stop_when = marker_exists(marker)
    elif point == 'timeout':
        bench.configure(ready_delay=STUCK_READY_DELAY)
        args += ('-e', 'okms_client_wait_timeout=1')
        must_stop = False
    elif point == 'error':
        bench.configure(ready_delay=STUCK_READY_DELAY)
        stop_when, must_stop = new_credential(bench, row, forced_error(bench)), False
    elif point == 'delete':
        bench.fault(route=DELETE_ROUTE, status=500, count=50)
        must_stop = False
    alone = all(other is row or other.play != row.play for other in bench.rows)
    outcome = bench.play([row], 'crash run', *args, env=env, stop_when=stop_when, hosts=None if alone else row.hosts)
    bench.restore(row)
    row.outcome.append('crash run %s' % describe(outcome))
    if must_stop and (not outcome.killed or outcome.timed_out):
        row.failed.append('the crash run did not stop at its point (%s)' % describe(outcome))


CRASH_ROWS = (
    # id, label, mode, hosts, point, rotation
    ('first-create', 'first run, killed after the create committed (per_host)', 'per_host', 1, 'create', False),
    ('create', 'rotation, killed after the create committed (per_host)', 'per_host', 1, 'create', True),
    ('wait', 'rotation, killed while waiting for READY (per_host)', 'per_host', 1, 'wait', True),
    ('renames', 'rotation, killed between the key and the certificate renames (per_host)', 'per_host', 1, 'renames', True),
    ('handler', 'rotation, killed in the reload handler (per_host)', 'per_host', 1, 'handler', True),
    ('delete', 'rotation, DELETE answers 500 (per_host)', 'per_host', 1, 'delete', True),
    ('timeout', 'rotation, the READY wait times out: failed apply (per_host)', 'per_host', 1, 'timeout', True),
    ('error', 'rotation, the new credential ends in ERROR: failed apply (per_host)', 'per_host', 1, 'error', True),
    ('csr-create', 'rotation, killed after the create committed (csr)', 'csr', 1, 'create', True),
    ('csr-wait', 'rotation, killed while waiting for READY (csr)', 'csr', 1, 'wait', True),
    ('shared-first', 'first run, killed after the create committed (shared, 2 hosts)', 'shared', 2, 'create', False),
    ('shared-renames', 'rotation, killed between the key and the certificate renames (shared, 2 hosts)', 'shared', 2, 'renames', True),
    ('shared-handler', 'rotation, killed in the reload handler (shared, 2 hosts)', 'shared', 2, 'handler', True),
)


def crash_target(bench: Bench) -> None:
    """Crash runs, then one rerun per play (a mode, or a shared credential): the rerun repairs, the census is 0."""
    plays: dict[str, list] = {}
    for row_id, label, mode, count, point, rotation in CRASH_ROWS:
        # The rows of one mode share a play (one shared credential is a play of its own): crash runs --limit to the row.
        row = bench.row(row_id, label, mode, count, play='' if mode == 'shared' else mode)
        plays.setdefault(row.play, []).append((row, point, rotation))
    for cases in plays.values():
        rows = [row for row, dummy, dummy in cases]
        rotated = [row for row, dummy, rotation in cases if rotation]
        if rotated:
            bench.must_pass(rotated, 'first run', hosts=[host for row in rotated for host in row.hosts])
        for row, point, rotation in cases:
            crash_run(bench, row, point, rotation)
        bench.must_pass(rows, 'rerun')
    for row in bench.rows:
        bench.count(row, 'final')


# Two runs at once (role_client_concurrent)

def controller(bench: Bench, who: str) -> tuple[Path, dict]:
    """Another controller's private places: Ansible's local temporary directory and the lock directory."""
    runtime = bench.work / ('runtime-%s' % who)
    runtime.mkdir(mode=0o700, exist_ok=True)
    return bench.work / ('controller-%s' % who), dict(XDG_RUNTIME_DIR=str(runtime))


def at_once(bench: Bench, row: Row, controllers: bool) -> None:
    """Two first runs of ROW started together; both create calls (if both are sent) answer 2 s after committing, so
    that neither run can finish before the other decided what to create."""
    bench.fault(route=CREATE_ROUTE, delay_after_commit=2, count=2)
    places = [controller(bench, who) if controllers else (None, None) for who in ('a', 'b')]
    # The run that waits for the other's locks waits up to okms_client_wait_timeout: long enough on a loaded machine.
    processes = [bench.start([row], 'run %s' % who, '-e', 'okms_client_wait_timeout=600', env=env, tmp=tmp)
                 for who, (tmp, env) in zip('ab', places)]
    crash.wait_all(processes)
    outcomes = [bench.finish([row], 'run %s' % who, process) for who, process in zip('ab', processes)]
    bench.restore(row)
    row.outcome.append('two runs: %s' % ' / '.join(describe(outcome) for outcome in outcomes))
    if not controllers and any(outcome.rc for outcome in outcomes):
        row.failed.append('a run on one controller failed')


def concurrent_target(bench: Bench) -> None:
    one = bench.row('one-controller', 'two first runs at once, one controller (per_host, 2 hosts)', 'per_host', 2)
    two = bench.row('two-controllers', 'two first runs at once, two controllers (per_host, 2 hosts)', 'per_host', 2)
    shared = bench.row('shared', 'two shared-mode first runs at once, one controller (2 hosts)', 'shared', 2)
    for row in (one, shared):
        at_once(bench, row, controllers=False)
        bench.count(row, 'final')
    at_once(bench, two, controllers=True)
    # Duplicates are possible across controllers; nothing may be lost, and the next run cleans them. A run that finds
    # the other controller's key put in place since it read the host stops with its new key staged for the next run
    # (which timing decides): staged keys are allowed until that run.
    bench.count(two, 'after the two runs', allowed=('duplicates',), staged_allowed=True)
    bench.must_pass([two], 'next run')
    bench.count(two, 'final')


# Shared mode with hosts outside the run (role_client_partial)

def rotate_part(bench: Bench, row: Row, what: str, hosts: list) -> None:
    """A rotation of ROW's shared credential by a run that does not reach every host: it must keep the old one."""
    old = bench.held_id(row, row.hosts[0])
    row.foreign = [old]
    bench.expire(old, ROTATE_AT)
    outcome = bench.play([row], what, '-e', 'okms_client_renew_before_days=%d' % ROTATE_BEFORE, hosts=hosts)
    row.outcome.append('%s %s' % (what, describe(outcome)))
    bench.count(row, what)
    row.foreign = []


def partial_target(bench: Bench) -> None:
    limit = bench.row('limit', 'shared rotation with --limit (3 hosts)', 'shared', 3)
    unreachable = bench.row('unreachable', 'shared rotation with a host unreachable (3 hosts)', 'shared', 3)
    for row in (limit, unreachable):
        bench.must_pass([row], 'first run')
    rotate_part(bench, limit, 'rotation --limit', limit.hosts[:1])
    # The last host answers no connection: ssh to a closed port of the loopback interface.
    bench.overrides[unreachable.hosts[-1]] = dict(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=1)
    rotate_part(bench, unreachable, 'rotation, one host unreachable', unreachable.hosts)
    bench.overrides.clear()
    for row in (limit, unreachable):
        bench.must_pass([row], 'run on every host')
        bench.count(row, 'final')


# A cloned host (role_client_clone)

def clone(bench: Bench, row: Row) -> str:
    """The second host of ROW becomes a copy of the first (its files, modes kept); the first one's credential id."""
    source, copy = (bench.root(row, host) / 'etc/okms' for host in row.hosts)
    shutil.copytree(source, copy, symlinks=True)
    return bench.held_id(row, row.hosts[0])


def warned_about(text: str, words: list[str]) -> bool:
    return any('WARNING' in line and any(word in line for word in words) for line in text.splitlines())


def clone_target(bench: Bench) -> None:
    provision = bench.row('provision', 'a cloned host provisioned, then revoked (per_host)', 'per_host', 2)
    revoke = bench.row('revoke', 'a cloned host revoked (per_host)', 'per_host', 2)
    for row in (provision, revoke):
        bench.must_pass([row], 'first run of the source host', hosts=row.hosts[:1])
        row.foreign = [clone(bench, row)]
        row.outcome.append('%s cloned from %s' % (row.hosts[1], row.hosts[0]))
    source_key = Path(bench.pair(provision, provision.hosts[0])[0]).read_bytes()
    outcome = bench.must_pass([provision], 'run on the source and the clone')
    if bench.held_id(provision, provision.hosts[1]) in provision.foreign:
        provision.failed.append('the clone still holds the source host\'s credential')
    if Path(bench.pair(provision, provision.hosts[0])[0]).read_bytes() != source_key:
        provision.failed.append('the source host\'s key changed')
    if not warned_about(outcome.output, provision.foreign + [provision.hosts[0]]):
        provision.failed.append('no warning names the source host or its credential')
    bench.count(provision, 'after the run')
    bench.must_pass([provision], 'revoke on the clone', '-e', 'okms_client_state=absent', hosts=provision.hosts[1:])
    bench.count(provision, 'final')
    bench.must_pass([revoke], 'revoke on the clone', '-e', 'okms_client_state=absent', hosts=revoke.hosts[1:])
    bench.count(revoke, 'final')


TARGETS = {
    'role_client_crash': crash_target,
    'role_client_concurrent': concurrent_target,
    'role_client_partial': partial_target,
    'role_client_clone': clone_target,
}


def main(config: Path, work: Path, target: str, site: Path, verbosity: list[str]) -> int:
    """Run TARGET's rows; prints the census table; 1 when a row failed."""
    started = time.monotonic()
    bench = Bench(config, work, target, site, verbosity)
    bench.clean_slate()
    try:
        TARGETS[target](bench)
    finally:
        census.admin(bench.info, '/faults', None, 'DELETE')
        bench.configure(**bench.settings)
    code = bench.report()
    bench.clean_slate()
    print('%s: %d runs in %.0f s' % (target, bench.runs, time.monotonic() - started))
    return code
