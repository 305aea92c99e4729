# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Secret Manager routes: create, read, versions, cas, states, pruning, secretConfig, counters, IAM."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import ovh
import pytest

from conftest import ak_client, walk_pages


def secrets_path(okms_id: str, path: str | None = None, suffix: str = "") -> str:
    """``/v2/okms/resource/{okmsId}/secret[/{path as %2F-encoded}][suffix]``."""
    base = "/v2/okms/resource/%s/secret" % okms_id
    return base if path is None else base + "/" + quote(path, safe="") + suffix


def new_path(prefix: str = "app") -> str:
    """A fresh path with a slash in it."""
    return "%s/%s" % (prefix, uuid.uuid4().hex[:12])


def create(client, okms_id: str, path: str, data: dict, **metadata) -> dict:
    """POST a secret."""
    body = {"path": path, "version": {"data": data}}
    if metadata:
        body["metadata"] = metadata
    return client.post(secrets_path(okms_id), **body)


def bad_request_class(call) -> tuple:
    """(status, class) of a call that must fail."""
    with pytest.raises(ovh.exceptions.APIError) as caught:
        call()
    return caught.value.response.status_code, caught.value.response.json()["class"]


@pytest.fixture(name="okms_id")
def fixture_okms_id(domains):
    """The domain these tests write secrets to."""
    return domains["main"]


def test_create_then_read_with_and_without_data(ak, okms_id):
    path = new_path()
    created = create(ak, okms_id, path, {"password": "s3cret"})
    assert created["path"] == path
    assert created["metadata"]["currentVersion"] == 1
    assert set(created) == {"path", "metadata"}
    plain = ak.get(secrets_path(okms_id, path))
    assert plain["version"]["id"] == 1 and plain["version"]["state"] == "ACTIVE"
    assert plain["version"]["data"] is None
    full = ak.get(secrets_path(okms_id, path), includeData=True)
    assert full["version"]["data"] == {"password": "s3cret"}
    assert set(full) == {"path", "metadata", "version", "iam"}


def test_metadata_defaults_and_echo(ak, okms_id):
    path = new_path()
    metadata = create(ak, okms_id, path, {"a": "1"}, deactivateVersionAfter="1d", customMetadata={"team": "db"})["metadata"]
    assert metadata["deactivateVersionAfter"] == "1d"
    assert metadata["customMetadata"] == {"team": "db"}
    assert (metadata["maxVersions"], metadata["casRequired"], metadata["oldestVersion"]) == (0, False, 0)


def test_versions_grow_by_one_and_metadata_only_put_adds_none(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    assert ak.put(secrets_path(okms_id, path), version={"data": {"v": "2"}})["metadata"]["currentVersion"] == 2
    assert ak.post(secrets_path(okms_id, path, "/version"), data={"v": "3"})["id"] == 3
    assert ak.put(secrets_path(okms_id, path), metadata={"customMetadata": {"k": "v"}})["metadata"]["currentVersion"] == 3
    listed = ak.get(secrets_path(okms_id, path, "/version"))
    assert [version["id"] for version in listed] == [1, 2, 3]
    assert all(version["data"] is None for version in listed)
    older = ak.get(secrets_path(okms_id, path), version=1, includeData=True)
    assert older["version"]["data"] == {"v": "1"} and older["metadata"]["currentVersion"] == 3
    assert ak.get(secrets_path(okms_id, path, "/version/2"), includeData=True)["data"] == {"v": "2"}


def test_cas_must_be_the_current_version(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    with pytest.raises(ovh.exceptions.BadParametersError) as caught:
        ak.put(secrets_path(okms_id, path) + "?cas=5", version={"data": {"v": "2"}})
    assert "cas" in caught.value.response.json()["message"]
    with pytest.raises(ovh.exceptions.BadParametersError):
        ak.post(secrets_path(okms_id, path, "/version") + "?cas=0", data={"v": "2"})
    assert ak.put(secrets_path(okms_id, path) + "?cas=1", version={"data": {"v": "2"}})["metadata"]["currentVersion"] == 2


def test_cas_required_needs_cas_unless_the_same_put_lifts_it(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"}, casRequired=True)
    with pytest.raises(ovh.exceptions.BadParametersError) as caught:
        ak.put(secrets_path(okms_id, path), version={"data": {"v": "2"}})
    assert "cas" in caught.value.response.json()["message"]
    assert ak.get(secrets_path(okms_id, path))["metadata"]["currentVersion"] == 1
    lifted = ak.put(secrets_path(okms_id, path), metadata={"casRequired": False}, version={"data": {"v": "2"}})
    assert lifted["metadata"]["currentVersion"] == 2 and lifted["metadata"]["casRequired"] is False


def test_domain_cas_required_applies_to_secrets_without_their_own(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    config = "/v2/okms/resource/%s/secretConfig" % okms_id
    ak.put(config, casRequired=True)
    try:
        with pytest.raises(ovh.exceptions.BadParametersError):
            ak.put(secrets_path(okms_id, path), version={"data": {"v": "2"}})
    finally:
        ak.put(config, casRequired=False)


def test_version_states(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    version = secrets_path(okms_id, path, "/version/1")
    answer = ak.put(version, state="DEACTIVATED")
    assert answer["state"] == "DEACTIVATED" and answer["deactivatedAt"] and "data" not in answer
    current = ak.get(secrets_path(okms_id, path), includeData=True)
    assert (current["metadata"]["currentVersion"], current["version"]["state"], current["version"]["data"]) == (1, "DEACTIVATED", None)
    assert ak.put(version, state="ACTIVE")["state"] == "ACTIVE"
    assert ak.get(version, includeData=True)["data"] == {"v": "1"}
    assert ak.put(version, state="DELETED")["state"] == "DELETED"
    assert ak.get(version, includeData=True)["data"] is None
    assert bad_request_class(lambda: ak.put(version, state="ACTIVE")) == (400, "Client::BadRequest")
    assert bad_request_class(lambda: ak.put(version, state="GONE")) == (400, "Client::BadRequest")


def test_max_versions_prunes_the_oldest(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"}, maxVersions=2)
    for number in (2, 3, 4):
        ak.post(secrets_path(okms_id, path, "/version"), data={"v": str(number)})
    assert [version["id"] for version in ak.get(secrets_path(okms_id, path, "/version"))] == [3, 4]
    assert ak.get(secrets_path(okms_id, path))["metadata"]["oldestVersion"] == 3
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get(secrets_path(okms_id, path, "/version/1"))


def test_default_max_versions_is_ten(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "0"})
    for number in range(11):
        ak.post(secrets_path(okms_id, path, "/version"), data={"v": str(number)})
    listed = ak.get(secrets_path(okms_id, path, "/version"))
    assert [version["id"] for version in listed] == list(range(3, 13))


def test_deactivate_version_after_deactivates_old_versions(ak, admin, info, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"}, deactivateVersionAfter="1h")
    admin.clock(3601)
    # a new client: python-ovh keeps the time delta of its first call
    current = ak_client(info).get(secrets_path(okms_id, path), includeData=True)
    assert current["version"]["state"] == "DEACTIVATED" and current["version"]["data"] is None


@pytest.mark.parametrize(("body", "expected"), [
    ({"path": "/lead", "version": {"data": {"a": "b"}}}, "SecretPathInvalidCharacter"),
    ({"path": "a b", "version": {"data": {"a": "b"}}}, "SecretPathInvalidCharacter"),
    ({"path": "x" * 256, "version": {"data": {"a": "b"}}}, "SecretPathMaxExceeded"),
    ({"path": "ok", "version": {"data": "text"}}, "SecretDataInvalidKeyValueJson"),
    ({"path": "ok", "version": {"data": {"a": "x" * 70000}}}, "SecretDataMaxExceeded"),
    ({"path": "ok", "version": {"data": {"a": "b"}}, "metadata": {"maxVersions": 24001}}, "SecretMaxVersionsMaxExceeded"),
    ({"path": "ok", "version": {"data": {"a": "b"}}, "metadata": {"maxVersions": -1}}, "SecretMaxVersionsMinRequired"),
    ({"path": "ok", "version": {"data": {"a": "b"}}, "metadata": {"deactivateVersionAfter": "1week"}},
     "SecretDeactivateVersionAfterInvalidDuration"),
    ({"path": "ok", "version": {"data": {"a": "b"}}, "metadata": {"customMetadata": {"bad key": "v"}}},
     "SecretCustomMetadataKeyInvalidCharacter"),
    ({"path": "ok", "version": {"data": {"a": "b"}}, "metadata": {"customMetadata": {"": "v"}}}, "SecretCustomMetadataKeyMinRequired"),
])
def test_create_validation(ak, okms_id, body, expected):
    assert bad_request_class(lambda: ak.post(secrets_path(okms_id), **body)) == (400, "Client::BadRequest::" + expected)


def test_put_needs_a_field_and_a_valid_cas(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    assert bad_request_class(lambda: ak.put(secrets_path(okms_id, path))) == (400, "Client::BadRequest::SecretFieldRequired")
    assert bad_request_class(lambda: ak.put(secrets_path(okms_id, path) + "?cas=24001", version={"data": {"a": "b"}})) == (
        400, "Client::BadRequest::SecretCasMaxExceeded")
    assert bad_request_class(lambda: ak.get(secrets_path(okms_id, path), version=0)) == (400, "Client::BadRequest::SecretVersionMinRequired")


def test_create_on_an_existing_path_is_a_conflict(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    assert bad_request_class(lambda: create(ak, okms_id, path, {"v": "2"})) == (409, "Client::Conflict")


def test_delete_and_unknown_secret(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    ak.delete(secrets_path(okms_id, path))
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get(secrets_path(okms_id, path))
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.delete(secrets_path(okms_id, path))


def test_list_paginates_and_counters_follow(ak, domains):
    okms_id = domains["bench"]
    before = ak.get("/v2/okms/resource/" + okms_id)
    paths = [new_path("list") for _index in range(3)]
    for path in paths:
        create(ak, okms_id, path, {"v": "1"})
    ak.put(secrets_path(okms_id, paths[0]), version={"data": {"v": "2"}})
    listed, pages = walk_pages(ak, secrets_path(okms_id), 2)
    assert [secret["path"] for secret in listed][-3:] == paths
    assert pages >= 2
    assert all(secret["version"]["data"] is None for secret in listed)
    after = ak.get("/v2/okms/resource/" + okms_id)
    assert after["secretCount"] - before["secretCount"] == 3
    assert after["secretVersionCount"] - before["secretVersionCount"] == 4


def test_secret_config_and_reference(ak, okms_id):
    config = "/v2/okms/resource/%s/secretConfig" % okms_id
    assert ak.get(config) == {"casRequired": False, "deactivateVersionAfter": "0s", "maxVersions": 10}
    assert ak.get("/v2/okms/reference/secretConfig", region="eu-west-rbx") == {"casRequired": False, "maxVersions": 10}
    try:
        assert ak.put(config, maxVersions=3)["maxVersions"] == 3
        path = new_path()
        create(ak, okms_id, path, {"v": "0"})
        for number in range(4):
            ak.post(secrets_path(okms_id, path, "/version"), data={"v": str(number)})
        assert len(ak.get(secrets_path(okms_id, path, "/version"))) == 3
    finally:
        ak.put(config, maxVersions=10)
    assert bad_request_class(lambda: ak.put(config)) == (400, "Client::BadRequest::SecretFieldRequired")


def test_literal_slashes_are_not_a_secret_path(ak, okms_id):
    path = new_path()
    create(ak, okms_id, path, {"v": "1"})
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        ak.get("/v2/okms/resource/%s/secret/%s" % (okms_id, path))


def test_get_data_needs_its_iam_action(info, domains):
    other = info["accounts"][1]
    client = ak_client(info, other)
    path = new_path()
    create(client, domains["other"], path, {"v": "1"})
    assert client.get(secrets_path(domains["other"], path))["version"]["id"] == 1
    with pytest.raises(ovh.exceptions.APIError) as caught:
        client.get(secrets_path(domains["other"], path), includeData=True)
    assert caught.value.response.status_code == 403
    assert caught.value.response.json()["details"]["unauthorizedActionsByIAM"] == "okms:apiovh:secret/version/getData"


def test_get_data_denied_can_omit_the_data(info, domains, admin):
    """secret_data_denied=omitted: the answer of an account without getData is a 200 whose ACTIVE version has no data."""
    client = ak_client(info, info["accounts"][1])
    path = new_path()
    create(client, domains["other"], path, {"v": "1"})
    assert admin.call("GET", "/config")["secret_data_denied"] == "forbidden"
    admin.configure(secret_data_denied="omitted")
    version = client.get(secrets_path(domains["other"], path), includeData=True)["version"]
    assert (version["state"], version["data"]) == ("ACTIVE", None)
    assert client.get(secrets_path(domains["other"], path) + "/version/1", includeData=True)["data"] is None
    # an account with the right still reads its data
    own = ak_client(info)
    own_path = new_path()
    create(own, domains["main"], own_path, {"v": "2"})
    assert own.get(secrets_path(domains["main"], own_path), includeData=True)["version"]["data"] == {"v": "2"}
