# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Input checks made before any API call: CSR keys, private_key_mode, file paths."""

from __future__ import annotations

import functools
import os
import random

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.okms.access.plugins.module_utils._validation import (
    account_problems,
    file_mode_problem,
    file_option_errors,
    input_errors,
    managed_file_errors,
    private_key_mode_problem,
    read_csr,
    renewal_window_problem,
    rsa_key_size_problem,
    same_name_problems,
)


def _probably_prime(number, rounds=32):
    """Miller-Rabin, for the primes of an RSA key smaller than the `cryptography` library generates."""
    if number % 2 == 0:
        return False
    exponent, twos = number - 1, 0
    while exponent % 2 == 0:
        exponent, twos = exponent // 2, twos + 1
    for dummy in range(rounds):
        witness = pow(random.randrange(2, number - 1), exponent, number)
        if witness in (1, number - 1):
            continue
        for dummy in range(twos - 1):
            witness = pow(witness, 2, number)
            if witness == number - 1:
                break
        else:
            return False
    return True


def _prime(bits):
    while True:
        candidate = random.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probably_prime(candidate) and (candidate - 1) % 65537:
            return candidate


def small_rsa_key(bits):
    """An RSA key of ``bits`` < 1024, built from its primes (the library refuses to generate one)."""
    p, q = _prime(bits // 2), _prime(bits // 2)
    d = pow(65537, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(65537, p * q))
    return numbers.private_key()


KEYS = {
    "RSA-512": lambda: small_rsa_key(512),
    "RSA-1024": lambda: rsa.generate_private_key(65537, 1024),
    "RSA-2048": lambda: rsa.generate_private_key(65537, 2048),
    "RSA-3072": lambda: rsa.generate_private_key(65537, 3072),
    "RSA-4096": lambda: rsa.generate_private_key(65537, 4096),
    "P-192": lambda: ec.generate_private_key(ec.SECP192R1()),
    "P-224": lambda: ec.generate_private_key(ec.SECP224R1()),
    "P-256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "P-384": lambda: ec.generate_private_key(ec.SECP384R1()),
    "P-521": lambda: ec.generate_private_key(ec.SECP521R1()),
    "secp256k1": lambda: ec.generate_private_key(ec.SECP256K1()),
    "Ed25519": ed25519.Ed25519PrivateKey.generate,
    "Ed448": ed448.Ed448PrivateKey.generate,
    "DSA-2048": lambda: dsa.generate_private_key(2048),
}


@functools.lru_cache(maxsize=None)
def csr_pem(kind):
    key = KEYS[kind]()
    algorithm = None if kind in ("Ed25519", "Ed448") else hashes.SHA256()
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "web1")]))
    return request.sign(key, algorithm).public_bytes(serialization.Encoding.PEM).decode("ascii")


@pytest.mark.parametrize("kind, problem", [
    ("RSA-512", "csr: has an RSA key of 512 bits; use an RSA key of at least 2048 bits"),
    ("RSA-1024", "csr: has an RSA key of 1024 bits; use an RSA key of at least 2048 bits"),
    ("RSA-2048", None),
    ("RSA-3072", None),
    ("RSA-4096", None),
    ("P-192", "csr: has an EC key on curve secp192r1 (192 bits); use a curve of at least 224 bits such as P-256"),
    # The API reference does not say which curves it accepts: the check leaves them to it.
    ("P-224", None),
    ("P-256", None),
    ("P-384", None),
    ("P-521", None),
    ("secp256k1", None),
    ("Ed25519", "csr: has a key of type Ed25519, which the API does not sign; use an EC key"),
    ("Ed448", "csr: has a key of type Ed448, which the API does not sign; use an EC key"),
    ("DSA-2048", "csr: has a key of type DSA, which the API does not sign; use an EC key"),
])
def test_csr_key_types_and_sizes(kind, problem):
    pem, csr, error = read_csr({"csr": csr_pem(kind)})
    if problem is None:
        assert error is None and csr is not None and pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    else:
        assert error.startswith(problem) and (pem, csr) == (None, None)


def test_csr_path_is_checked_the_same_way(tmp_path):
    (tmp_path / "weak.csr").write_text(csr_pem("RSA-1024"))
    assert read_csr({"csr_path": str(tmp_path / "weak.csr")})[2].startswith("csr_path: has an RSA key of 1024 bits")


def test_csr_path_that_is_a_fifo_is_refused_without_opening_it(tmp_path):
    os.mkfifo(str(tmp_path / "pipe.csr"))
    assert read_csr({"csr_path": str(tmp_path / "pipe.csr")})[2] == (
        "csr_path: %s is not a regular file; give the path of a PEM CSR file" % (tmp_path / "pipe.csr"))


@pytest.mark.parametrize("value", ["0600", "600", "0640", "640", "0400", "0440", "0000", 0o600, 0o640, 0o400])
def test_private_key_mode_accepted(value):
    assert private_key_mode_problem(value) is None
    assert file_option_errors({"private_key_mode": value}) == []


@pytest.mark.parametrize("value, problem", [
    # YAML reads an unquoted 600 as the decimal number 600, that is mode 01130.
    (600, "the unquoted number 600 is mode 1130, which lets the file's group replace the private key and sets the setuid, setgid "
          "or sticky bit; write the mode as a quoted octal string: '0600'"),
    (640, "the unquoted number 640 is mode 1200, which sets the setuid, setgid or sticky bit; write the mode as a quoted octal "
          "string: '0640'"),
    (400, "the unquoted number 400 is mode 0620, which lets the file's group replace the private key; write the mode as a "
          "quoted octal string: '0400'"),
    # YAML reads an unquoted 0644 as octal: the mode is right, and refused.
    (0o644, "the unquoted number 420 is mode 0644, which lets every user of the machine use the private key; write the mode as "
            "a quoted octal string: '0600'"),
    ("0644", "'0644' (mode 0644) lets every user of the machine use the private key"),
    ("0666", "'0666' (mode 0666) lets every user of the machine use the private key and lets the file's group replace"),
    ("0604", "'0604' (mode 0604) lets every user of the machine use the private key"),
    ("0601", "'0601' (mode 0601) lets every user of the machine use the private key"),
    ("0620", "'0620' (mode 0620) lets the file's group replace the private key"),
    ("0660", "'0660' (mode 0660) lets the file's group replace the private key"),
    ("4600", "'4600' (mode 4600) sets the setuid, setgid or sticky bit"),
    ("2640", "'2640' (mode 2640) sets the setuid, setgid or sticky bit"),
    ("1600", "'1600' (mode 1600) sets the setuid, setgid or sticky bit"),
    ("u=rw", "'u=rw' is not an octal mode; use a quoted octal string such as '0600'"),
    ("", "'' is not an octal mode"),
    ("0o600", "'0o600' is not an octal mode"),
    (0o10000, "'4096' is not an octal mode"),
    (-1, "'-1' is not an octal mode"),
    (600.0, "'600.0' is not an octal mode"),
    (True, "'True' is not an octal mode"),
])
def test_private_key_mode_refused(value, problem):
    assert private_key_mode_problem(value).startswith(problem)
    assert file_option_errors({"private_key_mode": value})[0].startswith("private_key_mode: " + problem)


def test_path_through_a_missing_directory_is_refused(tmp_path):
    """abspath() would turn missing/../k.key into k.key, but the system refuses it: so does the check."""
    errors = input_errors({"private_key_path": str(tmp_path / "missing" / ".." / "k.key"),
                           "certificate_path": str(tmp_path / "c.cert")}, ["private_key_path", "certificate_path"])
    assert errors == ["private_key_path: the directory %s does not exist (or goes through one that does not); create it first "
                      "(e.g. with ansible.builtin.file state=directory)" % (tmp_path / "missing" / "..")]


def test_hostile_destinations_are_input_errors(tmp_path):
    os.mkfifo(str(tmp_path / "k.key"))
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "c.cert"))
    errors = input_errors({"private_key_path": str(tmp_path / "k.key"), "certificate_path": str(tmp_path / "c.cert")},
                          ["private_key_path", "certificate_path"])
    assert [error.split(": ")[0] for error in errors] == ["private_key_path", "certificate_path"]
    assert "is a FIFO" in errors[0] and "is a symbolic link" in errors[1]


@pytest.mark.parametrize("key, certificate, csr_path, options", [
    ("d/k", "d/k", None, ["private_key_path and certificate_path"]),
    ("d/k", "link/k", None, ["private_key_path and certificate_path"]),
    ("d/k", "d/c", "link/c", ["certificate_path and csr_path"]),
    ("d/k", "d/c", "d/k", ["private_key_path and csr_path"]),
    ("d/k", "d/c", "d/r", []),
])
def test_options_naming_one_file_are_refused(tmp_path, key, certificate, csr_path, options):
    (tmp_path / "d").mkdir()
    os.symlink(str(tmp_path / "d"), str(tmp_path / "link"))
    params = {"private_key_path": str(tmp_path / key), "certificate_path": str(tmp_path / certificate),
              "csr_path": str(tmp_path / csr_path) if csr_path else None}
    errors = managed_file_errors(params)
    assert [error.split(" name the same file")[0] for error in errors] == options


@pytest.mark.parametrize("value", ["0600", "600", "0640", "0644", "0755", "4750", "u=rw,go=", "u=rw,g=r,o=", "a+r"])
def test_file_mode_accepted(value):
    assert file_mode_problem(value) is None
    assert file_option_errors({"mode": value}) == []


@pytest.mark.parametrize("value, problem", [
    # YAML reads an unquoted 600 as decimal (mode 1130) and an unquoted 0600 as octal (384): both are refused.
    (600, "the unquoted number 600 is ambiguous: YAML reads 600 as the decimal number 600 (mode 1130) and 0600 as 384 "
          "(mode 0600); quote it: '0600'"),
    (644, "the unquoted number 644 is ambiguous: YAML reads 600 as the decimal number 600 (mode 1130) and 0600 as 384 "
          "(mode 0600); quote it: '0644'"),
    (0o600, "the unquoted number 384 is ambiguous: YAML reads 600 as the decimal number 600 (mode 1130) and 0600 as 384 "
            "(mode 0600); quote it: '0600'"),
    (0o750, "the unquoted number 488 is ambiguous"),
    (99999, "the unquoted number 99999 is ambiguous: YAML reads 600 as the decimal number 600 (mode 1130) and 0600 as 384 "
            "(mode 0600); quote it: '0600'"),
    ("0o600", "'0o600' is not a file mode; use an octal string such as '0644' or a symbolic mode such as 'u=rw,go=r'"),
    ("rw-r--r--", "'rw-r--r--' is not a file mode"),
    ("", "'' is not a file mode"),
    (True, "'True' is not a file mode"),
    (6.0, "'6.0' is not a file mode"),
])
def test_file_mode_refused(value, problem):
    assert file_mode_problem(value).startswith(problem)
    assert file_option_errors({"mode": value}) == ["mode: " + file_mode_problem(value)]


def test_unknown_owner_and_group_are_named_with_where_they_are_missing():
    assert account_problems("", None) == []
    assert account_problems("root", "0") == []
    assert account_problems("okms-no-such-user", "okms-no-such-group", "this host") == [
        ("owner", "no user 'okms-no-such-user' exists on this host; create it first, or give an existing user name or id"),
        ("group", "no group 'okms-no-such-group' exists on this host; create it first, or give an existing group name or id")]


@pytest.mark.parametrize("bits, problem", [
    (512, "512 bits is too weak; use at least 2048 (e.g. 2048, 3072 or 4096)"),
    (2047, "2047 bits is too weak"),
    (2048, None),
    (4096, None),
])
def test_rsa_key_size(bits, problem):
    assert rsa_key_size_problem(bits) == problem or rsa_key_size_problem(bits).startswith(problem)


@pytest.mark.parametrize("renew_before_days, validity, problem", [
    (30, 365, None),
    (0, 1, None),  # 0 turns renewal off
    (364, 365, None),
    (365, 365, "365 is not less than okms_client_validity (365): every new certificate would be due for renewal at once, and "
               "each run would replace it; use fewer days than okms_client_validity (e.g. 91), or 0 to turn renewal off"),
    (30, 7, "30 is not less than okms_client_validity (7): "),
    (1, 1, "1 is not less than okms_client_validity (1): every new certificate would be due for renewal at once, and each run "
           "would replace it; use fewer days than okms_client_validity, or 0 to turn renewal off"),
])
def test_renewal_window(renew_before_days, validity, problem):
    found = renewal_window_problem(renew_before_days, validity, "okms_client_validity")
    assert found == problem or found.startswith(problem)


@pytest.mark.parametrize("names, problems", [
    ([("key", "domain.key"), ("cert", "client.cert"), ("ca", "ca.pem")], []),
    ([("key", "domain.key"), ("cert", "domain.key"), ("ca", "domain.key")],
     ["key and cert both name the file 'domain.key'; give each file its own name",
      "key and ca both name the file 'domain.key'; give each file its own name"]),
    ([("key", "a"), ("cert", "b"), ("ca", "b")], ["cert and ca both name the file 'b'; give each file its own name"]),
])
def test_same_name(names, problems):
    assert same_name_problems(names) == problems
