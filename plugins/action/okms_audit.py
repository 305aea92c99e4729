# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""okms.access.okms_audit: the inventory against its KMS domains, on the controller, with one listing per domain.

It reads the role's variables of each host from hostvars (over the role's defaults), resolves them as the role does,
and asks module_utils/_fleet.py which hosts are due and what the audit finds. It connects to no host: the hosts' own
files come in only through ``held_var`` (registered by an earlier play, see the playbooks renew.yml and audit.yml).
"""

from __future__ import annotations

import os
import re

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.okms.access.plugins.action.okms_client import ActionModule as ClientAction
from ansible_collections.okms.access.plugins.action.okms_client import _ControllerFile, with_expiry
from ansible_collections.okms.access.plugins.module_utils import _fleet as fleet
from ansible_collections.okms.access.plugins.module_utils import _metrics as metrics
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError, OvhConfigError, api_argument_spec, client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import CredentialApi, utc_now
from ansible_collections.okms.access.plugins.module_utils._files import PUBLIC_MODE, write_atomically

ROLE_DEFAULTS = os.path.join(os.path.dirname(__file__), "..", "..", "roles", "client", "defaults", "main.yml")
OPTIONS = dict(hosts=None, held_var="", window=None, name_pattern="", creating_timeout=60, prune_orphans=False,
               metrics_file="", table_limit=50, wait_timeout=120)


class HostVariables:
    """One host's variables over the role's defaults, resolved by the role's own code (okms_client's resolve_variables)."""

    resolve_variables = ClientAction.resolve_variables

    def __init__(self, host, variables, templar):
        self.host = host
        self.variables = variables
        self.templar = templar

    def variable(self, name):
        return self.templar.template(self.variables.get(name))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(tuple(OPTIONS) + tuple(api_argument_spec()))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.task_vars = task_vars or {}
        self.options = dict((key, self._task.args.get(key, default)) for key, default in OPTIONS.items())
        try:
            result.update(self.audit())
        except OvhConfigError as exc:
            raise AnsibleActionFail(str(exc))
        except OvhApiError as exc:
            raise AnsibleActionFail(str(exc), result=dict(failure=exc.to_failure()))
        return result

    def checked_options(self):
        options = self.options
        problems = []
        if not isinstance(options["hosts"], list):
            problems.append("hosts: give the list of inventory hosts to audit, such as \"{{ groups['okms_clients'] }}\"")
        if options["window"]:
            problem = fleet.window_problem(options["window"])
            if problem:
                problems.append("window: " + problem)
        try:
            pattern = re.compile(options["name_pattern"] or "")
        except re.error as exc:
            problems.append("name_pattern: %r is not a regular expression (%s)" % (options["name_pattern"], exc))
            pattern = None
        if options["prune_orphans"] and not options["held_var"]:
            problems.append("prune_orphans needs what each host holds (held_var): a credential whose certificate a host holds is "
                            "never an orphan; run the playbook okms.access.audit with okms_audit_prune=true")
        if problems:
            raise AnsibleActionFail("; ".join(problems))
        return pattern

    def wants(self):
        """Every host's resolved variables, grouped by KMS domain; the first problem of a host fails the task."""
        defaults = self._loader.load_from_file(ROLE_DEFAULTS)
        hostvars = self.task_vars["hostvars"]
        by_domain, problems = {}, []
        for host in self.options["hosts"]:
            variables = dict(defaults)
            variables.update(hostvars.raw_get(host))
            resolver = HostVariables(host, variables, self._templar.copy_with_new_env(available_variables=variables))
            want, found = resolver.resolve_variables()
            want["api"] = resolver.variable("okms_client_api") or {}
            if found:
                problems.append("%s: %s" % (host, "; ".join(found)))
            by_domain.setdefault(want["okms_id"], []).append(want)
        if problems:
            raise AnsibleActionFail("; ".join(problems))
        return by_domain

    def held(self, host):
        """What the host module read on the host (check_hosts), None when the host was not read (or was unreachable)."""
        if not self.options["held_var"]:
            return None
        outcome = self.task_vars["hostvars"][host].get(self.options["held_var"])
        if not isinstance(outcome, dict) or outcome.get("failed") or outcome.get("unreachable") or "files" not in outcome:
            return None
        return dict((key, outcome.get(key)) for key in ("files", "credential_id", "key_public_sha256", "key_problem",
                                                        "certificate_public_sha256", "certificate_problem", "verify",
                                                        "certificate_fingerprint"))

    def listing(self, okms_id, wants):
        """The domain's credentials, once, at the client's page size (the largest: fewest list requests)."""
        params = dict((key, value) for key, value in self._task.args.items() if key not in OPTIONS)
        params.update(wants[0]["api"])
        client = client_from_params(params, environ=ClientAction.environment(self))
        api = CredentialApi(client, okms_id)
        now = utc_now()
        return api, [with_expiry(item, now) for item in client.iter_list(api.path)]

    def audit(self):
        pattern = self.checked_options()
        now = utc_now()
        window = fleet.window_state(self.options["window"], now)
        statuses, found, pruned, domains = [], dict((kind, []) for kind in fleet.FINDINGS), [], {}
        for okms_id, wants in sorted(self.wants().items()):
            api, listed = self.listing(okms_id, wants)
            by_name = {}
            for item in listed:
                by_name.setdefault(item.get("name"), []).append(item)
            helds = dict((want["host"], self.held(want["host"])) for want in wants)
            domain_statuses = [fleet.host_status(want, by_name.get(want["name"], []), helds[want["host"]], window, now) for want in wants]
            held_ids = set(held["credential_id"] for held in helds.values() if held and held.get("credential_id"))
            held_ids.update(status["credential_id"] for status in domain_statuses if status["checked"] and status["credential_id"])
            domain_found = fleet.findings(domain_statuses, listed, held_ids, pattern, int(self.options["creating_timeout"]), now)
            for kind, rows in domain_found.items():
                found[kind].extend(dict(row, okms_id=okms_id) for row in rows)
            if self.options["prune_orphans"]:
                pruned.extend(self.prune(api, domain_found["orphans"]))
            statuses.extend(domain_statuses)
            domains[okms_id] = dict(credentials=len(listed), hosts=len(wants), statuses=metrics.status_counts(listed))
        result = dict(changed=bool(pruned), due=[item["host"] for item in statuses if item["due"]],
                      held_back=[item["host"] for item in statuses if item["held_back"]],
                      hosts=dict((item["host"], item) for item in statuses), findings=found, pruned=pruned, domains=domains,
                      window=dict(inside=window[0], next_start=window[1].isoformat() if window[1] else None),
                      table=fleet.table(statuses, found, int(self.options["table_limit"])))
        if self.options["prune_orphans"]:
            result["table"].append("pruned: %d orphans%s" % (len(pruned), " would be deleted (check mode)" if self._task.check_mode else " deleted"))
        if self.options["metrics_file"] and not self._task.check_mode:
            text = metrics.fleet_textfile(domains, statuses, found, now)
            write_atomically(_ControllerFile(), text.encode("utf-8"), dict(path=self.options["metrics_file"], mode=PUBLIC_MODE))
        return result

    def prune(self, api, orphans):
        """Delete the orphans (check mode: only name them); they hold no inventory host's name and no probed host's certificate."""
        if not self._task.check_mode:
            for item in orphans:
                api.delete(item["id"], int(self.options["wait_timeout"]))
        return [item["id"] for item in orphans]
