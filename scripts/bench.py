#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fleet-scale benchmark of the role okms.access.client against the emulator.

For each domain size M (0, then --credentials unrelated credentials preloaded), on N local hosts
(ansible_connection=local, each with its own root directory so files and modes are real), with one
fresh emulator and fresh hosts per M, it measures:

- role first:       the role's first run (csr mode: key and CSR on each host, certificates issued);
- role second:      the same playbook again (nothing to do: the idempotent run);
- stat:             one ansible.builtin.stat per host of its key file, right after (the floor of an idempotent check:
                    one module run per host, nothing else);

and once, on the same hosts (it makes no API call, so M does not change its cost):

- baseline first:   ansible.builtin.file + copy of files of the same sizes and modes as the role's (4 module runs a host);
- baseline second:  the same copy again (files already in place: the baseline's idempotent run).

Role, stat and baseline share one ansible.cfg: same forks, same strategy (linear), same hosts, no fact
gathering, ansible's defaults otherwise. API requests come from the emulator's counters, reset before
each run. A READY-wait probe then runs the role's first run on --probe-hosts fresh hosts twice, with
ready_delay 0 and with --probe-delay: the difference is what waiting for READY costs. A serial run
(--serial-hosts fresh hosts, serial: --serial) checks that batches list the domain no more than one run.

Then the controller-side steps alone (tests/utils/okms_testlib/controller.py: steps check, start and plan
of an idempotent run, in one process, no module run) at --controller-hosts hosts against a domain of
--controller-credentials, and the page cost (one list page against one GET by id) that module_utils/_bulk.py
assumes.

Prints a table, writes JSON and exits 1 when a target fails (listed under "targets" in the JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tests' / 'utils'))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tests' / 'emulator'))

from okms_testlib import HarnessError  # noqa: E402
from okms_testlib.collection import REPO, sync_collection  # noqa: E402
from okms_testlib.emulator import Emulator, role_inputs, split_requests  # noqa: E402
from okms_testlib.playbook import run_playbook, write_ansible_cfg  # noqa: E402
from okms_emulator.settings import MAX_PAGE_SIZE  # noqa: E402  (the role asks for more: it gets this many a page)

PLAYS_PER_RUN = 1
IDEMPOTENT_OVER_STAT = 1.2
FIRST_WALL_RATIO = 1.5
# 10 times the hosts may cost at most 11 times the controller's CPU; the largest fleet at most this many CPU seconds.
LINEAR_RATIO = 1.1
CONTROLLER_CPU_LIMIT_S = 60.0
RENEW_WALL_LIMIT_S = 10.0
LIST_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential'
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

STAT_PLAYBOOK = """---
- name: Floor of an idempotent check - one stat per host
  hosts: bench
  gather_facts: false
  tasks:
    - name: Look at the key file
      ansible.builtin.stat:
        path: "{{ okms_client_dir }}/domain.key"
"""

SERIAL_PLAYBOOK = """---
- name: OKMS access for the benchmark hosts, in batches
  hosts: bench
  gather_facts: false
  serial: %d
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


def page_cost(emulator: Emulator, pages: int = 3, gets: int = 40) -> dict:
    """What one list page of the emulator's largest size costs against one GET by id, with the collection's own client."""
    from ansible_collections.okms.access.plugins.module_utils import _bulk as bulk  # pylint: disable=import-outside-toplevel
    from ansible_collections.okms.access.plugins.module_utils._client import client_from_params  # pylint: disable=import-outside-toplevel

    client = client_from_params(role_inputs(emulator.info)['okms_client_api'], environ={})
    path = '/v2/okms/resource/%s/credential' % emulator.info['okms_id']
    start, walked, items = time.monotonic(), [], 0
    for page in client.iter_pages(path):
        walked.append(page)
        items = max(items, len(page))
        if len(walked) == pages:
            break
    page_ms = (time.monotonic() - start) * 1000 / len(walked)
    ids = [item['id'] for page in walked for item in page][:gets]
    start = time.monotonic()
    for credential_id in ids:
        client.get('%s/%s' % (path, credential_id))
    get_ms = (time.monotonic() - start) * 1000 / len(ids)
    return {'page_items': items, 'page_ms': round(page_ms, 1), 'get_ms': round(get_ms, 1), 'ratio': round(page_ms / get_ms, 1),
            'assumed': bulk.PAGE_COST}


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
        (self.work / 'stat.yml').write_text(STAT_PLAYBOOK)
        (self.work / 'serial.yml').write_text(SERIAL_PLAYBOOK % self.args.serial)
        self.collections = collections
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
                    self.run('role second', 'role.yml', inventory, emulator, hosts, base),
                    self.run('stat', 'stat.yml', inventory, emulator, hosts, base)]
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
                self.results['serial'] = self.serial(emulator, base, credentials)
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

    def serial(self, emulator: Emulator, base: Path, credentials: int) -> dict:
        """First and idempotent runs in batches of --serial on --serial-hosts fresh hosts."""
        hosts = ['serial%03d' % i for i in range(1, self.args.serial_hosts + 1)]
        emulator.configure(ready_delay=0)
        inventory = write_inventory(base / 'serial.yml', hosts, base / 'hosts', role_vars(emulator))
        runs = [self.run('serial %d first' % self.args.serial, 'serial.yml', inventory, emulator, hosts, base),
                self.run('serial %d second' % self.args.serial, 'serial.yml', inventory, emulator, hosts, base)]
        return {'hosts': len(hosts), 'serial': self.args.serial, 'credentials': credentials, 'runs': runs}

    def controller(self) -> dict:
        """The controller-side steps alone at each --controller-hosts size, against one domain of --controller-credentials."""
        sizes, credentials = sorted(self.args.controller_hosts), self.args.controller_credentials
        base = self.work / 'controller'
        base.mkdir()
        from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel
        init_plugin_loader([str(self.collections)])  # page_cost uses the collection's own client
        with Emulator(base / 'emulator') as emulator:
            emulator.configure(ready_delay=0)
            emulator.preload(max(credentials, *sizes))
            page = page_cost(emulator)
            runs = []
            for hosts in sizes:
                cmd = [sys.executable, str(REPO / 'tests' / 'utils' / 'okms_testlib' / 'controller.py'), '--collections-path',
                       str(self.collections), '--emulator-json', str(base / 'emulator' / 'emulator.json'), '--hosts', str(hosts)]
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    raise HarnessError('controller-side steps at %d hosts: %s' % (hosts, proc.stderr[-2000:]))
                runs.append(json.loads(proc.stdout))
            renew = self.renew(emulator, base)
        return {'credentials': max(credentials, *sizes), 'page_cost': page, 'runs': runs, 'renew': renew}

    def renew(self, emulator: Emulator, base: Path) -> dict:
        """okms.access.renew with nothing due: --renew-hosts hosts, each with its READY credential among the domain's."""
        hosts = ['preload-%d' % index for index in range(self.args.renew_hosts)]
        inventory = write_inventory(base / 'renew-inventory.yml', hosts, base / 'hosts',
                                    dict(role_inputs(emulator.info), okms_client_mode='per_host'))
        emulator.reset_requests()
        run = run_playbook('renew nothing due', 'okms.access.renew', inventory, self.env, base / 'renew.log')
        by_route = emulator.requests_by_route()
        connected = sorted(host for host, counts in run.recap.items() if host != 'localhost' and (counts['ok'] or counts['failed']))
        return {'hosts': len(hosts), 'rc': run.rc, 'wall_s': round(run.wall, 2), 'cpu_s': round(run.cpu, 1), 'requests': sum(by_route.values()),
                'by_route': by_route, 'hosts_connected': len(connected), 'log': run.log}

    def credential_counts(self) -> list[int]:
        return sorted({0, self.args.credentials})

    def check_targets(self, sizes: list[dict]) -> None:
        """Record each target with the measured value; failures make the exit code 1."""
        hosts, page = self.args.hosts, MAX_PAGE_SIZE
        base_first, base_second = self.results['baseline']['runs']
        for size in sizes:
            first, second, stat = size['runs']
            m = size['credentials']
            req1, req2 = first['requests'], second['requests']
            okms2 = req2['okms_reads'] + req2['okms_writes']
            pages_one_traversal = math.ceil((m + hosts) / page) + 1
            ratio = second['wall_s'] / stat['wall_s']
            size['ratios'] = {'idempotent_over_stat': round(ratio, 2), 'idempotent_over_stat_cpu': round(second['cpu_s'] / stat['cpu_s'], 2),
                              'idempotent_over_baseline': round(second['wall_s'] / base_second['wall_s'], 2),
                              'first_over_baseline': round(first['wall_s'] / base_first['wall_s'], 2),
                              'idempotent_over_baseline_cpu': round(second['cpu_s'] / base_second['cpu_s'], 2),
                              'first_over_baseline_cpu': round(first['cpu_s'] / base_first['cpu_s'], 2)}
            self.target(m, 'first run changed every host', first['changed_hosts'] == hosts, '%d/%d hosts' % (first['changed_hosts'], hosts))
            self.target(m, 'first run: list pages <= one traversal per play', req1['list_pages'] <= pages_one_traversal * PLAYS_PER_RUN,
                        '%d <= %d = ceil((%d + %d) / %d) + 1' % (req1['list_pages'], pages_one_traversal, m, hosts, page))
            self.target(m, 'idempotent run changed nothing', second['changed'] == 0, 'changed=%d' % second['changed'])
            self.target(m, 'idempotent run: 0 API writes', req2['api_writes'] == 0, '%d writes' % req2['api_writes'])
            self.target(m, 'idempotent run: list pages <= one traversal', req2['list_pages'] <= pages_one_traversal,
                        '%d <= %d' % (req2['list_pages'], pages_one_traversal))
            self.target(m, 'idempotent run: OKMS requests <= hosts + plays', okms2 <= hosts + PLAYS_PER_RUN,
                        '%d <= %d + %d' % (okms2, hosts, PLAYS_PER_RUN))
            gets, domains = second['by_route'].get(GET_BY_ID_ROUTE, 0), second['by_route'].get(DOMAIN_ROUTE, 0)
            self.target(m, 'idempotent run: <= 1 GET by id per host, 1 domain read', gets <= hosts and domains == PLAYS_PER_RUN,
                        '%d GETs by id for %d hosts, %d domain reads' % (gets, hosts, domains))
            for run in (first, second):
                self.target(m, '%s: auth requests <= plays (not per host)' % run['run'], run['requests']['auth'] <= PLAYS_PER_RUN,
                            '%d <= %d' % (run['requests']['auth'], PLAYS_PER_RUN))
            self.target(m, 'idempotent wall <= %.1fx one stat per host' % IDEMPOTENT_OVER_STAT, ratio <= IDEMPOTENT_OVER_STAT,
                        '%.2fx (%.1f s / %.1f s; CPU %.2fx)' % (ratio, second['wall_s'], stat['wall_s'], size['ratios']['idempotent_over_stat_cpu']))
            first_limit = FIRST_WALL_RATIO * base_first['wall_s'] + self.args.ready_delay
            self.target(m, 'first wall <= %.1fx baseline first + one READY wait' % FIRST_WALL_RATIO, first['wall_s'] <= first_limit,
                        '%.1f s <= %.1f x %.1f s + %.1f s' % (first['wall_s'], FIRST_WALL_RATIO, base_first['wall_s'], self.args.ready_delay))
        serial = self.results['serial']
        m, batches = serial['credentials'], -(-serial['hosts'] // serial['serial'])
        first, second = serial['runs']
        one = math.ceil((m + hosts + serial['hosts']) / page) + 1
        self.target(m, 'serial %d (%d batches): first run lists once' % (serial['serial'], batches), first['requests']['list_pages'] <= one,
                    '%d list pages <= %d' % (first['requests']['list_pages'], one))
        self.target(m, 'serial %d: auth and domain read once per play' % serial['serial'],
                    all(run['requests']['auth'] <= 1 and run['by_route'].get(DOMAIN_ROUTE, 0) <= 1 for run in serial['runs']),
                    ', '.join('%d auth + %d domain reads' % (run['requests']['auth'], run['by_route'].get(DOMAIN_ROUTE, 0)) for run in serial['runs']))
        self.target(m, 'serial %d: idempotent run changed nothing, no list page' % serial['serial'],
                    second['changed'] == 0 and second['requests']['list_pages'] == 0,
                    'changed=%d, %d list pages' % (second['changed'], second['requests']['list_pages']))
        controller = self.results['controller']
        runs = controller['runs']
        for smaller, larger in zip(runs, runs[1:]):
            scale = larger['hosts'] / smaller['hosts']
            ratio = larger['role_cpu_s'] / max(smaller['role_cpu_s'], 0.01)
            self.target(controller['credentials'], 'controller CPU: %dx hosts <= %.0fx CPU' % (scale, scale * LINEAR_RATIO),
                        ratio <= scale * LINEAR_RATIO, '%.1fx (%.2f s at N=%d, %.2f s at N=%d)'
                        % (ratio, smaller['role_cpu_s'], smaller['hosts'], larger['role_cpu_s'], larger['hosts']))
        largest = runs[-1]
        self.target(controller['credentials'], 'controller CPU at N=%d < %.0f s' % (largest['hosts'], CONTROLLER_CPU_LIMIT_S),
                    largest['role_cpu_s'] < CONTROLLER_CPU_LIMIT_S, '%.1f s (whole process with Ansible: %.1f s)'
                    % (largest['role_cpu_s'], largest['process_cpu_s']))
        renew, m = controller['renew'], controller['credentials']
        budget = math.ceil(m / MAX_PAGE_SIZE) + 2
        self.target(m, 'renew, nothing due, N=%d: 0 host connections' % renew['hosts'], renew['rc'] == 0 and renew['hosts_connected'] == 0,
                    'rc %d, %d hosts connected' % (renew['rc'], renew['hosts_connected']))
        self.target(m, 'renew, nothing due: API requests <= ceil(M/%d) + 2' % MAX_PAGE_SIZE, renew['requests'] <= budget,
                    '%d <= %d (%s)' % (renew['requests'], budget, ', '.join('%s %d' % item for item in sorted(renew['by_route'].items()))))
        self.target(m, 'renew, nothing due: under %.0f s' % RENEW_WALL_LIMIT_S, renew['wall_s'] < RENEW_WALL_LIMIT_S,
                    '%.1f s wall, %.1f s CPU' % (renew['wall_s'], renew['cpu_s']))
        self.target(controller['credentials'], 'controller: the plans find nothing to do', all(run['hosts_with_changes'] == 0 for run in runs),
                    ', '.join('%d' % run['hosts_with_changes'] for run in runs))
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
        runs += [(self.results['serial']['credentials'], run) for run in self.results['serial']['runs']]
        runs += [('-', run) for run in self.results['baseline']['runs']]
        for credentials, run in runs:
            req = run['requests']
            lines.append(row % (credentials, run['run'], '%.1f' % run['wall_s'], '%.1f' % run['cpu_s'], run['changed'],
                                req['okms_reads'] + req['okms_writes'], req['api_writes'], req['list_pages'], req['auth'], req['mtls']))
        lines.append('')
        for size in sizes:
            ratios = size['ratios']
            lines.append('M=%d: idempotent/stat = %.2f (CPU %.2f), idempotent/copy second = %.2f (CPU %.2f), first/copy first = %.2f (CPU %.2f)'
                         % (size['credentials'], ratios['idempotent_over_stat'], ratios['idempotent_over_stat_cpu'],
                            ratios['idempotent_over_baseline'], ratios['idempotent_over_baseline_cpu'],
                            ratios['first_over_baseline'], ratios['first_over_baseline_cpu']))
        controller = self.results['controller']
        lines += ['', 'controller-side steps alone (check for every host, start and plan once; no module run), M=%d:' % controller['credentials'],
                  '%7s %10s %8s %8s %8s %14s %12s %6s %6s' % ('N', 'role cpu s', 'check', 'start', 'plan', 'ansible vars s',
                                                              'process cpu', 'pages', 'GETs')]
        for run in controller['runs']:
            requests = run['plan_requests']
            lines.append('%7d %10.2f %8.2f %8.2f %8.2f %14.2f %12.2f %6d %6d' % (
                run['hosts'], run['role_cpu_s'], run['steps_cpu_s']['check'], run['steps_cpu_s']['start'], run['steps_cpu_s']['plan'],
                run['ansible_task_vars_cpu_s'], run['process_cpu_s'], requests.get(LIST_ROUTE, 0), requests.get(GET_BY_ID_ROUTE, 0)))
        renew = controller['renew']
        lines.append('renew with nothing due: %d hosts, M=%d: %.1f s wall, %.1f s CPU, %d API requests, %d hosts connected'
                     % (renew['hosts'], controller['credentials'], renew['wall_s'], renew['cpu_s'], renew['requests'], renew['hosts_connected']))
        page = controller['page_cost']
        lines.append('page cost: a list page of %d credentials takes %.1f ms, a GET by id %.1f ms: %.1f GETs (module_utils/_bulk.py assumes %.1f)'
                     % (page['page_items'], page['page_ms'], page['get_ms'], page['ratio'], page['assumed']))
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
    parser.add_argument('--serial', type=int, default=5, help='batch size of the serial run (default 5)')
    parser.add_argument('--serial-hosts', type=int, default=20, help='fresh hosts of the serial run (default 20)')
    parser.add_argument('--controller-hosts', type=int, nargs='+', default=[100, 1000, 10000],
                        help='fleet sizes of the controller-side steps (default 100 1000 10000)')
    parser.add_argument('--controller-credentials', type=int, default=10000,
                        help='credentials of the domain of the controller-side steps (default 10000)')
    parser.add_argument('--renew-hosts', type=int, default=1000, help='inventory hosts of the renew run with nothing due (default 1000)')
    parser.add_argument('--quick', action='store_true', help='small run: 5 hosts, 200 credentials, controller-side steps at 10 and 100 hosts')
    parser.add_argument('--work-dir', type=Path, default=REPO / 'build' / 'bench', help='scratch directory, emptied first (default build/bench)')
    parser.add_argument('--json', type=Path, default=None, help='where to write the results (default WORK_DIR/bench.json)')
    parser.add_argument('--collections-path', type=Path, default=None,
                        help='use this collections root (holding ansible_collections/okms/access) instead of copying the repository')
    args = parser.parse_args()
    if args.quick:
        args.hosts, args.credentials, args.serial_hosts, args.controller_hosts, args.controller_credentials = 5, 200, 6, [10, 100], 1000
        args.renew_hosts = 100
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
        bench.results['controller'] = bench.controller()
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
