# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""okms_client_files on real files: read, stage, apply, remove."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import socket
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.modules import okms_client_files
from ansible_collections.okms.access.tests.unit.plugins.module_args import run_module


CREDENTIAL_ID = "5a3a6e27-6f1c-4d8e-9c55-2f0d2a4b1e77"


@pytest.fixture
def paths(tmp_path):
    directory = tmp_path / "okms"
    return dict(dir=str(directory), key=str(directory / "domain.key"), cert=str(directory / "client.cert"),
                ca=str(directory / "ca.pem"), cli=str(directory / "okms.yaml"), key_new=str(directory / "domain.key.new"),
                cert_new=str(directory / "client.cert.new"))


@pytest.fixture
def run():
    def run_files_module(args, check_mode=False):
        return run_module(okms_client_files.main, args, check_mode)
    return run_files_module


def certificate_pem(public_key, serial=int(uuid.UUID(CREDENTIAL_ID))):
    signer = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "h1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public_key).serial_number(serial)
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(signer, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def mode_of(path):
    return "%04o" % (os.stat(path).st_mode & 0o7777)


def test_read_of_an_empty_host(run, paths):
    result = run(dict(action="read", paths=paths, verify_url="https://127.0.0.1:1/random"))
    assert result["files"] == dict.fromkeys(paths)
    assert result["credential_id"] == "" and result["verify"] is None and result["changed"] is False


def test_stage_makes_a_key_and_its_csr(run, paths):
    result = run(dict(action="stage", paths=paths, common_name="h1", key_mode="0600"))
    assert result["changed"] is True
    assert mode_of(paths["dir"]) == "0750" and mode_of(paths["key_new"]) == "0600"
    csr = x509.load_pem_x509_csr(result["csr"].encode("ascii"))
    assert csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "h1"
    assert "PRIVATE KEY" not in json.dumps(result)


def test_stage_an_rsa_key(run, paths):
    result = run(dict(action="stage", paths=paths, common_name="h1", key_type="RSA", rsa_key_size=2048))
    assert x509.load_pem_x509_csr(result["csr"].encode("ascii")).public_key().key_size == 2048


def test_stage_in_check_mode_writes_nothing(run, paths):
    assert run(dict(action="stage", paths=paths, common_name="h1"), check_mode=True)["changed"] is True
    assert not os.path.exists(paths["dir"])


def api_key():
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()).decode("ascii")


def test_stage_writes_an_api_key_byte_for_byte(run, paths):
    dummy, pem = api_key()
    result = run(dict(action="stage", paths=paths, key_pem=pem, key_mode="0640"))
    with open(paths["key_new"], encoding="ascii") as handle:
        assert handle.read() == pem
    assert mode_of(paths["key_new"]) == "0640" and "csr" not in result


def test_apply_puts_the_pair_in_place_then_read_sees_it(run, paths):
    key, pem = api_key()
    os.makedirs(paths["dir"])
    for leftover in (paths["cert_new"],):
        with open(leftover, "w", encoding="ascii") as handle:
            handle.write("old")
    result = run(dict(action="apply", paths=paths, key_pem=pem, certificate_pem=certificate_pem(key.public_key()), ca_pem="CA\n",
                      cli_content="version: 1\n", fix_dir=True, remove=[paths["cert_new"]]))
    assert result["changed"] is True
    assert not os.path.exists(paths["key_new"]) and not os.path.exists(paths["cert_new"])
    assert (mode_of(paths["key"]), mode_of(paths["cert"]), mode_of(paths["ca"]), mode_of(paths["cli"])) == ("0600", "0644", "0644", "0644")
    held = run(dict(action="read", paths=paths))
    assert held["credential_id"] == CREDENTIAL_ID
    assert held["key_public_sha256"] == held["certificate_public_sha256"]
    assert held["files"]["ca"]["checksum"] == hashlib.sha1(b"CA\n").hexdigest()
    assert held["files"]["dir"]["isdir"] is True and held["files"]["key"]["checksum"] is None
    again = run(dict(action="apply", paths=paths, ca_pem="CA\n", cli_content="version: 1\n",
                     attrs=[dict(path=paths["key"], mode="0600"), dict(path=paths["cert"], mode="0644")]))
    assert again["changed"] is False


def test_apply_fixes_modes(run, paths):
    os.makedirs(paths["dir"])
    with open(paths["cert"], "w", encoding="ascii") as handle:
        handle.write("x")
    os.chmod(paths["cert"], 0o600)
    assert run(dict(action="apply", paths=paths, attrs=[dict(path=paths["cert"], mode="0644")]))["changed"] is True
    assert mode_of(paths["cert"]) == "0644"


def test_apply_refuses_a_certificate_of_another_key(run, paths):
    key, pem = api_key()
    os.makedirs(paths["dir"])
    with open(paths["key"], "w", encoding="ascii") as handle:
        handle.write("current")
    other = ec.generate_private_key(ec.SECP256R1())
    result = run(dict(action="apply", paths=paths, key_pem=pem, certificate_pem=certificate_pem(other.public_key())))
    assert result["failed"] is True and "does not match the new certificate" in result["msg"]
    with open(paths["key"], encoding="ascii") as handle:
        assert handle.read() == "current"


@pytest.mark.parametrize("content, problem", [
    ("not a certificate", "is not a readable PEM certificate"),
    ("big serial", "its serial number is not a credential id"),
])
def test_read_names_an_unusable_certificate(run, paths, content, problem):
    os.makedirs(paths["dir"])
    if content == "big serial":
        content = certificate_pem(ec.generate_private_key(ec.SECP256R1()).public_key(), serial=1 << 130)
    with open(paths["cert"], "w", encoding="ascii") as handle:
        handle.write(content)
    with open(paths["key"], "w", encoding="ascii") as handle:
        handle.write("garbage")
    held = run(dict(action="read", paths=paths))
    assert problem in held["certificate_problem"] and held["credential_id"] == ""
    assert "does not hold a PEM private key" in held["key_problem"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_read_reports_a_failed_access_check(run, paths):
    os.makedirs(paths["dir"])
    for role in ("key", "cert", "ca"):
        with open(paths[role], "w", encoding="ascii") as handle:
            handle.write("x")
    held = run(dict(action="read", paths=paths, verify_url="https://127.0.0.1:%d/random" % free_port(), verify_timeout=2))
    assert held["verify"]["ok"] is False and held["verify"]["msg"]


def test_remove_takes_the_directory_only_when_empty(run, paths):
    os.makedirs(paths["dir"])
    for role in ("key", "cert"):
        with open(paths[role], "w", encoding="ascii") as handle:
            handle.write("x")
    assert run(dict(action="remove", paths=paths, remove=[paths["key"], paths["cert"]], remove_dir=True), check_mode=True)["changed"]
    assert os.path.exists(paths["key"])
    assert run(dict(action="remove", paths=paths, remove=[paths["key"], paths["cert"]], remove_dir=True))["changed"] is True
    assert not os.path.exists(paths["dir"])
    assert run(dict(action="remove", paths=paths, remove=[paths["key"]], remove_dir=True))["changed"] is False


def test_remove_keeps_a_directory_with_other_files(run, paths):
    os.makedirs(paths["dir"])
    with open(os.path.join(paths["dir"], "other"), "w", encoding="ascii") as handle:
        handle.write("x")
    assert run(dict(action="remove", paths=paths, remove_dir=True))["changed"] is False
    assert os.path.isdir(paths["dir"])
