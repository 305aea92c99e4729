# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""okms_audit against the emulator, on hosts that the role's steps provisioned (the play runner of test_okms_client)."""

from __future__ import annotations

import datetime
import os

import pytest
from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.okms.access.plugins.action import okms_audit
from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import CredentialApi
from ansible_collections.okms.access.tests.unit.plugins.action.test_okms_client import (  # noqa: F401  pylint: disable=unused-import
    FakeConnection,
    FakeTask,
    Play,
    admin,
    counted,
    emulator,
    requests_by_route,
)

LIST_ROUTE = "GET /v2/okms/resource/{okmsId}/credential"


class AuditTask(FakeTask):
    """The fake task of test_okms_client, with okms_audit's options (no step)."""

    def __init__(self, args, check_mode):
        super().__init__(dict(args, step="audit"), check_mode, [])
        self.args = args


class HostVars(dict):
    """What okms_audit reads of Ansible's hostvars: the raw variables of a host."""

    def raw_get(self, host):
        return self[host]


def audit(play, check_mode=False, **args):
    hostvars = HostVars((host, dict(play.vars[host], **play.registered[host])) for host in play.hosts)
    task_vars = dict(hostvars=hostvars, inventory_hostname="localhost")
    task = AuditTask(dict(dict(hosts=list(play.hosts), **play.api), **args), check_mode)
    plugin = okms_audit.ActionModule(task, FakeConnection(), None, DataLoader(), Templar(loader=DataLoader(), variables=task_vars), None)
    return plugin.run(task_vars=task_vars)


def expire_in(emulator, credential_id, days):  # noqa: F811
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    admin(emulator, "POST", "/credentials/%s" % credential_id, {"expiredAt": when.isoformat()})


@pytest.fixture
def play(emulator, tmp_path):  # noqa: F811
    play = Play(emulator, tmp_path, ["a1", "a2"], okms_client_mode="per_host", okms_client_name="")
    play.run()
    admin(emulator, "POST", "/requests/reset", {})
    return play


def held_ids(play):
    return dict((host, play.step("read", hosts=[host])[host]["held"]["credential_id"]) for host in play.hosts)


def test_nothing_due_is_one_listing(emulator, play):  # noqa: F811
    result = audit(play)
    assert (result["due"], result["held_back"], result["changed"]) == ([], [], False)
    assert result["findings"]["without_credential"] == [] and result["findings"]["orphans"] == []
    routes = requests_by_route(emulator)
    assert routes == {LIST_ROUTE: 1, "GET /1.0/auth/time": 1}, routes


def test_an_expiring_host_is_due_and_a_closed_window_holds_it_back(emulator, play):  # noqa: F811
    ids = held_ids(play)
    expire_in(emulator, ids["a2"], 10)
    assert audit(play)["due"] == ["a2"]
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)).strftime("%H:%M")
    result = audit(play, window=dict(start=later, hours=1))
    assert (result["due"], result["held_back"], result["window"]["inside"]) == ([], ["a2"], False)
    expire_in(emulator, ids["a2"], 0.05)  # lapses before the window opens
    assert audit(play, window=dict(start=later, hours=1))["due"] == ["a2"]


def test_prune_deletes_orphans_only_and_check_mode_none(emulator, play, tmp_path):  # noqa: F811
    api = CredentialApi(client_from_params(play.api), play.vars["a1"]["okms_client_okms_id"])
    orphan = api.create(dict(name="orphan-of-a-test", identityURNs=play.vars["a1"]["okms_client_identity_urns"]))["id"]
    with pytest.raises(AnsibleActionFail, match="prune_orphans needs what each host holds"):
        audit(play, prune_orphans=True)
    for host in play.hosts:
        play.registered[host]["probe"] = play.step("read", hosts=[host])[host]["held"]
    checked = audit(play, check_mode=True, prune_orphans=True, held_var="probe", name_pattern="^orphan-of-")
    assert (checked["pruned"], checked["changed"]) == ([orphan], True) and api.get(orphan) is not None
    metrics_file = str(tmp_path / "fleet.prom")
    result = audit(play, prune_orphans=True, held_var="probe", name_pattern="^orphan-of-", metrics_file=metrics_file)
    assert result["pruned"] == [orphan] and result["table"][-1] == "pruned: 1 orphans deleted"
    assert api.get(orphan) is None or api.get(orphan)["status"] == "DELETING"
    assert all(api.get(credential_id)["status"] == "READY" for credential_id in held_ids(play).values())
    with open(metrics_file, encoding="utf-8") as handle:
        assert 'okms_fleet_findings{kind="orphans",okms_id="%s"} 1' % play.vars["a1"]["okms_client_okms_id"] in handle.read()


def test_a_host_that_lost_its_key_is_due_only_when_its_files_are_read(emulator, play, tmp_path):  # noqa: F811
    os.remove(str(tmp_path / "a1" / "okms" / "domain.key"))
    assert audit(play)["due"] == []
    play.registered["a1"]["probe"] = play.step("read", hosts=["a1"])["a1"]["held"]
    result = audit(play, held_var="probe")
    assert result["due"] == ["a1"] and result["hosts"]["a1"]["checked"] and not result["hosts"]["a2"]["checked"]


@pytest.mark.parametrize("args, fragment", [
    (dict(window=dict(start="2am", hours=1)), "window: start"),
    (dict(name_pattern="("), "name_pattern"),
    (dict(hosts="a1"), "hosts: give the list"),
])
def test_bad_options_fail_before_any_request(emulator, play, args, fragment):  # noqa: F811
    with pytest.raises(AnsibleActionFail, match=fragment):
        audit(play, **args)
    assert requests_by_route(emulator) == {}


def test_a_bad_host_variable_names_the_host(emulator, play):  # noqa: F811
    play.vars["a2"]["okms_client_renew_fraction"] = 1.5
    with pytest.raises(AnsibleActionFail, match="a2: okms_client_renew_fraction: 1.5 is out of range"):
        audit(play)
