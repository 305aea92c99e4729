# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The engine where OVH differs from the emulator's defaults: serial is not id (a certificate's credential found by name and
fingerprint), a domain without publicCA, the CA of the KMIP endpoint for RSA certificates."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.module_utils import _engine as engine
from ansible_collections.okms.access.plugins.module_utils._credential import fingerprint_sha256, load_certificate


def certificate_pem(serial):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "okms")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(serial)
                   .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


PEMS = dict((label, certificate_pem(serial)) for label, serial in (("host", 1111), ("other", 2222), ("third", 3333)))
FINGERPRINTS = dict((label, fingerprint_sha256(load_certificate(pem))) for label, pem in PEMS.items())


def credential(credential_id, name, pem_label, status="READY"):
    return dict(id=credential_id, name=name, status=status, certificatePEM=PEMS[pem_label] if pem_label else None)


# (case, name, fingerprint label, listed, id found or None)
MATCHES = [
    ("name and fingerprint", "web1", "host", [credential("c1", "web1", "other"), credential("c2", "web1", "host")], "c2"),
    ("same certificate, other name", "web1", "host", [credential("c1", "web2", "host")], None),
    ("same name, other certificate", "web1", "host", [credential("c1", "web1", "other"), credential("c3", "web1", "third")], None),
    ("being deleted", "web1", "host", [credential("c1", "web1", "host", status="DELETING")], None),
    ("no certificate yet", "web1", "host", [credential("c1", "web1", None, status="CREATING")], None),
    ("no fingerprint held", "web1", None, [credential("c1", "web1", "host")], None),
    ("nothing listed", "web1", "host", [], None),
]


@pytest.mark.parametrize("case, name, label, listed, expected", MATCHES, ids=[row[0] for row in MATCHES])
def test_credential_of_certificate(case, name, label, listed, expected):
    found = engine.credential_of_certificate(name, FINGERPRINTS.get(label), listed)
    assert (found["id"] if found else None) == expected, case


WANT = dict(name="web1")
HELD = dict(credential_id="serial-as-uuid", certificate_fingerprint=FINGERPRINTS["host"])


# (case, known by GET, listed, credential id the host's view ends with)
HELD_IDS = [
    ("serial is id: the GET found it", {"serial-as-uuid": credential("serial-as-uuid", "web1", "host")}, [], "serial-as-uuid"),
    ("serial is not id: found by name and fingerprint", {"serial-as-uuid": None}, [credential("c2", "web1", "host")], "c2"),
    ("serial is not id, credential gone", {"serial-as-uuid": None}, [credential("c3", "web1", "other")], "serial-as-uuid"),
]


@pytest.mark.parametrize("case, known, listed, expected", HELD_IDS, ids=[row[0] for row in HELD_IDS])
def test_held_with_credential(case, known, listed, expected):
    assert engine.held_with_credential(WANT, HELD, known, listed)["credential_id"] == expected, case


CA = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"
RSA_CA = "-----BEGIN CERTIFICATE-----\\nMIIC\\n-----END CERTIFICATE-----"

# (case, the API's domain, view or None, words of the problem)
DOMAINS = [
    ("ECDSA and RSA", dict(restEndpoint="https://eu-west-rbx.okms.ovh.net", kmipEndpoint="eu-west-rbx.okms.ovh.net:5696",
                           kmipRsaEndpoint="eu-west-rbx.okms.ovh.net:5697", publicCA=CA, publicRsaCA=RSA_CA),
     dict(rest_endpoint="https://eu-west-rbx.okms.ovh.net", kmip_endpoint="eu-west-rbx.okms.ovh.net:5696",
          kmip_rsa_endpoint="eu-west-rbx.okms.ovh.net:5697", ca_pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
          rsa_ca_pem="-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"), []),
    ("no RSA endpoint nor CA", dict(restEndpoint="https://r", kmipEndpoint="k:5696", kmipRsaEndpoint=None, publicCA=CA, publicRsaCA=None),
     dict(rest_endpoint="https://r", kmip_endpoint="k:5696", kmip_rsa_endpoint="", rsa_ca_pem="",
          ca_pem="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), []),
    ("publicCA null", dict(restEndpoint="https://r", kmipEndpoint="k:5696", publicCA=None), None, ["no publicCA", "no file was written"]),
    ("publicCA absent", dict(restEndpoint="https://r"), None, ["no publicCA"]),
    ("publicCA empty", dict(restEndpoint="https://r", publicCA=""), None, ["no publicCA"]),
]


@pytest.mark.parametrize("case, domain, view, problem_words", DOMAINS, ids=[row[0] for row in DOMAINS])
def test_domain_view(case, domain, view, problem_words):
    found, problem = engine.domain_view(domain)
    assert found == view, case
    assert bool(problem) == bool(problem_words)
    for word in problem_words:
        assert word in problem
    assert found is None or "None" not in str(found)


def rsa_want(certificate_type):
    return dict(certificate_type=certificate_type, owner="", group="", paths=dict(ca_rsa="/etc/okms/ca-rsa.pem"))


def rsa_held(checksum=None, mode="0644"):
    seen = None if checksum is None else dict(mode=mode, owner="root", uid=0, group="root", gid=0, isdir=False, checksum=checksum)
    return dict(files=dict(ca_rsa=seen))


# (case, certificate type, domain's RSA CA checksum, held file (checksum, mode) or None, write, remove)
RSA_CA_FILES = [
    ("RSA, no file yet", "RSA", "sum", None, True, []),
    ("RSA, up to date", "RSA", "sum", ("sum", "0644"), False, []),
    ("RSA, other CA", "RSA", "sum", ("old", "0644"), True, []),
    ("RSA, wrong mode", "RSA", "sum", ("sum", "0600"), True, []),
    ("RSA, the domain has no RSA CA", "RSA", None, None, False, []),
    ("RSA, the domain no longer has an RSA CA", "RSA", None, ("sum", "0644"), False, ["/etc/okms/ca-rsa.pem"]),
    ("ECDSA, no file", "ECDSA", "sum", None, False, []),
    ("ECDSA, a stale RSA CA", "ECDSA", "sum", ("sum", "0644"), False, ["/etc/okms/ca-rsa.pem"]),
]


@pytest.mark.parametrize("case, certificate_type, checksum, seen, write, remove", RSA_CA_FILES, ids=[row[0] for row in RSA_CA_FILES])
def test_rsa_ca_changes(case, certificate_type, checksum, seen, write, remove):
    held = rsa_held(*seen) if seen else rsa_held()
    assert engine.rsa_ca_changes(rsa_want(certificate_type), held, checksum) == dict(write_ca_rsa=write, remove=remove), case


# (case, the plan's changes, held verify, warning reported)
ACCESS_WARNINGS = [
    ("kept files, authorization refusal", False, dict(ok=True, msg="", warning="lacks okms:apikms:random/get"), True),
    ("kept files, accepted", False, dict(ok=True, msg="", warning=""), False),
    ("kept files, refused", False, dict(ok=False, msg="refused", warning=""), False),
    ("no check", False, None, False),
    ("changed files are checked again", True, dict(ok=True, msg="", warning="lacks okms:apikms:random/get"), False),
]


@pytest.mark.parametrize("case, changes, verify, expected", ACCESS_WARNINGS, ids=[row[0] for row in ACCESS_WARNINGS])
def test_access_warning(case, changes, verify, expected):
    assert engine.access_warning(dict(changes=changes), dict(verify=verify)) is expected, case
