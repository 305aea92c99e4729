# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The OKMS Secret Manager's rules for okms_secret, okms_secret_info, the okms_secret lookup and okms_secret_file.

Pure functions check input and compute what changes (unit-tested without any API); the calls are _secret_api.py's,
apart so that the host module okms_secret_file loads neither the API client nor ``requests``.
Secret data never goes into a message, a diff or a result built here: only paths, metadata and version numbers.
"""

from __future__ import annotations

import json
import re

PATH_MAX = 255
DATA_MAX_BYTES = 65536
VERSION_MAX = 24000
STATES = ("ACTIVE", "DEACTIVATED", "DELETED")
_PATH = re.compile(r"^[a-zA-Z0-9_.:/=@-]+$")
_DURATION = re.compile(r"^(\d+[dhms])+$")
# customMetadata values as OVH's KMS REST schema states them (okms-sdk-go swagger.yaml, SecretV2CustomMetadata); it states
# nothing on keys, which OVH's control panel only requires non-empty: the API judges the rest of a key.
_CUSTOM_VALUE = re.compile(r"^[a-zA-Z0-9_.:/=@%-]+$")
CUSTOM_VALUE_MAX = 512
CUSTOM_METADATA_MAX = 64
# What an account needs to read a version's data (optional IAM action of GET .../secret/{path}?includeData=true)
GET_DATA_ACTION = "okms:apiovh:secret/version/getData"

# option name -> API field of secret.MetadataRequest / secret.Metadata
METADATA_OPTIONS = (
    ("max_versions", "maxVersions"),
    ("cas_required", "casRequired"),
    ("deactivate_version_after", "deactivateVersionAfter"),
    ("custom_metadata", "customMetadata"),
)
# The metadata of a secret that sets none of its own (the domain's secretConfig applies).
UNSET_METADATA = {"maxVersions": 0, "casRequired": False, "deactivateVersionAfter": "0s", "customMetadata": {}}
# API field -> returned field of secret.Metadata (what the API sends besides the settable fields)
METADATA_RESULT = METADATA_OPTIONS + (
    ("current_version", "currentVersion"),
    ("oldest_version", "oldestVersion"),
    ("created_at", "createdAt"),
    ("updated_at", "updatedAt"),
)


class SecretError(Exception):
    """A secret cannot be used as asked (absent, no data, no such field); the message names it, never its data."""


class SecretConflictError(SecretError):
    """The secret changed between the read and the write (the ``cas`` check failed)."""


# Input checks: each returns None or the problem of one value.

def path_problem(path):
    if not path:
        return "the path is empty; give the secret's path such as app/db"
    if len(path) > PATH_MAX:
        return "%r is %d characters long; at most %d" % (path[:40] + "...", len(path), PATH_MAX)
    if not _PATH.match(path) or path.startswith("/") or path.endswith("/") or "//" in path:
        return ("%r is not a secret path; use letters, digits and _ . : / = @ - with no leading, trailing or double /"
                % path)
    return None


def data_problem(data):
    """Problem of a secret's data: the API stores a JSON object of key/values (values may nest) of at most 64 KiB."""
    if not isinstance(data, dict):
        return "the secret data must be a JSON object (key/values), not a %s" % type(data).__name__
    if any(not isinstance(key, str) or key == "" for key in data):
        return "every key of the secret data must be a non-empty string"
    try:
        size = len(canonical_json(data).encode("utf-8"))
    except (TypeError, ValueError):
        return "the secret data is not JSON serialisable"
    if size > DATA_MAX_BYTES:
        return "the secret data is %d bytes of JSON; at most %d" % (size, DATA_MAX_BYTES)
    return None


def metadata_problems(params):
    """'option: problem' of each metadata option that the API would refuse."""
    problems = []
    max_versions = params.get("max_versions")
    if max_versions is not None and not 0 <= max_versions <= VERSION_MAX:
        problems.append("max_versions: %d is out of range; use 0 (the domain's setting) to %d" % (max_versions, VERSION_MAX))
    duration = params.get("deactivate_version_after")
    if duration is not None and not _DURATION.match(duration):
        problems.append("deactivate_version_after: %r is not a duration; use forms such as 7d, 2h30m or 0s (the domain's setting)" % duration)
    custom = params.get("custom_metadata")
    if custom is not None:
        if len(custom) > CUSTOM_METADATA_MAX:
            problems.append("custom_metadata: %d entries; at most %d" % (len(custom), CUSTOM_METADATA_MAX))
        problems.extend("custom_metadata: " + problem for problem in custom_metadata_problems(custom))
    return problems


def custom_metadata_problems(custom):
    """Problems of customMetadata entries: non-empty keys; values of 1..512 characters among [a-zA-Z0-9_.:/=@%-]."""
    problems = []
    if any(key == "" for key in custom):
        problems.append("keys must not be empty")
    for key, value in custom.items():
        if key == "":
            continue
        if not isinstance(value, str):
            problems.append("%r: the value must be a string, not a %s" % (key, type(value).__name__))
        elif value == "":
            problems.append("%r: the value is empty; give 1 to %d characters" % (key, CUSTOM_VALUE_MAX))
        elif len(value) > CUSTOM_VALUE_MAX:
            problems.append("%r: the value is %d characters long; at most %d" % (key, len(value), CUSTOM_VALUE_MAX))
        elif not _CUSTOM_VALUE.match(value):
            problems.append("%r: the value holds characters other than letters, digits and _ . : / = @ %% -" % key)
    return problems


def version_states_problems(version_states):
    problems = []
    for entry in version_states or []:
        if not 1 <= entry["version"] <= VERSION_MAX:
            problems.append("version_states: version %d is out of range 1..%d" % (entry["version"], VERSION_MAX))
    versions = [entry["version"] for entry in version_states or []]
    if len(set(versions)) != len(versions):
        problems.append("version_states: a version is listed twice; give each version once")
    return problems


# Pure logic

def canonical_json(value):
    """One text per JSON value (sorted keys): two data are the same secret content when their texts are equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def data_differs(current, wanted):
    """Whether ``wanted`` differs from the current version's data (None when the version holds none)."""
    return current is None or not same_json(current, wanted)


def same_json(left, right):
    """Whether two decoded JSON values are the same data: objects by keys, lists in order, strings exactly, and numbers
    by value - 1.0 is 1, as a service that decodes JSON numbers into doubles (Go's encoding/json into ``any``, as OVH's
    okms-sdk-go types secret data) echoes it; an integer beyond a double's precision equals its double. Booleans and
    null are never numbers."""
    if isinstance(left, bool) or isinstance(right, bool) or left is None or right is None:
        return left is right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right or _as_double(left) == _as_double(right)
    if isinstance(left, dict) and isinstance(right, dict):
        return set(left) == set(right) and all(same_json(left[key], right[key]) for key in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(same_json(one, other) for one, other in zip(left, right))
    return isinstance(left, str) and isinstance(right, str) and left == right


def _as_double(number):
    try:
        return float(number)
    except OverflowError:
        return number


def version_data(version, where):
    """The data of a version read with includeData=true; None when it holds none to read (not ACTIVE).

    An ACTIVE version always has data: without it, the account may read the secret but not its data (the optional IAM
    action okms:apiovh:secret/version/getData), and comparing or using nothing would be wrong: SecretError names the right.
    """
    data = version.get("data")
    if data is not None or version.get("state") != "ACTIVE":
        return data
    raise SecretError("%s: version %s is ACTIVE but the API returned no data: the account lacks the IAM action %s "
                      "(needed to read a version's data); grant it to the account or its policy" % (where, version.get("id"), GET_DATA_ACTION))


def update_cas(current, changes, writes_data):
    """The ``cas`` of a PUT that writes ``changes`` (metadata) and/or data, None to send none.

    A data write always carries the version read, so that a version written meanwhile is never replaced silently. A
    metadata-only update carries it only where the secret requires it or the update turns casRequired on, as OVH's
    control panel does (a needless cas only makes a concurrent version fail the update).
    """
    if writes_data or current.get("casRequired") or changes.get("casRequired"):
        return current["currentVersion"]
    return None


def metadata_request(params):
    """The MetadataRequest of the metadata options that are set."""
    return dict((field, params[option]) for option, field in METADATA_OPTIONS if params.get(option) is not None)


def metadata_changes(current, params):
    """The MetadataRequest fields whose wanted value differs from the secret's ``current`` metadata (API form)."""
    return dict((field, value) for field, value in metadata_request(params).items() if current.get(field) != value)


def metadata_result(metadata):
    """Metadata with snake_case keys; fields the API did not send are left out."""
    return dict((option, metadata[field]) for option, field in METADATA_RESULT if field in metadata)


def version_result(version, include_data=False):
    """A version with snake_case keys; ``data`` only when asked for (and held: ACTIVE versions)."""
    result = {"id": version.get("id"), "state": version.get("state"), "created_at": version.get("createdAt"),
              "deactivated_at": version.get("deactivatedAt")}
    if include_data:
        result["data"] = version.get("data")
    return result


def state_changes(versions, wanted, current_version=None):
    """[(version, current state, wanted state)] to apply; SecretError for a change the API cannot make.

    ``versions`` are the secret's versions (API form), ``wanted`` the version_states option, ``current_version`` the
    secret's newest version. A version above it was never written: an error. One at or below it that is not listed any
    more was pruned: asking for it to be DELETED is already true, anything else is an error.
    """
    states = dict((version["id"], version["state"]) for version in versions)
    changes = []
    for entry in wanted or []:
        number, state = entry["version"], entry["state"]
        current = states.get(number)
        if current is None and current_version is not None and number > current_version:
            raise SecretError("version_states: version %d does not exist yet: the current version is %d" % (number, current_version))
        if current is None:
            if state == "DELETED":
                continue
            raise SecretError("version_states: version %d does not exist (versions: %s)"
                              % (number, ", ".join(str(known) for known in sorted(states)) or "none"))
        if current == state:
            continue
        if current == "DELETED":
            raise SecretError("version_states: version %d is DELETED, which is final; it cannot become %s" % (number, state))
        changes.append((number, current, state))
    return changes


def select_field(data, field, where):
    """``data`` itself, or its value under ``field``; SecretError naming the known fields (never values) otherwise."""
    if field is None:
        return data
    if not isinstance(data, dict) or field not in data:
        known = ", ".join(sorted(data)) if isinstance(data, dict) else "none"
        raise SecretError("%s has no field %r (its fields: %s)" % (where, field, known))
    return data[field]


def file_text(value):
    """What a file holding ``value`` contains: a string as it is, anything else as JSON with a final newline."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True) + "\n"
