# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issued certificates, CSRs, and the KMS domain's mTLS endpoint."""

from __future__ import annotations

import base64
import datetime
import os
import socket
import ssl
import uuid
from urllib.parse import urlsplit

import ovh
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier, SignatureAlgorithmOID

from conftest import (
    ak_client, create_credential, credential_files, credentials_path, kms_get, ready_credential, wait_for_status, wait_until_gone,
)

UPN = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def _certificate(view) -> x509.Certificate:
    return x509.load_pem_x509_certificate(view["certificatePEM"].encode("ascii"))


def _users_ca(info) -> x509.Certificate:
    with open(info["users_ca_file"], "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def _csr(key, common_name: str = "ignored") -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _seconds(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(microsecond=0)


def test_certificate_is_what_ovh_issues(ak, info, domains):
    okms_id = domains["main"]
    created, view = ready_credential(ak, info, okms_id)
    certificate = _certificate(view)
    assert certificate.version == x509.Version.v3
    assert certificate.issuer.rfc4514_string() == "CN=CCMUsersCA"
    assert certificate.subject.rfc4514_string() == "CN=" + okms_id
    assert certificate.serial_number == uuid.UUID(created["id"]).int
    assert certificate.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical
    assert [(name.type_id, name.value) for name in san.value] == [(UPN, b"\x0c\x30okms.domain:" + okms_id.encode())]
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert certificate.not_valid_before_utc == _seconds(view["createdAt"])
    assert certificate.not_valid_after_utc == _seconds(view["expiredAt"])
    key = serialization.load_pem_private_key(created["privateKeyPEM"].encode("ascii"), password=None)
    assert isinstance(key.curve, ec.SECP256R1)
    assert _public_der(certificate.public_key()) == _public_der(key.public_key())
    certificate.verify_directly_issued_by(_users_ca(info))


def test_certificate_verifies_against_ca_file(ak, info, domains):
    _created, view = ready_credential(ak, info, domains["main"])
    certificate = _certificate(view)
    with open(info["ca_file"], "rb") as handle:
        issuers = [authority for authority in x509.load_pem_x509_certificates(handle.read()) if authority.subject == certificate.issuer]
    assert len(issuers) == 1
    certificate.verify_directly_issued_by(issuers[0])


def test_rsa_credential(ak, info, domains):
    created, view = ready_credential(ak, info, domains["main"], certificateType="RSA")
    assert created["certificateType"] == view["certificateType"] == "RSA"
    assert created["privateKeyPEM"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(created["privateKeyPEM"].encode("ascii"), password=None)
    assert key.key_size == 2048
    assert _public_der(_certificate(view).public_key()) == _public_der(key.public_key())


@pytest.mark.parametrize(("key", "certificate_type"), [
    (ec.generate_private_key(ec.SECP256R1()), "ECDSA"),
    (ec.generate_private_key(ec.SECP384R1()), "ECDSA"),
    (rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA"),
])
def test_csr_keeps_its_public_key(ak, info, domains, key, certificate_type):
    created = create_credential(ak, info, domains["main"], csr=_csr(key))
    assert "privateKeyPEM" not in created
    assert (created["fromCSR"], created["certificateType"]) == (True, certificate_type)
    certificate = _certificate(wait_for_status(ak, domains["main"], created["id"], "READY"))
    assert _public_der(certificate.public_key()) == _public_der(key.public_key())
    assert certificate.subject.rfc4514_string() == "CN=" + domains["main"]


def _tampered_csr() -> str:
    der = x509.load_pem_x509_csr(_csr(ec.generate_private_key(ec.SECP256R1())).encode()).public_bytes(serialization.Encoding.DER)
    broken = der[:-5] + bytes([der[-5] ^ 0x01]) + der[-4:]
    return "-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n" % base64.encodebytes(broken).decode().strip()


@pytest.mark.parametrize("csr", [
    "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n",
    "just text",
    _tampered_csr(),
    _csr(ed25519.Ed25519PrivateKey.generate()),
    _csr(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
], ids=["garbage", "not-pem", "bad-signature", "ed25519", "rsa-1024"])
def test_bad_csr_is_refused(ak, info, domains, csr):
    with pytest.raises(ovh.exceptions.BadParametersError) as caught:
        create_credential(ak, info, domains["main"], csr=csr)
    assert caught.value.response.json()["class"] == "Client::BadRequest"


# mTLS endpoint


def _random(info, okms_id: str, files, public_ca: str, length="16") -> requests.Response:
    return kms_get(info, "/api/%s/v1/random?length=%s" % (okms_id, length), files, public_ca)


def _assert_refused(response, status: int = 401) -> None:
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error_id", "error_code", "errors", "request_id"}
    assert isinstance(body["error_code"], int) and body["errors"]


def test_random_with_a_ready_certificate(info, domains, public_ca, ready_files):
    for length in ("1", "32", "4096"):
        response = _random(info, domains["main"], ready_files[2], public_ca, length)
        assert response.status_code == 200
        assert len(base64.b64decode(response.json()["bytes"])) == int(length)


@pytest.mark.parametrize("length", ["0", "4097", "ten", ""])
def test_random_length_is_checked(info, domains, public_ca, ready_files, length):
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca, length), 400)


def test_certificate_works_only_for_its_domain(ak, info, domains, public_ca, ready_files, tmp_path):
    for okms_id in (domains["load"], str(uuid.uuid4()), "not-a-uuid"):
        _assert_refused(_random(info, okms_id, ready_files[2], public_ca))
    created, view = ready_credential(ak, info, domains["load"])
    files = credential_files(tmp_path, created, view)
    _assert_refused(_random(info, domains["main"], files, public_ca))
    assert _random(info, domains["load"], files, public_ca).status_code == 200


def test_expired_and_error_credentials_are_refused(info, domains, admin, public_ca, ready_files):
    credential_id = ready_files[0]["id"]
    admin.force(credential_id, status="EXPIRED")
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca))
    admin.force(credential_id, status="ERROR")
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca))
    admin.force(credential_id, status="READY")
    assert _random(info, domains["main"], ready_files[2], public_ca).status_code == 200


def test_deleted_credentials_are_refused(ak, info, domains, admin, public_ca, ready_files):
    admin.configure(delete_delay=30)
    path = credentials_path(domains["main"], ready_files[0]["id"])
    ak.delete(path)
    assert ak.get(path)["status"] == "DELETING"
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca))
    admin.clock(31)
    wait_until_gone(ak, domains["main"], ready_files[0]["id"])
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca))


def test_mtls_follows_the_emulator_clock(info, domains, admin, public_ca, tmp_path):
    admin.clock(10 * 86400)  # notBefore is 10 days ahead of real time
    client = ak_client(info)
    created, view = ready_credential(client, info, domains["main"], validity=30)
    files = credential_files(tmp_path, created, view)
    assert _random(info, domains["main"], files, public_ca).status_code == 200
    admin.clock(41 * 86400)
    _assert_refused(_random(info, domains["main"], files, public_ca))


def test_faults_apply_to_the_mtls_route(info, domains, admin, public_ca, ready_files):
    admin.call("POST", "/requests/reset")
    admin.fault("GET /api/{okmsId}/v1/random", status=503)
    _assert_refused(_random(info, domains["main"], ready_files[2], public_ca), 503)
    assert _random(info, domains["main"], ready_files[2], public_ca).status_code == 200
    assert admin.call("GET", "/requests")["by_route"] == {"GET /api/{okmsId}/v1/random": 2}


def test_handshake_requires_a_client_certificate(info, domains, public_ca):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("%s/api/%s/v1/random?length=1" % (info["rest_url"], domains["main"]), verify=public_ca, timeout=30)


def test_handshake_refuses_a_certificate_of_another_ca(info, domains, public_ca, ready_files, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    genuine = _certificate(ready_files[1])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CCMUsersCA")])
    forged = (
        x509.CertificateBuilder().subject_name(genuine.subject).issuer_name(name).public_key(key.public_key())
        .serial_number(genuine.serial_number).not_valid_before(genuine.not_valid_before_utc).not_valid_after(genuine.not_valid_after_utc)
        .sign(key, hashes.SHA256())
    )
    cert, key_file = tmp_path / "forged.cert", tmp_path / "forged.key"
    cert.write_bytes(forged.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    with pytest.raises(requests.exceptions.ConnectionError):
        _random(info, domains["main"], (str(cert), str(key_file)), public_ca)


# Strict X.509 (Python 3.13's default context sets VERIFY_X509_STRICT; cryptography's verifier applies RFC 5280)


def _strict_context(ca_file: str, files=None) -> ssl.SSLContext:
    """What Python 3.13's ssl.create_default_context() checks, on any Python: strict RFC 5280 chains."""
    context = ssl.create_default_context(cafile=ca_file)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    if files:
        context.load_cert_chain(*files)
    return context


def _handshake(url: str, context: ssl.SSLContext) -> None:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=parts.hostname) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_both_servers_pass_a_strict_handshake(info, public_ca, ready_files):
    _handshake(info["api_url"], _strict_context(info["ca_file"]))
    _handshake(info["rest_url"], _strict_context(public_ca, ready_files[2]))


def test_servers_and_cas_have_key_identifiers(info):
    """The HTTPS server certificate and both CAs carry SKI, and AKI naming their issuer's SKI (RFC 5280 4.2.1.1-2)."""
    with open(info["ca_file"], "rb") as handle:
        authorities = x509.load_pem_x509_certificates(handle.read())
    with open(os.path.join(info["state_dir"], "server-cert.pem"), "rb") as handle:
        server = x509.load_pem_x509_certificate(handle.read())
    for certificate in authorities + [server]:
        ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert ski == x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        issuer = next(authority for authority in authorities if authority.subject == certificate.issuer)
        assert aki.key_identifier == issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def test_issued_certificate_keeps_ovh_extensions_only(ready_files):
    """Credential certificates stay as OVH issues them (SAN, EKU, nothing else): only the KMS server verifies them."""
    certificate = _certificate(ready_files[1])
    assert [extension.oid for extension in certificate.extensions] == [x509.SubjectAlternativeName.oid, x509.ExtendedKeyUsage.oid]
