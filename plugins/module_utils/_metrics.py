# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Prometheus text files for node_exporter's textfile collector, as pure functions.

The names follow cert-manager's (certificate_expiration_timestamp_seconds, certificate_ready_status,
certificate_renewal_timestamp_seconds) with the prefix okms_, so that alerts written for cert-manager carry over by
renaming the metric. The files are written by okms_client_files on each host (in the role's existing module runs) and by
okms_audit on the controller.
"""

from __future__ import annotations

import re

from ansible_collections.okms.access.plugins.module_utils._credential import parse_timestamp

HOST_METRICS = (
    ("okms_certificate_expiration_timestamp_seconds", "The date after which the OKMS client certificate expires (notAfter), as a Unix time."),
    ("okms_certificate_not_before_timestamp_seconds", "The date before which the OKMS client certificate is not valid (notBefore), as a Unix time."),
    ("okms_certificate_renewal_timestamp_seconds",
     "The date from which okms.access renews the certificate (renew_before_days, renew_fraction), as a Unix time."),
    ("okms_certificate_ready_status", "Whether the host's key and certificate give access to the KMS domain (condition True, False or Unknown)."),
    ("okms_client_access_check_success", "1 when the last mutual TLS access check of the host's files passed, 0 when it failed."),
    ("okms_client_last_run_timestamp_seconds", "When okms.access last read the host's files, as a Unix time."),
    ("okms_client_last_success_timestamp_seconds", "When okms.access last found the host's files giving access, as a Unix time."),
)
FLEET_METRICS = (
    ("okms_fleet_credentials", "Credentials of the KMS domain, by status."),
    ("okms_fleet_hosts", "Inventory hosts of the KMS domain, by state (due, held_back, up_to_date)."),
    ("okms_fleet_findings",
     "What the audit found, by kind (orphans, expiring, expired, error, stuck_creating, duplicates, without_credential, identity_drift)."),
    ("okms_fleet_earliest_expiration_timestamp_seconds", "The earliest expiry of the inventory hosts' credentials in the KMS domain, as a Unix time."),
    ("okms_fleet_audit_timestamp_seconds", "When the audit ran, as a Unix time."),
)
CONDITIONS = ("True", "False", "Unknown")
_LAST_SUCCESS = re.compile(r"^okms_client_last_success_timestamp_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.MULTILINE)


def label_value(value):
    """A label value in the text format: backslash, double quote and line feed escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def sample(metric, labels, value):
    rendered = ",".join('%s="%s"' % (key, label_value(labels[key])) for key in sorted(labels))
    return "%s%s %s" % (metric, "{%s}" % rendered if rendered else "", _number(value))


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return "%d" % value
    return "%s" % value


def render(families, samples):
    """The text file: for each family (name, help) with samples, its HELP and TYPE (gauge) lines, then its samples."""
    lines = []
    for name, text in families:
        rows = [(labels, value) for metric, labels, value in samples if metric == name]
        if not rows:
            continue
        lines.append("# HELP %s %s" % (name, text))
        lines.append("# TYPE %s gauge" % name)
        lines.extend(sample(name, labels, value) for labels, value in rows)
    return "\n".join(lines) + "\n"


def last_success_of(text):
    """The last success time that an earlier file recorded (None without one): a failed check keeps it."""
    match = _LAST_SUCCESS.search(text or "")
    return float(match.group(1)) if match else None


def host_textfile(labels, certificate, verify, now, previous_text, renewal_at):
    """The host's file. ``labels``: name, okms_id; ``certificate``: {credential_id, not_before, not_after} (Unix times) or
    None without a readable certificate; ``verify``: the access check ({ok, ...}) or None when none was made;
    ``renewal_at``: when the role renews it (Unix time, None when renewal is off)."""
    base = dict(labels, credential_id=certificate["credential_id"] if certificate else "")
    valid = certificate is not None and certificate["not_before"] <= now < certificate["not_after"]
    if verify is not None:
        ready = "True" if verify["ok"] and valid else "False"
    else:
        ready = "Unknown" if valid else "False"
    samples = []
    if certificate is not None:
        samples += [("okms_certificate_expiration_timestamp_seconds", base, certificate["not_after"]),
                    ("okms_certificate_not_before_timestamp_seconds", base, certificate["not_before"])]
        if renewal_at is not None:
            samples.append(("okms_certificate_renewal_timestamp_seconds", base, renewal_at))
    samples += [("okms_certificate_ready_status", dict(base, condition=condition), condition == ready) for condition in CONDITIONS]
    if verify is not None:
        samples.append(("okms_client_access_check_success", base, bool(verify["ok"])))
    samples.append(("okms_client_last_run_timestamp_seconds", base, round(now, 3)))
    last_success = round(now, 3) if ready == "True" or (ready == "Unknown" and valid) else last_success_of(previous_text)
    if last_success is not None:
        samples.append(("okms_client_last_success_timestamp_seconds", base, last_success))
    return render(HOST_METRICS, samples)


def status_counts(listed):
    counts = {}
    for item in listed:
        counts[item.get("status") or "UNKNOWN"] = counts.get(item.get("status") or "UNKNOWN", 0) + 1
    return counts


def fleet_textfile(domains, statuses, found, now):
    """The controller's file from an audit: ``domains`` {okms_id: {statuses: {status: count}}}, the hosts' statuses, the findings."""
    samples = []
    for okms_id, domain in sorted(domains.items()):
        for status, count in sorted(domain["statuses"].items()):
            samples.append(("okms_fleet_credentials", dict(okms_id=okms_id, status=status), count))
        mine = [item for item in statuses if item["okms_id"] == okms_id]
        for state, test in (("due", lambda item: item["due"]), ("held_back", lambda item: item["held_back"]),
                            ("up_to_date", lambda item: not item["reasons"])):
            samples.append(("okms_fleet_hosts", dict(okms_id=okms_id, state=state), sum(1 for item in mine if test(item))))
        for kind, rows in sorted(found.items()):
            samples.append(("okms_fleet_findings", dict(okms_id=okms_id, kind=kind), sum(1 for row in rows if row.get("okms_id") == okms_id)))
        expiries = [item["expired_at"] for item in mine if item["expired_at"]]
        if expiries:
            samples.append(("okms_fleet_earliest_expiration_timestamp_seconds", dict(okms_id=okms_id), _unix(min(expiries, key=_unix))))
    samples.append(("okms_fleet_audit_timestamp_seconds", {}, round(now.timestamp(), 3)))
    return render(FLEET_METRICS, samples)


def _unix(timestamp):
    return round(parse_timestamp(timestamp).timestamp(), 3)
