# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the emulator answers as OVH does (or as each plausible OVH would): the KMS REST API's IAM
actions and packed error codes, refused certificates, the /v1/random route, certificate serials,
and the RSA endpoint and CA of a domain."""

from __future__ import annotations

import ssl
import uuid

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ak_client, credential_files, credentials_path, kms_get, ready_credential, wait_until_gone

RANDOM = "/api/%s/v1/random?length=1"
SECRET_CONFIG = "/api/%s/v2/secretConfig"
ERROR_FIELDS = {"error_id", "error_code", "errors", "request_id"}
# okms-sdk-go errors.go: categories
AUTHENTICATION, AUTHORIZATION, NOT_FOUND, UNAVAILABLE = 3, 4, 5, 7


def _decoded(code: int) -> tuple:
    """``(major, minor, category, application)`` as okms-sdk-go's decoder reads a packed error_code."""
    return (code >> 24) & 0xFF, (code >> 16) & 0xFF, (code >> 12) & 0xF, code & 0xFFF


def _kms_error(response, status: int) -> tuple:
    """Decoded error_code of an OKMS error answer, after checking its status and body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_FIELDS
    assert str(uuid.UUID(body["request_id"])) == body["request_id"]
    assert body["error_id"] and body["errors"] and all(isinstance(text, str) for text in body["errors"])
    return _decoded(body["error_code"])


def test_new_settings_and_their_defaults(admin):
    settings = admin.call("GET", "/config")
    assert {name: settings[name] for name in (
        "certificate_serial", "kms_denied_actions", "kms_authz_status", "kms_refused_certificate", "kms_random_route", "kms_server_ca",
    )} == {
        "certificate_serial": "credential_id", "kms_denied_actions": [], "kms_authz_status": 403,
        "kms_refused_certificate": "http_401", "kms_random_route": "present", "kms_server_ca": "public_ca",
    }


@pytest.mark.parametrize("settings", [
    {"kms_denied_actions": ["okms:apikms:random/gett"]},
    {"kms_denied_actions": "okms:apikms:random/get"},
    {"kms_authz_status": 404},
    {"kms_refused_certificate": "drop"},
    {"kms_random_route": False},
    {"certificate_serial": "uuid"},
    {"kms_server_ca": "system"},
])
def test_bad_kms_settings_change_nothing(admin, settings):
    before = admin.call("GET", "/config")
    admin.call("POST", "/config", {"page_size": 7, **settings}, expect=400)
    assert admin.call("GET", "/config") == before


def test_secret_config_answers_the_reference_defaults(info, domains, public_ca, ready_files):
    response = kms_get(info, SECRET_CONFIG % domains["main"], ready_files[2], public_ca)
    assert response.status_code == 200
    assert response.json() == {"casRequired": False, "deactivateVersionAfter": "0s", "maxVersions": 10}


def test_refused_certificate_has_the_authentication_category(ak, info, domains, public_ca, ready_files):
    ak.delete(credentials_path(domains["main"], ready_files[0]["id"]))
    for path in (RANDOM, SECRET_CONFIG):
        assert _kms_error(kms_get(info, path % domains["main"], ready_files[2], public_ca), 401) == (3, 2, AUTHENTICATION, 3)


def test_certificate_of_another_domain_has_the_authentication_category(info, domains, public_ca, ready_files):
    assert _kms_error(kms_get(info, RANDOM % domains["load"], ready_files[2], public_ca), 401)[2] == AUTHENTICATION


@pytest.mark.parametrize("status", [403, 401])
def test_runtime_denied_action_has_the_authorization_category(info, domains, admin, public_ca, ready_files, status):
    admin.configure(kms_denied_actions=["okms:apikms:random/get"], kms_authz_status=status)
    refused = kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca)
    assert _kms_error(refused, status) == (1, 2, AUTHORIZATION, 1)
    assert "okms:apikms:random/get" in refused.json()["errors"][0]
    assert kms_get(info, SECRET_CONFIG % domains["main"], ready_files[2], public_ca).status_code == 200
    admin.configure(kms_denied_actions=["okms:apikms:secretConfig/get"])
    assert _kms_error(kms_get(info, SECRET_CONFIG % domains["main"], ready_files[2], public_ca), status)[2] == AUTHORIZATION
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca).status_code == 200


def test_account_key_denies_its_identities_only(info, domains, public_ca, ready_files, tmp_path):
    other = ak_client(info, info["accounts"][1])
    created, view = ready_credential(other, info, domains["other"])
    files = credential_files(tmp_path / "other", created, view)
    assert _kms_error(kms_get(info, RANDOM % domains["other"], files, public_ca), 403)[2] == AUTHORIZATION
    assert kms_get(info, SECRET_CONFIG % domains["other"], files, public_ca).status_code == 200
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca).status_code == 200


def test_random_route_can_be_absent(info, domains, admin, public_ca, ready_files):
    admin.configure(kms_random_route="absent")
    assert _kms_error(kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca), 404) == (3, 1, NOT_FOUND, 1)
    assert kms_get(info, SECRET_CONFIG % domains["main"], ready_files[2], public_ca).status_code == 200
    admin.configure(kms_random_route="present")
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca).status_code == 200


def test_faults_carry_a_packed_code(info, domains, admin, public_ca, ready_files):
    admin.fault("GET /api/{okmsId}/v2/secretConfig", status=503)
    assert _kms_error(kms_get(info, SECRET_CONFIG % domains["main"], ready_files[2], public_ca), 503) == (3, 1, UNAVAILABLE, 2)


def test_tls_alert_refuses_deleted_and_expired_certificates_at_the_handshake(ak, info, domains, admin, public_ca, ready_files, tmp_path):
    admin.configure(kms_refused_certificate="tls_alert")
    created, view = ready_credential(ak, info, domains["main"])
    expiring = credential_files(tmp_path / "expiring", created, view)
    assert kms_get(info, RANDOM % domains["main"], expiring, public_ca).status_code == 200
    ak.delete(credentials_path(domains["main"], ready_files[0]["id"]))
    admin.force(created["id"], status="EXPIRED")
    for files in (ready_files[2], expiring):
        with pytest.raises(requests.exceptions.SSLError, match="(?i)certificate revoked"):
            kms_get(info, RANDOM % domains["main"], files, public_ca)
    admin.force(created["id"], status="READY")
    assert kms_get(info, RANDOM % domains["main"], expiring, public_ca).status_code == 200
    # the handshake does not know the path: a certificate of another domain still gets its HTTP answer
    assert _kms_error(kms_get(info, RANDOM % domains["load"], expiring, public_ca), 401)[2] == AUTHENTICATION
    admin.configure(kms_refused_certificate="http_401")
    assert _kms_error(kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca), 401)[2] == AUTHENTICATION


def test_random_serial_is_not_the_credential_id_and_still_works(ak, info, domains, admin, public_ca, tmp_path):
    admin.configure(certificate_serial="random")
    created, view = ready_credential(ak, info, domains["main"])
    serial = x509.load_pem_x509_certificate(view["certificatePEM"].encode("ascii")).serial_number
    assert serial != uuid.UUID(created["id"]).int and 0 < serial < 1 << 128
    files = credential_files(tmp_path / "random-serial", created, view)
    assert kms_get(info, RANDOM % domains["main"], files, public_ca).status_code == 200
    admin.configure(certificate_serial="credential_id", kms_refused_certificate="tls_alert")
    assert kms_get(info, RANDOM % domains["main"], files, public_ca).status_code == 200
    ak.delete(credentials_path(domains["main"], created["id"]))
    wait_until_gone(ak, domains["main"], created["id"])
    with pytest.raises(requests.exceptions.SSLError):
        kms_get(info, RANDOM % domains["main"], files, public_ca)
    admin.configure(kms_refused_certificate="http_401")
    assert _kms_error(kms_get(info, RANDOM % domains["main"], files, public_ca), 401)[2] == AUTHENTICATION


def test_default_serial_is_the_credential_id(ak, info, domains):
    created, view = ready_credential(ak, info, domains["main"])
    assert x509.load_pem_x509_certificate(view["certificatePEM"].encode("ascii")).serial_number == uuid.UUID(created["id"]).int


def test_domain_has_an_rsa_kmip_endpoint_and_ca(ak, domains):
    plain = ak.get("/v2/okms/resource/" + domains["main"])
    assert plain["kmipRsaEndpoint"] == "127.0.0.1:5697" and plain["kmipEndpoint"] == "127.0.0.1:5696"
    assert "publicRsaCA" not in plain and "publicCA" not in plain
    for listed in ak.get("/v2/okms/resource"):
        assert listed["kmipRsaEndpoint"] == "127.0.0.1:5697"
    domain = ak.get("/v2/okms/resource/" + domains["main"], publicCA=True)
    rsa_ca = x509.load_pem_x509_certificate(domain["publicRsaCA"].encode("ascii"))
    assert isinstance(rsa_ca.public_key(), rsa.RSAPublicKey)
    assert rsa_ca.issuer == rsa_ca.subject and rsa_ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert domain["publicRsaCA"] != domain["publicCA"]
    assert ak.get("/v2/okms/resource/" + domains["load"], publicCA=True)["publicRsaCA"] == domain["publicRsaCA"]


# kms_server_ca: the REST endpoint's server certificate signed by a CA other than the domain's publicCA


def _issuer_of_rest_endpoint(info) -> str:
    parts = info["rest_url"].rsplit(":", 1)
    pem = ssl.get_server_certificate((parts[0].split("//", 1)[1], int(parts[1])))
    return x509.load_pem_x509_certificate(pem.encode("ascii")).issuer.rfc4514_string()


def test_rest_endpoint_can_be_signed_by_another_ca(info, domains, admin, public_ca, ready_files):
    assert admin.call("GET", "/config")["kms_server_ca"] == "public_ca"
    assert _issuer_of_rest_endpoint(info) == "CN=OKMS Emulator Root CA"
    admin.configure(kms_server_ca="other_ca")
    assert _issuer_of_rest_endpoint(info) == "CN=OKMS Emulator Other Root CA"
    # the domain's publicCA no longer verifies the endpoint; the other CA (a client's system store) does
    with pytest.raises(requests.exceptions.SSLError):
        kms_get(info, RANDOM % domains["main"], ready_files[2], public_ca)
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], info["other_ca_file"]).status_code == 200
    with open(info["other_ca_file"], encoding="ascii") as handle:
        assert handle.read() not in open(public_ca, encoding="ascii").read()
    # the API server keeps its certificate: only the REST endpoint moves
    assert requests.get(info["api_url"] + "/auth/time", verify=info["ca_file"], timeout=30).status_code == 200


def test_other_ca_with_refusal_at_the_handshake(ak, info, domains, admin, ready_files):
    admin.configure(kms_server_ca="other_ca", kms_refused_certificate="tls_alert")
    assert kms_get(info, RANDOM % domains["main"], ready_files[2], info["other_ca_file"]).status_code == 200
    ak.delete(credentials_path(domains["main"], ready_files[0]["id"]))
    with pytest.raises(requests.exceptions.ConnectionError):
        kms_get(info, RANDOM % domains["main"], ready_files[2], info["other_ca_file"])
