# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role's controller-side steps alone, in one process, at fleet sizes no playbook run reaches on one machine.

``python -m okms_testlib.controller --collections-path ROOT --emulator-json FILE --hosts N`` runs the action plugin
okms.access.okms_client as the linear strategy would for an idempotent run of N hosts: step check for every host,
start once, plan once, with Ansible's own inventory, VariableManager and hostvars (the task variables of each host
come from VariableManager.get_vars, registered results go where the strategy puts them). No module runs: the result
that step read registers for a host (what its files are) is made from the credential the emulator holds for it, as a
host would report it, so that the plan finds nothing to do. The hosts are called like the emulator's preloaded
credentials (preload-0, preload-1, ...), so ``--hosts N`` needs a domain with at least N preloaded credentials.

Prints JSON: the CPU seconds of each step summed over the hosts, Ansible's own cost of the task variables apart,
the emulator's request counters, and the plan's verdict (hosts with something to do: 0 expected).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path

STEP_ACTION = 'okms.access.okms_client'


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Harness:
    """One play of N hosts with the role's defaults and the emulator's connection options as group variables."""

    def __init__(self, collections_path: Path, info: dict, hosts: int, role_variables: dict):
        os.environ['ANSIBLE_COLLECTIONS_PATH'] = str(collections_path)
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader([str(collections_path)])
        from ansible.inventory.manager import InventoryManager
        from ansible.parsing.dataloader import DataLoader
        from ansible.playbook.play import Play
        from ansible.vars.hostvars import HostVars
        from ansible.vars.manager import VariableManager
        import yaml

        self.info = info
        self.loader = DataLoader()
        self.inventory = InventoryManager(loader=self.loader, sources=['localhost,'])
        self.inventory.add_group('bench')
        self.names = ['preload-%d' % index for index in range(hosts)]
        for name in self.names:
            self.inventory.add_host(name, group='bench')
        group = self.inventory.groups['bench']
        defaults = yaml.safe_load((collections_path / 'ansible_collections' / 'okms' / 'access' / 'roles' / 'client' / 'defaults' /
                                   'main.yml').read_text())
        for key, value in dict(defaults, ansible_connection='local', **role_variables).items():
            group.set_variable(key, value)
        self.variables = VariableManager(loader=self.loader, inventory=self.inventory)
        HostVars(inventory=self.inventory, variable_manager=self.variables, loader=self.loader)
        self.play = Play.load(dict(name='bench', hosts='bench', gather_facts=False), variable_manager=self.variables, loader=self.loader)
        self.timings: dict = {}

    def action(self, step: str):
        from ansible.playbook.play_context import PlayContext
        from ansible.playbook.task import Task
        from ansible.plugins.loader import action_loader, connection_loader
        from ansible.template import Templar

        task = Task.load(dict(action=STEP_ACTION, args=dict(step=step)), variable_manager=self.variables, loader=self.loader)
        task._parent = self.play.compile()[0]
        context = PlayContext(play=self.play)
        connection = connection_loader.get('local', context, os.devnull)
        plugin = action_loader.get(STEP_ACTION, task=task, connection=connection, play_context=context,
                                   loader=self.loader, templar=Templar(loader=self.loader), shared_loader_obj=None)
        return task, plugin

    def task_vars(self, task, host: str) -> dict:
        """What the linear strategy gives a host's task (timed apart: Ansible's cost, not the role's)."""
        start = _cpu()
        variables = self.variables.get_vars(play=self.play, host=self.inventory.get_host(host), task=task)
        variables['ansible_play_batch'] = variables['ansible_play_hosts'] = list(self.names)
        self.timings['ansible_task_vars'] = self.timings.get('ansible_task_vars', 0.0) + _cpu() - start
        return variables

    def run_step(self, step: str, hosts: list[str], register: str) -> list[dict]:
        """Run STEP for HOSTS (one after another, as forks would), register each result, time the plugin alone."""
        from ansible.template import Templar

        task, plugin = self.action(step)
        results, spent = [], 0.0
        # What the play holds before the step lies in every worker (a fork) and is not the step's to collect.
        gc.freeze()
        for host in hosts:
            variables = self.task_vars(task, host)
            plugin._templar = Templar(loader=self.loader, variables=variables)
            start = _cpu()
            result = plugin.run(task_vars=variables)
            spent += _cpu() - start
            if result.get('failed'):
                raise RuntimeError('%s on %s: %s' % (step, host, result.get('msg')))
            results.append(result)
        self.timings[step] = round(spent, 3)
        if len(hosts) == 1:  # run_once: every host of the batch gets the result, as the strategy does
            for host in self.names:
                self.variables.set_nonpersistent_facts(host, {register: results[0]})
        else:
            for host, result in zip(hosts, results):
                self.variables.set_nonpersistent_facts(host, {register: result})
        return results

    def register_held(self, start_result: dict) -> None:
        """What step read would register for each host: its files in place and the credential its certificate names."""
        import hashlib

        ca_checksum = hashlib.sha1(start_result['domain']['ca_pem'].encode('utf-8')).hexdigest()
        ids = self.credential_ids()
        for name in self.names:
            stat = dict(owner='root', uid=0, group='root', gid=0, isdir=False)
            files = dict(dir=dict(stat, mode='0750', isdir=True), key=dict(stat, mode='0600'), cert=dict(stat, mode='0644'),
                         ca=dict(stat, mode='0644', checksum=ca_checksum))
            held = dict(files=files, credential_id=ids[name], key_public_sha256='same', key_problem=None, certificate_public_sha256='same',
                        certificate_problem=None, verify=None, certificate_fingerprint='')
            self.variables.set_nonpersistent_facts(name, {'okms_client__held': dict(changed=False, held=held)})

    def credential_ids(self) -> dict:
        """name -> id of the emulator's preloaded credentials, read with the collection's own client (not timed)."""
        from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
        from okms_testlib.emulator import role_inputs

        client = client_from_params(role_inputs(self.info)['okms_client_api'], environ={})
        return dict((item['name'], item['id']) for item in client.iter_list('/v2/okms/resource/%s/credential' % self.info['okms_id']))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--collections-path', type=Path, required=True)
    parser.add_argument('--emulator-json', type=Path, required=True)
    parser.add_argument('--hosts', type=int, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from okms_testlib.emulator import AdminClient, role_inputs

    info = json.loads(args.emulator_json.read_text())
    admin = AdminClient(info)
    harness = Harness(args.collections_path.resolve(), info, args.hosts,
                      dict(role_inputs(info), okms_client_mode='per_host', okms_client_verify=False))
    wall = time.monotonic()
    harness.run_step('check', harness.names, 'okms_client__want')
    start = harness.run_step('start', harness.names[:1], 'okms_client__start')[0]
    harness.register_held(start)
    admin.reset_requests()
    plans = harness.run_step('plan', harness.names[:1], 'okms_client__plans')[0]
    timings = harness.timings
    busy = [host for host, plan in plans['hosts'].items() if plan['changes'] or plan['issue']]
    print(json.dumps(dict(hosts=args.hosts, wall_s=round(time.monotonic() - wall, 2), process_cpu_s=round(_cpu(), 2),
                          role_cpu_s=round(timings['check'] + timings['start'] + timings['plan'], 2),
                          steps_cpu_s=dict(check=timings['check'], start=timings['start'], plan=timings['plan']),
                          ansible_task_vars_cpu_s=round(timings['ansible_task_vars'], 2), plan_requests=admin.requests_by_route(),
                          hosts_with_changes=len(busy))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
