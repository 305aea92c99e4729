# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The Secret Manager's API calls (controller side: okms_secret, okms_secret_info, the okms_secret lookup).

Apart from _secret.py's rules so that the host module okms_secret_file does not load the API client.
Secret data never goes into a message built here: only paths and version numbers.
"""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.okms.access.plugins.module_utils._credential import DOMAINS_PATH
from ansible_collections.okms.access.plugins.module_utils._errors import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._secret import SecretConflictError, SecretError, version_data


def is_cas_conflict(exc):
    """Whether an API error is the refusal of a stale ``cas`` (the API names no class for it: 400/409 about cas)."""
    return exc.status in (400, 409) and "cas" in str(exc.message).lower()


class SecretApi:
    """The secret calls of one KMS domain, on an OvhApiClient. OvhApiError propagates, except as documented."""

    def __init__(self, client, okms_id):
        self.client = client
        self.okms_id = okms_id
        self.base = "%s/%s/secret" % (DOMAINS_PATH, okms_id)

    def url(self, path, suffix=""):
        # OVH's own clients percent-encode the whole path, '/' included: a literal '/' would split the route.
        return "%s/%s%s" % (self.base, quote(path, safe=""), suffix)

    def read(self, path, version=None, include_data=False):
        """GetResponse of a secret (its current version, or ``version``); None when it does not exist."""
        try:
            return self.client.get(self.url(path), params={"includeData": include_data, "version": version})
        except OvhApiError as exc:
            if exc.status == 404:
                return None
            raise

    def read_data(self, path, version=None):
        """The data of a version (default: the current one); SecretError when the secret or its data is missing."""
        secret = self.read(path, version=version, include_data=True)
        where = "secret %r%s of KMS domain %s" % (path, "" if version is None else " version %d" % version, self.okms_id)
        if secret is None:
            raise SecretError("%s does not exist" % where)
        current = secret.get("version") or {}
        data = version_data(current, where)
        if data is None:
            raise SecretError("%s holds no data: its state is %s (only ACTIVE versions can be read)" % (where, current.get("state")))
        return data

    def list_secrets(self):
        return self.client.iter_list(self.base)

    def list_versions(self, path):
        return list(self.client.iter_list(self.url(path, "/version")))

    def create(self, path, data, metadata):
        body = {"path": path, "version": {"data": data}}
        if metadata:
            body["metadata"] = metadata
        return self.client.post(self.base, body)

    def update(self, path, current_version, cas, data=None, metadata=None):
        """PUT a new version and/or metadata with ``cas`` (update_cas; None sends none); SecretConflictError when the
        secret moved on from ``current_version``, the version read.

        A metadata-only PUT sent without cas that the API refuses for want of one (the domain's secretConfig requires cas,
        which the secret's metadata does not show) is sent again once with cas: it writes no version, and the refusal
        wrote nothing.
        """
        body = {}
        if metadata:
            body["metadata"] = metadata
        if data is not None:
            body["version"] = {"data": data}
        try:
            try:
                return self.client.put(self.url(path), body, params={"cas": cas})
            except OvhApiError as exc:
                if cas is not None or data is not None or not is_cas_conflict(exc):
                    raise
                cas = current_version
                return self.client.put(self.url(path), body, params={"cas": cas})
        except OvhApiError as exc:
            if is_cas_conflict(exc):
                raise SecretConflictError(
                    "secret %r of KMS domain %s changed after it was read at version %d (another writer?); nothing was written. "
                    "Run again to compare with the new current version. API answer: %s" % (path, self.okms_id, current_version, exc)) from None
            raise

    def set_state(self, path, version, state):
        return self.client.put(self.url(path, "/version/%d" % version), {"state": state})

    def delete(self, path):
        return self.client.delete(self.url(path))
