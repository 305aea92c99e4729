# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The errors of the OVH API client, apart from it: code that only reports or catches them (certificate and key
handling on the hosts) does not load ``requests`` with the client."""

from __future__ import annotations

IAM_ACTIONS_DETAIL = "unauthorizedActionsByIAM"
# How OVH refuses a signature or a timestamp (HTTP 400): v1 error codes, v2 messages (lower case).
SIGNING_ERROR_CODES = frozenset(("INVALID_SIGNATURE", "QUERY_TIME_OUT"))
SIGNING_ERROR_MESSAGES = ("invalid signature", "query out of time")


class OvhConfigError(Exception):
    """The connection settings are missing, incomplete or ambiguous. Names sources, never secret values."""


class OvhApiError(Exception):
    """A call to the OVH API failed; ``str()`` is a complete sentence for the user."""

    def __init__(self, message, status=None, error_class=None, details=None, query_id=None,
                 method=None, path=None, auth_description=None, attempts=1):
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_class = error_class
        self.details = details if isinstance(details, dict) else {}
        self.query_id = query_id
        self.method = method
        self.path = path
        self.auth_description = auth_description
        self.attempts = attempts

    def to_failure(self):
        return {
            "status": self.status,
            "error_class": self.error_class,
            "message": self.message,
            "details": self.details,
            "query_id": self.query_id,
            "method": self.method,
            "path": self.path,
        }

    def _what_failed(self):
        return "%s %s failed" % (self.method, self.path)

    def _cause(self):
        if self.status is None:
            return self.message
        cause = "HTTP %d" % self.status
        if self.error_class:
            cause += " " + str(self.error_class)
        if self.message:
            cause += ": " + str(self.message).rstrip(".")
        return cause

    def _refused_signature(self):
        """OVH answers a wrong signature or a stale timestamp with 400: v1 ``errorCode`` INVALID_SIGNATURE or
        QUERY_TIME_OUT, v2 ``Client::BadRequest`` with the message "Invalid signature" or "Query out of time"."""
        if self.status != 400:
            return False
        message = str(self.message or "").strip().lower()
        return self.error_class in SIGNING_ERROR_CODES or message.startswith(SIGNING_ERROR_MESSAGES)

    def _hints(self):
        hints = []
        refused_signature = self._refused_signature()
        if (self.status in (401, 403) or refused_signature) and self.auth_description:
            hints.append("Authenticated with %s." % self.auth_description)
        if refused_signature:
            hints.append("OVH refused the request's signature or timestamp: check the application secret and the consumer key, "
                         "and this machine's clock.")
        missing_actions = iam_actions(self.details.get(IAM_ACTIONS_DETAIL))
        if missing_actions:
            hints.append("Missing IAM actions: %s; grant them to this identity in an IAM policy." % ", ".join(missing_actions))
        return hints

    def __str__(self):
        sentence = "%s: %s" % (self._what_failed(), self._cause())
        if self.query_id:
            sentence += " (X-Ovh-QueryID: %s)" % self.query_id
        if self.attempts > 1:
            sentence += ", after %d attempts" % self.attempts
        return " ".join([sentence + "."] + self._hints())


class OvhOutcomeUnknownError(OvhApiError):
    """A POST whose outcome is not known: the server may have carried it out. Never resent by the client."""

    def _what_failed(self):
        return "%s %s: outcome unknown" % (self.method, self.path)

    def _hints(self):
        return ["The request may or may not have been carried out; look for its result before sending it again."]


def iam_actions(value):
    """The list of IAM actions named by ``details.unauthorizedActionsByIAM`` (a list or a comma-separated string)."""
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        return []
    return [str(action).strip() for action in value if str(action).strip()]
