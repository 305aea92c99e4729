# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication: /auth/time, AK/AS/CK signatures, OAuth2 client credentials."""

from __future__ import annotations

import time

import ovh
import pytest
import requests

from conftest import ak_client, api_root, fetch_token, oauth_client, signed_headers

from okms_emulator.auth import ovh_signature

# python-ovh's own test vectors, quoted by the reference
VECTOR_KEYS = ("9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk", "5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY")
VECTORS = [
    ("GET", "https://eu.api.ovh.com/1.0/auth", b"", "$1$e9556054b6309771395efa467c22e627407461ad"),
    ("POST", "https://eu.api.ovh.com/1.0/auth", b'{"a":"b","c":"d"}', "$1$ec2fb5c7a81f64723c77d2e5b609ae6f58a84fc1"),
    ("GET", "https://eu.api.ovh.com/v2/call", b"", "$1$bb63b132a6f84ad5433d0c534d48d3f7c3804285"),
]


@pytest.mark.parametrize(("method", "url", "body", "expected"), VECTORS)
def test_signature_matches_reference_vectors(method, url, body, expected):
    assert ovh_signature(*VECTOR_KEYS, method, url, body, "1457018875") == expected


def test_auth_time_is_a_bare_integer_without_authentication(info):
    response = requests.get(info["api_url"] + "/auth/time", timeout=30)
    assert response.status_code == 200
    assert response.text.strip().isdigit()
    assert abs(response.json() - time.time()) < 5
    assert response.headers["X-Ovh-QueryID"]


def test_python_ovh_with_application_key(ak, info):
    assert ak.get("/me")["nichandle"] == info["nichandle"]
    details = ak.get("/auth/details")
    assert details["method"] == "account"
    assert details["identities"] == ["urn:v1:eu:identity:account:" + info["nichandle"]]


def test_python_ovh_with_oauth2(oauth, info):
    assert oauth.get("/me")["nichandle"] == info["nichandle"]
    assert oauth.get("/auth/details")["identities"][0].startswith("urn:v1:eu:identity:credential:" + info["nichandle"] + "/")


def test_second_account_is_someone_else(info):
    other = info["accounts"][1]
    assert ak_client(info, other).get("/me")["nichandle"] == other["nichandle"] != info["nichandle"]
    assert oauth_client(info, other).get("/me")["nichandle"] == other["nichandle"]


def test_no_credentials_answers_401(info):
    response = requests.get(info["api_url"] + "/me", timeout=30)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "NOT_CREDENTIAL"
    assert response.headers["X-Ovh-QueryID"]


def test_unknown_application_key_is_invalid_key(info):
    client = ak_client(info, {**info, "application_key": "unknownunknown00"})
    with pytest.raises(ovh.exceptions.InvalidKey) as caught:
        client.get("/me")
    assert caught.value.response.status_code == 403
    assert caught.value.query_id


def test_unknown_consumer_key_is_invalid_credential(info):
    client = ak_client(info, {**info, "consumer_key": "x" * 32})
    with pytest.raises(ovh.exceptions.InvalidCredential) as caught:
        client.get("/me")
    assert caught.value.response.status_code == 403


V1_INVALID_SIGNATURE = {"errorCode": "INVALID_SIGNATURE", "httpCode": "400 Bad Request", "message": "Invalid signature"}
V1_QUERY_OUT_OF_TIME = {"errorCode": "QUERY_TIME_OUT", "httpCode": "400 Bad Request", "message": "Query out of time"}


def test_wrong_application_secret_fails_the_signature_on_v1(info):
    client = ak_client(info, {**info, "application_secret": "y" * 32})
    with pytest.raises(ovh.exceptions.BadParametersError, match="Invalid signature") as caught:
        client.get("/me")
    assert caught.value.response.status_code == 400
    assert caught.value.response.json() == V1_INVALID_SIGNATURE
    assert caught.value.query_id


def test_wrong_application_secret_fails_the_signature_on_v2(info, domains):
    client = ak_client(info, {**info, "application_secret": "y" * 32})
    with pytest.raises(ovh.exceptions.BadParametersError, match="Invalid signature") as caught:
        client.get("/v2/okms/resource/" + domains["main"])
    assert caught.value.response.status_code == 400
    assert caught.value.response.json() == {"class": "Client::BadRequest", "message": "Invalid signature"}


def test_missing_signature_header_answers_401(info):
    url = info["api_url"] + "/me"
    headers = signed_headers(info, "GET", url)
    del headers["X-Ovh-Signature"]
    response = requests.get(url, headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "NOT_CREDENTIAL"


def test_signature_covers_the_exact_body(info, domains):
    url = api_root(info) + "/v2/okms/resource/%s/credential" % domains["main"]
    signed_body = b'{"name":"a","identityURNs":["urn:v1:eu:identity:account:%s"]}' % info["nichandle"].encode()
    sent_body = signed_body.replace(b'"a"', b'"b"')
    response = requests.post(url, data=sent_body, headers=signed_headers(info, "POST", url, signed_body), timeout=30)
    assert (response.status_code, response.json()) == (400, {"class": "Client::BadRequest", "message": "Invalid signature"})
    response = requests.post(url, data=signed_body, headers=signed_headers(info, "POST", url, signed_body), timeout=30)
    assert response.status_code in (200, 201)


def test_signature_covers_the_query_string(info, domains):
    url = api_root(info) + "/v2/okms/resource/" + domains["main"]
    response = requests.get(url + "?publicCA=true", headers=signed_headers(info, "GET", url), timeout=30)
    assert response.status_code == 400
    response = requests.get(url + "?publicCA=true", headers=signed_headers(info, "GET", url + "?publicCA=true"), timeout=30)
    assert response.status_code == 200
    assert "publicCA" in response.json()


def test_timestamp_out_of_tolerance_is_refused(info, admin):
    client = ak_client(info)
    client.get("/me")  # python-ovh reads /auth/time once per client
    admin.clock(400)
    with pytest.raises(ovh.exceptions.BadParametersError, match="Query out of time") as caught:
        client.get("/me")
    assert caught.value.response.json() == V1_QUERY_OUT_OF_TIME
    with pytest.raises(ovh.exceptions.BadParametersError, match="Query out of time") as caught:
        client.get("/v2/okms/resource")
    assert caught.value.response.json() == {"class": "Client::BadRequest", "message": "Query out of time"}
    assert ak_client(info).get("/me")["nichandle"] == info["nichandle"]


def test_timestamp_that_is_not_unix_seconds_is_out_of_time(info):
    url = info["api_url"] + "/me"
    headers = {**signed_headers(info, "GET", url), "X-Ovh-Timestamp": "soon"}
    response = requests.get(url, headers=headers, timeout=30)
    assert (response.status_code, response.json()) == (400, V1_QUERY_OUT_OF_TIME)


def test_timestamp_tolerance_is_configurable(info, admin):
    admin.configure(timestamp_tolerance=5)
    url = info["api_url"] + "/me"
    late = requests.get(url, headers=signed_headers(info, "GET", url, timestamp=int(time.time()) - 30), timeout=30)
    assert (late.status_code, late.json()) == (400, V1_QUERY_OUT_OF_TIME)
    admin.configure(timestamp_tolerance=300)
    assert requests.get(url, headers=signed_headers(info, "GET", url, timestamp=int(time.time()) - 30), timeout=30).status_code == 200


def _me_with_token(info, token: str) -> requests.Response:
    return requests.get(info["api_url"] + "/me", headers={"Authorization": "Bearer " + token}, timeout=30)


def test_oauth2_token_with_form_fields(info):
    response = fetch_token(info)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "all"
    assert _me_with_token(info, token["access_token"]).json()["nichandle"] == info["nichandle"]


def test_oauth2_token_with_basic_auth(info):
    response = requests.post(
        info["oauth2_token_url"], data={"grant_type": "client_credentials"}, auth=(info["client_id"], info["client_secret"]), timeout=30
    )
    assert response.status_code == 200
    assert _me_with_token(info, response.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(("form", "status", "error"), [
    ({"client_secret": "wrong"}, 401, "invalid_client"),
    ({"client_id": "unknown"}, 401, "invalid_client"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"scope": "admin"}, 400, "invalid_scope"),
])
def test_oauth2_token_refusals(info, form, status, error):
    response = fetch_token(info, **form)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_oauth2_expiry_is_configurable_and_expired_tokens_are_refused(info, admin):
    admin.configure(token_expires_in=60)
    token = fetch_token(info).json()
    assert token["expires_in"] == 60
    assert _me_with_token(info, token["access_token"]).status_code == 200
    admin.clock(61)
    refused = _me_with_token(info, token["access_token"])
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "INVALID_CREDENTIAL"
    assert "expired" in refused.json()["message"]


def test_unknown_bearer_token_is_refused(info):
    assert _me_with_token(info, "not-a-token").status_code == 401
