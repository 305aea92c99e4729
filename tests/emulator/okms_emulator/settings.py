# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runtime settings: set by ``--config`` at start and by ``POST {admin_url}/config`` while running."""

from __future__ import annotations

import threading

from okms_emulator.kms_iam import check_kms_actions

MAX_PAGE_SIZE = 1000


def _number(low: float, high: float):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError("must be a number from %s to %s" % (low, high))
        return value
    return check


def _integer(low: int, high: int):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError("must be an integer from %d to %d" % (low, high))
        return value
    return check


def _one_of(*choices):
    def check(value):
        if value not in choices or isinstance(value, bool) != isinstance(choices[0], bool):
            raise ValueError("must be one of %s" % ", ".join(repr(choice) for choice in choices))
        return value
    return check


def _actions_list(check_action):
    def check(value):
        if not isinstance(value, list) or not all(isinstance(action, str) for action in value):
            raise ValueError("must be a list of IAM action names")
        check_action(value)
        return sorted(set(value))
    return check


# name: (default, check)
SETTINGS = {
    "ready_delay": (0.3, _number(0, 86400)),
    "delete_delay": (0.3, _number(0, 86400)),
    "page_size": (100, _integer(1, MAX_PAGE_SIZE)),
    "max_page_size": (MAX_PAGE_SIZE, _integer(1, MAX_PAGE_SIZE)),
    "timestamp_tolerance": (300, _number(0, 10 ** 9)),
    "token_expires_in": (3600, _integer(1, 10 ** 9)),
    "create_status": (201, _one_of(200, 201)),
    "delete_creating": (False, _one_of(False, True)),
    # KMS REST fidelity (see kms_iam.py and the README): the answers OVH's sources leave open
    "certificate_serial": ("credential_id", _one_of("credential_id", "random")),
    "kms_denied_actions": ([], _actions_list(check_kms_actions)),
    "kms_authz_status": (403, _one_of(403, 401)),
    "kms_refused_certificate": ("http_401", _one_of("http_401", "tls_alert")),
    "kms_random_route": ("present", _one_of("present", "absent")),
    # IAM (iam.py): the KMS REST API and OAuth2 callers of the OVH API are authorized by the IAM policies
    "iam_enforced": (False, _one_of(False, True)),
    # who signs the KMS REST endpoint's server certificate: the domains' publicCA, or a CA outside it (a client trusts it
    # only through its system store, as okms-cli does: "Optional if the CA is in system store")
    "kms_server_ca": ("public_ca", _one_of("public_ca", "other_ca")),
    # includeData=true from an account without okms:apiovh:secret/version/getData: 403, or 200 without the data
    "secret_data_denied": ("forbidden", _one_of("forbidden", "omitted")),
}


def defaults() -> dict:
    """Every setting at its default."""
    return {name: default for name, (default, _check) in SETTINGS.items()}


def check_settings(changes) -> dict:
    """Validated copy of ``changes``; ValueError naming the first bad key."""
    if not isinstance(changes, dict):
        raise ValueError("settings must be a JSON object")
    checked = {}
    for name, value in changes.items():
        if name not in SETTINGS:
            raise ValueError("unknown setting %r (known: %s)" % (name, ", ".join(sorted(SETTINGS))))
        try:
            checked[name] = SETTINGS[name][1](value)
        except ValueError as exc:
            raise ValueError("setting %r %s, got %r" % (name, exc, value)) from None
    return checked


class Settings:
    """Thread-safe current values; ``settings["ready_delay"]``."""

    def __init__(self, initial: dict | None = None) -> None:
        self._lock = threading.Lock()
        self._values = defaults()
        self.update(initial or {})

    def __getitem__(self, name: str):
        return self._values[name]

    def update(self, changes) -> dict:
        """Apply all of ``changes`` or none of them; returns the new values."""
        checked = check_settings(changes)
        with self._lock:
            self._values = {**self._values, **checked}
            return dict(self._values)

    def snapshot(self) -> dict:
        """Current values."""
        return dict(self._values)
