# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pure logic of _secret: input checks, what changes, field selection, file text, cas conflicts."""

from __future__ import annotations

import json

import pytest

from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._secret_api import SecretApi, is_cas_conflict
from ansible_collections.okms.access.plugins.module_utils._secret import (
    SecretError,
    data_differs,
    data_problem,
    file_text,
    metadata_changes,
    metadata_problems,
    metadata_request,
    metadata_result,
    path_problem,
    select_field,
    state_changes,
    version_result,
    version_states_problems,
)

SECRET_VALUE = "s3cr3t-value"


@pytest.mark.parametrize("path", ["app/db", "prod/database/MySQL", "a", "x" * 255, "a.b:c=d@e-f_g/h"])
def test_valid_paths(path):
    assert path_problem(path) is None


@pytest.mark.parametrize(("path", "problem"), [
    ("", "empty"),
    ("x" * 256, "256 characters long"),
    ("/app", "not a secret path"),
    ("app/", "not a secret path"),
    ("app//db", "not a secret path"),
    ("app db", "not a secret path"),
    ("app+db", "not a secret path"),
])
def test_invalid_paths(path, problem):
    assert problem in path_problem(path)


def test_data_must_be_an_object_without_empty_keys():
    assert data_problem({"user": "app", "nested": {"list": [1, 2]}}) is None
    assert "not a list" in data_problem([1, 2])
    assert "not a str" in data_problem(SECRET_VALUE)
    assert "non-empty" in data_problem({"": SECRET_VALUE})


def test_data_size_limit_and_problems_never_quote_the_data():
    big = {"blob": "x" * 70000}
    problem = data_problem(big)
    assert "at most 65536" in problem and "xxxx" not in problem
    assert SECRET_VALUE not in (data_problem([SECRET_VALUE]) or "")


def test_data_differs_ignores_key_order_but_not_types():
    assert not data_differs({"a": 1, "b": "2"}, {"b": "2", "a": 1})
    assert data_differs({"a": 1}, {"a": True})
    assert data_differs({"a": 1}, {"a": 1.5})
    assert data_differs({"a": "1"}, {"a": 1})
    assert data_differs(None, {"a": 1})


def test_metadata_request_and_changes_use_api_names():
    params = {"max_versions": 5, "cas_required": None, "deactivate_version_after": "30d", "custom_metadata": {}}
    assert metadata_request(params) == {"maxVersions": 5, "deactivateVersionAfter": "30d", "customMetadata": {}}
    current = {"maxVersions": 5, "deactivateVersionAfter": "0s", "customMetadata": {"team": "db"}, "casRequired": False}
    assert metadata_changes(current, params) == {"deactivateVersionAfter": "30d", "customMetadata": {}}
    assert metadata_changes(current, {"max_versions": 5}) == {}


@pytest.mark.parametrize(("params", "problem"), [
    ({"max_versions": 24001}, "max_versions: 24001 is out of range"),
    ({"max_versions": -1}, "max_versions: -1 is out of range"),
    ({"deactivate_version_after": "1week"}, "deactivate_version_after: '1week' is not a duration"),
    ({"custom_metadata": {"bad key": "v"}}, "custom_metadata: 'bad key'"),
    ({"custom_metadata": dict(("k%d" % index, "v") for index in range(65))}, "65 entries; at most 64"),
])
def test_metadata_problems(params, problem):
    assert any(problem in found for found in metadata_problems(params))


def test_good_metadata_has_no_problem():
    assert metadata_problems({"max_versions": 0, "deactivate_version_after": "2h30m", "custom_metadata": {"team": "db-1"}}) == []


def test_metadata_and_version_results_are_snake_case_and_data_only_when_asked():
    assert metadata_result({"currentVersion": 3, "maxVersions": 0, "unknown": 1}) == {"current_version": 3, "max_versions": 0}
    version = {"id": 2, "state": "ACTIVE", "createdAt": "t", "deactivatedAt": None, "data": {"p": SECRET_VALUE}}
    assert "data" not in version_result(version)
    assert version_result(version, include_data=True)["data"] == {"p": SECRET_VALUE}


VERSIONS = [{"id": 1, "state": "DELETED"}, {"id": 2, "state": "DEACTIVATED"}, {"id": 3, "state": "ACTIVE"}]


def test_state_changes_lists_only_what_differs():
    wanted = [{"version": 2, "state": "ACTIVE"}, {"version": 3, "state": "ACTIVE"}, {"version": 1, "state": "DELETED"}]
    assert state_changes(VERSIONS, wanted) == [(2, "DEACTIVATED", "ACTIVE")]


def test_a_pruned_version_counts_as_deleted():
    assert state_changes(VERSIONS, [{"version": 9, "state": "DELETED"}]) == []
    with pytest.raises(SecretError, match="version 9 does not exist"):
        state_changes(VERSIONS, [{"version": 9, "state": "DEACTIVATED"}])


def test_deleted_is_final():
    with pytest.raises(SecretError, match="version 1 is DELETED"):
        state_changes(VERSIONS, [{"version": 1, "state": "ACTIVE"}])


def test_version_states_problems():
    assert version_states_problems([{"version": 0, "state": "ACTIVE"}]) == ["version_states: version 0 is out of range 1..24000"]
    assert "listed twice" in version_states_problems([{"version": 1, "state": "ACTIVE"}, {"version": 1, "state": "DELETED"}])[0]


def test_select_field_names_the_fields_never_the_values():
    data = {"user": "app", "password": SECRET_VALUE}
    assert select_field(data, None, "secret 'a'") is data
    assert select_field(data, "password", "secret 'a'") == SECRET_VALUE
    with pytest.raises(SecretError) as caught:
        select_field(data, "pin", "secret 'a'")
    assert "its fields: password, user" in str(caught.value)
    assert SECRET_VALUE not in str(caught.value)


def test_file_text():
    assert file_text(SECRET_VALUE) == SECRET_VALUE
    assert json.loads(file_text({"b": 1, "a": [1]})) == {"a": [1], "b": 1}
    assert file_text(5432) == "5432\n"


def test_cas_conflict_detection():
    assert is_cas_conflict(OvhApiError("cas mismatch: cas=1 but the current version is 2", status=400))
    assert is_cas_conflict(OvhApiError("CAS check failed", status=409))
    assert not is_cas_conflict(OvhApiError("path is invalid", status=400))
    assert not is_cas_conflict(OvhApiError("cas", status=500))


def test_paths_are_percent_encoded_whole():
    api = SecretApi(client=None, okms_id="id")
    assert api.url("prod/db:main@x=1", "/version/2") == "/v2/okms/resource/id/secret/prod%2Fdb%3Amain%40x%3D1/version/2"
