# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Step (c) of the IAM preflight: one harmless request per data plane action, from the host, with its certificate.

Only the host can prove a grant that depends on its source address (a policy condition on ``request.IP``). A request
proves an action only if it reads nothing secret, changes nothing, and is refused when the action is missing: the
KMS REST API filters lists by per-item rights instead of refusing them (OVH's schema: "Required on each secret to
list"), so a list proves nothing. Standard library only: it runs on the hosts.
"""

from __future__ import annotations

from ansible_collections.okms.access.plugins.module_utils._access import AUTHORIZATION, ask, error_category, error_texts

# action -> path below {rest}/api/{okmsId}: harmless reads that need exactly that action
PROBES = {
    "okms:apikms:random/get": "/v1/random?length=1",
    "okms:apikms:secretConfig/get": "/v2/secretConfig",
}


def probe_verdict(action, outcome):
    """dict(action, granted: True/False/None, msg) of one probe's outcome (see _access.ask)."""
    if outcome.get("files_error") or outcome.get("tls_error") or outcome.get("network_error"):
        problem = outcome.get("files_error") or outcome.get("tls_error") or outcome.get("network_error")
        return dict(action=action, granted=None, msg="the request could not be made or was refused before HTTP (%s): "
                    "the certificate itself is in question; the role's access check says why" % problem)
    status, body = outcome["status"], outcome.get("body") or b""
    if status == 200:
        return dict(action=action, granted=True, msg="")
    if error_category(body) == AUTHORIZATION or (status == 403 and error_category(body) is None):
        return dict(action=action, granted=False, msg="HTTP %d, the identity lacks %s from this host (%s)" % (status, action, error_texts(body)))
    return dict(action=action, granted=None, msg="HTTP %d (%s): proves nothing about %s" % (status, error_texts(body), action))


def probe_actions(base_url, actions, cert, key, ca, timeout, send=ask):
    """One verdict per action; an action without a harmless request gets granted None and says so."""
    verdicts = []
    for action in actions:
        if action not in PROBES:
            verdicts.append(dict(action=action, granted=None,
                                 msg="no harmless request proves %s (lists are filtered, other calls change or reveal data)" % action))
            continue
        verdicts.append(probe_verdict(action, send(base_url.rstrip("/") + PROBES[action], cert, key, ca, timeout)))
    return verdicts
