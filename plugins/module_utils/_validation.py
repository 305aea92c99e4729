# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Input checks both modules run before any API call.

Each check returns None or the problem of one value, phrased as what is wrong and what is allowed;
input_errors() prefixes it with the option name. Only the limits that OVH states are enforced, so that a value the
API accepts is never refused here: the v2 schema's okms.credential.Creation (name max 50, description max 200,
identityURNs max 25, validity max 365 days) and OVH's API reference (printable ASCII names and descriptions, 1 or more
identity URNs of the form urn:v1:{eu|ca|us}:identity:..., validity at least 1 day). A limit the reference does not
state is left to the API (see csr_key_problem()). Checks of local safety (file paths, modes, weak CSR keys) are this
collection's own.
"""

from __future__ import annotations

import os
import re

try:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:
    pass  # the modules report the missing library before any check runs

from ansible_collections.okms.access.plugins.module_utils._credential import load_csr, parse_timestamp
from ansible_collections.okms.access.plugins.module_utils._files import (
    SECRET_MODE,
    group_id,
    numeric_mode,
    path_problem,
    same_file_problems,
    unwritable_directory_problem,
    user_id,
)

NAME_MAX = 50
DESCRIPTION_MAX = 200
URNS_MAX = 25
VALIDITY_MIN = 1
VALIDITY_MAX = 365
# private_key_mode bits refused: any access for others, write for the group, setuid/setgid/sticky.
FORBIDDEN_KEY_MODE_BITS = 0o7027
# Weakest CSR keys accepted (112-bit security); see csr_key_problem().
RSA_MIN_BITS = 2048
EC_MIN_BITS = 224
# Longest excerpt of a bad value quoted back in a message.
QUOTE_MAX = 60

_OCTAL_DIGITS = re.compile(r"^[0-7]{3,4}$")
_PRINTABLE_ASCII = re.compile(r"^[ -~]*$")
_SYMBOLIC_MODE = re.compile(r"^[ugoa]*[-+=][rwxXstugo]*(,[ugoa]*[-+=][rwxXstugo]*)*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# urn:v1:{eu|ca|us}:identity:{account|user|group|credential}:{nic}[/{id}]
_IDENTITY_URN = re.compile(r"^urn:v1:(eu|ca|us):identity:(account|user|group|credential):[a-zA-Z0-9][a-zA-Z0-9-]*(/[!-~]+)?$")
URN_FORM = ("urn:v1:{eu|ca|us}:identity:{account|user|group|credential}:{nic}[/{id}], "
            "e.g. urn:v1:eu:identity:account:xx1111-ovh or urn:v1:eu:identity:user:xx1111-ovh/john.smith")


def quote(value):
    text = str(value)
    return repr(text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "...")


def uuid_problem(value):
    if not _UUID.match(value):
        return "%s is not a UUID; expected the form 01234567-89ab-cdef-0123-456789abcdef" % quote(value)
    return None


def _printable_problem(value, allowed):
    """Problem of a text limited to printable ASCII; ``allowed`` is e.g. (1, 50, "a name")."""
    minimum, maximum, what = allowed
    rule = "%s is %d to %d printable ASCII characters (space to ~)" % (what, minimum, maximum)
    if not _PRINTABLE_ASCII.match(value):
        return "%s contains other characters than printable ASCII; %s" % (quote(value), rule)
    if not minimum <= len(value) <= maximum:
        return "%s is %d characters long; %s" % (quote(value), len(value), rule)
    return None


def name_problem(value):
    return _printable_problem(value, (1, NAME_MAX, "a name"))


def description_problem(value):
    return _printable_problem(value, (0, DESCRIPTION_MAX, "a description"))


def identity_urns_problem(values):
    if not values:
        return "is empty; give 1 to %d identity URNs of the form %s" % (URNS_MAX, URN_FORM)
    if len(values) > URNS_MAX:
        return "has %d entries; the API accepts 1 to %d identity URNs" % (len(values), URNS_MAX)
    bad = [value for value in values if not _IDENTITY_URN.match(value)]
    if bad:
        return "%s %s not of the form %s" % (", ".join(quote(value) for value in bad), "is" if len(bad) == 1 else "are", URN_FORM)
    return None


def validity_problem(value):
    if not VALIDITY_MIN <= value <= VALIDITY_MAX:
        return "%d days is out of range; validity is %d to %d days" % (value, VALIDITY_MIN, VALIDITY_MAX)
    return None


def non_negative_problem(value):
    return "%s is negative; use 0 or more (0 turns it off)" % value if value < 0 else None


def fraction_problem(value):
    if not 0 <= value < 1:
        return "%s is out of range; give a fraction of the lifetime from 0 (off) to below 1, such as 0.67 for 2/3" % value
    return None


def positive_problem(value):
    return "%s is not positive; use a number of seconds greater than 0" % value if value <= 0 else None


def timestamp_problem(value):
    try:
        parse_timestamp(value)
    except ValueError as exc:
        return str(exc)
    return None


def rsa_key_size_problem(bits):
    """Problem of the size of an RSA key made on a host (the same floor as csr_key_problem's)."""
    if bits < RSA_MIN_BITS:
        return "%d bits is too weak; use at least %d (e.g. 2048, 3072 or 4096)" % (bits, RSA_MIN_BITS)
    return None


def renewal_window_problem(renew_before_days, validity, validity_option):
    """Problem of a renewal window that a new certificate is already in: each run would replace the credential."""
    if renew_before_days and renew_before_days >= validity:
        example = " (e.g. %d)" % (validity // 4) if validity >= 4 else ""
        return ("%d is not less than %s (%d): every new certificate would be due for renewal at once, and each run would "
                "replace it; use fewer days than %s%s, or 0 to turn renewal off"
                % (renew_before_days, validity_option, validity, validity_option, example))
    return None


def same_name_problems(names):
    """Problems of [(option, file name)] of files in one directory where two options give one name (one would overwrite
    the other: a certificate written over its private key)."""
    problems, seen = [], {}
    for option, name in names:
        if name in seen:
            problems.append("%s and %s both name the file %s; give each file its own name" % (seen[name], option, quote(name)))
        else:
            seen[name] = option
    return problems


def file_path_problem(path):
    """Problem of a path the module writes or reads a key or certificate at (see _files.path_problem())."""
    if os.path.basename(path) in ("", ".", ".."):
        return "%s names a directory; give the path of a file" % quote(path)
    return path_problem(path)


CHECKS = {
    "okms_id": uuid_problem,
    "credential_id": uuid_problem,
    "name": name_problem,
    "description": description_problem,
    "identity_urns": identity_urns_problem,
    "validity": validity_problem,
    "renew_before_days": non_negative_problem,
    "wait_timeout": positive_problem,
    "now": timestamp_problem,
    "private_key_path": file_path_problem,
    "certificate_path": file_path_problem,
}


def input_errors(params, options):
    """'option: problem' for every set option of ``options`` whose value fails its check."""
    errors = []
    for option in options:
        value = params.get(option)
        if value is None:
            continue
        problem = CHECKS[option](value)
        if problem:
            errors.append("%s: %s" % (option, problem))
    return errors


def managed_file_errors(params):
    """Problems of the files the module writes: a directory it cannot write to (found now, not once a credential
    exists), and options that name one file, where writing one would destroy another."""
    written = ["certificate_path"] if params.get("csr") or params.get("csr_path") else ["certificate_path", "private_key_path"]
    errors = []
    for option in written:
        problem = unwritable_directory_problem(params[option]) if params.get(option) else None
        if problem:
            errors.append("%s: %s" % (option, problem))
    paths = [(option, params.get(option)) for option in ("private_key_path", "certificate_path", "csr_path")]
    return errors + same_file_problems(paths)


def account_problems(owner, group, where="the machine running the module"):
    """[(option, problem)] of an owner or group (None or "" = not set) that does not exist where the files are written."""
    problems = []
    for option, value, lookup, what in (("owner", owner, user_id, "user"), ("group", group, group_id, "group")):
        if value is None or value == "":
            continue
        try:
            lookup(value)
        except KeyError:
            problems.append((option, "no %s %s exists on %s; create it first, or give an existing %s name or id"
                             % (what, quote(value), where, what)))
    return problems


def file_option_errors(params):
    """Problems of the file options (owner, group, mode, private_key_mode), found before a key exists to be written."""
    errors = ["%s: %s" % problem for problem in account_problems(params.get("owner"), params.get("group"))]
    mode = params.get("mode")
    if mode is not None:
        problem = file_mode_problem(mode)
        if problem:
            errors.append("mode: " + problem)
    key_mode = params.get("private_key_mode")
    if key_mode is not None:
        problem = private_key_mode_problem(key_mode)
        if problem:
            errors.append("private_key_mode: " + problem)
    return errors


def file_mode_problem(value):
    """Problem of a file's mode option: a quoted octal string ('0644', '644') or a symbolic mode ('u=rw,go=r').

    A number is refused: it is what YAML made of an unquoted mode, and it is ambiguous - 0600 is read as octal (384, mode
    0600) but 600 as decimal (mode 1130, with the sticky bit). The message gives the quoted string to write instead.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return ("the unquoted number %d is ambiguous: YAML reads 600 as the decimal number 600 (mode 1130) and 0600 as 384 "
                "(mode 0600); quote it: %s" % (value, quote(_quoted_mode(value))))
    if not isinstance(value, str) or (numeric_mode(value) is None and not _SYMBOLIC_MODE.match(value)):
        return "%s is not a file mode; use an octal string such as '0644' or a symbolic mode such as 'u=rw,go=r'" % quote(value)
    return None


def _quoted_mode(number):
    """The string a refused number most likely stood for: its digits when they are octal (600 -> '0600'), else the number
    in octal (384, YAML's 0600 -> '0600')."""
    digits = str(number)
    if _OCTAL_DIGITS.match(digits):
        return digits.zfill(4)
    return "%04o" % number if 0 <= number <= 0o7777 else SECRET_MODE


def private_key_mode_problem(value):
    """Problem of a private_key_mode: only a numeric mode that lets no one but the owner write, nor others read.

    A string is read as octal ('0600', '600'). An int is taken as the mode it is: YAML reads an unquoted 0600 as
    octal (384 = 0o600), but an unquoted 600 as decimal (0o1130), so an int that is not a safe mode is refused with
    the quoted string to write instead.
    """
    mode = numeric_mode(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if mode is None or not 0 <= mode <= 0o7777:
        return "%s is not an octal mode; use a quoted octal string such as '0600' or '0640'" % quote(value)
    forbidden = mode & FORBIDDEN_KEY_MODE_BITS
    if not forbidden:
        return None
    if isinstance(value, int):
        return ("the unquoted number %d is mode %04o, which %s; write the mode as a quoted octal string: %s"
                % (value, mode, _what_mode_allows(forbidden), quote(_meant_mode(value))))
    return "%s (mode %04o) %s; use '0600', or '0640' to let the file's group read it" % (quote(value), mode, _what_mode_allows(forbidden))


def _meant_mode(number):
    """The quoted mode to suggest for an unsafe int: its digits read as octal when that is a safe mode (600 -> '0600')."""
    digits = str(number)
    if _OCTAL_DIGITS.match(digits) and not int(digits, 8) & FORBIDDEN_KEY_MODE_BITS:
        return digits.zfill(4)
    return SECRET_MODE


def _what_mode_allows(bits):
    what = []
    if bits & 0o007:
        what.append("lets every user of the machine use the private key")
    if bits & 0o020:
        what.append("lets the file's group replace the private key")
    if bits & 0o7000:
        what.append("sets the setuid, setgid or sticky bit")
    return " and ".join(what)


def read_csr(params):
    """(pem text, csr, error) from the csr or csr_path option; all None when neither is set."""
    option, pem = "csr", params.get("csr")
    if params.get("csr_path") is not None:
        option, path = "csr_path", params["csr_path"]
        if os.path.exists(path) and not os.path.isfile(path):
            return None, None, "csr_path: %s is not a regular file; give the path of a PEM CSR file" % path
        try:
            with open(path, "rb") as handle:
                pem = handle.read().decode("ascii")
        except FileNotFoundError:
            return None, None, "csr_path: %s does not exist; give the path of a PEM CSR on the machine running the module" % path
        except OSError as exc:
            return None, None, "csr_path: %s cannot be read (%s)" % (path, exc.strerror)
        except UnicodeDecodeError:
            return None, None, "csr_path: %s is not a PEM file (it holds non-ASCII bytes)" % path
    if pem is None:
        return None, None, None
    csr, problem = load_csr(pem)
    if csr is not None:
        problem = csr_key_problem(csr.public_key())
    if problem:
        return None, None, "%s: %s" % (option, problem)
    return pem.strip() + "\n", csr, None


def csr_key_problem(public_key):
    """Problem of a CSR's public key: a key type the API does not sign, or a key too weak to guard KMS access.

    Key types: the API's certificate types are ECDSA and RSA only (okms.CertificateTypeEnum), and a CSR-based
    credential reports its CSR key's type there, so other types (Ed25519, Ed448, DSA) are refused.
    Strength: RSA keys under 2048 bits and EC keys under 224 bits (under 112-bit security, disallowed by NIST
    SP 800-131A) are refused by this collection, whatever the API accepts.
    Not checked here, because the API reference does not state them: the elliptic curves it accepts, a largest
    RSA key, and the largest CSR (it answers CredentialCSRMaximumExceeded without saying at which length). Those
    are left to the API, whose refusal creates nothing.
    """
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < RSA_MIN_BITS:
            return ("has an RSA key of %d bits; use an RSA key of at least %d bits (e.g. 2048, 3072 or 4096) or an EC key"
                    % (public_key.key_size, RSA_MIN_BITS))
        return None
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.key_size < EC_MIN_BITS:
            return ("has an EC key on curve %s (%d bits); use a curve of at least %d bits such as P-256 (secp256r1)"
                    % (public_key.curve.name, public_key.curve.key_size, EC_MIN_BITS))
        return None
    return ("has a key of type %s, which the API does not sign; use an EC key (e.g. on P-256) or an RSA key of at least %d bits"
            % (_key_type_name(public_key), RSA_MIN_BITS))


def _key_type_name(public_key):
    return type(public_key).__name__.replace("PublicKey", "").lstrip("_") or "unknown"


def fail_on_errors(module, errors):
    """End the module, before any API call, when the input has problems."""
    if errors:
        module.fail_json(msg="Invalid input: " + "; ".join(errors), errors=errors)
