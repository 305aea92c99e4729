# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role's action plugin, step by step as tasks/main.yml runs it, against the emulator and real files.

A small play runner stands in for Ansible's strategy: it runs a step on each host (or once, registering the result for
every host), gives each host its variables and the results registered so far, and runs the host module in-process.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import sys
import urllib.request

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.okms.access.plugins.action import okms_client as action
from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import CredentialApi
from ansible_collections.okms.access.plugins.modules import okms_client_files
from ansible_collections.okms.access.tests.unit.plugins.module_args import run_module


COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ROLE = os.path.join(COLLECTION, "roles", "client")
START_TIMEOUT = 30

sys.path.insert(0, os.path.join(COLLECTION, "tests", "utils"))
from okms_testlib.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """The emulator (tests/emulator) as a process; its emulator.json once it serves.

    ansible-test runs each test in a fork of its own, where a module-scoped fixture's teardown never runs: the test
    library's Emulator dies with the process that started it, so that no emulator outlives its test.
    """
    process = Emulator(tmp_path_factory.mktemp("emulator"))
    info = process.start(timeout=START_TIMEOUT)
    admin(info, "POST", "/config", {"ready_delay": 0.1})
    yield info
    process.stop()


def admin(info, method, path, body=None):
    context = ssl.create_default_context(cafile=info["ca_file"])
    request = urllib.request.Request(info["admin_url"] + path, data=None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        return json.load(answer)


def requests_by_route(info):
    return admin(info, "GET", "/requests")["by_route"]


class FakeShell:
    tmpdir = "unused"


class FakeConnection:
    _shell = FakeShell()


class FakeTask:
    async_val = 0
    action = "okms.access.okms_client"

    def __init__(self, args, check_mode, environment, parent=None):
        self.args = args
        self._uuid = "task-%s" % args["step"]
        self._parent = parent
        self.check_mode = check_mode
        self.environment = environment


class Killed(BaseException):
    """A kill: nothing in the steps catches it."""


class PlayAction(action.ActionModule):
    """The action plugin with the host module run in-process and the role's template found in the role."""

    module_runs = []
    # (host, module action) where a test kills the run (test_okms_client_recovery.py)
    crash_at = None

    def _execute_module(self, module_name=None, module_args=None, task_vars=None, **kwargs):
        assert module_name == action.MODULE
        PlayAction.module_runs.append((task_vars["inventory_hostname"], module_args["action"]))
        if PlayAction.crash_at == (task_vars["inventory_hostname"], module_args["action"]):
            raise Killed()
        return run_module(okms_client_files.main, module_args, self._task.check_mode)

    def _find_needle(self, dirname, needle):
        return os.path.join(ROLE, dirname, needle)

    def lock_watch_pid(self):
        # The test's process stands in for the playbook's: the play's locks last as long as the test.
        return os.getpid()


class Play:
    """Hosts with the role's defaults and their own variables; registered results by host."""

    def __init__(self, info, tmp_path, hosts, **variables):
        with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as handle:
            defaults = yaml.safe_load(handle)
        defaults.update(okms_client_okms_id=info["okms_id"], okms_client_identity_urns=["urn:v1:eu:identity:account:" + info["nichandle"]])
        defaults.update(variables)
        self.api = dict(endpoint=info["api_url"], application_key=info["application_key"], application_secret=info["application_secret"],
                        consumer_key=info["consumer_key"], ca_path=info["ca_file"])
        self.hosts = list(hosts)
        self.vars = dict((host, dict(defaults, inventory_hostname=host, okms_client_dir=str(tmp_path / host / "okms"))) for host in hosts)
        self.registered = dict((host, {}) for host in hosts)
        self.environment = []
        self.batch = None
        self.parent = None
        # More magic variables (ansible_limit, ansible_play_hosts_all); the results of the last run by step and host
        self.extra = {}
        self.last = {}

    def task_vars(self, host):
        hostvars = dict((name, dict(self.vars[name], **self.registered[name])) for name in self.hosts)
        batch = self.batch or self.hosts
        task_vars = dict(self.vars[host], ansible_play_batch=batch, ansible_play_hosts=batch, ansible_play_hosts_all=self.hosts,
                         hostvars=hostvars, **self.registered[host])
        task_vars.update(self.extra)
        return task_vars

    def step(self, step, register=None, once=False, check_mode=False, hosts=None):
        """Run ``step`` on each host (on the first only with ``once``, its result registered for all); results by host."""
        results = {}
        for host in (hosts or self.hosts)[:1] if once else (hosts or self.hosts):
            task_vars = self.task_vars(host)
            templar = Templar(loader=DataLoader(), variables=task_vars)
            plugin = PlayAction(FakeTask(dict(step=step, **self.api), check_mode, self.environment, self.parent), FakeConnection(), None,
                                DataLoader(), templar, None)
            results[host] = plugin.run(task_vars=task_vars)
        if once:
            results = dict.fromkeys(self.batch or self.hosts, next(iter(results.values())))
        if register:
            for host, result in results.items():
                self.registered[host][register] = result
        self.last[step] = results
        return results

    def run(self, check_mode=False, cleanup=True):
        """The role's tasks/main.yml in a new playbook run, as Ansible runs it (see run_task); without ``cleanup``, the run
        stops before the cleanup step. The changed hosts of the apply steps, and the plans."""
        self.registered = dict((host, {}) for host in self.hosts)
        self.last = {}
        applied = set()
        for task in role_tasks():
            module, args = task_action(task)
            step = args.get("step") if module == action_name() else None
            if step == "cleanup" and not cleanup:
                break
            if module == "ansible.builtin.meta":
                continue  # flush_handlers: the role's handlers restart services, which the hosts of this test do not have
            results = self.run_task(task, module, args, check_mode)
            if step == "plan":
                check_plan_keys(results[self.hosts[0]], self.registered[self.hosts[0]][action.WANT_VAR]["want"]["state"])
            if step == "apply":
                applied.update(host for host, result in results.items() if result.get("changed"))
        return sorted(applied), self.registered[self.hosts[0]][action.PLANS_VAR]

    def run_task(self, task, module, args, check_mode):
        """One task on the play's hosts: run_once (on the first host, its result registered for every host), when: (a
        skipped result otherwise), register; the action plugin for its steps, slurp read here."""
        # An included task runs on the hosts that included its file (run_once: on the first of them), registered for all.
        hosts = [host for host in self.hosts
                 if all(self.evaluate(host, "{{ %s }}" % condition, check_mode) for condition in task.get("_included_when", []))]
        if not hosts:
            return {}
        once = self.evaluate(hosts[0], task.get("run_once", False), check_mode)
        results = {}
        for host in hosts[:1] if once else hosts:
            if not all(self.evaluate(host, "{{ %s }}" % condition, check_mode) for condition in conditions(task)):
                results[host] = dict(skipped=True, changed=False)
            elif module in IAM_MODULES:
                raise AssertionError("the IAM preflight runs only with okms_client_preflight, which these tests leave off")
            elif module == "ansible.builtin.slurp":
                with open(self.evaluate(host, args["src"], check_mode), "rb") as handle:
                    results[host] = dict(content=base64.b64encode(handle.read()).decode("ascii"), encoding="base64", changed=False)
            else:
                results[host] = self.step(args["step"], check_mode=check_mode, hosts=[host])[host]
        if once:
            results = dict.fromkeys(self.hosts, results[hosts[0]])
        if module == action_name():
            # Two apply tasks: a host's result is the one that ran (skipped only when neither ran).
            last = self.last.setdefault(args["step"], {})
            last.update((host, result) for host, result in results.items() if not result.get("skipped") or host not in last)
        for host, result in results.items():
            if task.get("register"):
                self.registered[host][task["register"]] = result
        return results

    def evaluate(self, host, value, check_mode):
        """``value`` of a task (a template, or not), with the host's variables, the role's vars/main.yml and ansible_check_mode."""
        if not isinstance(value, str):
            return value
        variables = dict(self.task_vars(host), ansible_check_mode=check_mode)
        variables.update((name, action.trust_as_template(text)) for name, text in role_vars().items())
        return Templar(loader=DataLoader(), variables=variables).template(action.trust_as_template(value))


def load_role_file(*path):
    with open(os.path.join(ROLE, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


INCLUDE = "ansible.builtin.include_tasks"


def role_tasks():
    """The tasks of tasks/main.yml in their order, an include_tasks replaced by the tasks of its file (``_included_when``:
    the include's when:, which decides the hosts that run them)."""
    tasks = []
    for task in load_role_file("tasks", "main.yml"):
        if INCLUDE not in task:
            tasks.append(task)
            continue
        for included in load_role_file("tasks", task[INCLUDE]):
            tasks.append(dict(included, _included_when=conditions(task)))
    return tasks


def role_task_text():
    """The text of the role's task files (main.yml and the files it includes)."""
    names = ["main.yml"] + [task[INCLUDE] for task in load_role_file("tasks", "main.yml") if INCLUDE in task]
    texts = []
    for name in names:
        with open(os.path.join(ROLE, "tasks", name), encoding="utf-8") as handle:
            texts.append(handle.read())
    return "\n".join(texts)


def role_vars():
    return load_role_file("vars", "main.yml")


def action_name():
    return FakeTask.action


TASK_KEYWORDS = frozenset(("name", "register", "run_once", "when", "delegate_to", "no_log", "notify", "module_defaults", "_included_when"))
# The IAM preflight's tasks (okms_client_preflight, off by default and in these tests): skipped by their when:.
IAM_MODULES = frozenset(("okms.access.okms_iam_preflight", "okms.access.okms_iam_probe"))


def task_action(task):
    """(module or action name, its arguments) of a task of the role."""
    (module,) = set(task) - TASK_KEYWORDS
    return module, task[module] or {}


def conditions(task):
    when = task.get("when", [])
    return when if isinstance(when, list) else [when]


def check_plan_keys(plans, state):
    """Every host's plan has the keys that the role's when: conditions read (action.PLAN_KEYS)."""
    keys = action.PLAN_KEYS if state == "present" else action.ABSENT_PLAN_KEYS
    for host, plan in plans["hosts"].items():
        assert set(keys) <= set(plan), "%s's plan lacks %s" % (host, sorted(set(keys) - set(plan)))


# Where a task runs, from its run_once: (the protocol's names, see action.TASKS)
RUN_ONCE = {None: "host", True: "play", "{{ okms_client_mode == 'shared' }}": "shared"}


def test_the_task_file_follows_the_step_protocol():
    tasks = [task_action(task) + (task,) for task in role_tasks()]
    steps = [(args["step"], task.get("register"), RUN_ONCE[task.get("run_once")]) for module, args, task in tasks if module == action_name()]
    assert steps == list(action.TASKS)
    order = [args["step"] if module == action_name() else module for module, args, task in tasks]
    assert [task["register"] for module, args, task in tasks if module == "ansible.builtin.slurp"] == [action.SHARED_KEY_VAR]
    assert order.index("ansible.builtin.slurp") == order.index("request") + 1
    assert set(module for module, args, task in tasks) == {action_name(), "ansible.builtin.slurp", "ansible.builtin.meta"} | IAM_MODULES


def test_the_conditions_read_only_plan_keys_of_the_protocol():
    read = set(re.findall(r"okms_client__plan\.(\w+)", role_task_text()))
    assert {"act", "issue", "deploy"} <= read <= set(action.PLAN_KEYS)


def serial_of(play, host):
    return play.step("read", hosts=[host])[host]["held"]["credential_id"]


@pytest.fixture(autouse=True)
def counted(emulator, tmp_path_factory, monkeypatch):
    admin(emulator, "POST", "/requests/reset", {})
    PlayAction.module_runs = []
    # Each test its own locks and journals (the controller's record of unfinished work)
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))


def test_csr_mode_first_run_then_idempotent(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2"], okms_client_okms_cli_config=True, okms_client_description="unit")
    changed, dummy = play.run(check_mode=True)
    assert changed == ["h1", "h2"] and not os.path.exists(str(tmp_path / "h1"))
    changed, plans = play.run()
    assert changed == ["h1", "h2"]
    assert [item["reason"] for item in plans["hosts"]["h1"]["reasons"]] == ["private_key_path", "certificate"]
    with open(str(tmp_path / "h1" / "okms" / "okms.yaml"), encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["profiles"]["default"]["http"]["endpoint"] == emulator["rest_url"]
    admin(emulator, "POST", "/requests/reset", {})
    PlayAction.module_runs = []
    changed, plans = play.run()
    assert changed == [] and plans["listed"] == []
    # One module run per host, one GET by id per host, one domain read, one authentication for the play.
    assert sorted(PlayAction.module_runs) == [("h1", "read"), ("h2", "read")]
    routes = requests_by_route(emulator)
    assert routes["GET /v2/okms/resource/{okmsId}/credential/{credentialId}"] == 2
    assert routes["GET /v2/okms/resource/{okmsId}"] == 1 and routes.get("GET /1.0/auth/time") == 1, routes
    assert routes["GET /api/{okmsId}/v1/random"] == 2


def test_csr_mode_lost_key_renewal_and_revocation(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2"])
    play.run()
    lost = serial_of(play, "h2")
    os.remove(str(tmp_path / "h2" / "okms" / "domain.key"))
    admin(emulator, "POST", "/requests/reset", {})
    changed, plans = play.run()
    assert changed == ["h2"] and serial_of(play, "h2") != lost
    assert [item["id"] for item in plans["hosts"]["h2"]["old"]] == [lost]
    assert admin(emulator, "GET", "/requests")["by_route"].get("DELETE /v2/okms/resource/{okmsId}/credential/{credentialId}") == 1
    renewed = serial_of(play, "h1")
    admin(emulator, "POST", "/credentials/" + renewed, {"expiredAt": "2000-01-01T00:00:00+00:00"})
    changed, plans = play.run()
    assert changed == ["h1"] and [item["reason"] for item in plans["hosts"]["h1"]["reasons"]] == ["status"]
    play.vars["h1"]["okms_client_state"] = play.vars["h2"]["okms_client_state"] = "absent"
    assert play.run(check_mode=True)[0] == ["h1", "h2"]
    assert os.path.exists(str(tmp_path / "h1" / "okms" / "domain.key"))
    assert play.run()[0] == ["h1", "h2"]
    assert not os.path.exists(str(tmp_path / "h1" / "okms"))
    assert play.run()[0] == []


def test_per_host_mode_keeps_a_controller_copy(emulator, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    play = Play(emulator, tmp_path, ["h1"], okms_client_mode="per_host", okms_client_controller_key_dir=str(keys),
                okms_client_certificate_type="RSA")
    assert play.run()[0] == ["h1"]
    with open(str(keys / "h1.key"), "rb") as copy, open(str(tmp_path / "h1" / "okms" / "domain.key"), "rb") as key:
        assert copy.read() == key.read()
    assert oct(os.stat(str(keys / "h1.key")).st_mode & 0o777) == "0o600"
    assert play.run()[0] == []


def test_shared_mode_one_credential_copied_to_a_host_that_lost_it(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2", "h3"], okms_client_mode="shared", okms_client_name="unit-shared")
    changed, plans = play.run()
    assert changed == ["h1", "h2", "h3"]
    shared = serial_of(play, "h1")
    assert serial_of(play, "h2") == serial_of(play, "h3") == shared
    os.remove(str(tmp_path / "h2" / "okms" / "domain.key"))
    admin(emulator, "POST", "/requests/reset", {})
    changed, plans = play.run()
    assert changed == ["h2"] and plans["hosts"]["h2"]["copy_from"] == "h1" and serial_of(play, "h2") == shared
    assert not any(route.startswith("POST") or route.startswith("DELETE") for route in requests_by_route(emulator))
    admin(emulator, "POST", "/credentials/" + shared, {"expiredAt": "2000-01-01T00:00:00+00:00"})
    changed, plans = play.run()
    assert changed == ["h1", "h2", "h3"] and serial_of(play, "h1") not in ("", shared)
    for host in play.hosts:
        play.vars[host]["okms_client_state"] = "absent"
    assert play.run()[0] == ["h1", "h2", "h3"]


def test_a_failed_access_check_names_the_host(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1"])
    play.run()
    admin(emulator, "POST", "/faults", {"route": "GET /api/{okmsId}/v1/random", "status": 503, "count": 1})
    with pytest.raises(AnsibleActionFail, match="h1 cannot use its OKMS key and certificate with .*503"):
        play.run()
    admin(emulator, "DELETE", "/faults")


@pytest.mark.parametrize("variables, fragment", [
    (dict(okms_client_okms_id="nope"), "okms_client_okms_id: 'nope' is not a UUID"),
    (dict(okms_client_identity_urns=[]), "okms_client_identity_urns: is empty"),
    (dict(okms_client_mode="shared"), "okms_client_name: the shared mode needs the name"),
    (dict(okms_client_name="x" * 51), "okms_client_name: "),
    (dict(okms_client_dir="relative"), "okms_client_dir: 'relative' is not an absolute path"),
    (dict(okms_client_key_file="a/b"), "okms_client_key_file: 'a/b' is not a file name"),
    (dict(okms_client_validity=400), "okms_client_validity: 400 days is out of range"),
    # A certificate written over its key, a CA written over the key, a file over a staged one or over the RSA CA.
    (dict(okms_client_cert_file="domain.key"),
     "okms_client_key_file and okms_client_cert_file both name the file 'domain.key'; give each file its own name"),
    (dict(okms_client_ca_file="domain.key"), "okms_client_key_file and okms_client_ca_file both name the file 'domain.key'"),
    (dict(okms_client_okms_cli_config_file="ca.pem"), "okms_client_ca_file and okms_client_okms_cli_config_file both name"),
    (dict(okms_client_cert_file="domain.key.new"),
     "okms_client_cert_file and the staged key (okms_client_key_file + .new) both name the file 'domain.key.new'"),
    (dict(okms_client_ca_file="ca-rsa.pem"), "okms_client_ca_file and the RSA CA file both name the file 'ca-rsa.pem'"),
    (dict(okms_client_certificate_type="RSA", okms_client_rsa_key_size=512),
     "okms_client_rsa_key_size: 512 bits is too weak; use at least 2048"),
    (dict(okms_client_validity=30), "okms_client_renew_before_days: 30 is not less than okms_client_validity (30)"),
    (dict(okms_client_mode="per_host", okms_client_controller_key_dir="/nonexistent/okms-keys"),
     "okms_client_controller_key_dir: the directory /nonexistent/okms-keys does not exist"),
    (dict(okms_client_owner="okms-no-such-user"),
     "okms_client_owner: no user 'okms-no-such-user' exists on this host; create it first, or give an existing user name or id"),
    (dict(okms_client_group="okms-no-such-group"), "okms_client_group: no group 'okms-no-such-group' exists on this host"),
])
def test_bad_variables_fail_before_any_api_call(emulator, tmp_path, variables, fragment):
    play = Play(emulator, tmp_path, ["h1"])
    play.vars["h1"].update(variables)
    with pytest.raises(AnsibleActionFail) as raised:
        play.step("check", action.WANT_VAR)
    assert fragment in str(raised.value) and str(raised.value).startswith("h1: ")
    assert requests_by_route(emulator) == {}
    assert not os.path.exists(play.vars["h1"]["okms_client_dir"])


@pytest.mark.parametrize("rotate, renew, window", [(0, 30, 30), (366, 30, 366), (10, 30, 30)])
def test_a_rotation_widens_the_renewal_window_of_its_run_even_beyond_the_validity(emulator, tmp_path, rotate, renew, window):
    play = Play(emulator, tmp_path, ["h1"], okms_client_rotate_before_days=rotate, okms_client_renew_before_days=renew)
    assert play.step("check", action.WANT_VAR)["h1"]["want"]["renew_before_days"] == window
    assert requests_by_route(emulator) == {}


def test_owner_and_group_cost_a_module_run_only_when_set(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2"])
    play.vars["h2"].update(okms_client_owner=str(os.getuid()), okms_client_group=str(os.getgid()))
    play.step("check", action.WANT_VAR)
    assert PlayAction.module_runs == [("h2", "check")]


def test_the_controller_key_dir_is_checked_in_the_modes_that_write_it(emulator, tmp_path, monkeypatch):
    play = Play(emulator, tmp_path, ["h1"], okms_client_controller_key_dir=str(tmp_path / "missing"))
    play.step("check", action.WANT_VAR)  # the csr mode keeps no key on the controller
    os.makedirs(str(tmp_path / "keys"), mode=0o700)
    play.vars["h1"].update(okms_client_mode="per_host", okms_client_controller_key_dir=str(tmp_path / "keys"))
    assert play.step("check", action.WANT_VAR)["h1"]["want"]["controller_key_path"] == str(tmp_path / "keys" / "h1.key")
    # The tests run as root, whom access() never refuses: the answer a controller's user gets is stood in for.
    monkeypatch.setattr(action.os, "access", lambda path, mode: False)
    with pytest.raises(AnsibleActionFail, match="okms_client_controller_key_dir: the controller's user .* cannot write to "):
        play.step("check", action.WANT_VAR)


def test_play_problems_fail_before_any_api_call(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2"], okms_client_name="same")
    play.step("check", action.WANT_VAR)
    with pytest.raises(AnsibleActionFail, match="'same' is given to several hosts"):
        play.step("start", action.START_VAR, once=True)
    assert requests_by_route(emulator) == {}


def test_an_api_error_names_the_host(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1"])
    play.vars["h1"]["okms_client_okms_id"] = "00000000-0000-0000-0000-000000000000"
    play.step("check", action.WANT_VAR)
    with pytest.raises(AnsibleActionFail, match="^h1: GET /v2/okms/resource/00000000-0000-0000-0000-000000000000 failed: HTTP 404"):
        play.step("start", action.START_VAR, once=True)


def test_a_configuration_problem_is_reported(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1"])
    play.api = dict(endpoint="nowhere")
    play.step("check", action.WANT_VAR)
    with pytest.raises(AnsibleActionFail, match="Unknown OVH API endpoint"):
        play.step("start", action.START_VAR, once=True)


def test_api_credentials_from_the_environment_keyword(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1"])
    play.api = dict(ca_path=emulator["ca_file"])
    play.environment = [dict(OVH_ENDPOINT=emulator["api_url"], OVH_APPLICATION_KEY=emulator["application_key"],
                             OVH_APPLICATION_SECRET=emulator["application_secret"], OVH_CONSUMER_KEY=emulator["consumer_key"])]
    assert play.run()[0] == ["h1"]


def test_an_unknown_step(emulator, tmp_path):
    with pytest.raises(AnsibleActionFail, match="step: 'dance' is not one of"):
        Play(emulator, tmp_path, ["h1"]).step("dance")


def test_an_api_key_that_cannot_be_written_takes_its_credential_away(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["keyless"], okms_client_mode="per_host")
    # The directory is a file: the key cannot be staged.
    (tmp_path / "keyless").write_text("not a directory")
    with pytest.raises(AnsibleActionFail, match="whose key could not be written, was deleted"):
        play.run()
    api = CredentialApi(client_from_params(play.api), emulator["okms_id"])
    assert [item["status"] for item in api.list_named("keyless")] in ([], ["DELETING"])


def test_serial_batches_share_the_first_batch_authentication_and_domain_read(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1", "h2", "h3", "h4"])
    play.run()
    admin(emulator, "POST", "/requests/reset", {})
    play.registered = dict((host, {}) for host in play.hosts)
    for batch in (["h1", "h2"], ["h3", "h4"]):
        play.batch = batch
        play.step("check", action.WANT_VAR, hosts=batch)
        start = play.step("start", action.START_VAR, once=True, hosts=batch)[batch[0]]
        play.step("read", action.HELD_VAR, hosts=batch)
        plans = play.step("plan", action.PLANS_VAR, once=True, hosts=batch)[batch[0]]
        assert sorted(plans["hosts"]) == batch and not any(plan["changes"] for plan in plans["hosts"].values())
    assert start.get("reused") is True
    routes = requests_by_route(emulator)
    assert routes["GET /v2/okms/resource/{okmsId}"] == 1 and routes.get("GET /1.0/auth/time") == 1, routes


class FakePlay:
    strategy = "free"


class FakeBlock:
    _play = FakePlay()


def test_another_strategy_than_linear_is_refused_before_any_api_call(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["h1"])
    play.parent = FakeBlock()
    with pytest.raises(AnsibleActionFail, match="needs the linear strategy, the play runs with strategy 'free'"):
        play.step("check", action.WANT_VAR)
    assert requests_by_route(emulator) == {}


def test_serial_batches_list_the_domain_once_and_still_find_a_later_batch_leftover(emulator, tmp_path):
    Play(emulator, tmp_path / "before", ["h3"]).run()
    leftover = [item["id"] for item in CredentialApi(client_from_params(Play(emulator, tmp_path, []).api), emulator["okms_id"]).list_all()
                if item["name"] == "h3"]
    play = Play(emulator, tmp_path, ["h1", "h2", "h3", "h4"])
    admin(emulator, "POST", "/requests/reset", {})
    for batch in (["h1", "h2"], ["h3", "h4"]):
        play.batch = batch
        play.step("check", action.WANT_VAR, hosts=batch)
        play.step("start", action.START_VAR, once=True, hosts=batch)
        play.step("read", action.HELD_VAR, hosts=batch)
        plans = play.step("plan", action.PLANS_VAR, once=True, hosts=batch)[batch[0]]
    assert leftover and [item["id"] for item in plans["listed"] if item["name"] == "h3"] == leftover
    assert all(plans["hosts"][host]["issue"] for host in ("h3", "h4"))
    assert requests_by_route(emulator)["GET /v2/okms/resource/{okmsId}/credential"] == 1


def test_the_plan_reads_each_name_once_and_an_idempotent_run_writes_no_journal(emulator, tmp_path, monkeypatch):
    """Linear in the play's names: the leftovers of a name are sorted among its own hosts and credentials only (a
    plan that read every host and credential once per name grew as the square of the hosts)."""
    hosts = ["q1", "q2", "q3", "q4"]
    play = Play(emulator, tmp_path, hosts, okms_client_mode="per_host", okms_client_name="")
    play.run()
    sorted_among, journal_writes = [], []
    sort_leftovers, update_journal = action.ActionModule.sort_leftovers, action.update_journal

    def counted_sort(self, api, name, journal, name_hosts, plans, listed, holders):
        sorted_among.append((name, [host for host, dummy, dummy in name_hosts], sorted(set(item.get("name") for item in listed))))
        return sort_leftovers(self, api, name, journal, name_hosts, plans, listed, holders)

    monkeypatch.setattr(action.ActionModule, "sort_leftovers", counted_sort)
    monkeypatch.setattr(action, "update_journal", lambda *args: journal_writes.append(args) or update_journal(*args))
    os.remove(str(tmp_path / "q2" / "okms" / "client.cert"))  # q2 holds no certificate: the plan walks the listing
    play.run(check_mode=True)
    assert sorted(sorted_among) == [(host, [host], [host]) for host in hosts]
    del sorted_among[:]
    assert play.run()[0] == ["q2"] and len(sorted_among) == 4
    del sorted_among[:], journal_writes[:]
    assert play.run()[0] == [] and journal_writes == []
