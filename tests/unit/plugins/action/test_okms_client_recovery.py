# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The role keeps the module's promises: a run stopped anywhere is repaired by the next one, one writer per name, nothing
deleted that another host may hold. Each test stops a run where a kill would (an exception no step catches), then
checks with a census through the API and the disk."""

from __future__ import annotations

import os
import subprocess

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.okms.access.plugins.action import okms_client as action
from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CredentialApi,
    load_certificate,
    public_key_der,
    read_certificate_file,
    read_private_key_public_der,
)
from ansible_collections.okms.access.plugins.module_utils._journal import journal_path, read_journal
from ansible_collections.okms.access.plugins.module_utils._lock import hold_until_exit, name_lock_directory, name_lock_path
from ansible_collections.okms.access.plugins.modules import okms_client_files
from ansible_collections.okms.access.tests.unit.plugins.action.test_okms_client import (  # noqa: F401  pylint: disable=unused-import
    Killed,
    Play,
    PlayAction,
    admin,
    counted,
    emulator,
    requests_by_route,
    serial_of,
)


@pytest.fixture(autouse=True)
def no_crash():
    PlayAction.crash_at = None
    yield
    PlayAction.crash_at = None


def crash_at(host, module_action):
    PlayAction.crash_at = (host, module_action)


def api_of(play, emulator_info):
    return CredentialApi(client_from_params(play.api), emulator_info["okms_id"])


def census(play, emulator_info, name):
    """(live credentials called ``name``, those whose key is on no host of the play)."""
    api = api_of(play, emulator_info)
    live = [item if item.get("status") != "CREATING" else api.wait_ready(item["id"], 10)
            for item in api.list_named(name) if item.get("status") != "DELETING"]
    keys = set()
    for host in play.hosts:
        directory = play.vars[host]["okms_client_dir"]
        for file_name in ("domain.key", "domain.key.new"):
            public_der, dummy = read_private_key_public_der(os.path.join(directory, file_name))
            if public_der is not None:
                keys.add(public_der)
    keyless = [item["id"] for item in live
               if not item.get("certificatePEM") or public_key_der(load_certificate(item["certificatePEM"])) not in keys]
    return live, keyless


def pair_matches(play, host):
    directory = play.vars[host]["okms_client_dir"]
    certificate = read_certificate_file(os.path.join(directory, "client.cert"))
    key, dummy = read_private_key_public_der(os.path.join(directory, "domain.key"))
    return certificate is not None and public_key_der(certificate) == key


def expire(emulator_info, credential_id):
    admin(emulator_info, "POST", "/credentials/" + credential_id, {"expiredAt": "2000-01-01T00:00:00+00:00"})


def test_killed_after_the_create_committed_the_next_run_deletes_the_keyless_credential(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["k1"], okms_client_mode="per_host")
    crash_at("k1", "stage")
    with pytest.raises(Killed):
        play.run()
    live, keyless = census(play, emulator, "k1")
    assert len(live) == 1 and keyless == [live[0]["id"]]
    journal = read_journal(journal_path(name_lock_directory(), emulator["okms_id"], "k1"))
    assert [entry["id"] for entry in journal["creates"]] == [live[0]["id"]]
    PlayAction.crash_at = None
    play.run()
    live, keyless = census(play, emulator, "k1")
    assert len(live) == 1 and keyless == [] and pair_matches(play, "k1")
    cleanup = play.last["cleanup"]["k1"]
    assert [item["id"] for item in cleanup["deletions"]] == cleanup["deleted"]
    assert cleanup["deletions"][0]["name"] == "k1" and "key exists nowhere" in cleanup["deletions"][0]["why"]
    assert read_journal(journal_path(name_lock_directory(), emulator["okms_id"], "k1")) == dict(creates=[], retire=[])


def test_a_lost_create_answer_is_found_in_its_window_and_deleted(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["w1"], okms_client_mode="per_host")
    admin(emulator, "POST", "/faults", {"route": "POST /v2/okms/resource/{okmsId}/credential", "drop_after_commit": True, "count": 1})
    try:
        with pytest.raises(AnsibleActionFail, match="finds the credential this call may have made"):
            play.run()
    finally:
        admin(emulator, "DELETE", "/faults")
    assert len(census(play, emulator, "w1")[1]) == 1
    play.run()
    live, keyless = census(play, emulator, "w1")
    assert len(live) == 1 and keyless == [] and pair_matches(play, "w1")
    assert "lost create" in play.last["cleanup"]["w1"]["deletions"][0]["why"]


def test_killed_while_waiting_for_ready_the_next_run_adopts_the_staged_key(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["a1"], okms_client_mode="per_host")
    play.run()
    old = serial_of(play, "a1")
    expire(emulator, old)
    crash_at("a1", "apply")
    with pytest.raises(Killed):
        play.run()
    assert os.path.exists(os.path.join(play.vars["a1"]["okms_client_dir"], "domain.key.new"))
    PlayAction.crash_at = None
    admin(emulator, "POST", "/requests/reset", {})
    changed, plans = play.run()
    assert changed == ["a1"] and plans["hosts"]["a1"]["adopt_id"] == serial_of(play, "a1") != old
    assert "POST /v2/okms/resource/{okmsId}/credential" not in requests_by_route(emulator)
    assert play.last["cleanup"]["a1"]["deleted"] == [old]
    live, keyless = census(play, emulator, "a1")
    assert [item["id"] for item in live] == [serial_of(play, "a1")] and keyless == [] and pair_matches(play, "a1")


def test_killed_between_the_two_renames_the_next_run_finishes_the_swap(emulator, tmp_path, monkeypatch):
    play = Play(emulator, tmp_path, ["s1"])
    play.run()
    old = serial_of(play, "s1")
    expire(emulator, old)
    real_replace = os.replace

    def replace_then_die(source, target):
        real_replace(source, target)
        if source.endswith("domain.key.new"):
            raise Killed()
    monkeypatch.setattr(okms_client_files.os, "replace", replace_then_die)
    with pytest.raises(Killed):
        play.run()
    monkeypatch.setattr(okms_client_files.os, "replace", real_replace)
    assert not pair_matches(play, "s1")
    changed, plans = play.run()
    assert changed == ["s1"] and plans["hosts"]["s1"]["finish_swap"] and pair_matches(play, "s1")
    assert serial_of(play, "s1") != old and play.last["cleanup"]["s1"]["deleted"] == [old]
    assert census(play, emulator, "s1")[1] == []


def test_killed_before_the_cleanup_the_next_run_deletes_the_replaced_credential(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["r1"])
    play.run()
    old = serial_of(play, "r1")
    expire(emulator, old)
    play.run(cleanup=False)
    assert old in [item["id"] for item in census(play, emulator, "r1")[0]]
    play.run()
    assert play.last["cleanup"]["r1"]["deleted"] == [old]
    live, keyless = census(play, emulator, "r1")
    assert [item["id"] for item in live] == [serial_of(play, "r1")] and keyless == []


def test_a_credential_nothing_proves_ours_is_reported_never_deleted(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["o1"], okms_client_mode="per_host")
    play.run()
    stranger = api_of(play, emulator).create({"name": "o1", "identityURNs": play.vars["o1"]["okms_client_identity_urns"]})
    expire(emulator, serial_of(play, "o1"))
    play.run()
    cleanup = play.last["cleanup"]["o1"]
    assert cleanup["possible_orphans"] == [stranger["id"]] and stranger["id"] not in cleanup["deleted"]
    assert any("possible orphans" in warning for warning in cleanup["warnings"])
    assert stranger["id"] in [item["id"] for item in census(play, emulator, "o1")[0]]


def test_a_second_run_waits_for_the_lock_of_the_first(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["l1"], okms_client_wait_timeout=1)
    directory = name_lock_directory()
    os.makedirs(directory, 0o700, exist_ok=True)
    other_run = subprocess.Popen(["sleep", "60"])
    try:
        hold_until_exit([name_lock_path(directory, emulator["okms_id"], "l1")], 1, other_run.pid, "l1")
        with pytest.raises(AnsibleActionFail, match="Cannot take the lock .* Nothing was done"):
            play.run()
        assert "POST /v2/okms/resource/{okmsId}/credential" not in requests_by_route(emulator)
    finally:
        other_run.kill()
        other_run.wait()
    assert play.run()[0] == ["l1"]


def test_two_controllers_at_once_lose_no_key(emulator, tmp_path, tmp_path_factory, monkeypatch):
    """Two controllers (two lock directories) plan the same first run; the second's key cannot go over the first's."""
    first = Play(emulator, tmp_path, ["c1"], okms_client_mode="per_host")
    second = Play(emulator, tmp_path, ["c1"], okms_client_mode="per_host")
    controllers = [str(tmp_path_factory.mktemp("controller-a")), str(tmp_path_factory.mktemp("controller-b"))]
    for play, runtime in zip((first, second), controllers):
        os.chmod(runtime, 0o700)
        monkeypatch.setenv("XDG_RUNTIME_DIR", runtime)
        play.registered = dict(c1={})
        for step, register, once in (("check", action.WANT_VAR, False), ("start", action.START_VAR, True), ("read", action.HELD_VAR, False),
                                     ("plan", action.PLANS_VAR, True)):
            play.step(step, register, once=once)
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[0])
    first.step("request", action.REQUEST_VAR)
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[1])
    with pytest.raises(AnsibleActionFail, match="another run staged a new key .* was deleted"):
        second.step("request", action.REQUEST_VAR)
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[0])
    first.step("apply")
    first.step("cleanup")
    live, keyless = census(first, emulator, "c1")
    assert [item["id"] for item in live] == [serial_of(first, "c1")] and keyless == [] and pair_matches(first, "c1")


def test_shared_mode_keeps_what_hosts_outside_the_run_may_hold(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["p1", "p2", "p3"], okms_client_mode="shared", okms_client_name="unit-outside")
    play.run()
    old = serial_of(play, "p1")
    expire(emulator, old)
    limited = Play(emulator, tmp_path, ["p1"], okms_client_mode="shared", okms_client_name="unit-outside")
    limited.extra = dict(ansible_limit="p1")
    limited.run()
    cleanup = limited.last["cleanup"]["p1"]
    assert cleanup["deleted"] == [] and [item["id"] for item in cleanup["kept"]] == [old]
    assert "outside this run" in cleanup["kept"][0]["why"] and "--limit p1" in cleanup["kept"][0]["why"]
    # An unreachable host: in the play, out of the batch.
    play.extra = dict(ansible_play_hosts_all=["p1", "p2", "p3", "p4"])
    play.run()
    assert old in [item["id"] for item in play.last["cleanup"]["p1"]["kept"]]
    play.extra = {}
    play.run()
    assert play.last["cleanup"]["p1"]["deleted"] == [old]
    assert [item["id"] for item in census(play, emulator, "unit-outside")[0]] == [serial_of(play, "p1")]


def test_a_cloned_host_gets_its_own_credential_and_the_source_keeps_its_own(emulator, tmp_path):
    play = Play(emulator, tmp_path, ["src", "clone"], okms_client_mode="per_host")
    play.run()
    source = serial_of(play, "src")
    subprocess.run(["cp", "-a", play.vars["src"]["okms_client_dir"] + "/.", play.vars["clone"]["okms_client_dir"]], check=True)
    changed, plans = play.run()
    assert changed == ["clone"] and serial_of(play, "clone") not in ("", source) and serial_of(play, "src") == source
    cleanup = play.last["cleanup"]["clone"]
    assert cleanup["deleted"] == [] and [item["id"] for item in cleanup["kept"]] == [source]
    assert "not ours to delete" in cleanup["kept"][0]["why"]
    assert source in [item["id"] for item in census(play, emulator, "src")[0]]
    # With the source outside the run, the clone's certificate names a credential called "src": not the clone's to delete.
    only_clone = Play(emulator, tmp_path, ["clone"], okms_client_mode="per_host")
    only_clone.vars["clone"]["okms_client_state"] = "absent"
    subprocess.run(["cp", "-a", play.vars["src"]["okms_client_dir"] + "/.", play.vars["clone"]["okms_client_dir"]], check=True)
    only_clone.run()
    assert source in [item["id"] for item in census(play, emulator, "src")[0]]


def test_two_controllers_one_after_the_other_never_overwrite_the_key_in_place(emulator, tmp_path, tmp_path_factory, monkeypatch):
    """The second controller planned before the first put its pair in place: its pair does not go over the first's."""
    first = Play(emulator, tmp_path, ["d1"], okms_client_mode="per_host")
    second = Play(emulator, tmp_path, ["d1"], okms_client_mode="per_host")
    controllers = [str(tmp_path_factory.mktemp("controller-a")), str(tmp_path_factory.mktemp("controller-b"))]
    for runtime in controllers:
        os.chmod(runtime, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[1])
    second.registered = dict(d1={})
    for step, register, once in (("check", action.WANT_VAR, False), ("start", action.START_VAR, True), ("read", action.HELD_VAR, False),
                                 ("plan", action.PLANS_VAR, True)):
        second.step(step, register, once=once)
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[0])
    first.run()
    winner = serial_of(first, "d1")
    monkeypatch.setenv("XDG_RUNTIME_DIR", controllers[1])
    second.step("request", action.REQUEST_VAR)
    with pytest.raises(AnsibleActionFail, match="changed since this run read the host"):
        second.step("apply")
    assert serial_of(first, "d1") == winner and pair_matches(first, "d1")
    assert len(census(first, emulator, "d1")[0]) == 2
    # Its next run adopts its staged key (the pair in place is replaced, like any replacement): one credential, no key lost.
    second.run()
    live, keyless = census(first, emulator, "d1")
    assert [item["id"] for item in live] == [serial_of(first, "d1")] and keyless == [] and pair_matches(first, "d1")
