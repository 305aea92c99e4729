# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials: answers, life cycle, validation, pagination."""

from __future__ import annotations

import datetime
import re
import uuid

import ovh
import pytest

from conftest import (
    account_urn, ak_client, api_root, create_credential, credentials_path, ready_credential, wait_for_status, walk_pages,
)

GET_FIELDS = {"id", "name", "description", "identityURNs", "status", "fromCSR", "certificateType", "createdAt", "expiredAt", "certificatePEM"}
CREATION_FIELDS = GET_FIELDS - {"certificatePEM"} | {"privateKeyPEM"}
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d")
URN = "urn:v1:eu:identity:account:xx1111-ovh"


def _error(call) -> tuple:
    with pytest.raises(ovh.exceptions.APIError) as caught:
        call()
    response = caught.value.response
    assert response.headers["X-Ovh-QueryID"]
    return response.status_code, response.json()["class"]


def test_creation_response(ak, info, domains, admin):
    admin.configure(ready_delay=60)
    created = create_credential(ak, info, domains["main"], name="creation", description="a test", validity=30)
    assert set(created) == CREATION_FIELDS
    assert created["status"] == "CREATING"
    assert created["fromCSR"] is False
    assert created["certificateType"] == "ECDSA"
    assert created["description"] == "a test"
    assert created["privateKeyPEM"].startswith("-----BEGIN EC PRIVATE KEY-----\n")
    assert RFC3339.fullmatch(created["createdAt"]) and RFC3339.fullmatch(created["expiredAt"])
    validity = datetime.datetime.fromisoformat(created["expiredAt"]) - datetime.datetime.fromisoformat(created["createdAt"])
    assert validity == datetime.timedelta(days=30)
    assert uuid.UUID(created["id"]).version == 4
    view = ak.get(credentials_path(domains["main"], created["id"]))
    assert set(view) == GET_FIELDS
    assert (view["status"], view["certificatePEM"]) == ("CREATING", None)
    assert {name: view[name] for name in CREATION_FIELDS - {"privateKeyPEM"}} == {name: created[name] for name in CREATION_FIELDS - {"privateKeyPEM"}}


def test_creating_becomes_ready_after_the_delay(ak, info, domains, admin):
    admin.configure(ready_delay=30)
    created = create_credential(ak, info, domains["main"])
    path = credentials_path(domains["main"], created["id"])
    assert ak.get(path)["status"] == "CREATING"
    admin.clock(29)
    assert ak.get(path)["status"] == "CREATING"
    admin.clock(31)
    view = ak.get(path)
    assert view["status"] == "READY"
    assert view["certificatePEM"].startswith("-----BEGIN CERTIFICATE-----\n")
    assert view["description"] is None


def test_polling_reaches_ready(ak, info, domains, admin):
    admin.configure(ready_delay=0.2)
    created = create_credential(ak, info, domains["main"])
    assert wait_for_status(ak, domains["main"], created["id"], "READY")["certificatePEM"]


def test_create_status_code_is_configurable(ak, info, domains, admin):
    body = {"name": "status", "identityURNs": [account_urn(info)]}
    assert ak.raw_call("POST", credentials_path(domains["main"]), data=body).status_code == 201
    admin.configure(create_status=200)
    assert ak.raw_call("POST", credentials_path(domains["main"]), data=body).status_code == 200


def test_names_are_not_unique(ak, info, domains):
    first = create_credential(ak, info, domains["main"], name="twin")
    second = create_credential(ak, info, domains["main"], name="twin")
    assert first["id"] != second["id"]
    listed = {view["id"] for view in ak.get(credentials_path(domains["main"])) if view["name"] == "twin"}
    assert {first["id"], second["id"]} <= listed


def test_list_items_are_get_responses(ak, info, domains):
    create_credential(ak, info, domains["main"], name="listed")
    listed = ak.get(credentials_path(domains["main"]))
    assert listed and all(set(view) == GET_FIELDS for view in listed)


def test_delete_goes_through_deleting_to_404(ak, info, domains, admin):
    admin.configure(delete_delay=30)
    created, _view = ready_credential(ak, info, domains["main"])
    path = credentials_path(domains["main"], created["id"])
    deleted = ak.delete(path)
    assert set(deleted) == GET_FIELDS
    assert deleted["status"] == "DELETING"
    assert ak.get(path)["status"] == "DELETING"
    assert created["id"] in {view["id"] for view in ak.get(credentials_path(domains["main"]))}
    assert _error(lambda: ak.delete(path)) == (400, "Client::BadRequest::CredentialStatusInvalid")
    admin.clock(29)
    assert ak.get(path)["status"] == "DELETING"
    admin.clock(31)
    assert _error(lambda: ak.get(path)) == (404, "Client::NotFound")
    assert created["id"] not in {view["id"] for view in ak.get(credentials_path(domains["main"]))}
    assert _error(lambda: ak.delete(path)) == (404, "Client::NotFound")


def test_deleting_a_creating_credential_is_refused_unless_configured(ak, info, domains, admin):
    admin.configure(ready_delay=60)
    created = create_credential(ak, info, domains["main"])
    path = credentials_path(domains["main"], created["id"])
    assert _error(lambda: ak.delete(path)) == (400, "Client::BadRequest::CredentialStatusInvalid")
    admin.configure(delete_creating=True)
    deleted = ak.delete(path)
    assert (deleted["status"], deleted["certificatePEM"]) == ("DELETING", None)


def test_expired_when_the_clock_passes_expired_at(info, domains, admin):
    client = ak_client(info)
    created, _view = ready_credential(client, info, domains["main"], validity=1)
    admin.clock(86400 + 60)
    view = ak_client(info).get(credentials_path(domains["main"], created["id"]))
    assert view["status"] == "EXPIRED"
    assert view["certificatePEM"]


def test_admin_forces_expired_at(ak, info, domains, admin):
    created, _view = ready_credential(ak, info, domains["main"])
    past = "2020-01-02T03:04:05.000006+00:00"
    assert admin.force(created["id"], expiredAt=past)["status"] == "EXPIRED"
    view = ak.get(credentials_path(domains["main"], created["id"]))
    assert (view["status"], view["expiredAt"]) == ("EXPIRED", past)


def test_admin_forces_statuses(ak, info, domains, admin):
    admin.configure(ready_delay=0)
    created = create_credential(ak, info, domains["main"])
    path = credentials_path(domains["main"], created["id"])
    admin.force(created["id"], status="CREATING")
    assert (ak.get(path)["status"], ak.get(path)["certificatePEM"]) == ("CREATING", None)
    admin.force(created["id"], status="ERROR")
    assert (ak.get(path)["status"], ak.get(path)["certificatePEM"]) == ("ERROR", None)
    admin.force(created["id"], status="READY")
    assert ak.get(path)["status"] == "READY"
    assert ak.get(path)["certificatePEM"]


@pytest.mark.parametrize("credential_id", [str(uuid.uuid4()), "not-a-uuid", "0"])
def test_unknown_credential_is_404(ak, domains, credential_id):
    assert _error(lambda: ak.get(credentials_path(domains["main"], credential_id))) == (404, "Client::NotFound")


def test_credential_of_another_domain_is_404(ak, info, domains):
    created = create_credential(ak, info, domains["load"])
    assert _error(lambda: ak.get(credentials_path(domains["main"], created["id"]))) == (404, "Client::NotFound")
    assert _error(lambda: ak.get(credentials_path(domains["main"] + "x"))) == (404, "Client::NotFound")


VALIDATION_CASES = [
    ({"name": ""}, "CredentialNameInvalidCharacter"),
    ({"name": None}, "CredentialNameInvalidCharacter"),
    ({"name": "caf\u00e9"}, "CredentialNameInvalidCharacter"),
    ({"name": "line\n"}, "CredentialNameInvalidCharacter"),
    ({"name": "x" * 51}, "CredentialNameMaximumExceeded"),
    ({"description": "x" * 201}, "CredentialDescriptionMaximumExceeded"),
    ({"description": "tab\there"}, "CredentialDescriptionInvalidCharacter"),
    ({"identityURNs": []}, "CredentialIdentityURNsMinimumRequired"),
    ({"identityURNs": None}, "CredentialIdentityURNsMinimumRequired"),
    ({"identityURNs": [URN] * 26}, "CredentialIdentityURNsMaximumExceeded"),
    ({"identityURNs": ["urn:v1:eu:identity:robot:xx1111-ovh"]}, "CredentialIdentityURNsInvalidURN"),
    ({"identityURNs": ["urn:v1:fr:identity:account:xx1111-ovh"]}, "CredentialIdentityURNsInvalidURN"),
    ({"identityURNs": ["urn:v1:eu:identity:user:xx1111-ovh/" + "a" * 300]}, "CredentialIdentityURNsInvalidSize"),
    ({"validity": 0}, "CredentialValidityMinimumRequired"),
    ({"validity": 366}, "CredentialValidityMaximumExceeded"),
    ({"csr": "-----BEGIN CERTIFICATE REQUEST-----\n\u00e9\n"}, "CredentialCSRInvalidCharacter"),
    ({"csr": "A" * 5000}, "CredentialCSRMaximumExceeded"),
    ({"csr": "x", "certificateType": "ECDSA"}, "CredentialCertificateTypeIncompatibleFields"),
    ({"certificateType": "DSA"}, "CredentialCertificateTypeInvalidEnum"),
    ({"certificateType": "ecdsa"}, "CredentialCertificateTypeInvalidEnum"),
    ({"validity": "30"}, None),
    ({"name": 5}, None),
    ({"identityURNs": "urn:v1:eu:identity:account:xx1111-ovh"}, None),
    ({"unknown": 1}, None),
]


@pytest.mark.parametrize(("changes", "error"), VALIDATION_CASES)
def test_validation_errors(ak, domains, changes, error):
    body = {"name": "valid", "identityURNs": [URN], **changes}
    expected = "Client::BadRequest" + ("::" + error if error else "")
    assert _error(lambda: ak.post(credentials_path(domains["main"]), **body)) == (400, expected)


def test_limits_are_inclusive(ak, domains):
    body = {
        "name": "~" * 50, "description": " " * 200, "validity": 365,
        "identityURNs": [URN] * 22 + ["urn:v1:ca:identity:user:xx1111-ovh/john.smith", "urn:v1:us:identity:group:xx1111-ovh/my_group",
                                      "urn:v1:eu:identity:credential:xx1111-ovh/oauth2-0123"],
    }
    created = ak.post(credentials_path(domains["main"]), **body)
    assert (created["name"], len(created["identityURNs"])) == ("~" * 50, 25)
    assert ak.post(credentials_path(domains["main"]), name="short", identityURNs=[URN], validity=1)["status"] == "CREATING"


@pytest.mark.parametrize("body", [b"{", b"[]", b"", b"null", b'"text"'])
def test_malformed_body_is_bad_request(info, domains, bearer, body):
    response = bearer.post(api_root(info) + credentials_path(domains["main"]), data=body, timeout=30)
    assert (response.status_code, response.json()["class"]) == (400, "Client::BadRequest")
    assert response.headers["X-Ovh-QueryID"]


def _page(client, okms_id: str, size=None, cursor=None):
    headers = {}
    if size is not None:
        headers["X-Pagination-Size"] = str(size)
    if cursor is not None:
        headers["X-Pagination-Cursor"] = cursor
    return client.raw_call("GET", credentials_path(okms_id), headers=headers)


def test_pagination_walks_every_credential_once(ak, info, domains):
    created = {create_credential(ak, info, domains["main"], name="page-%d" % index)["id"] for index in range(5)}
    listed, pages = walk_pages(ak, credentials_path(domains["main"]), 2)
    seen = [view["id"] for view in listed]
    assert len(seen) == len(set(seen))
    assert created <= set(seen)
    assert set(seen) == {view["id"] for view in ak.get(credentials_path(domains["main"]))}
    assert pages == (len(seen) + 1) // 2


def test_default_page_size_comes_from_the_settings(ak, info, domains, admin):
    for index in range(3):
        create_credential(ak, info, domains["main"], name="default-page-%d" % index)
    admin.configure(page_size=2)
    response = _page(ak, domains["main"])
    assert len(response.json()) == 2
    assert response.headers["X-Pagination-Cursor-Next"]


def test_max_page_size_caps_what_the_client_asks(ak, info, domains, admin):
    for index in range(3):
        create_credential(ak, info, domains["main"], name="capped-page-%d" % index)
    admin.configure(max_page_size=2)
    response = _page(ak, domains["main"], size="1000")
    assert len(response.json()) == 2 and response.headers["X-Pagination-Cursor-Next"]


def test_invalid_cursors_are_refused(ak, info, domains):
    create_credential(ak, info, domains["main"])
    create_credential(ak, info, domains["load"])
    other_cursor = _page(ak, domains["load"], size=1).headers["X-Pagination-Cursor-Next"]
    good_cursor = _page(ak, domains["main"], size=1).headers["X-Pagination-Cursor-Next"]
    tampered = good_cursor[:-2] + ("AA" if not good_cursor.endswith("AA") else "BB")
    for cursor in ("garbage", "", other_cursor, tampered):
        response = _page(ak, domains["main"], cursor=cursor)
        assert (response.status_code, response.json()["class"]) == (400, "Client::BadRequest::CredentialPaginationCursorInvalidValue")
    assert _page(ak, domains["main"], cursor=good_cursor).status_code == 200


@pytest.mark.parametrize("size", ["0", "-1", "ten"])
def test_invalid_page_sizes_are_refused(ak, domains, size):
    response = _page(ak, domains["main"], size=size)
    assert (response.status_code, response.json()["class"]) == (400, "Client::BadRequest")
