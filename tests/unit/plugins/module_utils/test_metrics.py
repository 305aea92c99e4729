# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The node_exporter text files as tables: what a host's file says in each situation, the fleet's file."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.okms.access.plugins.module_utils import _metrics as metrics

LABELS = dict(name="web-1", okms_id="3333")
CERT = dict(credential_id="1111", not_before=1000.0, not_after=2000.0)
BASE = 'credential_id="1111",name="web-1",okms_id="3333"'


def values(text):
    """{sample line before the value: value} of a text file, HELP/TYPE lines left out."""
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))


# (case, certificate, verify, now, previous file, ready condition, access check, last success)
HOSTS = [
    ("check passed", CERT, dict(ok=True), 1500.0, "", "True", "1", "1500"),
    ("check failed keeps the last success", CERT, dict(ok=False), 1500.0,
     'okms_client_last_success_timestamp_seconds{%s} 1400.5\n' % BASE, "False", "0", "1400.5"),
    ("check failed, no earlier success", CERT, dict(ok=False), 1500.0, "", "False", "0", None),
    ("no check, valid", CERT, None, 1500.0, "", "Unknown", None, "1500"),
    ("no check, expired", CERT, None, 2500.0, "", "False", None, None),
    ("check passed but expired", CERT, dict(ok=True), 2500.0, "", "False", "1", None),
]


@pytest.mark.parametrize("case, cert, verify, now, previous, ready, check, success", HOSTS, ids=[row[0] for row in HOSTS])
def test_host_textfile(case, cert, verify, now, previous, ready, check, success):
    found = values(metrics.host_textfile(LABELS, cert, verify, now, previous, 1700.0))
    for condition in metrics.CONDITIONS:
        assert found['okms_certificate_ready_status{condition="%s",%s}' % (condition, BASE)] == ("1" if condition == ready else "0")
    assert found.get("okms_client_access_check_success{%s}" % BASE) == check
    assert found.get("okms_client_last_success_timestamp_seconds{%s}" % BASE) == success
    assert found["okms_certificate_expiration_timestamp_seconds{%s}" % BASE] == "2000"
    assert found["okms_certificate_not_before_timestamp_seconds{%s}" % BASE] == "1000"
    assert found["okms_certificate_renewal_timestamp_seconds{%s}" % BASE] == "1700"


def test_host_without_certificate():
    text = metrics.host_textfile(LABELS, None, None, 1500.0, "", None)
    assert "okms_certificate_expiration_timestamp_seconds" not in text
    assert 'okms_certificate_ready_status{condition="False",credential_id="",name="web-1",okms_id="3333"} 1' in text


def test_every_family_has_help_and_type_once():
    text = metrics.host_textfile(LABELS, CERT, dict(ok=True), 1500.0, "", 1700.0)
    for name, dummy in metrics.HOST_METRICS:
        assert text.count("# TYPE %s gauge\n" % name) == 1
        assert text.count("# HELP %s " % name) == 1


def test_label_values_are_escaped():
    assert metrics.sample("m", dict(name='a"b\\c\nd'), 1) == 'm{name="a\\"b\\\\c\\nd"} 1'
    assert metrics.sample("m", {}, 2.5) == "m 2.5"


def test_fleet_textfile():
    now = datetime.datetime(2026, 12, 3, tzinfo=datetime.timezone.utc)
    statuses = [dict(okms_id="d1", due=True, held_back=False, reasons=[1], expired_at="2027-01-01T00:00:00Z"),
                dict(okms_id="d1", due=False, held_back=False, reasons=[], expired_at="2026-12-10T00:00:00Z")]
    found = dict(orphans=[dict(okms_id="d1"), dict(okms_id="d1")], error=[])
    found_values = values(metrics.fleet_textfile(dict(d1=dict(statuses=dict(READY=3, ERROR=1))), statuses, found, now))
    assert found_values['okms_fleet_credentials{okms_id="d1",status="READY"}'] == "3"
    assert found_values['okms_fleet_hosts{okms_id="d1",state="due"}'] == "1"
    assert found_values['okms_fleet_hosts{okms_id="d1",state="up_to_date"}'] == "1"
    assert found_values['okms_fleet_findings{kind="orphans",okms_id="d1"}'] == "2"
    assert found_values['okms_fleet_findings{kind="error",okms_id="d1"}'] == "0"
    assert found_values['okms_fleet_earliest_expiration_timestamp_seconds{okms_id="d1"}'] == str(int(datetime.datetime(
        2026, 12, 10, tzinfo=datetime.timezone.utc).timestamp()))
    assert found_values["okms_fleet_audit_timestamp_seconds"] == str(int(now.timestamp()))
