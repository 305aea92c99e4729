#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet-scale benchmark of the role okms.access.client against the emulator.

For each domain size M (0, then --credentials unrelated credentials preloaded), on N local hosts
(ansible_connection=local, each with its own root directory so files and modes are real), with one
fresh emulator and fresh hosts per M, it measures:

- role first:       the role's first run (csr mode: key and CSR on each host, certificates issued);
- role second:      the same playbook again (nothing to do: the idempotent run);

and once, on the same hosts (it makes no API call, so M does not change its cost):

- baseline first:   ansible.builtin.copy of files of the same sizes and modes as the role's;
- baseline second:  the same copy again (files already in place: the baseline's idempotent run).

Role and baseline share one ansible.cfg: same forks, same strategy (linear), same hosts, no fact
gathering, ansible's defaults otherwise. API requests come from the emulator's counters, reset before
each run. A READY-wait probe then runs the role's first run on --probe-hosts fresh hosts twice, with
ready_delay 0 and with --probe-delay: the difference is what waiting for READY costs.

Prints a table, writes JSON and exits 1 when a target fails (listed under "targets" in the JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tests' / 'utils'))

from okms_testlib import HarnessError  # noqa: E402
from okms_testlib.collection import REPO, sync_collection  # noqa: E402
from okms_testlib.emulator import Emulator, role_inputs, split_requests  # noqa: E402
from okms_testlib.playbook import run_playbook, write_ansible_cfg  # noqa: E402

PLAYS_PER_RUN = 1
IDEMPOTENT_WALL_RATIO = 0.5
FIRST_WALL_RATIO = 1.5
GET_BY_ID_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential/{credentialId}'
DOMAIN_ROUTE = 'GET /v2/okms/resource/{okmsId}'
# Waiting for READY once costs about one ready_delay; allow two (hosts' requests spread over the forks' batches).
PROBE_MAX_WAITS = 2.0

ROLE_PLAYBOOK = """---
- name: OKMS access for the benchmark hosts
  hosts: bench
  gather_facts: false
  roles:
    - role: okms.access.client
"""

BASELINE_PLAYBOOK = """---
- name: Baseline - copy files of the same sizes and modes as the role's
  hosts: bench
  gather_facts: false
  tasks:
    - name: Create the directory
      ansible.builtin.file:
        path: "{{ bench_baseline_dir }}"
        state: directory
        mode: "0750"
    - name: Copy the files
      ansible.builtin.copy:
        src: "{{ item.src }}"
        dest: "{{ bench_baseline_dir }}/{{ item.name }}"
        mode: "{{ item.mode }}"
      loop: "{{ bench_baseline_files }}"
      loop_control:
        label: "{{ item.name }}"
"""


def role_vars(emulator: Emulator) -> dict:
    """The role's inputs: csr mode, the emulator as the API endpoint."""
    return dict(role_inputs(emulator.info), okms_client_mode='csr')


def write_inventory(path: Path, names: list[str], hosts_root: Path, group_vars: dict) -> Path:
    """Local hosts, each with its own root directory; JSON is YAML, so the yaml inventory plugin reads it."""
    hosts = {}
    for name in names:
        root = hosts_root / name
        (root / 'etc').mkdir(parents=True, exist_ok=True)
        hosts[name] = {'okms_client_dir': str(root / 'etc' / 'okms'), 'bench_baseline_dir': str(root / 'baseline')}
    group = {'hosts': hosts, 'vars': dict(group_vars, ansible_connection='local', ansible_python_interpreter=sys.executable)}
    path.write_text(json.dumps({'all': {'children': {'bench': group}}}, indent=2) + '\n')
    return path


def baseline_sources(deployed_dir: Path, sources_dir: Path) -> list[dict]:
    """Random files of the same sizes and modes as those the role deployed on one host."""
    sources_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for deployed in sorted(p for p in deployed_dir.iterdir() if p.is_file()):
        src = sources_dir / deployed.name
        size = deployed.stat().st_size
        src.write_text(secrets.token_hex(size)[:size])
        files.append({'name': deployed.name, 'src': str(src), 'size': size, 'mode': '%04o' % (deployed.stat().st_mode & 0o7777)})
    return files


class Bench:
    """One benchmark invocation: settings, the shared ansible configuration, results and failures."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = args.work_dir.resolve()
        self.results: dict = {'baseline': {}, 'probe': {}, 'targets': []}
        self.env: dict = {}

    def prepare(self) -> None:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)
        if self.args.collections_path:
            collections = self.args.collections_path.resolve()
        else:
            collections = sync_collection(self.work / 'collections')
        cfg = write_ansible_cfg(self.work / 'ansible.cfg', self.args.forks)
        (self.work / 'role.yml').write_text(ROLE_PLAYBOOK)
        (self.work / 'baseline.yml').write_text(BASELINE_PLAYBOOK)
        self.env = {'ANSIBLE_CONFIG': str(cfg), 'ANSIBLE_COLLECTIONS_PATH': str(collections)}

    def run(self, name: str, playbook: str, inventory: Path, emulator: Emulator, hosts: list[str], logs: Path) -> dict:
        """One timed playbook run with the emulator's counters reset before and read after."""
        emulator.reset_requests()
        run = run_playbook(name, self.work / playbook, inventory, self.env, logs / (name.replace(' ', '-') + '.log'))
        problems = run.problems(hosts)
        if problems:
            raise HarnessError('; '.join(problems))
        by_route = emulator.requests_by_route()
        return {'run': name, 'wall_s': round(run.wall, 2), 'cpu_s': round(run.cpu, 1), 'changed': run.changed(),
                'changed_hosts': sum(1 for counts in run.recap.values() if counts['changed']),
                'requests': split_requests(by_route), 'by_route': by_route, 'log': run.log}

    def measure(self, credentials: int) -> dict:
        """The role's two runs at one domain size, on a fresh emulator and fresh hosts; the baseline's at the first size."""
        base = self.work / ('m%d' % credentials)
        hosts = ['bench%03d' % i for i in range(1, self.args.hosts + 1)]
        base.mkdir()
        with Emulator(base / 'emulator') as emulator:
            emulator.configure(ready_delay=self.args.ready_delay, page_size=self.args.page_size)
            preload_start = time.monotonic()
            emulator.preload(credentials)
            preload_s = time.monotonic() - preload_start
            inventory = write_inventory(base / 'inventory.yml', hosts, base / 'hosts', role_vars(emulator))
            runs = [self.run('role first', 'role.yml', inventory, emulator, hosts, base),
                    self.run('role second', 'role.yml', inventory, emulator, hosts, base)]
            if not self.results['baseline']:
                # The baseline makes no API call: its cost does not depend on M, so it runs once, on the same hosts.
                files = baseline_sources(base / 'hosts' / hosts[0] / 'etc' / 'okms', base / 'baseline-src')
                inventory = write_inventory(base / 'inventory.yml', hosts, base / 'hosts', dict(role_vars(emulator), bench_baseline_files=files))
                self.results['baseline'] = {
                    'files': files,
                    'runs': [self.run('baseline first', 'baseline.yml', inventory, emulator, hosts, base),
                             self.run('baseline second', 'baseline.yml', inventory, emulator, hosts, base)]}
            if credentials == max(self.credential_counts()):
                self.results['probe'] = self.probe(emulator, base, credentials)
        return {'credentials': credentials, 'preload_s': round(preload_s, 2), 'runs': runs}

    def probe(self, emulator: Emulator, base: Path, credentials: int) -> dict:
        """First runs on fresh hosts with ready_delay 0 and --probe-delay: the difference is what waiting costs."""
        walls = {}
        for delay, prefix in ((0, 'probea'), (self.args.probe_delay, 'probeb')):
            hosts = ['%s%03d' % (prefix, i) for i in range(1, self.args.probe_hosts + 1)]
            emulator.configure(ready_delay=delay)
            inventory = write_inventory(base / ('%s.yml' % prefix), hosts, base / 'hosts', role_vars(emulator))
            walls[delay] = self.run('probe first ready_delay=%s' % delay, 'role.yml', inventory, emulator, hosts, base)['wall_s']
        wait = walls[self.args.probe_delay] - walls[0]
        return {'hosts': self.args.probe_hosts, 'credentials': credentials, 'ready_delay_s': self.args.probe_delay,
                'wall_without_delay_s': walls[0], 'wall_with_delay_s': walls[self.args.probe_delay],
                'wait_cost_s': round(wait, 2), 'sequential_waits': round(wait / self.args.probe_delay, 2)}

    def credential_counts(self) -> list[int]:
        return sorted({0, self.args.credentials})

    def check_targets(self, sizes: list[dict]) -> None:
        """Record each target with the measured value; failures make the exit code 1."""
        hosts, page = self.args.hosts, self.args.page_size
        base_first, base_second = self.results['baseline']['runs']
        for size in sizes:
            first, second = size['runs']
            m = size['credentials']
            req1, req2 = first['requests'], second['requests']
            okms2 = req2['okms_reads'] + req2['okms_writes']
            pages_one_traversal = math.ceil((m + hosts) / page) + 1
            ratio = second['wall_s'] / base_second['wall_s']
            size['ratios'] = {'idempotent_over_baseline': round(ratio, 2), 'first_over_baseline': round(first['wall_s'] / base_first['wall_s'], 2),
                              'idempotent_over_baseline_cpu': round(second['cpu_s'] / base_second['cpu_s'], 2),
                              'first_over_baseline_cpu': round(first['cpu_s'] / base_first['cpu_s'], 2)}
            self.target(m, 'first run changed every host', first['changed_hosts'] == hosts, '%d/%d hosts' % (first['changed_hosts'], hosts))
            self.target(m, 'first run: list pages <= one traversal per play', req1['list_pages'] <= pages_one_traversal * PLAYS_PER_RUN,
                        '%d <= %d = ceil((%d + %d) / %d) + 1' % (req1['list_pages'], pages_one_traversal, m, hosts, page))
            self.target(m, 'idempotent run changed nothing', second['changed'] == 0, 'changed=%d' % second['changed'])
            self.target(m, 'idempotent run: 0 API writes', req2['api_writes'] == 0, '%d writes' % req2['api_writes'])
            self.target(m, 'idempotent run: no list page', req2['list_pages'] == 0, '%d list pages' % req2['list_pages'])
            self.target(m, 'idempotent run: OKMS requests <= hosts + plays', okms2 <= hosts + PLAYS_PER_RUN,
                        '%d <= %d + %d' % (okms2, hosts, PLAYS_PER_RUN))
            gets, domains = second['by_route'].get(GET_BY_ID_ROUTE, 0), second['by_route'].get(DOMAIN_ROUTE, 0)
            self.target(m, 'idempotent run: one GET by id per host, one domain read', gets == hosts and domains == PLAYS_PER_RUN,
                        '%d GETs by id for %d hosts, %d domain reads' % (gets, hosts, domains))
            for run in (first, second):
                self.target(m, '%s: auth requests <= plays (not per host)' % run['run'], run['requests']['auth'] <= PLAYS_PER_RUN,
                            '%d <= %d' % (run['requests']['auth'], PLAYS_PER_RUN))
            self.target(m, 'idempotent wall <= %.1fx baseline second' % IDEMPOTENT_WALL_RATIO, ratio <= IDEMPOTENT_WALL_RATIO,
                        '%.2fx (%.1f s / %.1f s)' % (ratio, second['wall_s'], base_second['wall_s']))
            first_limit = FIRST_WALL_RATIO * base_first['wall_s'] + self.args.ready_delay
            self.target(m, 'first wall <= %.1fx baseline first + one READY wait' % FIRST_WALL_RATIO, first['wall_s'] <= first_limit,
                        '%.1f s <= %.1f x %.1f s + %.1f s' % (first['wall_s'], FIRST_WALL_RATIO, base_first['wall_s'], self.args.ready_delay))
        probe = self.results['probe']
        self.target(probe['credentials'], 'first run waits for READY once, not per host', probe['sequential_waits'] <= PROBE_MAX_WAITS,
                    '%.1f s more with ready_delay %.0f s on %d hosts = %.2f waits <= %.1f (one after another: %d)'
                    % (probe['wait_cost_s'], probe['ready_delay_s'], probe['hosts'], probe['sequential_waits'], PROBE_MAX_WAITS, probe['hosts']))

    def target(self, credentials: int, name: str, ok: bool, value: str) -> None:
        self.results['targets'].append({'credentials': credentials, 'target': name, 'ok': ok, 'value': value})

    def table(self, sizes: list[dict]) -> str:
        """The runs, the ratios, the probe and the targets, as printed at the end."""
        row = '%6s  %-16s %7s %7s %8s %5s %7s %5s %5s %5s'
        lines = ['okms.access benchmark: %d local hosts, forks %d, strategy linear, ready_delay %.1f s, emulator page size %d'
                 % (self.args.hosts, self.args.forks, self.args.ready_delay, self.args.page_size),
                 'okms = requests to /v2/okms routes, writes = POST/DELETE of the API, list = credential list pages,',
                 'auth = /auth/time and OAuth2 token requests, mtls = requests of the hosts to the KMS domain,',
                 'cpu s = CPU seconds of ansible-playbook and its children (%d CPUs here; wall times stretch when others share them)' % os.cpu_count(), '',
                 row % ('M', 'run', 'wall s', 'cpu s', 'changed', 'okms', 'writes', 'list', 'auth', 'mtls')]
        runs = [(size['credentials'], run) for size in sizes for run in size['runs']]
        runs += [('-', run) for run in self.results['baseline']['runs']]
        for credentials, run in runs:
            req = run['requests']
            lines.append(row % (credentials, run['run'], '%.1f' % run['wall_s'], '%.1f' % run['cpu_s'], run['changed'],
                                req['okms_reads'] + req['okms_writes'], req['api_writes'], req['list_pages'], req['auth'], req['mtls']))
        lines.append('')
        for size in sizes:
            ratios = size['ratios']
            lines.append('M=%d: idempotent/baseline second = %.2f (CPU %.2f), first/baseline first = %.2f (CPU %.2f)' % (
                size['credentials'], ratios['idempotent_over_baseline'], ratios['idempotent_over_baseline_cpu'],
                ratios['first_over_baseline'], ratios['first_over_baseline_cpu']))
        probe = self.results['probe']
        lines.append('READY-wait probe (M=%d, %d fresh hosts): first run %.1f s with ready_delay 0, %.1f s with ready_delay %.0f s'
                     ' -> waiting cost %.1f s = %.2f x ready_delay (one host after another would be %d x)' % (
                         probe['credentials'], probe['hosts'], probe['wall_without_delay_s'], probe['wall_with_delay_s'],
                         probe['ready_delay_s'], probe['wait_cost_s'], probe['sequential_waits'], probe['hosts']))
        lines += ['', 'targets:']
        lines += ['  %-4s M=%-5d %-48s %s' % ('ok' if t['ok'] else 'FAIL', t['credentials'], t['target'], t['value'])
                  for t in self.results['targets']]
        return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--hosts', type=int, default=50, help='local hosts (default 50)')
    parser.add_argument('--credentials', type=int, default=2000, help='unrelated credentials preloaded for the second size (default 2000)')
    parser.add_argument('--forks', type=int, default=10, help='ansible forks, the same for role and baseline (default 10)')
    parser.add_argument('--ready-delay', type=float, default=2.0, help="emulator's CREATING -> READY delay in the main runs (default 2 s)")
    parser.add_argument('--probe-hosts', type=int, default=5, help='hosts of the READY-wait probe (default 5)')
    parser.add_argument('--probe-delay', type=float, default=10.0, help='ready_delay of the READY-wait probe (default 10 s)')
    parser.add_argument('--page-size', type=int, default=100, help="emulator's list page size when the client asks for none (default 100)")
    parser.add_argument('--quick', action='store_true', help='small run for the pipeline: 5 hosts, 200 credentials')
    parser.add_argument('--work-dir', type=Path, default=REPO / 'build' / 'bench', help='scratch directory, emptied first (default build/bench)')
    parser.add_argument('--json', type=Path, default=None, help='where to write the results (default WORK_DIR/bench.json)')
    parser.add_argument('--collections-path', type=Path, default=None,
                        help='use this collections root (holding ansible_collections/okms/access) instead of copying the repository')
    args = parser.parse_args()
    if args.quick:
        args.hosts, args.credentials = 5, 200
    if min(args.hosts, args.forks, args.probe_hosts, args.page_size) < 1 or args.credentials < 0 or args.probe_delay <= 0 or args.ready_delay < 0:
        parser.error('--hosts, --forks, --probe-hosts, --page-size must be at least 1, --credentials and --ready-delay at least 0, --probe-delay above 0')
    return args


def main() -> int:
    args = parse_args()
    bench = Bench(args)
    started = time.monotonic()
    try:
        bench.prepare()
        sizes = [bench.measure(count) for count in bench.credential_counts()]
    except HarnessError as exc:
        print('bench failed: %s' % exc, file=sys.stderr)
        return 2
    bench.check_targets(sizes)
    settings = {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}
    bench.results.update(settings=settings, sizes=sizes, total_s=round(time.monotonic() - started, 1),
                         machine={'cpus': os.cpu_count(), 'python': sys.version.split()[0]})
    json_path = (args.json or bench.work / 'bench.json').resolve()
    json_path.write_text(json.dumps(bench.results, indent=2) + '\n')
    print(bench.table(sizes))
    print('\nJSON: %s (total %.0f s)' % (json_path, bench.results['total_s']))
    return 0 if all(t['ok'] for t in bench.results['targets']) else 1


if __name__ == '__main__':
    sys.exit(main())
