# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Serial is not id: the engine finds a certificate's credential by name and fingerprint when its serial names none."""

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
