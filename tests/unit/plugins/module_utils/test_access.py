# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The access check's verdict: what one answer of the KMS REST API proves about a certificate."""

from __future__ import annotations

import datetime
import json
import os
import ssl
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.module_utils._access import ask, check_access, error_category, trust_context, verdict
from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import CredentialApi

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "utils"))
from okms_testlib.emulator import Emulator, role_inputs  # noqa: E402  pylint: disable=wrong-import-position

RANDOM = "okms:apikms:random/get"
# OKMS's packed codes: major << 24 | minor << 16 | category << 12 | app.
AUTHORIZATION_CODE = 16924673  # CCM / IAM / Authorization (4) / 1
AUTHENTICATION_CODE = 50475011  # REST / Authentication Provider / Authentication (3) / 3
NOT_FOUND_CODE = 50417665  # REST / General / Not Found (5) / 1
UNAVAILABLE_CODE = 50425858  # REST / General / Unavailable (7) / 2


def okms_error(code, text="refused"):
    return json.dumps(dict(error_id="e1", error_code=code, errors=[text], request_id="79b66eba-273e-4f7a-b954-78ed7e70b85d")).encode()


def answer(status, body=b""):
    return dict(tls_error=None, network_error=None, status=status, body=body)


# (case, outcome, accepted, route_absent, words in the warning, words in the message)
VERDICTS = [
    ("200", answer(200, b'{"bytes": "qg=="}'), True, False, [], []),
    ("authorization as 403", answer(403, okms_error(AUTHORIZATION_CODE)), True, False, [RANDOM, "HTTP 403"], []),
    ("authorization as 401", answer(401, okms_error(AUTHORIZATION_CODE)), True, False, [RANDOM, "HTTP 401"], []),
    ("403 without a code", answer(403, b"Forbidden"), True, False, [RANDOM], []),
    ("authentication as 401", answer(401, okms_error(AUTHENTICATION_CODE, "certificate unknown")), False, False, [],
     ["HTTP 401", "authentication", "certificate unknown", "deleted"]),
    ("401 without a code", answer(401, b""), False, False, [], ["HTTP 401", "deleted"]),
    ("authentication as 403", answer(403, okms_error(AUTHENTICATION_CODE)), False, False, [], ["HTTP 403", "authentication"]),
    ("route absent", answer(404, okms_error(NOT_FOUND_CODE, "route not found")), False, True, [], ["HTTP 404", "route not found"]),
    ("404 without a body", answer(404, b"not found"), False, True, [], ["HTTP 404"]),
    ("503", answer(503, okms_error(UNAVAILABLE_CODE, "try later")), False, False, [], ["HTTP 503", "try later", "proves nothing"]),
    ("500 without a code", answer(500, b"<html>oops</html>"), False, False, [], ["HTTP 500", "oops"]),
    ("TLS 1.3 alert on the first read", dict(tls_error="[SSL: SSLV3_ALERT_CERTIFICATE_REVOKED] sslv3 alert certificate revoked",
                                             network_error=None, status=None, body=b""), False, False, [],
     ["TLS handshake failed", "certificate revoked", "deleted, has expired"]),
    ("server not verified", dict(tls_error="[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer",
                                 network_error=None, status=None, body=b""), False, False, [], ["system store", "CA file"]),
    ("connection reset", dict(tls_error="ConnectionResetError: [Errno 104] Connection reset by peer", network_error=None, status=None,
                              body=b""), False, False, [], ["connection broke"]),
    ("files that cannot be loaded", dict(files_error="[SSL] PEM lib (_ssl.c:3900)", tls_error=None, network_error=None, status=None,
                                         body=b""), False, False, [], ["cannot be loaded", "PEM lib"]),
    ("unreachable", dict(tls_error=None, network_error="[Errno 111] Connection refused", status=None, body=b""), False, False, [],
     ["cannot be reached", "Connection refused"]),
]


@pytest.mark.parametrize("case, outcome, accepted, route_absent, warning_words, message_words", VERDICTS, ids=[row[0] for row in VERDICTS])
def test_verdict(case, outcome, accepted, route_absent, warning_words, message_words):
    found = verdict(outcome, RANDOM)
    assert (found["accepted"], found["route_absent"]) == (accepted, route_absent), case
    assert bool(found["warning"]) == bool(warning_words)
    for word in warning_words:
        assert word in found["warning"]
    assert bool(found["msg"]) == (not accepted)
    for word in message_words:
        assert word in found["msg"]


@pytest.mark.parametrize("body, category", [
    (okms_error(AUTHORIZATION_CODE), 4),
    (okms_error(AUTHENTICATION_CODE), 3),
    (okms_error(17125377), 5),
    (b'{"error_code": "16924673"}', None),
    (b'{"error_code": true}', None),
    (b'["not", "an", "object"]', None),
    (b"not json", None),
    (b"", None),
])
def test_error_category(body, category):
    assert error_category(body) == category


# Trust: the system store plus the domain's CA, as okms-cli does (common/utils/x509utils/pool.go: SystemCertPool, then the
# CA file appended; its configuration says of the CA "Optional if the CA is in system store").

def new_ca(tmp_path, name):
    """A self-signed CA in tmp_path/<name>.pem; its subject's common name."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    path = tmp_path / (name + ".pem")
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(path)


# (case, CAs in the system store, CAs in the domain's CA file or None, trusted common names)
TRUST_CASES = [
    ("system store and domain CA", ["public-root"], ["domain-ca"], {"public-root", "domain-ca"}),
    ("domain CA only", [], ["domain-ca"], {"domain-ca"}),
    ("no CA file: the system store alone", ["public-root"], None, {"public-root"}),
    ("a CA file of two", ["public-root"], ["domain-ca", "domain-rsa-ca"], {"public-root", "domain-ca", "domain-rsa-ca"}),
]


@pytest.mark.parametrize("case, system, domain, trusted", TRUST_CASES, ids=[row[0] for row in TRUST_CASES])
def test_trust_is_the_system_store_plus_the_domain_ca(case, system, domain, trusted, tmp_path, monkeypatch):
    store = tmp_path / "system.pem"
    store.write_text("".join(open(new_ca(tmp_path, name), encoding="ascii").read() for name in system), encoding="ascii")
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-directory"))
    ca_file = None
    if domain is not None:
        ca_file = tmp_path / "domain.pem"
        ca_file.write_text("".join(open(new_ca(tmp_path, name), encoding="ascii").read() for name in domain), encoding="ascii")
    context = trust_context(None if ca_file is None else str(ca_file))
    names = set(dict(item[0] for item in entry["subject"])["commonName"] for entry in context.get_ca_certs())
    assert names == trusted, case
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_an_unreadable_ca_file_is_a_files_error(tmp_path):
    outcome = ask("https://127.0.0.1:9/api/x/v1/random", str(tmp_path / "c"), str(tmp_path / "k"), str(tmp_path / "missing.pem"), 1)
    assert outcome["files_error"]


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """The emulator (its REST endpoint signed by the domain's publicCA, or by another CA with kms_server_ca=other_ca)."""
    process = Emulator(tmp_path_factory.mktemp("emulator"))
    info = process.start(timeout=30)
    process.configure(ready_delay=0.05)
    yield process, info
    process.stop()


def host_files(info, tmp_path):
    """(cert, key, ca) of a READY credential of the emulator's domain, as the role writes them on a host."""
    client = client_from_params(role_inputs(info)["okms_client_api"])
    api = CredentialApi(client, info["okms_id"])
    created = api.create(dict(name="access-check", identityURNs=role_inputs(info)["okms_client_identity_urns"]))
    ready = api.wait_ready(created["id"], 30)
    paths = tmp_path / "client.cert", tmp_path / "domain.key", tmp_path / "ca.pem"
    paths[0].write_text(ready["certificatePEM"], encoding="ascii")
    paths[1].write_text(created["privateKeyPEM"], encoding="ascii")
    paths[2].write_text(client.get("/v2/okms/resource/%s" % info["okms_id"], params={"publicCA": True})["publicCA"], encoding="ascii")
    return [str(path) for path in paths]


def test_an_endpoint_signed_by_a_ca_of_the_system_store_is_accepted(emulator, tmp_path, monkeypatch):
    process, info = emulator
    cert, key, ca = host_files(info, tmp_path)
    base = "%s/api/%s" % (info["rest_url"], info["okms_id"])
    assert check_access(base, cert, key, ca, 10)["ok"]
    process.configure(kms_server_ca="other_ca")
    try:
        monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-directory"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty-system-store.pem"))
        refused = check_access(base, cert, key, ca, 10)
        assert not refused["ok"] and "neither the host's system store nor the CA file verifies" in refused["msg"]
        monkeypatch.setenv("SSL_CERT_FILE", info["other_ca_file"])
        assert check_access(base, cert, key, ca, 10) == dict(ok=True, msg="", warning="", url=base + "/v1/random?length=1")
    finally:
        process.configure(kms_server_ca="public_ca")
