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
    update_cas,
    version_data,
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
    ({"custom_metadata": {"key": "bad value"}}, "custom_metadata: 'key'"),
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


# Data compared as decoded JSON, numbers by value: OVH's services decode JSON numbers as IEEE-754 doubles (Go's
# encoding/json into `any`, okms-sdk-go's `map[string]any` data), so 1.0 may come back as 1.
SAME_DATA_CASES = [
    # (case, current, wanted, same)
    ("1.0 echoed as 1", {"n": 1}, {"n": 1.0}, True),
    ("1 echoed as 1.0", {"n": 1.0}, {"n": 1}, True),
    ("nested numbers", {"a": [1, {"b": 2.0}]}, {"a": [1.0, {"b": 2}]}, True),
    ("an integer beyond doubles, echoed as a double", {"n": 12345678901234567000.0}, {"n": 12345678901234567890}, True),
    ("another number", {"n": 1}, {"n": 1.5}, False),
    ("a number is not its text", {"n": "1"}, {"n": 1}, False),
    ("true is not 1", {"n": True}, {"n": 1}, False),
    ("false is not 0.0", {"n": 0.0}, {"n": False}, False),
    ("null is not 0", {"n": None}, {"n": 0}, False),
    ("key order does not matter", {"a": 1, "b": "2"}, {"b": "2", "a": 1}, True),
    ("list order matters", {"a": [1, 2]}, {"a": [2, 1]}, False),
    ("a missing key", {"a": 1}, {"a": 1, "b": 1}, False),
    ("a list is not an object", {"a": []}, {"a": {}}, False),
    ("no data held", None, {"a": 1}, False),
]


@pytest.mark.parametrize("case, current, wanted, same", SAME_DATA_CASES, ids=[row[0] for row in SAME_DATA_CASES])
def test_data_compared_decoded_and_number_aware(case, current, wanted, same):
    assert data_differs(current, wanted) is not same, case


# (case, version read with includeData=true, data or the words of the SecretError)
VERSION_DATA_CASES = [
    ("ACTIVE with data", {"id": 3, "state": "ACTIVE", "data": {"p": SECRET_VALUE}}, {"p": SECRET_VALUE}),
    ("DEACTIVATED: no data to compare", {"id": 3, "state": "DEACTIVATED", "data": None}, None),
    ("DELETED: no data to compare", {"id": 3, "state": "DELETED"}, None),
    ("ACTIVE without data: the IAM action is missing", {"id": 3, "state": "ACTIVE", "data": None},
     ["version 3 is ACTIVE", "okms:apiovh:secret/version/getData"]),
    ("ACTIVE, data left out", {"id": 3, "state": "ACTIVE"}, ["okms:apiovh:secret/version/getData"]),
]


@pytest.mark.parametrize("case, version, expected", VERSION_DATA_CASES, ids=[row[0] for row in VERSION_DATA_CASES])
def test_version_data(case, version, expected):
    if isinstance(expected, list):
        with pytest.raises(SecretError) as caught:
            version_data(version, "secret 'app/db'")
        for words in expected:
            assert words in str(caught.value)
        assert SECRET_VALUE not in str(caught.value)
    else:
        assert version_data(version, "secret 'app/db'") == expected


# customMetadata as OVH's KMS REST schema states it (okms-sdk-go swagger.yaml SecretV2CustomMetadata): at most 64 entries,
# each value a string of 1..512 characters of [a-zA-Z0-9_.:/=@%-]; it states nothing on keys but the control panel refuses
# empty ones (ovh/manager customMetadataSchema.tsx): the API judges the rest.
CUSTOM_METADATA_CASES = [
    ("a key with characters the values may not hold", {"team name": "db"}, None),
    ("a key of 200 characters", {"k" * 200: "v"}, None),
    ("an empty key", {"": "v"}, "custom_metadata: keys must not be empty"),
    ("a value of 512 characters", {"k": "v" * 512}, None),
    ("a value of 513 characters", {"k": "v" * 513}, "custom_metadata: 'k': the value is 513 characters long; at most 512"),
    ("an empty value", {"k": ""}, "custom_metadata: 'k': the value is empty"),
    ("a value with a space", {"k": "a b"}, "custom_metadata: 'k': the value holds characters"),
    ("a value that is not a string", {"k": 5}, "custom_metadata: 'k': the value must be a string"),
    ("percent in a value", {"k": "50%"}, None),
    ("65 entries", dict(("k%d" % index, "v") for index in range(65)), "65 entries; at most 64"),
]


@pytest.mark.parametrize("case, custom, problem", CUSTOM_METADATA_CASES, ids=[row[0] for row in CUSTOM_METADATA_CASES])
def test_custom_metadata_as_the_schema_says(case, custom, problem):
    found = metadata_problems({"custom_metadata": custom})
    if problem is None:
        assert found == [], case
    else:
        assert any(problem in text for text in found), found


def test_a_version_above_the_current_one_is_refused():
    with pytest.raises(SecretError, match="version 4 does not exist yet: the current version is 3"):
        state_changes(VERSIONS, [{"version": 4, "state": "DELETED"}], current_version=3)
    with pytest.raises(SecretError, match="version 9 does not exist yet"):
        state_changes(VERSIONS, [{"version": 9, "state": "ACTIVE"}], current_version=3)
    # below the current version and not listed: pruned by maxVersions, so DELETED already holds
    assert state_changes(VERSIONS[1:], [{"version": 1, "state": "DELETED"}], current_version=3) == []


# (case, secret's metadata, metadata changes, data written, cas sent): cas protects data writes; metadata-only updates send
# it only where the secret requires it or the update turns casRequired on, as OVH's control panel does
# (ovh/manager secret-manager utils/cas.ts addCurrentVersionToCas and its callers).
CAS_CASES = [
    ("a data write", {"currentVersion": 3, "casRequired": False}, {}, True, 3),
    ("a data write with metadata", {"currentVersion": 3, "casRequired": False}, {"maxVersions": 5}, True, 3),
    ("metadata only", {"currentVersion": 3, "casRequired": False}, {"maxVersions": 5}, False, None),
    ("metadata only, the secret requires cas", {"currentVersion": 3, "casRequired": True}, {"maxVersions": 5}, False, 3),
    ("metadata only, turning casRequired on", {"currentVersion": 3, "casRequired": False}, {"casRequired": True}, False, 3),
    ("metadata only, turning casRequired off", {"currentVersion": 3, "casRequired": True}, {"casRequired": False}, False, 3),
]


@pytest.mark.parametrize("case, current, changes, writes_data, cas", CAS_CASES, ids=[row[0] for row in CAS_CASES])
def test_cas_only_where_it_protects(case, current, changes, writes_data, cas):
    assert update_cas(current, changes, writes_data) == cas, case
