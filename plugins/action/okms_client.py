# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The steps of the role okms.access.client: API calls on the controller, file work on the host (okms_client_files).

Each step reads the results that earlier steps registered (names OKMS_*_VAR below, set by the role's tasks/main.yml):
per host from its own variables, across the play from hostvars. The decisions are the engine's (module_utils/_engine.py).
"""

from __future__ import annotations

import base64
import hashlib
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.okms.access.plugins.module_utils import _engine as engine
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError, OvhConfigError, api_argument_spec, client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CredentialApi,
    CredentialWaitTimeout,
    days_until,
    pem_text,
    utc_now,
)
from ansible_collections.okms.access.plugins.module_utils._files import directory_problem, write_atomically
from ansible_collections.okms.access.plugins.module_utils._validation import (
    description_problem,
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

DOMAINS_PATH = "/v2/okms/resource"
# The CA of the domain's KMIP endpoint for RSA certificates (publicRsaCA), beside the CA file, for RSA certificates only.
RSA_CA_FILE = "ca-rsa.pem"
FILE_OPTIONS = ("okms_client_key_file", "okms_client_cert_file", "okms_client_ca_file", "okms_client_okms_cli_config_file")
MODULE = "okms.access.okms_client_files"
STEPS = ("check", "start", "read", "plan", "request", "apply", "cleanup")


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
        return self.task_vars["hostvars"][host][name]

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

    def client(self):
        client = client_from_params(self.api_params(), environ=self.environment())
        start = self.task_vars.get(START_VAR)
        if start and start.get("session"):
            client.resume_session(start["session"])
        return client

    def credential_api(self):
        return CredentialApi(self.client(), self.want["okms_id"])

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
        want, problems = self.resolve_variables()
        if not problems and (want["owner"] or want["group"]):
            found = self.module(action="check", paths=want["paths"], owner=want["owner"], group=want["group"])["problems"]
            problems = ["okms_client_%s: %s" % (option, problem) for option, problem in sorted(found.items())]
        if problems:
            raise AnsibleActionFail("%s: %s" % (self.host, "; ".join(problems)))
        return dict(changed=False, want=want)

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
            owner=str(get("okms_client_owner") or ""), group=str(get("okms_client_group") or ""),
            key_mode="0640" if get("okms_client_group") else "0600", cli=bool(get("okms_client_okms_cli_config")), paths=paths,
            controller_key_path="%s/%s.key" % (key_dir, name) if key_dir else "", verify=bool(get("okms_client_verify")),
            verify_timeout=int(get("okms_client_verify_timeout")), wait_timeout=int(get("okms_client_wait_timeout")))
        checks = [("okms_client_okms_id", uuid_problem, want["okms_id"]),
                  ("okms_client_renew_before_days", non_negative_problem, want["renew_before_days"]),
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
        problems += ["%s: %r is not a file name; give a name without \"/\", the file goes into okms_client_dir" % (option, value)
                     for option, value in names.items() if "/" in value or value in ("", ".", "..")]
        return want, problems + self.file_problems(want, names)

    @staticmethod
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

    def step_start(self):
        """Once per play: the play's variables together, then one authentication and, with state=present, the domain."""
        wants = [(host, self.registered(WANT_VAR, host)["want"]) for host in self.batch()]
        problems = engine.play_problems(wants, len(self.batch()) == len(self.task_vars["ansible_play_hosts"]))
        if problems:
            raise AnsibleActionFail("; ".join(problems))
        client = self.client()
        result = dict(changed=False, session=client.session_state(), domain=None)
        if self.want["state"] == "present":
            domain = client.get("%s/%s" % (DOMAINS_PATH, self.want["okms_id"]), params={"publicCA": True})
            result["domain"], problem = engine.domain_view(domain)
            if problem:
                raise AnsibleActionFail("KMS domain %s: %s" % (self.want["okms_id"], problem))
        if "token" in result["session"]:
            # An OAuth2 token: the later steps read it, no output shows it.
            result["_ansible_no_log"] = True
        return result

    def verify_url(self):
        domain = self.registered(START_VAR).get("domain")
        if not domain or not self.want["verify"]:
            return None
        return "%s/api/%s" % (domain["rest_endpoint"].rstrip("/"), self.want["okms_id"])

    def step_read(self):
        """What the host holds, and whether its files give access (when they are all there): one module run."""
        outcome = self.module(action="read", paths=self.want["paths"], verify_url=self.verify_url(),
                              verify_timeout=self.want["verify_timeout"])
        held = dict((key, outcome.get(key)) for key in ("files", "credential_id", "key_public_sha256", "key_problem",
                                                        "certificate_public_sha256", "certificate_problem", "verify",
                                                        "certificate_fingerprint"))
        return dict(changed=False, held=held)

    def step_plan(self):
        """Once per play: one GET by id per credential the hosts' certificates name, or one listing when a host has none."""
        hosts = [(host, self.registered(WANT_VAR, host)["want"], self.registered(HELD_VAR, host)["held"]) for host in self.batch()]
        wants, helds = [want for dummy, want, dummy in hosts], [held for dummy, dummy, held in hosts]
        api = self.credential_api()
        now = utc_now()
        state = self.want["state"]
        listed = None
        if state == "absent" or any(not held.get("credential_id") for held in helds):
            listed = self.list_owned(api, wants, helds, now)
        credentials = {}
        if listed is None:
            for credential_id in sorted(set(held["credential_id"] for held in helds)):
                credentials[credential_id] = with_expiry(api.get(credential_id), now)
            if any(credential is None for credential in credentials.values()):
                # Serial is not id: a certificate whose serial names no credential is found by name and fingerprint (engine).
                listed = self.list_owned(api, wants, helds, now)
        domain = self.registered(START_VAR)["domain"]
        ca_checksum = sha1(domain["ca_pem"]) if domain else None
        cli = dict((host, self.render_cli(want, domain)) for host, want, dummy in hosts if want["cli"] and domain)
        rsa_ca_checksum = sha1(domain["rsa_ca_pem"]) if domain and domain.get("rsa_ca_pem") else None
        plans = engine.plan_play(hosts, credentials, listed or [], ca_checksum, dict((host, sha1(text)) for host, text in cli.items()),
                                 rsa_ca_checksum)
        issuing = state == "present" and any(plan["issue"] for plan in plans["hosts"].values())
        if issuing and listed is None and not self._task.check_mode:
            # The credentials that new ones replace include leftovers with the hosts' names: found now, deleted once the new pairs work.
            listed = self.list_owned(api, wants, helds, now)
        return dict(changed=False, hosts=plans["hosts"], kept=plans["kept"], listed=listed or [], cli=cli)

    def list_owned(self, api, wants, helds, now):
        """One listing of the domain; only the credentials the play's hosts may own are kept."""
        names, ids = engine.owned_query_terms(wants, helds)
        return [with_expiry(item, now) for item in api.list_all() if item.get("name") in names or item.get("id") in ids]

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
        body = dict(name=want["name"], identityURNs=want["identity_urns"], validity=want["validity"])
        if want["description"]:
            body["description"] = want["description"]
        if want["mode"] == "csr":
            staged = self.module(action="stage", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                                 key_type=want["certificate_type"], rsa_key_size=want["rsa_key_size"], common_name=want["name"])
            body["csr"] = staged["csr"]
            return dict(changed=True, credential_id=api.create(body)["id"])
        body["certificateType"] = want["certificate_type"]
        created = api.create(body)
        key_pem = pem_text(created.get("privateKeyPEM") or "")
        if want["controller_key_path"]:
            write_atomically(_ControllerFile(), key_pem.encode("ascii"), dict(path=want["controller_key_path"], mode="0600"))
        if want["mode"] == "shared":
            # The key goes to every host in the next step; the result is hidden like the key itself.
            return dict(changed=True, credential_id=created["id"], private_key=key_pem, _ansible_no_log=True)
        try:
            self.module(action="stage", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                        key_pem=key_pem)
        except AnsibleActionFail as exc:
            # Nobody could ever use a credential whose only key is lost: it goes (a later run makes another).
            api.delete(created["id"], want["wait_timeout"])
            raise AnsibleActionFail("%s; credential %s, whose key could not be written, was deleted" % (exc, created["id"]))
        return dict(changed=True, credential_id=created["id"])

    def new_pair(self, plan):
        """(certificate PEM, key PEM or None when staged on the host, credential id) of the pair the host gets."""
        if plan["copy_from"]:
            shared_key = base64.b64decode(self.registered(SHARED_KEY_VAR)["content"]).decode("ascii")
            return pem_text(self.plans["kept"]["certificatePEM"]), shared_key, plan["kept_id"]
        request = self.registered(REQUEST_VAR)
        credential = self.credential_api().wait_ready(request["credential_id"], self.want["wait_timeout"])
        if credential is None or credential.get("status") != engine.READY:
            raise AnsibleActionFail("%s: the new credential %s is %s, not READY: the API could not issue its certificate"
                                    % (self.host, request["credential_id"], credential.get("status") if credential else "gone"))
        return pem_text(credential["certificatePEM"]), request.get("private_key"), credential["id"]

    def step_apply(self):
        """Put the new pair in place, fix the files, check the access; with state=absent, delete and remove."""
        plan, want = self.plan_of_host, self.want
        if want["state"] == "absent":
            return self.absent(plan)
        result = dict(changed=plan["changes"], reasons=plan["reasons"],
                      diff=dict(before=dict(credential_id=plan["credential_id"]),
                                after=dict(credential_id="(new)" if plan["deploy"] else plan["credential_id"])))
        if not plan["changes"]:
            self.check_access(self.registered(HELD_VAR)["held"]["verify"], plan["credential_id"], result)
            return result
        if self._task.check_mode:
            return result
        args = dict(action="apply", paths=want["paths"], owner=want["owner"], group=want["group"], key_mode=want["key_mode"],
                    attrs=plan["attrs"], fix_dir=plan["fix_dir"], remove=plan["remove"], verify_url=self.verify_url(),
                    verify_timeout=want["verify_timeout"])
        if plan["deploy"]:
            args["certificate_pem"], args["key_pem"], result["diff"]["after"]["credential_id"] = self.new_pair(plan)
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
        result = dict(changed=plan["changes"], deleted=[item["id"] for item in plan["delete"]], removed=plan["remove"])
        if self._task.check_mode or not plan["changes"]:
            return result
        api = self.credential_api()
        for item in plan["delete"]:
            api.delete(item["id"], self.want["wait_timeout"])
        outcome = self.module(action="remove", paths=self.want["paths"], remove=plan["remove"], remove_dir=plan["remove_dir"])
        result["changed"] = bool(plan["delete"]) or outcome["changed"]
        return result

    def step_cleanup(self):
        """Once the new pairs work: delete the credentials they replace (in shared mode, once for the play)."""
        want, plans = self.want, self.plans
        if want["state"] != "present" or self._task.check_mode:
            return dict(changed=False, deleted=[])
        if want["mode"] == "shared":
            hosts = [host for host in self.batch() if plans["hosts"][host]["deploy"]]
            old = [item for host in hosts for item in plans["hosts"][host]["old"]]
            new_id = self.registered(REQUEST_VAR).get("credential_id", "") if self.registered(REQUEST_VAR).get("changed") else ""
            plan = dict(old=old, kept_id=plans["hosts"][self.host]["kept_id"])
            stale = engine.replaced_credentials(plan, want, plans["listed"], new_id) if hosts else []
        else:
            plan = plans["hosts"][self.host]
            request = self.registered(REQUEST_VAR)
            stale = engine.replaced_credentials(plan, want, plans["listed"], request.get("credential_id", "")) if plan["deploy"] else []
        api = self.credential_api()
        for item in stale:
            api.delete(item["id"], want["wait_timeout"])
        return dict(changed=bool(stale), deleted=[item["id"] for item in stale])


def with_expiry(credential, now):
    """The API's credential with the days until it expires (None when it does not exist)."""
    if credential is None:
        return None
    return dict(credential, expires_in_days=days_until(credential.get("expiredAt"), now))


def sha1(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
