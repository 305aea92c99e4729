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
identity URNs of the form urn:v1:{eu|ca|us}:identity:..., validity at least 1 day).
"""

from __future__ import annotations

import os
import re

from ansible_collections.okms.access.plugins.module_utils._credential import load_csr, parse_timestamp
from ansible_collections.okms.access.plugins.module_utils._files import group_id, numeric_mode, user_id

NAME_MAX = 50
DESCRIPTION_MAX = 200
URNS_MAX = 25
VALIDITY_MIN = 1
VALIDITY_MAX = 365
# Longest excerpt of a bad value quoted back in a message.
QUOTE_MAX = 60

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


def positive_problem(value):
    return "%s is not positive; use a number of seconds greater than 0" % value if value <= 0 else None


def timestamp_problem(value):
    try:
        parse_timestamp(value)
    except ValueError as exc:
        return str(exc)
    return None


def parent_directory_problem(path):
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.basename(path) in ("", ".", ".."):
        return "%s names a directory; give the path of a file" % quote(path)
    if not os.path.isdir(directory):
        return "the directory %s does not exist; create it first (e.g. with ansible.builtin.file state=directory)" % directory
    if os.path.isdir(path):
        return "%s is a directory; give the path of a file inside it" % path
    return None


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
    "private_key_path": parent_directory_problem,
    "certificate_path": parent_directory_problem,
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


def file_option_errors(params):
    """Problems of the file options (owner, group, mode, private_key_mode), found before a key exists to be written."""
    errors = []
    for option, lookup, what in (("owner", user_id, "user"), ("group", group_id, "group")):
        if params.get(option) is not None:
            try:
                lookup(params[option])
            except KeyError:
                errors.append("%s: no %s %s exists on the machine running the module; give an existing %s name or id"
                              % (option, what, quote(params[option]), what))
    mode = params.get("mode")
    if mode is not None and numeric_mode(mode) is None and not _SYMBOLIC_MODE.match(str(mode)):
        errors.append("mode: %s is not a file mode; use an octal string such as '0644' or a symbolic mode such as 'u=rw,go=r'" % quote(mode))
    key_mode = params.get("private_key_mode")
    if key_mode is not None:
        numeric = numeric_mode(key_mode)
        if numeric is None:
            errors.append("private_key_mode: %s is not an octal mode; use a quoted octal string such as '0600' or '0640'" % quote(key_mode))
        elif numeric & 0o007:
            errors.append("private_key_mode: %s would let every user of the machine use the private key; use '0600', or '0640' with group"
                          % quote(key_mode))
    return errors


def read_csr(params):
    """(pem text, csr, error) from the csr or csr_path option; all None when neither is set."""
    option, pem = "csr", params.get("csr")
    if params.get("csr_path") is not None:
        option, path = "csr_path", params["csr_path"]
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
    if problem:
        return None, None, "%s: %s" % (option, problem)
    return pem.strip() + "\n", csr, None


def fail_on_errors(module, errors):
    """End the module, before any API call, when the input has problems."""
    if errors:
        module.fail_json(msg="Invalid input: " + "; ".join(errors), errors=errors)
