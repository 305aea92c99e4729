# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys, CAs and certificates.

Two CAs live in the state: the emulator's root CA, which signs the HTTPS server certificates of the
API and of the KMS REST endpoint (the domain's ``publicCA``), and ``CN=CCMUsersCA``, which signs the
credentials' client certificates and is the only CA the mTLS endpoint trusts.

CAs and server certificates carry Subject and Authority Key Identifiers, which strict verification
(Python 3.13's default context, RFC 5280) requires; credential certificates keep only the extensions
OVH's carry (subjectAltName, extendedKeyUsage): the server verifies them, not strict clients.
"""

from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

UPN_OID = ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
ROOT_CA_NAME = "OKMS Emulator Root CA"
RSA_CA_NAME = "OKMS Emulator RSA Root CA"
OTHER_CA_NAME = "OKMS Emulator Other Root CA"
USERS_CA_NAME = "CCMUsersCA"
RSA_KEY_SIZE = 2048
MIN_CSR_RSA_BITS = 2048
CSR_CURVES = (ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)


class CsrError(ValueError):
    """A CSR that cannot be signed; the message says why."""


def new_private_key(certificate_type: str = "ECDSA"):
    """P-256 key for ``ECDSA``, RSA 2048 (the emulator's choice: OVH does not document it) for ``RSA``."""
    if certificate_type == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key) -> str:
    """Unencrypted 'traditional' PEM: SEC1 ``EC PRIVATE KEY`` as OVH returns it (PKCS#1 for RSA)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")


def certificate_pem(certificate: x509.Certificate) -> str:
    """PEM text of a certificate."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_type_of(public_key) -> str:
    """``ECDSA`` or ``RSA`` for the key types the emulator signs; CsrError for any other."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, CSR_CURVES):
            raise CsrError("csr: elliptic curve %s is not supported (use P-256, P-384 or P-521)" % public_key.curve.name)
        return "ECDSA"
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_CSR_RSA_BITS:
            raise CsrError("csr: RSA key of %d bits is too small (at least %d)" % (public_key.key_size, MIN_CSR_RSA_BITS))
        return "RSA"
    raise CsrError("csr: key type %s is not supported (use an EC or RSA key)" % type(public_key).__name__)


def csr_public_key(pem: str):
    """Public key of a PEM CSR whose self-signature verifies; CsrError otherwise."""
    try:
        csr = x509.load_pem_x509_csr(pem.encode("ascii"))
    except ValueError as exc:
        raise CsrError("csr is not a PEM certificate signing request: %s" % exc) from None
    try:
        valid = csr.is_signature_valid
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CsrError("csr cannot be checked: %s" % exc) from None
    if not valid:
        raise CsrError("csr signature does not verify with its own public key")
    return public_key


def _der_utf8string(text: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) < 0x80:
        length = bytes([len(data)])
    else:
        size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(size)]) + size
    return b"\x0c" + length + data


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _seconds(moment: datetime.datetime) -> datetime.datetime:
    # X.509 times have whole seconds: truncating keeps notBefore <= createdAt
    return moment.replace(microsecond=0)


class CertificateAuthority:
    """A CA key and its self-signed certificate."""

    def __init__(self, key, certificate: x509.Certificate) -> None:
        self.key = key
        self.certificate = certificate

    @classmethod
    def create(cls, common_name: str, years: int = 20, key_type: str = "ECDSA") -> CertificateAuthority:
        """New CA (P-256, or RSA 2048 for ``key_type="RSA"``) valid from yesterday (real time: TLS checks it) for ``years``."""
        key = new_private_key(key_type)
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_seconds(now - datetime.timedelta(days=1)))
            .not_valid_after(_seconds(now + datetime.timedelta(days=365 * years)))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    @classmethod
    def from_pems(cls, pems: dict) -> CertificateAuthority:
        """CA from ``{"key": PEM, "certificate": PEM}`` (as ``to_pems`` stores it)."""
        key = serialization.load_pem_private_key(pems["key"].encode("ascii"), password=None)
        return cls(key, x509.load_pem_x509_certificate(pems["certificate"].encode("ascii")))

    def to_pems(self) -> dict:
        """``{"key": PEM, "certificate": PEM}``."""
        return {"key": private_key_pem(self.key), "certificate": self.certificate_pem}

    @property
    def certificate_pem(self) -> str:
        """PEM of the CA certificate."""
        return certificate_pem(self.certificate)

    def _builder(self, subject: str, public_key, serial: int) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(serial)
        )

    def issue_server_certificate(self, hosts: list) -> tuple:
        """``(key PEM, certificate PEM)`` for HTTPS on ``hosts`` (IP addresses or DNS names)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        certificate = (
            self._builder(hosts[0], key.public_key(), x509.random_serial_number())
            .not_valid_before(_seconds(now - datetime.timedelta(days=1)))
            .not_valid_after(_seconds(now + datetime.timedelta(days=365)))
            .add_extension(x509.SubjectAlternativeName([_host_name(host) for host in hosts]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            # Python 3.13's default context (VERIFY_X509_STRICT) refuses a chain without them: "Missing Authority Key Identifier"
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return private_key_pem(key), certificate_pem(certificate)

    def issue_credential_certificate(self, public_key, serial: int, okms_id: str,
                                     not_before: datetime.datetime, not_after: datetime.datetime) -> str:
        """Client certificate as OVH issues it: subject ``CN=<okmsId>``, critical SAN UPN ``okms.domain:<okmsId>``, clientAuth."""
        upn = x509.OtherName(UPN_OID, _der_utf8string("okms.domain:" + okms_id))
        certificate = (
            self._builder(okms_id, public_key, serial)
            .not_valid_before(_seconds(not_before))
            .not_valid_after(_seconds(not_after))
            .add_extension(x509.SubjectAlternativeName([upn]), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return certificate_pem(certificate)
