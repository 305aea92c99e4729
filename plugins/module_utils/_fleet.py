# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The fleet's rules, as pure functions: which inventory hosts are due for the role, and what an audit finds.

okms_audit (the action plugin behind the playbooks okms.access.renew and okms.access.audit) lists each KMS domain once
and asks these functions; the reasons come from the role's own rules (_engine.credential_reasons, _engine.host_reasons),
so a host is due exactly when the role would replace its credential.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.okms.access.plugins.module_utils import _engine as engine
from ansible_collections.okms.access.plugins.module_utils._credential import CREATING, DELETING, ERROR, EXPIRED, READY, parse_timestamp

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOUR_MINUTE = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
# Reasons that mean the host has no working access now: a maintenance window never holds them back.
LAPSED = ("credential", "status", "private_key_path", "certificate")
FINDINGS = ("orphans", "expiring", "expired", "error", "stuck_creating", "duplicates", "without_credential", "identity_drift")


# Maintenance windows

def window_problem(window):
    """Why ``window`` ({days: [mon..sun], start: "HH:MM" (UTC), hours: 0 < h <= 168}) is not a window (None when it is)."""
    if not isinstance(window, dict) or set(window) - {"days", "start", "hours"} or "start" not in window or "hours" not in window:
        return "give a dict with start (\"HH:MM\", UTC), hours (its length) and optionally days (mon to sun, default every day)"
    days = window.get("days", WEEKDAYS)
    if not isinstance(days, (list, tuple)) or not days or any(str(day).lower()[:3] not in WEEKDAYS for day in days):
        return "days: %r is not a list of week days (mon, tue, wed, thu, fri, sat, sun)" % (days,)
    if not _HOUR_MINUTE.match(str(window["start"])):
        return "start: %r is not a time of day such as \"02:00\" (UTC)" % (window["start"],)
    try:
        hours = float(window["hours"])
    except (TypeError, ValueError):
        hours = 0
    if not 0 < hours <= 168:
        return "hours: %r is not a length from above 0 to 168 hours" % (window["hours"],)
    return None


def window_state(window, now):
    """(inside, next start) of the maintenance window at ``now``; (True, None) without a window (always open)."""
    if not window:
        return True, None
    days = set(str(day).lower()[:3] for day in window.get("days", WEEKDAYS))
    hour, minute = (int(part) for part in _HOUR_MINUTE.match(str(window["start"])).groups())
    length = datetime.timedelta(hours=float(window["hours"]))
    inside, upcoming = False, None
    # A window that started up to 7 days ago may still be open; the next one starts within 8 days.
    for offset in range(-7, 9):
        day = now.date() + datetime.timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in days:
            continue
        start = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=datetime.timezone.utc)
        if start <= now < start + length:
            inside = True
        if start > now and upcoming is None:
            upcoming = start
    return inside, upcoming


# One host

def live(credentials):
    return [item for item in credentials if item.get("status") != DELETING]


def credential_of_name(named):
    """The credential a host of that name uses, seen from the API alone: the READY one that expires last, else the newest."""
    candidates = live(named)
    if not candidates:
        return None
    ready = [item for item in candidates if item.get("status") == READY]
    return max(ready or candidates, key=lambda item: (item.get("expiredAt") or "", item.get("createdAt") or ""))


def host_status(want, named, held, window, now):
    """What the audit and renew know of one host, and whether the role would replace its credential (``due``).

    ``named``: the domain's credentials called ``want["name"]``, with expires_in_days; ``held``: what the host module read
    on the host (check_hosts) or None; ``window``: window_state() at ``now``. A due host whose credential still works past
    the next window's start is ``held_back`` (the role does not run on it before the window).
    """
    known = dict((item["id"], item) for item in named)
    if held is not None:
        held = engine.held_with_credential(want, held, known, named)
        credential_id = held.get("credential_id") or ""
        credential = known.get(credential_id) if credential_id else None
        reasons = engine.host_reasons(want, held, credential)
        if not held.get("credential_id") and not reasons:
            reasons = [engine.reason("credential", "the host holds no certificate")]
    else:
        credential = credential_of_name(named)
        credential_id = credential["id"] if credential else ""
        if credential is None:
            reasons = [engine.reason("credential", "the domain has no credential called %r" % want["name"])]
        else:
            reasons = engine.credential_reasons(want, credential_id, credential)
    inside, upcoming = window
    lapses = credential is None or any(item["reason"] in LAPSED for item in reasons) or (
        upcoming is not None and credential.get("expiredAt") and parse_timestamp(credential["expiredAt"]) <= upcoming)
    due = bool(reasons)
    held_back = due and not inside and not lapses
    return dict(host=want["host"], name=want["name"], okms_id=want["okms_id"], credential_id=credential_id,
                status=credential.get("status") if credential else None, expired_at=credential.get("expiredAt") if credential else None,
                expires_in_days=credential.get("expires_in_days") if credential else None, due=due and not held_back,
                held_back=held_back, reasons=reasons, checked=held is not None)


# The fleet

def _ids(credentials):
    return [dict(id=item["id"], name=item.get("name"), status=item.get("status"), expired_at=item.get("expiredAt")) for item in credentials]


def findings(statuses, listed, held_ids, name_pattern, creating_minutes, now):
    """What an audit finds in one domain: ``statuses`` (host_status of its hosts), ``listed`` (the domain's listing),
    ``held_ids`` (credential ids that probed hosts hold), ``name_pattern`` (a compiled regex: the credentials in scope)."""
    in_scope = [item for item in live(listed) if name_pattern.search(item.get("name") or "")]
    host_names = set(status["name"] for status in statuses)
    by_name = {}
    for item in in_scope:
        by_name.setdefault(item.get("name"), []).append(item)
    creating_limit = now - datetime.timedelta(minutes=creating_minutes)
    found = dict(
        orphans=_ids(item for item in in_scope if item.get("name") not in host_names and item["id"] not in held_ids),
        expiring=[_host_view(status) for status in statuses
                  if any(item["reason"] in ("renew_before_days", "renew_fraction") for item in status["reasons"])],
        expired=_ids(item for item in in_scope if item.get("status") == EXPIRED),
        error=_ids(item for item in in_scope if item.get("status") == ERROR),
        stuck_creating=_ids(item for item in in_scope if item.get("status") == CREATING and _created_before(item, creating_limit)),
        duplicates=[dict(name=name, ids=sorted(item["id"] for item in items)) for name, items in sorted(by_name.items(), key=lambda pair: str(pair[0]))
                    if len(items) > 1],
        without_credential=[_host_view(status) for status in statuses if not status["status"]],
        identity_drift=[_host_view(status) for status in statuses if any(item["reason"] == "identity_urns" for item in status["reasons"])],
    )
    return found


def _created_before(credential, limit):
    try:
        return parse_timestamp(credential.get("createdAt")) < limit
    except ValueError:
        return False


def _host_view(status):
    return dict(host=status["host"], name=status["name"], credential_id=status["credential_id"],
                expires_in_days=status["expires_in_days"], reasons=[item["message"] for item in status["reasons"]])


def table(statuses, found, limit):
    """A readable report: one line per due, held-back or flagged host, then each finding (at most ``limit`` rows each)."""
    lines = ["%-32s %-36s %-9s %8s  %s" % ("HOST", "CREDENTIAL", "STATUS", "DAYS", "DUE / REASONS")]
    shown = [status for status in statuses if status["due"] or status["held_back"] or status["reasons"]]
    for status in shown[:limit]:
        verdict = "due" if status["due"] else ("held back" if status["held_back"] else "-")
        days = "-" if status["expires_in_days"] is None else status["expires_in_days"]
        row = (status["host"], status["credential_id"] or "(none)", status["status"] or "-", days, verdict,
               "; ".join(item["message"] for item in status["reasons"]))
        lines.append("%-32s %-36s %-9s %8s  %s: %s" % row)
    if len(shown) > limit:
        lines.append("... %d more hosts (see the JSON report)" % (len(shown) - limit))
    lines.append("%d hosts: %d due, %d held back until the maintenance window, %d up to date"
                 % (len(statuses), sum(1 for item in statuses if item["due"]), sum(1 for item in statuses if item["held_back"]),
                    sum(1 for item in statuses if not item["reasons"])))
    for kind in FINDINGS:
        rows = found[kind]
        lines.append("%s: %d" % (kind, len(rows)))
        for row in rows[:limit]:
            lines.append("  " + ", ".join("%s=%s" % (key, row[key]) for key in sorted(row) if key != "reasons"))
        if len(rows) > limit:
            lines.append("  ... %d more" % (len(rows) - limit))
    return lines
