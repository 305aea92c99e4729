# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""okms_secret and okms_secret_info against the emulator where OVH may differ from the first guess: numbers echoed in
another form, data withheld from an account without okms:apiovh:secret/version/getData, a domain that requires cas."""

from __future__ import annotations

import os
import sys
import uuid

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.modules import okms_secret, okms_secret_info
from ansible_collections.okms.access.tests.unit.plugins.module_args import run_module

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "utils"))
from okms_testlib.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

GET_DATA = "okms:apiovh:secret/version/getData"
SECRET_VALUE = "okms-secret-unit-value"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """Two accounts: the second one lacks getData, and includeData answers it without the data (secret_data_denied)."""
    config = {"settings": {"secret_data_denied": "omitted"},
              "accounts": [{}, {"iam_denied_actions": [GET_DATA]}]}
    process = Emulator(tmp_path_factory.mktemp("emulator") / "state", config=config)
    info = process.start(timeout=30)
    yield info
    process.stop()


def connection(info, account=0):
    account_info = info["accounts"][account]
    return dict(endpoint=info["api_url"], ca_path=info["ca_file"], application_key=account_info["application_key"],
                application_secret=account_info["application_secret"], consumer_key=account_info["consumer_key"],
                okms_id=account_info["okms_ids"][0])


def secret(info, account=0, check_mode=False, **args):
    return run_module(okms_secret.main, dict(connection(info, account), **args), check_mode=check_mode)


def test_a_number_echoed_in_another_form_is_the_same_data(emulator):
    # (no value of the data is "1": no_log would mask the version number in the result)
    path = "unit/%s" % uuid.uuid4().hex[:8]
    assert secret(emulator, path=path, data={"port": 5432, "ratio": 3.0, "pin": SECRET_VALUE})["version"] == 1
    for check_mode in (True, False):
        again = secret(emulator, path=path, data={"port": 5432.0, "ratio": 3, "pin": SECRET_VALUE}, check_mode=check_mode)
        assert (again["changed"], again["version"]) == (False, 1)


def test_an_active_version_without_data_fails_naming_the_iam_action(emulator):
    path = "unit/%s" % uuid.uuid4().hex[:8]
    assert secret(emulator, 1, path=path, data={"pin": SECRET_VALUE})["changed"]
    for check_mode in (True, False):
        failed = secret(emulator, 1, path=path, data={"pin": SECRET_VALUE}, check_mode=check_mode)
        assert failed.get("failed") and GET_DATA in failed["msg"] and "ACTIVE" in failed["msg"], failed
        assert SECRET_VALUE not in str(failed)
    info = run_module(okms_secret_info.main, dict(connection(emulator, 1), path=path, include_data=True))
    assert info.get("failed") and GET_DATA in info["msg"]
    # nothing was written: still one version
    assert run_module(okms_secret_info.main, dict(connection(emulator, 1), path=path))["secrets"][0]["metadata"]["current_version"] == 1


def test_a_version_above_the_current_one_is_refused(emulator):
    path = "unit/%s" % uuid.uuid4().hex[:8]
    secret(emulator, path=path, data={"pin": SECRET_VALUE})
    failed = secret(emulator, path=path, version_states=[{"version": 2, "state": "DELETED"}])
    assert failed.get("failed") and "version 2 does not exist yet: the current version is 1" in failed["msg"]


def test_a_metadata_update_on_a_domain_that_requires_cas(emulator):
    """The secret's own casRequired is false, the domain's is true: the metadata-only PUT sent without cas is refused, then
    sent once with it."""
    path = "unit/%s" % uuid.uuid4().hex[:8]
    secret(emulator, path=path, data={"pin": SECRET_VALUE})
    client = client_from_params(connection(emulator))
    config = "/v2/okms/resource/%s/secretConfig" % emulator["okms_id"]
    client.put(config, {"casRequired": True})
    try:
        changed = secret(emulator, path=path, max_versions=7)
        assert changed["changed"] and changed["metadata"]["max_versions"] == 7 and changed["version"] == 1, changed
        new_version = secret(emulator, path=path, data={"pin": SECRET_VALUE + "-2"})
        assert new_version["version"] == 2
    finally:
        client.put(config, {"casRequired": False})
