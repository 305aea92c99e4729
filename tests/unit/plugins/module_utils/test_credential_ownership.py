# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ownership_proof: which credentials found after a lost create call a run may delete or adopt; the server clock bounds."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._credential import CredentialApi, public_key_der
from ansible_collections.okms.access.plugins.module_utils._lifecycle import ownership_proof

START = datetime.datetime(2026, 4, 4, 12, 0, 0, tzinfo=datetime.timezone.utc)
WINDOW = (START, START + datetime.timedelta(seconds=10))
KEYS = {name: ec.generate_private_key(ec.SECP256R1()) for name in ("csr", "held", "other")}


def certificate_pem(key_name):
    key = KEYS[key_name]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(1).not_valid_before(START).not_valid_after(START + datetime.timedelta(days=1))
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def credential(key=None, from_csr=False, created=5.0):
    return {
        "id": "c", "fromCSR": from_csr, "certificatePEM": certificate_pem(key) if key else None,
        "createdAt": (START + datetime.timedelta(seconds=created)).isoformat() if created is not None else "not a time",
    }


CSR_DER = public_key_der(KEYS["csr"])
HELD = {public_key_der(KEYS["held"])}

# (what the candidate is, the candidate, the run's CSR public key, whether the run holds the name's lock, the proof)
CASES = [
    ("CSR run, its CSR's key", credential("csr", from_csr=True), CSR_DER, True, "csr"),
    ("CSR run, its CSR's key, even outside the window", credential("csr", from_csr=True, created=-60), CSR_DER, False, "csr"),
    ("CSR run, another CSR's key in the window", credential("other", from_csr=True), CSR_DER, True, None),
    ("CSR run, an API-key credential in the window", credential("other"), CSR_DER, True, None),
    ("CSR run, a CSR credential not issued yet", credential(None, from_csr=True), CSR_DER, True, None),
    ("API-key run, a key it holds", credential("held", created=-3600), None, False, "key"),
    ("API-key run, keyless, inside the window, lock held", credential(None), None, True, "window"),
    ("API-key run, issued, inside the window, lock held", credential("other"), None, True, "window"),
    ("API-key run, at the window's start", credential(None, created=0), None, True, "window"),
    ("API-key run, at the window's end", credential(None, created=10), None, True, "window"),
    ("API-key run, a second before the window", credential(None, created=-1), None, True, None),
    ("API-key run, a second after the window", credential(None, created=11), None, True, None),
    ("API-key run, inside the window, no lock", credential(None), None, False, None),
    ("API-key run, a CSR credential inside the window", credential("other", from_csr=True), None, True, None),
    ("API-key run, an unreadable creation time", credential(None, created=None), None, True, None),
]


@pytest.mark.parametrize("what, candidate, csr_der, locked, proof", CASES, ids=[case[0] for case in CASES])
def test_ownership_proof(what, candidate, csr_der, locked, proof):
    assert ownership_proof(candidate, csr_der, HELD, WINDOW, locked) == proof, what


def test_no_window_proves_nothing_but_keys():
    assert ownership_proof(credential(None), None, HELD, None, True) is None
    assert ownership_proof(credential("held"), None, HELD, None, False) == "key"


class TimeClient:
    """Answers GET /auth/time with ``answer``."""

    def __init__(self, answer):
        self.answer = answer
        self.paths = []

    def get(self, path):
        self.paths.append(path)
        return self.answer


@pytest.mark.parametrize("answer, before, after, bounds", [
    (1000, 999.2, 999.7, (0.3, 1.8)),
    (400, 999.5, 999.5, (-599.5, -598.5)),
])
def test_server_clock_offset_bounds_the_server_clock(answer, before, after, bounds):
    times = iter([before, after])
    client = TimeClient(answer)
    low, high = CredentialApi(client, "okms", wallclock=lambda: next(times)).server_clock_offset()
    assert client.paths == ["/auth/time"]
    assert (round(low, 6), round(high, 6)) == bounds


@pytest.mark.parametrize("answer", ["1000", 1000.5, True, None])
def test_server_clock_offset_refuses_what_is_not_a_time(answer):
    with pytest.raises(OvhApiError, match="not the server time"):
        CredentialApi(TimeClient(answer), "okms").server_clock_offset()
