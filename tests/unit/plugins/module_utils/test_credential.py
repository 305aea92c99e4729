# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_credential.py: timestamps, certificates and keys, the credential result, and the credential calls of one domain."""

from __future__ import annotations

import datetime
import os
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.module_utils import _credential as credential
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError

CREDENTIAL_ID = "5a3a6e27-6f1c-4d8e-9c55-2f0d2a4b1e77"
NOW = datetime.datetime(2026, 4, 4, 12, 0, 0, tzinfo=datetime.timezone.utc)


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def certificate_of(key, serial=int(uuid.UUID(CREDENTIAL_ID))):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(serial)
            .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))


def pem_of(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def csr_pem(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1")])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("text, expected", [
    ("2026-04-04T12:26:28Z", datetime.datetime(2026, 4, 4, 12, 26, 28, tzinfo=datetime.timezone.utc)),
    ("2026-04-04t12:26:28.5z", datetime.datetime(2026, 4, 4, 12, 26, 28, 500000, tzinfo=datetime.timezone.utc)),
    ("2026-04-04T12:26:28.856619123+02:00", datetime.datetime(2026, 4, 4, 10, 26, 28, 856619, tzinfo=datetime.timezone.utc)),
    ("2026-04-04 12:26:28-01:30", datetime.datetime(2026, 4, 4, 13, 56, 28, tzinfo=datetime.timezone.utc)),
])
def test_parse_timestamp(text, expected):
    assert credential.parse_timestamp(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("yesterday", "is not an RFC 3339 timestamp"),
    (None, "is not an RFC 3339 timestamp"),
    ("2026-02-30T00:00:00Z", "is not a valid time"),
])
def test_parse_timestamp_refuses(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        credential.parse_timestamp(text)


def test_days_until():
    assert credential.days_until("2026-04-14T12:00:00Z", NOW) == 10.0
    assert credential.days_until("2026-04-03T00:00:00Z", NOW) == -1.5
    assert credential.days_until(None, NOW) is None
    assert credential.utc_now().tzinfo is datetime.timezone.utc


def test_certificate_facts():
    key = new_key()
    certificate = certificate_of(key)
    pem = pem_of(certificate)
    assert credential.load_certificate(pem).serial_number == certificate.serial_number
    assert credential.load_certificate(pem.encode("ascii")) is not None
    assert credential.load_certificate("not a certificate") is None
    assert credential.load_certificate("") is None
    assert credential.credential_id_of(certificate) == CREDENTIAL_ID
    assert credential.serial_hex(certificate) == CREDENTIAL_ID.replace("-", "")
    fingerprint = credential.fingerprint_sha256(certificate)
    assert len(fingerprint.split(":")) == 32 and fingerprint == fingerprint.upper()
    assert credential.public_key_der(certificate) == credential.public_key_der(key)
    assert credential.public_key_sha256(credential.public_key_der(key)) != credential.public_key_sha256(credential.public_key_der(new_key()))


def test_a_serial_too_large_for_a_uuid_is_no_credential_id():
    assert credential.credential_id_of(certificate_of(new_key(), serial=1 << 130)) is None


def test_load_csr():
    key = new_key()
    csr, problem = credential.load_csr(csr_pem(key))
    assert problem is None and credential.public_key_der(csr) == credential.public_key_der(key)
    assert credential.load_csr(csr_pem(key).decode("ascii"))[1] is None
    assert credential.load_csr("garbage") == (None, "is not a PEM certificate signing request; expected a "
                                                    "'-----BEGIN CERTIFICATE REQUEST-----' block")


def test_load_csr_with_a_broken_signature(tmp_path):
    pem = csr_pem(new_key())
    der = x509.load_pem_x509_csr(pem).public_bytes(serialization.Encoding.DER)
    # The last byte belongs to the signature.
    broken = x509.load_der_x509_csr(der[:-1] + bytes([der[-1] ^ 1])).public_bytes(serialization.Encoding.PEM)
    assert credential.load_csr(broken) == (None, "has a signature that does not verify with its own public key")


def test_read_private_key_public_der(tmp_path):
    key = new_key()
    path = tmp_path / "domain.key"
    path.write_bytes(key_pem(key))
    assert credential.read_private_key_public_der(str(path)) == (credential.public_key_der(key), None)
    assert credential.read_private_key_public_der(str(tmp_path / "nope")) == (None, "%s does not exist" % (tmp_path / "nope"))
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert credential.read_private_key_public_der(str(path)) == (None, "%s does not hold a PEM private key" % path)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.BestAvailableEncryption(b"secret")))
    assert "passphrase-protected" in credential.read_private_key_public_der(str(path))[1]
    assert "cannot be read" in credential.read_private_key_public_der(str(tmp_path))[1]


def test_read_certificate_file(tmp_path):
    path = tmp_path / "client.cert"
    path.write_text(pem_of(certificate_of(new_key())))
    assert credential.credential_id_of(credential.read_certificate_file(str(path))) == CREDENTIAL_ID
    assert credential.read_certificate_file(str(tmp_path / "nope")) is None


def test_pem_text():
    assert credential.pem_text("a\\nb\n\n") == "a\nb\n"


def api_credential(**over):
    value = {"id": CREDENTIAL_ID, "name": "h1", "description": None, "identityURNs": ["urn:v1:eu:identity:account:xx1111-ovh"],
             "status": "READY", "fromCSR": True, "certificateType": "ECDSA", "createdAt": "2026-04-01T00:00:00Z",
             "expiredAt": "2026-04-14T12:00:00Z", "certificatePEM": pem_of(certificate_of(new_key())),
             "privateKeyPEM": "never returned"}
    value.update(over)
    return value


def test_credential_result_never_holds_a_key():
    result = credential.credential_result(api_credential(), NOW, renew_before_days=30)
    assert "private_key" not in str(sorted(result)) and "never returned" not in str(result)
    assert result["serial"] == CREDENTIAL_ID.replace("-", "")
    assert result["certificate_pem"].endswith("-----END CERTIFICATE-----\n")
    assert result["expires_in_days"] == 10.0 and result["should_renew"] is True
    assert credential.diff_view(result)["id"] == CREDENTIAL_ID
    assert set(credential.diff_view(result)) == set(credential.DIFF_FIELDS)
    assert credential.diff_view(None) is None


def test_credential_result_of_a_credential_still_creating():
    result = credential.credential_result(api_credential(status="CREATING", certificatePEM=None, expiredAt=None), NOW)
    assert result["certificate_pem"] is None and result["serial"] is None and result["expires_in_days"] is None
    assert result["should_renew"] is False


@pytest.mark.parametrize("status, days, before, expected", [
    ("EXPIRED", None, 0, True),
    ("READY", 5.0, 0, False),
    ("READY", 5.0, 10, True),
    ("READY", 15.0, 10, False),
    ("READY", None, 10, False),
])
def test_should_renew(status, days, before, expected):
    assert credential.should_renew(status, days, before) is expected


class RecordingClient:
    """The three calls CredentialApi makes, answered from a dict of credentials (a stand-in for OvhApiClient)."""

    def __init__(self, credentials, refuse_delete_while_creating=False):
        self.credentials = credentials
        self.refuse = refuse_delete_while_creating
        self.calls = []

    def get(self, path):
        self.calls.append(("GET", path))
        if path.endswith("/boom"):
            raise OvhApiError("server error", status=500, method="GET", path=path)
        found = self.credentials.get(path.rsplit("/", 1)[1])
        if found is None:
            raise OvhApiError("not found", status=404, method="GET", path=path)
        if found["status"] == "CREATING" and self.refuse:
            found["status"] = "READY"
        return found

    def iter_list(self, path):
        self.calls.append(("LIST", path))
        return iter(self.credentials.values())

    def post(self, path, body):
        self.calls.append(("POST", path))
        return dict(body, id="new")

    def delete(self, path):
        self.calls.append(("DELETE", path))
        credential_id = path.rsplit("/", 1)[1]
        if credential_id == "bad":
            raise OvhApiError("bad", status=400, error_class="Client::BadRequest::Other", method="DELETE", path=path)
        found = self.credentials.get(credential_id)
        if found is None:
            raise OvhApiError("not found", status=404, method="DELETE", path=path)
        if found["status"] == "CREATING" and self.refuse:
            raise OvhApiError("creating", status=400, error_class="Client::BadRequest::CredentialStatusInvalid", method="DELETE", path=path)
        return self.credentials.pop(credential_id)


def credential_api(client, clock=None):
    ticks = clock if clock is not None else [0.0]
    return credential.CredentialApi(client, "okms", sleep=lambda seconds: ticks.__setitem__(0, ticks[0] + seconds),
                                    monotonic=lambda: ticks[0])


def test_credential_api_reads_lists_creates_and_deletes():
    client = RecordingClient({"a": dict(id="a", name="x", status="READY"), "b": dict(id="b", name="y", status="READY")})
    api = credential_api(client)
    assert api.get("a")["name"] == "x"
    assert api.get("missing") is None
    with pytest.raises(OvhApiError):
        api.get("boom")
    assert [item["id"] for item in api.list_all()] == ["a", "b"]
    assert [item["id"] for item in api.list_named("y")] == ["b"]
    assert api.create({"name": "z"})["id"] == "new"
    api.delete("a", timeout=10)
    assert api.delete("missing", timeout=10) is None
    with pytest.raises(OvhApiError):
        api.delete("bad", timeout=10)
    api.wait_gone("a", timeout=10)
    assert ("POST", "/v2/okms/resource/okms/credential") in client.calls


def test_delete_waits_for_a_credential_still_creating():
    client = RecordingClient({"a": dict(id="a", status="CREATING")}, refuse_delete_while_creating=True)
    credential_api(client).delete("a", timeout=10)
    assert [call[0] for call in client.calls] == ["DELETE", "GET", "DELETE"]
    assert client.credentials == {}


def test_wait_ready_polls_until_the_credential_leaves_creating():
    states = iter(["CREATING", "CREATING", "READY"])

    class Client(RecordingClient):
        def get(self, path):
            self.calls.append(("GET", path))
            return dict(id="a", status=next(states))

    clock = [0.0]
    assert credential_api(Client({}), clock).wait_ready("a", timeout=10)["status"] == "READY"
    assert clock[0] == credential.POLL_FIRST_DELAY * (1 + credential.POLL_FACTOR)


def test_wait_times_out_with_the_last_state():
    client = RecordingClient({"a": dict(id="a", status="CREATING")})
    with pytest.raises(credential.CredentialWaitTimeout) as raised:
        credential_api(client).wait_ready("a", timeout=3)
    assert raised.value.credential_id == "a" and raised.value.credential["status"] == "CREATING"
    assert "still CREATING after 3 seconds" in str(raised.value)
    assert "still gone" in str(credential.CredentialWaitTimeout("b", None, "READY", 1))


def test_no_file_is_left_open(tmp_path):
    path = tmp_path / "domain.key"
    path.write_bytes(key_pem(new_key()))
    before = len(os.listdir("/proc/self/fd"))
    credential.read_private_key_public_der(str(path))
    assert len(os.listdir("/proc/self/fd")) == before
