# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of the role okms.access.client: API calls on the controller, file work on the host (okms_client_files).

Each step reads the results that earlier steps registered (names OKMS_*_VAR below, set by the role's tasks/main.yml):
per host from its own variables, across the play where the strategy keeps them (registered_of). The decisions are the engine's (module_utils/_engine.py).
"""

from __future__ import annotations

import base64
import hashlib
import os
import time

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.okms.access.plugins.module_utils import _engine as engine
from ansible_collections.okms.access.plugins.module_utils import _bulk as bulk
from ansible_collections.okms.access.plugins.module_utils import _lifecycle as lifecycle
from ansible_collections.okms.access.plugins.module_utils._client import (
    OvhApiError,
    OvhConfigError,
    OvhOutcomeUnknownError,
    api_argument_spec,
    client_from_params,
)
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CREATING,
    DELETING,
    DOMAINS_PATH,
    READY,
    CredentialApi,
    CredentialWaitTimeout,
    days_until,
    load_certificate,
    pem_text,
    public_key_der,
    public_key_sha256,
    utc_now,
)
from ansible_collections.okms.access.plugins.module_utils._files import GROUP_SECRET_MODE, SECRET_MODE, directory_problem, write_atomically
from ansible_collections.okms.access.plugins.module_utils._journal import journal_path, read_journal, update_journal
from ansible_collections.okms.access.plugins.module_utils._lock import (
    LockDirectoryError,
    LockTimeout,
    ensure_private_directory,
    hold_until_exit,
    name_lock_directory,
    name_lock_path,
)
from ansible_collections.okms.access.plugins.module_utils._validation import (
    description_problem,
    fraction_problem,
    identity_urns_problem,
    name_problem,
    non_negative_problem,
    positive_problem,
    renewal_window_problem,
    rsa_key_size_problem,
    same_name_problems,
    uuid_problem,
    validity_problem,
)
from ansible_collections.okms.access.plugins.plugin_utils._collection import version_environment
from ansible_collections.okms.access.plugins.plugin_utils._pipelining import PipelinedModules

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 trusts every template
    def trust_as_template(value):
        return value

# Where the role's tasks register each step's result.
WANT_VAR = "okms_client__want"
START_VAR = "okms_client__start"
HELD_VAR = "okms_client__held"
PLANS_VAR = "okms_client__plans"
REQUEST_VAR = "okms_client__request"
SHARED_KEY_VAR = "okms_client__shared_key"

# The CA of the domain's KMIP endpoint for RSA certificates (publicRsaCA), beside the CA file, for RSA certificates only.
RSA_CA_FILE = "ca-rsa.pem"
FILE_OPTIONS = ("okms_client_key_file", "okms_client_cert_file", "okms_client_ca_file", "okms_client_okms_cli_config_file")
MODULE = "okms.access.okms_client_files"
# The step protocol with the role's tasks/main.yml (and tasks/changes.yml, which it includes), defined here once: the
# tasks of this action in their order, each with the variable its result is registered in (None: not registered) and
# where it runs - "host" (each host), "play" (run_once) or "shared" (run_once in the shared mode). The slurp task between
# request and apply registers SHARED_KEY_VAR. test_okms_client.py checks the task files against it, and its play runner
# runs them itself.
TASKS = (("check", WANT_VAR, "host"), ("start", START_VAR, "play"), ("read", HELD_VAR, "host"), ("plan", PLANS_VAR, "play"),
         ("request", REQUEST_VAR, "shared"), ("apply", None, "host"), ("apply", None, "host"), ("cleanup", None, "shared"))
STEPS = tuple(dict.fromkeys(step for step, dummy, dummy in TASKS))
# The keys of a host's plan (PLANS_VAR) that the tasks' when: conditions and vars/main.yml read: every plan of the
# present state has them all, a plan of the absent state those of ABSENT_PLAN_KEYS (its when: conditions default the others).
PLAN_KEYS = ("act", "issue", "deploy", "changes", "access_failed", "access_warning", "cleanup", "copy_from")
ABSENT_PLAN_KEYS = ("act", "changes")
# The strategies that run a task on every host of the batch before the next task (the once-per-play steps need that).
LINEAR_STRATEGIES = ("linear", "ansible.builtin.linear", "debug", "ansible.builtin.debug")


class _ControllerFile:
    """What _files.write_atomically needs of a module to write a file on the controller (no SELinux or attributes)."""

    check_mode = False

    def set_fs_attributes_if_different(self, file_args, changed):
        return changed


class ActionModule(PipelinedModules, ActionBase):
    # Its module runs carry keys (key_pem): pipelined, never written to a file on the host (plugin_utils/_pipelining.py).
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("step",) + tuple(api_argument_spec()))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        self.task_vars = task_vars or {}
        step = self._task.args.get("step")
        steps = dict((name, getattr(self, "step_" + name)) for name in STEPS)
        if step not in steps:
            raise AnsibleActionFail("step: %r is not one of %s" % (step, ", ".join(steps)))
        try:
            result.update(steps[step]())
        except OvhConfigError as exc:
            raise AnsibleActionFail(str(exc))
        except (OvhApiError, CredentialWaitTimeout) as exc:
            raise AnsibleActionFail("%s: %s" % (self.host, exc))
        except (LockTimeout, LockDirectoryError) as exc:
            raise AnsibleActionFail("Cannot take the lock that lets one run at a time manage these credentials: %s. Nothing was done." % exc)
        return result

    # What earlier steps left

    @property
    def host(self):
        return self.task_vars["inventory_hostname"]

    def variable(self, name):
        return self._templar.template(self.task_vars.get(name))

    def registered(self, name, host=None):
        if host is None:
            return self.task_vars[name]
        return self.registered_of(name, [host])[host]

    def registered_of(self, name, hosts):
        """{host: what the host registered as ``name``} for ``hosts``, hosts that registered nothing left out.

        hostvars[host] computes every variable of the host (its inventory, groups and magic variables) on each access:
        read for every host of a play, that grows as the square of the hosts. Registered results are read where the
        strategy keeps them (the variable manager's non-persistent facts), and from hostvars only where that is absent.
        """
        hostvars = self.task_vars["hostvars"]
        facts = getattr(getattr(hostvars, "_variable_manager", None), "_nonpersistent_fact_cache", None)
        if facts is None:
            return dict((host, hostvars[host][name]) for host in hosts if name in hostvars.get(host, {}))
        return dict((host, facts[host][name]) for host in hosts if name in facts.get(host, ()))

    def task_id(self):
        """This task of this play (a later play's run of the role does not reuse what an earlier play registered)."""
        return getattr(self._task, "_uuid", None)

    def earlier_batches(self, name):
        """What this very task registered on a host of an earlier batch of the play (serial), or None."""
        batch = set(self.batch())
        earlier = [host for host in self.task_vars.get("ansible_play_hosts_all", ()) if host not in batch]
        for result in self.registered_of(name, earlier).values():
            if isinstance(result, dict) and result.get("task") == self.task_id():
                return result
        return None

    @property
    def want(self):
        return self.registered(WANT_VAR)["want"]

    @property
    def plans(self):
        return self.registered(PLANS_VAR)

    @property
    def plan_of_host(self):
        return self.plans["hosts"][self.host]

    def batch(self):
        """The hosts of the batch that passed the earlier steps."""
        return list(self.task_vars["ansible_play_batch"])

    # The API

    def api_params(self):
        """Connection options: module_defaults of the group okms.access.okms (task args), then okms_client_api over them."""
        params = dict((key, value) for key, value in self._task.args.items() if key != "step")
        params.update(self.variable("okms_client_api") or {})
        return params

    def environment(self):
        """The controller's environment with the task's ``environment:`` keyword over it, where OVH_* values may come from."""
        environ = dict(os.environ, **version_environment())
        for item in self._task.environment or []:
            environ.update((str(key), str(value)) for key, value in (self._templar.template(item) or {}).items())
        return environ

    def client(self, start=None):
        return self.client_factory(start)()

    def client_factory(self, start=None):
        """A function that makes a client of the play's session: the variables are read here, the clients made anywhere
        (one per thread of bulk.read_many)."""
        params, environ = self.api_params(), self.environment()
        start = start or self.task_vars.get(START_VAR)

        def make():
            client = client_from_params(params, environ=environ)
            if start and start.get("session"):
                client.resume_session(start["session"])
            return client
        return make

    def credential_api(self):
        return CredentialApi(self.client(), self.want["okms_id"])

    def credential_reader(self):
        """What bulk.read_many needs: a function that makes, in any thread, a function id -> credential or None."""
        make_client, okms_id = self.client_factory(), self.want["okms_id"]
        return lambda: CredentialApi(make_client(), okms_id).get

    def module(self, **args):
        """One run of okms_client_files on the host; a failure ends the step with the module's message."""
        outcome = self._execute_module(module_name=MODULE, module_args=args, task_vars=self.task_vars)
        if outcome.get("failed"):
            raise AnsibleActionFail("%s: %s" % (self.host, outcome.get("msg")))
        return outcome

    # Steps

    def step_check(self):
        """The host's variables, checked and resolved before any API call; the owner and group on the host (one module
        run, only when they are set)."""
        strategy = self.strategy()
        if strategy not in LINEAR_STRATEGIES:
            raise AnsibleActionFail("the role okms.access.client needs the linear strategy, the play runs with strategy %r: its steps that "
                                    "run once for the play read what every host of the batch registered before, which the %s strategy "
                                    "does not wait for. Set strategy: linear on the play (serial: batches work)" % (strategy, strategy))
        want, problems = self.resolve_variables()
        if not problems and (want["owner"] or want["group"]):
            found = self.module(action="check", paths=want["paths"], owner=want["owner"], group=want["group"])["problems"]
            problems = ["okms_client_%s: %s" % (option, problem) for option, problem in sorted(found.items())]
        if problems:
            raise AnsibleActionFail("%s: %s" % (self.host, "; ".join(problems)))
        return dict(changed=False, want=want)

    def strategy(self):
        play = getattr(getattr(self._task, "_parent", None), "_play", None)
        return getattr(play, "strategy", None) or C.DEFAULT_STRATEGY

    def resolve_variables(self):
        get = self.variable
        mode, state = get("okms_client_mode"), get("okms_client_state")
        directory = get("okms_client_dir") or ""
        directory = directory.rstrip("/") or directory
        names = dict((option, get(option) or "") for option in FILE_OPTIONS)
        name = get("okms_client_name") or (self.host if mode != "shared" else "")
        paths = dict(dir=directory, key="%s/%s" % (directory, names["okms_client_key_file"]),
                     cert="%s/%s" % (directory, names["okms_client_cert_file"]), ca="%s/%s" % (directory, names["okms_client_ca_file"]),
                     cli="%s/%s" % (directory, names["okms_client_okms_cli_config_file"]))
        paths.update(key_new=paths["key"] + ".new", cert_new=paths["cert"] + ".new", ca_rsa="%s/%s" % (directory, RSA_CA_FILE))
        key_dir = (get("okms_client_controller_key_dir") or "").rstrip("/")
        want = dict(
            host=self.host, okms_id=str(get("okms_client_okms_id") or ""), state=state, mode=mode, name=name,
            identity_urns=list(get("okms_client_identity_urns") or []), description=get("okms_client_description") or "",
            validity=int(get("okms_client_validity")), certificate_type=get("okms_client_certificate_type"),
            rsa_key_size=int(get("okms_client_rsa_key_size")), renew_before_days=int(get("okms_client_renew_before_days")),
            rotate_before_days=int(get("okms_client_rotate_before_days") or 0),
            renew_fraction=float(get("okms_client_renew_fraction") or 0),
            metrics_file=str(get("okms_client_metrics_file") or ""),
            owner=str(get("okms_client_owner") or ""), group=str(get("okms_client_group") or ""),
            key_mode=GROUP_SECRET_MODE if get("okms_client_group") else SECRET_MODE, cli=bool(get("okms_client_okms_cli_config")), paths=paths,
            controller_key_path="%s/%s.key" % (key_dir, name) if key_dir else "", verify=bool(get("okms_client_verify")),
            verify_timeout=int(get("okms_client_verify_timeout")), wait_timeout=int(get("okms_client_wait_timeout")))
        checks = [("okms_client_okms_id", uuid_problem, want["okms_id"]),
                  ("okms_client_renew_before_days", non_negative_problem, want["renew_before_days"]),
                  ("okms_client_rotate_before_days", non_negative_problem, want["rotate_before_days"]),
                  ("okms_client_renew_fraction", fraction_problem, want["renew_fraction"]),
                  ("okms_client_wait_timeout", positive_problem, want["wait_timeout"])]
        if state == "present":
            checks += [("okms_client_identity_urns", identity_urns_problem, want["identity_urns"]),
                       ("okms_client_description", description_problem, want["description"]),
                       ("okms_client_validity", validity_problem, want["validity"])]
        problems = ["%s: %s" % (variable, problem) for variable, check, value in checks for problem in [check(value)] if problem]
        if not name:
            problems.append("okms_client_name: the shared mode needs the name of the credential that the hosts share")
        elif name_problem(name):
            problems.append("okms_client_name: %s" % name_problem(name))
        if not directory.startswith("/"):
            problems.append("okms_client_dir: %r is not an absolute path" % directory)
        if want["metrics_file"] and not want["metrics_file"].startswith("/"):
            problems.append("okms_client_metrics_file: %r is not an absolute path; give the .prom file in node_exporter's "
                            "--collector.textfile.directory, or \"\" for none" % want["metrics_file"])
        problems += ["%s: %r is not a file name; give a name without \"/\", the file goes into okms_client_dir" % (option, value)
                     for option, value in names.items() if "/" in value or value in ("", ".", "..")]
        problems += file_problems(want, names)
        # A rotation is one run's wider renewal window: checked apart from renew_before_days, which applies to every run.
        want["renew_before_days"] = max(want["renew_before_days"], want.pop("rotate_before_days"))
        return want, problems

    def step_start(self):
        """Once per play: the play's variables together, then one authentication and, with state=present, the domain."""
        registered = self.registered_of(WANT_VAR, self.batch())
        wants = [(host, registered[host]["want"]) for host in self.batch()]
        problems = engine.play_problems(wants, len(self.batch()) == len(self.task_vars["ansible_play_hosts"]))
        if problems:
            raise AnsibleActionFail("; ".join(problems))
        self.hold_play_locks(wants)
        earlier = self.earlier_batches(START_VAR)
        if earlier is not None and earlier.get("okms_id") == self.want["okms_id"]:
            # serial: the first batch authenticated and read the domain for the play; its OAuth2 token is refreshed when it expires.
            client = self.client(earlier)
            return dict(earlier, session=client.session_state(), reused=True)
        client = self.client()
        # The hosts' processes share 429 pauses and token refreshes, in ansible-playbook's own temporary directory.
        client.share(C.DEFAULT_LOCAL_TMP)
        result = dict(changed=False, session=client.session_state(), domain=None, task=self.task_id(), okms_id=self.want["okms_id"])
        if self.want["state"] == "present":
            domain = client.get("%s/%s" % (DOMAINS_PATH, self.want["okms_id"]), params={"publicCA": True})
            result["domain"], problem = engine.domain_view(domain)
            if problem:
                raise AnsibleActionFail("KMS domain %s: %s" % (self.want["okms_id"], problem))
        if "token" in result["session"]:
            # An OAuth2 token: the later steps read it, no output shows it.
            result["_ansible_no_log"] = True
        return result

    def hold_play_locks(self, wants):
        """One writer per credential name on this controller for the whole play: the locks okms_certificate takes too.

        Check mode writes nothing and takes no lock.
        """
        if self._task.check_mode:
            return
        directory = name_lock_directory()
        ensure_private_directory(directory)
        names = sorted(set((want["okms_id"], want["name"]) for dummy, want in wants))
        hold_until_exit([name_lock_path(directory, okms_id, name) for okms_id, name in names], self.want["wait_timeout"],
                        self.lock_watch_pid(), "credential names %s" % ", ".join(repr(name) for dummy, name in names))

    def lock_watch_pid(self):
        """The playbook's process (the parent of the worker running this step): the locks last as long as it does."""
        return os.getppid()

    def journal(self, name):
        """The path of the controller's record of the unfinished work on credential ``name`` (_journal.py)."""
        return journal_path(name_lock_directory(), self.want["okms_id"], name)

    def verify_url(self):
        domain = self.registered(START_VAR).get("domain")
        if not domain or not self.want["verify"]:
            return None
        return "%s/api/%s" % (domain["rest_endpoint"].rstrip("/"), self.want["okms_id"])

    def metrics(self):
        """The node_exporter text file that the host module writes in the read and apply runs (None: none)."""
        want = self.want
        if not want["metrics_file"] or want["state"] != "present":
            return None
        return dict(path=want["metrics_file"], name=want["name"], okms_id=want["okms_id"], renew_before_days=want["renew_before_days"],
                    renew_fraction=want["renew_fraction"])

    def step_read(self):
        """What the host holds, and whether its files give access (when they are all there): one module run."""
        outcome = self.module(action="read", paths=self.want["paths"], verify_url=self.verify_url(),
                              verify_timeout=self.want["verify_timeout"], metrics=self.metrics())
        held = dict((key, outcome.get(key)) for key in ("files", "credential_id", "key_public_sha256", "key_problem",
                                                        "certificate_public_sha256", "certificate_problem", "verify",
                                                        "certificate_fingerprint", "staged_key_public_sha256",
                                                        "staged_key_problem", "staged_certificate"))
        return dict(changed=False, held=held)

    def step_plan(self):
        """Once per play: one GET by id per credential the hosts' certificates name, or one listing when a host has none."""
        batch = self.batch()
        registered_wants, registered_helds = self.registered_of(WANT_VAR, batch), self.registered_of(HELD_VAR, batch)
        hosts = [(host, registered_wants[host]["want"], registered_helds[host]["held"]) for host in batch]
        wants, helds = [want for dummy, want, dummy in hosts], [held for dummy, dummy, held in hosts]
        api = self.credential_api()
        now = utc_now()
        state = self.want["state"]
        serial = len(batch) != len(self.task_vars.get("ansible_play_hosts_all", batch))
        earlier = self.earlier_batches(PLANS_VAR) if serial else None
        self.index = earlier.get("index") if earlier else None
        journals = self.read_journals(wants)
        listed = None
        if state == "absent" or any(not held.get("credential_id") for held in helds) or recovery_needed(helds, journals):
            listed = self.list_owned(api, wants, helds, now)
        credentials = {}
        if listed is None:
            ids = sorted(set(held["credential_id"] for held in helds))
            found, listing = bulk.read_credentials(self.credential_reader(), api.client.iter_pages(api.path), ids)
            credentials = dict((credential_id, with_expiry(credential, now)) for credential_id, credential in found.items())
            if listing is not None:
                self.index = self.index or index_of(listing)
                listed = self.owned(listing, wants, helds, now)
            elif any(credential is None for credential in credentials.values()):
                # Serial is not id: a certificate whose serial names no credential is found by name and fingerprint (engine).
                listed = self.list_owned(api, wants, helds, now)
        domain = self.registered(START_VAR)["domain"]
        ca_checksum = sha1(domain["ca_pem"]) if domain else None
        cli = dict((host, self.render_cli(want, domain)) for host, want, dummy in hosts if want["cli"] and domain)
        rsa_ca_checksum = sha1(domain["rsa_ca_pem"]) if domain and domain.get("rsa_ca_pem") else None
        staged = self.staged_pairs(api, hosts, listed) if state == "present" and listed is not None else {}
        hosts = [(host, want, staged[host][3] if host in staged else held) for host, want, held in hosts]
        plans = engine.plan_play(hosts, credentials, listed or [], ca_checksum, dict((host, sha1(text)) for host, text in cli.items()),
                                 rsa_ca_checksum)
        issuing = state == "present" and any(plan["issue"] for plan in plans["hosts"].values())
        if issuing and listed is None and not self._task.check_mode:
            # Leftovers with the hosts' names: found now, deleted once the new pairs work when provably ours, else reported.
            listed = self.list_owned(api, wants, helds, now)
        if state == "present":
            self.recover(api, hosts, plans, listed or [], journals, staged, credentials)
        for plan in plans["hosts"].values():
            # The hosts that run tasks/changes.yml: something to change, delete or report.
            plan["act"] = bool(plan["changes"] or plan.get("cleanup") or plan.get("access_failed") or plan.get("access_warning"))
        return dict(changed=False, hosts=plans["hosts"], kept=plans["kept"], copy_from=plans["copy_from"], listed=listed or [], cli=cli,
                    task=self.task_id(), index=self.index if serial else None)

    # Recovery: what crashed or failed runs left (the decisions are lifecycle's)

    def read_journals(self, wants):
        """{name: journal} of the play's credential names: this controller's record of unfinished work."""
        return dict((name, read_journal(self.journal(name))) for name in sorted(set(want["name"] for want in wants)))

    def staged_pairs(self, api, hosts, listed):
        """{host: (what, why, owner, held)}: lifecycle.staged_pair for every host with staged files; held as it will be.

        A finished swap makes the staged certificate the host's. Only the csr and per_host modes adopt a staged key: in
        shared mode the play's credential comes from a host that holds it in place (a staged key is discarded).
        """
        found = {}
        for host, want, held in hosts:
            staged_key, staged_certificate = held.get("staged_key_public_sha256"), held.get("staged_certificate")
            if not (staged_key or held.get("staged_key_problem") or staged_certificate):
                continue
            owner = None
            if staged_key and want["mode"] != "shared":
                owner = credential_of_public_key(api, want, staged_key, listed)
            what, why = lifecycle.staged_pair(staged_key, held.get("staged_key_problem"),
                                              staged_certificate["public_sha256"] if staged_certificate else None,
                                              held.get("key_public_sha256"), owner["id"] if owner else None)
            if what == lifecycle.STAGED_UNREADABLE:
                raise AnsibleActionFail("%s: %s, and run again" % (host, why))
            if what == lifecycle.STAGED_FINISH_SWAP:
                held = dict(held, credential_id=staged_certificate["credential_id"], certificate_problem=None,
                            certificate_public_sha256=staged_certificate["public_sha256"],
                            certificate_fingerprint=staged_certificate["fingerprint"], replaced_id=held.get("credential_id"))
            found[host] = (what, why, owner, held)
        return found

    def recover(self, api, hosts, plans, listed, journals, staged, credentials):
        """Adopt staged keys, finish swaps, and sort what earlier runs left: deleted at cleanup when provably ours, else reported.

        Every host's plan gets ``delete`` (credentials for its cleanup, with the proof and why), ``possible_orphans`` (ids
        reported, never deleted), ``adopt_id``, ``finish_swap``, ``discard_staged_key`` and ``cleanup``.
        """
        holders = holders_of(hosts)
        for host, plan in plans["hosts"].items():
            plan.update(delete=[], possible_orphans=[], adopt_id="", finish_swap=False, discard_staged_key="")
        for host, (what, why, owner, held) in staged.items():
            plan = plans["hosts"][host]
            if what == lifecycle.STAGED_ADOPT:
                holders.setdefault(owner["id"], []).append(host)
                old = [dict(id=held["credential_id"], name=credential_name(listed, held["credential_id"]))] if held.get("credential_id") else []
                plan.update(issue=False, deploy=True, adopt_id=owner["id"], changes=True, reasons=[engine.reason("adopted", why)],
                            old=[item for item in old if item["id"] != owner["id"]], access_failed=False, access_warning=False,
                            remove=[path for path in plan["remove"] if path != hosts_want(hosts, host)["paths"]["key_new"]])
            elif what == lifecycle.STAGED_FINISH_SWAP:
                plan.update(finish_swap=True, changes=True, access_failed=False, access_warning=False)
                if held.get("replaced_id") and held["replaced_id"] != held["credential_id"]:
                    plan["old"] = plan["old"] + [dict(id=held["replaced_id"], name=credential_name(listed, held["replaced_id"]))]
                    plan["delete"].append(dict(id=held["replaced_id"], name=credential_name(listed, held["replaced_id"]),
                                               proof=lifecycle.PROOF_REPLACED, why=why))
            elif what == lifecycle.STAGED_DISCARD_KEY:
                # Removed only if it is still the key read: by then it may be another run's new key.
                plan["discard_staged_key"] = held["staged_key_public_sha256"]
                plan["remove"] = [path for path in plan["remove"] if path != hosts_want(hosts, host)["paths"]["key_new"]]
        # Grouped once by name: per name, only its hosts and its credentials are read (a play of N names stays linear).
        hosts_named, listed_named = group_by(hosts, lambda item: item[1]["name"]), group_by(listed, lambda item: item.get("name"))
        for name, journal in journals.items():
            self.sort_leftovers(api, name, journal, hosts_named[name], plans, listed_named.get(name, []), holders)
        names = dict((item["id"], item.get("name")) for item in list(listed) + [item for item in credentials.values() if item])
        for host, want, held in hosts:
            plans["hosts"][host]["clone_of"] = clone_of(host, want, held, names.get(held.get("credential_id")), holders)
        for host, plan in plans["hosts"].items():
            plan["cleanup"] = bool(plan["deploy"] or plan["delete"])
        if not self._task.check_mode:
            for name, journal in journals.items():
                self.record_retirements(name, journal, hosts_named[name], plans)

    def sort_leftovers(self, api, name, journal, hosts, plans, listed, holders):
        """The credentials called ``name`` (``listed``) that none of its ``hosts`` holds: provably ours (the journal) or possible orphans."""
        name_hosts = [host for host, dummy, dummy in hosts]
        plan = plans["hosts"][name_hosts[0]]
        kept_id = plans["kept"]["id"] if plans.get("kept") else ""
        recorded = set(entry["id"] for entry in journal["creates"] if entry.get("id"))
        windows = [entry for entry in journal["creates"] if not entry.get("id")]
        offset = api.server_clock_offset() if windows else None
        already = set(item["id"] for item in plan["delete"])
        # A host that lost its certificate still holds the key of its credential, which a new one replaces when it issues.
        held_keys = set(held["key_public_sha256"] for dummy, dummy, held in hosts if held.get("key_public_sha256"))
        replaced = any(plans["hosts"][host]["issue"] for host in name_hosts)
        for candidate in listed:
            if (candidate.get("status") == DELETING or candidate["id"] in holders
                    or candidate["id"] == kept_id or candidate["id"] in already):
                continue
            proof = lifecycle.PROOF_REPLACED if candidate["id"] in journal["retire"] else None
            for entry in windows if proof is None else ():
                window = lifecycle.creation_window(entry["started"], entry.get("ended") or entry["deadline"], offset)
                proof = proof or lifecycle.ownership_proof(candidate, None, set(), window, True, recorded)
            if proof is None and candidate["id"] in recorded:
                proof = lifecycle.PROOF_RECORDED
            if proof is None and certificate_public_sha256(candidate) in held_keys:
                proof = lifecycle.PROOF_KEY
            what, why = lifecycle.leftover(proof, key_held=False, adopted_already=False, replaced=replaced)
            if what == lifecycle.DELETE:
                plan["delete"].append(dict(id=candidate["id"], name=name, proof=proof, why=why))
            else:
                plan["possible_orphans"].append(candidate["id"])

    def record_retirements(self, name, journal, hosts, plans):
        """Before any new pair goes in place: what this run will delete, so that a run stopped before the cleanup is finished by the next.

        ``journal`` is the one read at the plan, ``hosts`` those called ``name``. Nothing to record and nothing recorded: no write.
        """
        plans_of_name = [plans["hosts"][host] for host, dummy, dummy in hosts]
        retire = sorted(set(item["id"] for plan in plans_of_name if plan["deploy"] for item in plan["old"])
                        | set(item["id"] for plan in plans_of_name for item in plan["delete"] if item["proof"] == lifecycle.PROOF_REPLACED))
        creates = sorted(set(item["id"] for plan in plans_of_name for item in plan["delete"] if item["proof"] != lifecycle.PROOF_REPLACED))
        if not (retire or creates or journal["retire"] or journal["creates"]):
            return

        def change(journal):
            journal["retire"] = retire
            # Create records of this play's own calls are kept; those of earlier runs are now ids to delete, or settled.
            journal["creates"] = [dict(id=credential_id) for credential_id in creates]
        update_journal(self.journal(name), change)

    def list_owned(self, api, wants, helds, now):
        """The credentials the batch's hosts may own, from one listing of the domain per play.

        With serial, the batch that lists keeps the listing's ids and names (index); a later batch reads by id only the
        credentials whose names or ids are its hosts' (a credential made since is an earlier batch's, with its names).
        """
        if self.index is None:
            listing = api.list_all()
            self.index = index_of(listing)
            return self.owned(listing, wants, helds, now)
        names, ids = engine.owned_query_terms(wants, helds)
        names, ids = set(names), set(ids)
        found = bulk.read_many(self.credential_reader(), [credential_id for credential_id, name in self.index if name in names or credential_id in ids])
        return [with_expiry(item, now) for item in found.values() if item is not None]

    def owned(self, listing, wants, helds, now):
        names, ids = engine.owned_query_terms(wants, helds)
        names, ids = set(names), set(ids)
        return [with_expiry(item, now) for item in listing if item.get("name") in names or item.get("id") in ids]

    def render_cli(self, want, domain):
        source = self._find_needle("templates", "okms.yaml.j2")
        with open(source, encoding="utf-8") as handle:
            template = trust_as_template(handle.read())
        variables = dict(self.task_vars, okms_client__cli_paths=want["paths"], okms_client__cli_domain=domain,
                         okms_client__cli_okms_id=want["okms_id"], okms_client__cli_rsa=want["certificate_type"] == "RSA")
        return self._templar.copy_with_new_env(available_variables=variables).template(template)

    def step_request(self):
        """Ask for the host's new credential (in shared mode the play's): every host's request before any host waits."""
        want = self.want
        if self._task.check_mode:
            return dict(changed=True, credential_id="")
        api = self.credential_api()
        plan = self.plan_of_host
        if want["mode"] == "csr":
            # The staged key proves the credential ours (lifecycle.ownership_proof): a crash after this finds it by its key.
            staged = self.module(action="stage", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                                 key_type=want["certificate_type"], rsa_key_size=want["rsa_key_size"], common_name=want["name"],
                                 discard_staged_key=plan.get("discard_staged_key", ""))
            body = lifecycle.creation_body(want["name"], want["identity_urns"], want["description"], want["validity"], csr=staged["csr"])
            return dict(changed=True, credential_id=api.create(body)["id"])
        body = lifecycle.creation_body(want["name"], want["identity_urns"], want["description"], want["validity"], want["certificate_type"])
        created = self.recorded_create(api, body)
        key_pem = pem_text(created.get("privateKeyPEM") or "")
        if want["controller_key_path"]:
            write_atomically(_ControllerFile(), key_pem.encode("ascii"), dict(path=want["controller_key_path"], mode=SECRET_MODE))
        if want["mode"] == "shared":
            # The key goes to every host in the next step; the result is hidden like the key itself.
            return dict(changed=True, credential_id=created["id"], private_key=key_pem, _ansible_no_log=True)
        try:
            self.module(action="stage", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                        key_pem=key_pem, discard_staged_key=plan.get("discard_staged_key", ""))
        except AnsibleActionFail as exc:
            # Nobody could ever use a credential whose only key is lost: it goes (a later run makes another).
            api.delete(created["id"], want["wait_timeout"])
            self.settle_create(created["id"])
            raise AnsibleActionFail("%s; credential %s, whose key could not be written, was deleted" % (exc, created["id"]))
        # The key is on the host: from now on the staged key itself proves the credential ours.
        self.settle_create(created["id"])
        return dict(changed=True, credential_id=created["id"])

    def recorded_create(self, api, body):
        """POST an API-key credential, recorded in the journal before the call and with its id after: a run that stops before
        its key reaches disk leaves a record by which the next run deletes it (nothing can use it)."""
        path, started = self.journal(body["name"]), time.time()
        config = api.client.config
        entry = dict(started=started, ended=None, deadline=started + config.request_timeout + config.retry_timeout, id=None)
        update_journal(path, lambda journal: journal["creates"].append(entry))

        def complete(**values):
            def change(journal):
                for item in journal["creates"]:
                    if item.get("started") == started and not item.get("id"):
                        item.update(values)
            update_journal(path, change)
        try:
            created = api.create(body)
        except OvhOutcomeUnknownError as exc:
            complete(ended=time.time())
            raise AnsibleActionFail("%s: %s. The next run finds the credential this call may have made (by the record of the call "
                                    "on this controller) and deletes it, since its key was never received" % (self.host, exc))
        complete(id=created["id"])
        return created

    def settle_create(self, credential_id):
        """The create record of ``credential_id`` is done with: its key is on disk, or it is deleted."""
        def change(journal):
            journal["creates"] = [item for item in journal["creates"] if item.get("id") != credential_id]
        update_journal(self.journal(self.want["name"]), change)

    def new_pair(self, plan):
        """(certificate PEM, key PEM or None when staged on the host, credential id) of the pair the host gets."""
        if plan["copy_from"]:
            shared_key = base64.b64decode(self.registered(SHARED_KEY_VAR)["content"]).decode("ascii")
            return pem_text(self.plans["kept"]["certificatePEM"]), shared_key, plan["kept_id"]
        if plan.get("adopt_id"):
            adopted = next(item for item in self.plans["listed"] if item["id"] == plan["adopt_id"])
            return pem_text(adopted["certificatePEM"]), None, adopted["id"]
        request = self.registered(REQUEST_VAR)
        api = self.credential_api()
        credential = api.wait_ready(request["credential_id"], self.want["wait_timeout"])
        what, why = lifecycle.issued(credential)
        if what == lifecycle.ISSUED_DISCARD:
            # Ours (this run created it) and useless: deleted rather than left behind; the pair in place is untouched.
            api.delete(request["credential_id"], self.want["wait_timeout"])
            raise AnsibleActionFail("%s: the new credential %s was deleted: %s; the key and certificate in place are untouched"
                                    % (self.host, request["credential_id"], why))
        if what != lifecycle.ISSUED_READY:
            raise AnsibleActionFail("%s: the new credential %s: %s; the key and certificate in place are untouched"
                                    % (self.host, request["credential_id"], why))
        return pem_text(credential["certificatePEM"]), request.get("private_key"), credential["id"]

    def step_apply(self):
        """Put the new pair in place, fix the files, check the access; with state=absent, delete and remove."""
        plan, want = self.plan_of_host, self.want
        if want["state"] == "absent":
            return self.absent(plan)
        result = dict(changed=plan["changes"], reasons=plan["reasons"], adopted=plan.get("adopt_id", ""),
                      diff=dict(before=dict(credential_id=plan["credential_id"]),
                                after=dict(credential_id="(new)" if plan["deploy"] else plan["credential_id"])))
        if plan.get("warnings"):
            result["warnings"] = ["%s: %s" % (self.host, text) for text in plan["warnings"]]
        if not plan["changes"]:
            self.check_access(self.registered(HELD_VAR)["held"]["verify"], plan["credential_id"], result)
            return result
        if self._task.check_mode:
            return result
        args = dict(action="apply", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                    attrs=plan["attrs"], fix_dir=plan["fix_dir"], remove=plan["remove"], verify_url=self.verify_url(),
                    verify_timeout=want["verify_timeout"], metrics=self.metrics())
        if plan.get("clone_of"):
            result.setdefault("warnings", []).append("%s: %s It gets its own credential; the other one is left alone." % (self.host, plan["clone_of"]))
        if plan["deploy"]:
            args["certificate_pem"], args["key_pem"], result["diff"]["after"]["credential_id"] = self.new_pair(plan)
            args["expected_key"] = self.registered(HELD_VAR)["held"].get("key_public_sha256") or ""
        args.update(finish_swap=plan.get("finish_swap", False), discard_staged_key=plan.get("discard_staged_key", ""))
        domain = self.registered(START_VAR)["domain"]
        if plan["write_ca"]:
            args["ca_pem"] = domain["ca_pem"]
        if plan.get("write_ca_rsa"):
            args["ca_rsa_pem"] = domain["rsa_ca_pem"]
        if plan["write_cli"]:
            args["cli_content"] = self.plans["cli"][self.host]
        outcome = self.module(**args)
        self.check_access(outcome.get("verify"), result["diff"]["after"]["credential_id"], result)
        result["changed"] = outcome["changed"]
        return result

    def check_access(self, verify, credential_id, result):
        """A refused certificate ends the host's run; a missing IAM action of the check's route is a warning."""
        if verify is None:
            return
        if not verify["ok"]:
            raise AnsibleActionFail("%s cannot use its OKMS key and certificate with %s (credential %s): %s"
                                    % (self.host, verify.get("url") or self.verify_url(), credential_id or "unknown", verify["msg"]))
        if verify.get("warning"):
            result.setdefault("warnings", []).append("%s (credential %s): %s" % (self.host, credential_id, verify["warning"]))

    def absent(self, plan):
        # In shared mode every host of the batch gives the credential up: only hosts outside the run keep it.
        leaving = self.batch() if self.want["mode"] == "shared" else [self.host]
        deletions, kept = self.sift([(item, lifecycle.PROOF_ASKED) for item in plan["delete"]], leaving)
        result = dict(changed=bool(deletions) or bool(plan["remove"] or plan["remove_dir"]),
                      deleted=[item["id"] for item in deletions], deletions=deletions, removed=plan["remove"])
        self.report_kept(kept, result)
        if self._task.check_mode or not result["changed"]:
            return result
        api = self.credential_api()
        for item in deletions:
            api.delete(item["id"], self.want["wait_timeout"])
        outcome = self.module(action="remove", paths=self.want["paths"], remove=plan["remove"], remove_dir=plan["remove_dir"])
        result["changed"] = bool(deletions) or outcome["changed"]
        return result

    def step_cleanup(self):
        """Once the new pairs work: delete what they replace and what earlier runs left, when lifecycle.deletion allows it.

        In shared mode, once for the play. Every deletion is named in the result (``deletions``: id, name, why); what is
        kept is said (``kept``, and a warning), and so are possible orphans.
        """
        want, plans = self.want, self.plans
        if want["state"] != "present" or self._task.check_mode:
            return dict(changed=False, deleted=[], deletions=[], kept=[], possible_orphans=[])
        hosts = self.batch() if want["mode"] == "shared" else [self.host]
        request = self.registered(REQUEST_VAR) if self.registered(REQUEST_VAR).get("changed") else {}
        candidates, orphans = [], []
        for host in hosts:
            plan = plans["hosts"][host]
            keep = set([request.get("credential_id", ""), plan["kept_id"], plan.get("adopt_id", "")])
            if plan["deploy"]:
                candidates += [(item, lifecycle.PROOF_REPLACED) for item in plan["old"] if item["id"] not in keep]
            candidates += [(item, item["proof"]) for item in plan.get("delete", []) if item["id"] not in keep]
            orphans += [item for item in plan.get("possible_orphans", []) if item not in orphans]
        deletions, kept = self.sift(candidates, hosts)
        api = self.credential_api()
        for item in deletions:
            api.delete(item["id"], want["wait_timeout"])
        self.journal_after_cleanup(deletions, kept)
        result = dict(changed=bool(deletions), deleted=[item["id"] for item in deletions], deletions=deletions, kept=kept,
                      possible_orphans=orphans)
        self.report_kept(kept, result)
        if orphans:
            result.setdefault("warnings", []).append(
                "credentials called %r that nothing proves this run's are left alone (possible orphans of another run or "
                "controller): %s; delete them by hand once no host uses them" % (want["name"], ", ".join(orphans)))
        return result

    def sift(self, candidates, replacing):
        """(deletions, kept): lifecycle.deletion on each candidate (item, proof); ``replacing``: the hosts these replace."""
        holders = holders_of([(host, None, held) for host, held in self.play_helds()])
        outside = self.outside_hosts() if self.want["mode"] == "shared" else []
        deletions, kept, seen = [], [], set()
        for item, proof in candidates:
            if item["id"] in seen:
                continue
            seen.add(item["id"])
            others = [host for host in holders.get(item["id"], []) if host not in replacing]
            delete, why = lifecycle.deletion(dict(item, status=item.get("status", READY)), self.want["name"], proof, others, outside)
            (deletions if delete else kept).append(dict(id=item["id"], name=item.get("name"), why=why))
        return deletions, kept

    def play_helds(self):
        """(host, held) of every host of the play that read its files, failed or unreachable since included."""
        hosts = self.task_vars.get("ansible_play_hosts_all") or self.batch()
        registered = self.registered_of(HELD_VAR, hosts)
        return [(host, registered[host]["held"]) for host in hosts if host in registered]

    def outside_hosts(self):
        """Shared mode: who may hold the credential outside this run: hosts of the play that failed or are unreachable, and a --limit."""
        batch = set(self.batch())
        outside = [host for host in self.task_vars.get("ansible_play_hosts_all") or [] if host not in batch]
        if self.task_vars.get("ansible_limit"):
            outside.append("the hosts that --limit %s leaves out" % self.task_vars["ansible_limit"])
        return outside

    def report_kept(self, kept, result):
        for item in kept:
            result.setdefault("warnings", []).append("credential %s (%s) is kept: %s" % (item["id"], item["name"], item["why"]))

    def journal_after_cleanup(self, deletions, kept):
        """Deleted credentials leave the journal; one kept for hosts outside the run stays, for the next run to delete."""
        deleted = set(item["id"] for item in deletions)
        request = self.registered(REQUEST_VAR)
        # shared mode: the play's new credential is settled too, its key is on the hosts now
        settled = deleted | set([request.get("credential_id")] if request.get("changed") else [])

        def change(journal):
            journal["retire"] = sorted(item["id"] for item in kept if "outside this run" in item["why"])
            journal["creates"] = [item for item in journal["creates"] if item.get("id") not in settled]
        update_journal(self.journal(self.want["name"]), change)


def clone_of(host, want, held, name, holders):
    """csr and per_host modes: why the host's certificate is another host's ("" when it is not): its credential (called
    ``name``) is called another name than the host's (a copy of another host's files), or another host holds it too."""
    if want["mode"] == "shared" or not held.get("credential_id") or name == want["name"]:
        return ""
    others = [other for other in holders.get(held["credential_id"], []) if other != host]
    if name is None and not others:
        return ""
    return "its certificate is the one of credential %s%s%s: a copy of another host?" % (
        held["credential_id"], ", called %r" % name if name else "", ", which %s holds too" % ", ".join(others) if others else "")


def recovery_needed(helds, journals):
    """Something an earlier run left: a staged key or certificate on a host, or unfinished work in a journal."""
    staged = any(held.get("staged_key_public_sha256") or held.get("staged_key_problem") or held.get("staged_certificate") for held in helds)
    return staged or any(journal["creates"] or journal["retire"] for journal in journals.values())


def holders_of(hosts):
    """{credential id: [hosts whose certificate names it]}."""
    found = {}
    for host, dummy, held in hosts:
        if held.get("credential_id"):
            found.setdefault(held["credential_id"], []).append(host)
    return found


def group_by(items, key):
    """{key(item): [items with that key]}, in their order."""
    found = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return found


def credential_name(listed, credential_id):
    return next((item.get("name") for item in listed if item["id"] == credential_id), None)


def hosts_want(hosts, host):
    return next(want for name, want, dummy in hosts if name == host)


def certificate_public_sha256(credential):
    certificate = load_certificate(credential.get("certificatePEM"))
    return public_key_sha256(public_key_der(certificate)) if certificate is not None else None


def credential_of_public_key(api, want, public_sha256, listed):
    """The live listed credential called want's name whose certificate carries the key ``public_sha256`` (those still
    CREATING are waited for: they have no certificate yet); None when none does."""
    for index, item in enumerate(listed):
        if item.get("name") != want["name"] or item.get("status") not in (CREATING, READY):
            continue
        if item.get("status") == CREATING:
            item = api.wait_ready(item["id"], want["wait_timeout"]) or item
            listed[index] = dict(listed[index], **item)
        if item.get("status") == READY and certificate_public_sha256(item) == public_sha256:
            return listed[index]
    return None


def file_problems(want, names):
    """Variables that would make one file overwrite another, or a key that could not be written where asked."""
    problems = same_name_problems(list(names.items()) + [
        ("the staged key (okms_client_key_file + .new)", names["okms_client_key_file"] + ".new"),
        ("the staged certificate (okms_client_cert_file + .new)", names["okms_client_cert_file"] + ".new"),
        ("the RSA CA file", RSA_CA_FILE)])
    if want["state"] != "present":
        return problems
    if want["certificate_type"] == "RSA" and want["mode"] == "csr":
        problem = rsa_key_size_problem(want["rsa_key_size"])
        problems += ["okms_client_rsa_key_size: " + problem] if problem else []
    problem = renewal_window_problem(want["renew_before_days"], want["validity"], "okms_client_validity")
    problems += ["okms_client_renew_before_days: " + problem] if problem else []
    if want["controller_key_path"] and want["mode"] != "csr":
        # Found now, not once the API made a key that only this copy and the host would hold.
        problem = directory_problem(want["controller_key_path"])
        key_dir = os.path.dirname(want["controller_key_path"])
        if not problem and not os.access(key_dir, os.W_OK | os.X_OK):
            problem = "the controller's user (uid %d) cannot write to %s; give a directory it can write to" % (os.geteuid(), key_dir)
        problems += ["okms_client_controller_key_dir: " + problem] if problem else []
    return problems


def with_expiry(credential, now):
    """The API's credential with the days until it expires (None when it does not exist)."""
    if credential is None:
        return None
    return dict(credential, expires_in_days=days_until(credential.get("expiredAt"), now))


def index_of(listing):
    """[id, name] of each listed credential: what a later serial batch needs to find its hosts' credentials by id."""
    return [[item.get("id"), item.get("name")] for item in listing]


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
