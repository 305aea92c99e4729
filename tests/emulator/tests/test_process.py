# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The process: emulator.json, signals, persistence across restarts, configuration."""

from __future__ import annotations

import json
import os
import signal
import stat
import uuid

import ovh
import pytest

from emulator_process import EmulatorProcess, run_to_exit

ENDPOINT = "okms-emulator-restart"
IDENTITY_KEYS = ("okms_id", "nichandle", "application_key", "application_secret", "consumer_key", "client_id", "client_secret")
INFO_KEYS = {"api_url", "oauth2_token_url", "rest_url", "ca_file", "admin_url", *IDENTITY_KEYS}


def _client(monkeypatch, info) -> ovh.Client:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", info["ca_file"])
    monkeypatch.setitem(ovh.client.ENDPOINTS, ENDPOINT, info["api_url"])
    return ovh.Client(ENDPOINT, info["application_key"], info["application_secret"], info["consumer_key"])


def test_state_survives_a_restart(tmp_path, monkeypatch):
    process = EmulatorProcess(tmp_path / "state")
    first = process.start()
    assert INFO_KEYS <= set(first)
    assert stat.S_IMODE(os.stat(process.info_path).st_mode) == 0o600
    with open(first["ca_file"], encoding="ascii") as handle:
        ca_pem = handle.read()
    path = "/v2/okms/resource/%s/credential" % first["okms_id"]
    created = _client(monkeypatch, first).post(path, name="persisted", identityURNs=["urn:v1:eu:identity:account:" + first["nichandle"]])
    assert process.stop(signal.SIGTERM) == 0
    assert not os.path.exists(process.info_path)

    second = process.start()
    try:
        assert {key: second[key] for key in IDENTITY_KEYS} == {key: first[key] for key in IDENTITY_KEYS}
        with open(second["ca_file"], encoding="ascii") as handle:
            assert handle.read() == ca_pem
        view = _client(monkeypatch, second).get(path + "/" + created["id"])
        assert (view["name"], view["createdAt"]) == ("persisted", created["createdAt"])
        intruder = run_to_exit(process.state_dir)
        assert intruder.returncode == 1
        assert "another emulator already uses" in intruder.stderr
        assert os.path.exists(process.info_path)
    finally:
        assert process.stop(signal.SIGINT) == 0


def test_configured_identities_and_fixed_ports(tmp_path):
    okms_id = str(uuid.uuid4())
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "settings": {"page_size": 10},
        "accounts": [{"nichandle": "xx1111-ovh", "application_key": "fixed-ak", "domains": [{"id": okms_id.upper(), "region": "ca-east-bhs"}]}],
    }), encoding="utf-8")
    process = EmulatorProcess(tmp_path / "state", "--config", str(config), "--host", "127.0.0.1")
    info = process.start()
    try:
        assert (info["okms_id"], info["nichandle"], info["application_key"]) == (okms_id, "xx1111-ovh", "fixed-ak")
        assert info["api_url"].startswith("https://127.0.0.1:")
    finally:
        assert process.stop() == 0


@pytest.mark.parametrize(("config", "message"), [
    ({"accounts": [{"domains": [{"region": "mars-north-1"}]}]}, "region"),
    ({"settings": {"page_size": 0}}, "page_size"),
    ({"surprise": True}, "surprise"),
    ({"accounts": [{"domains": []}]}, "first account needs a domain"),
    ({"accounts": [{"nichandle": "aa1-ovh"}, {"nichandle": "aa1-ovh"}]}, "nichandle"),
    ({"accounts": [{"kms_denied_actions": ["okms:apikms:random/post"]}]}, "kms_denied_actions"),
    ({"accounts": [{"kms_denied_actions": "okms:apikms:random/get"}]}, "kms_denied_actions"),
    ({"settings": {"kms_authz_status": 404}}, "kms_authz_status"),
])
def test_bad_configuration_exits_2(tmp_path, config, message):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = run_to_exit(tmp_path / "state", "--config", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert not os.path.exists(tmp_path / "state" / "emulator.json")
