# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The fleet's rules as tables: renewal (days before expiry, fraction of the lifetime), windows, due hosts, findings."""

from __future__ import annotations

import datetime
import re

import pytest

from ansible_collections.okms.access.plugins.module_utils import _engine as engine
from ansible_collections.okms.access.plugins.module_utils import _fleet as fleet
from ansible_collections.okms.access.tests.unit.plugins.module_utils.test_engine import ID1, ID2, ID3, OTHER_URN, credential, held, want

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # a Thursday
OPEN = (True, None)


def at(days):
    return (NOW + datetime.timedelta(days=days)).isoformat()


def dated(credential_id=ID1, name="h1", created=-100, expires=265, **over):
    """A credential created ``created`` days from NOW that expires ``expires`` days from NOW."""
    return credential(credential_id, name, createdAt=at(created), expiredAt=at(expires), expires_in_days=float(expires), **over)


# (case, status, expires_in_days, renew_before_days, lifetime, fraction, expected reason codes)
RENEWAL = [
    ("far from expiry", "READY", 200.0, 30, 365, 0, []),
    ("within renew_before_days", "READY", 10.0, 30, 365, 0, ["renew_before_days"]),
    ("exactly renew_before_days", "READY", 30.0, 30, 365, 0, ["renew_before_days"]),
    ("off", "READY", 1.0, 0, 365, 0, []),
    ("past 2/3 of the lifetime", "READY", 100.0, 30, 365, 0.67, ["renew_fraction"]),
    ("before 2/3 of the lifetime", "READY", 150.0, 30, 365, 0.67, []),
    ("renew_before_days is the earlier rule", "READY", 40.0, 90, 90, 0.67, ["renew_before_days"]),
    ("fraction without dates", "READY", 100.0, 30, None, 0.67, []),
    ("expired counts once, as a status", "EXPIRED", -3.0, 30, 365, 0.67, []),
    ("no expiry", "READY", None, 30, 365, 0.67, []),
]


@pytest.mark.parametrize("case, status, days, before, lifetime, fraction, codes", RENEWAL, ids=[row[0] for row in RENEWAL])
def test_renewal(case, status, days, before, lifetime, fraction, codes):
    assert [item["reason"] for item in engine.renewal(status, days, before, lifetime, fraction)] == codes


def test_lifetime_days():
    assert engine.lifetime_days(dated(created=-100, expires=265)) == pytest.approx(365)
    assert engine.lifetime_days(credential()) is None


def test_the_role_renews_past_the_fraction_too():
    codes = [item["reason"] for item in engine.credential_reasons(want(renew_fraction=0.67), ID1, dated(created=-300, expires=65))]
    assert codes == ["renew_fraction"]


# (case, window, now, inside, next start)
WINDOWS = [
    ("no window", None, NOW, True, None),
    ("every day, open", dict(start="11:00", hours=2), NOW, True, datetime.datetime(2026, 12, 4, 11, 0, tzinfo=UTC)),
    ("every day, later today", dict(start="14:00", hours=1), NOW, False, datetime.datetime(2026, 12, 3, 14, 0, tzinfo=UTC)),
    ("weekend", dict(days=["sat", "sun"], start="02:00", hours=4), NOW, False, datetime.datetime(2026, 12, 5, 2, 0, tzinfo=UTC)),
    ("opened yesterday, 30 hours long", dict(days=["wed"], start="08:00", hours=30), NOW, True,
     datetime.datetime(2026, 12, 9, 8, 0, tzinfo=UTC)),
    ("its end is outside", dict(start="10:00", hours=2), NOW, False, datetime.datetime(2026, 12, 4, 10, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize("case, window, now, inside, upcoming", WINDOWS, ids=[row[0] for row in WINDOWS])
def test_window_state(case, window, now, inside, upcoming):
    assert fleet.window_state(window, now) == (inside, upcoming)


@pytest.mark.parametrize("window, fragment", [
    (dict(start="02:00"), "hours"),
    (dict(start="2am", hours=2), "start"),
    (dict(start="25:00", hours=2), "start"),
    (dict(start="02:00", hours=0), "hours"),
    (dict(start="02:00", hours=200), "hours"),
    (dict(start="02:00", hours=2, days=["someday"]), "days"),
    (dict(start="02:00", hours=2, at="x"), "give a dict"),
    ("02:00", "give a dict"),
])
def test_window_problem(window, fragment):
    assert fragment in fleet.window_problem(window)


def test_a_good_window_has_no_problem():
    assert fleet.window_problem(dict(days=["Sat", "sun"], start="2:00", hours=4)) is None


CLOSED = (False, NOW + datetime.timedelta(days=2))

# (case, named credentials, held, window, due, held back, reason codes)
HOSTS = [
    ("up to date", [dated()], None, OPEN, False, False, []),
    ("no credential", [], None, OPEN, True, False, ["credential"]),
    ("only a deleting one", [dated(status="DELETING")], None, OPEN, True, False, ["credential"]),
    ("expiring", [dated(expires=10)], None, OPEN, True, False, ["renew_before_days"]),
    ("EXPIRED", [dated(status="EXPIRED", expires=-1)], None, OPEN, True, False, ["status"]),
    ("ERROR", [dated(status="ERROR")], None, OPEN, True, False, ["status"]),
    ("identity drift", [dated(identityURNs=[OTHER_URN])], None, OPEN, True, False, ["identity_urns"]),
    ("the READY one that expires last is the host's", [dated(ID1, expires=10), dated(ID2, expires=300), dated(ID3, status="ERROR")],
     None, OPEN, False, False, []),
    ("window closed: expiring waits", [dated(expires=10)], None, CLOSED, False, True, ["renew_before_days"]),
    ("window closed: lapses before the next window", [dated(expires=1)], None, CLOSED, True, False, ["renew_before_days"]),
    ("window closed: drift waits", [dated(identityURNs=[OTHER_URN])], None, CLOSED, False, True, ["identity_urns"]),
    ("window closed: EXPIRED does not wait", [dated(status="EXPIRED", expires=-1)], None, CLOSED, True, False, ["status"]),
    ("window closed: no credential does not wait", [], None, CLOSED, True, False, ["credential"]),
    ("files read: up to date", [dated()], held(), OPEN, False, False, []),
    ("files read: lost key", [dated()], held(key_problem="missing", files=dict(key=None)), OPEN, True, False, ["private_key_path"]),
    ("files read: lost key does not wait", [dated()], held(files=dict(key=None)), CLOSED, True, False, ["private_key_path"]),
    ("files read: nothing on the host", [dated()], held(credential_id="", files=dict(key=None, cert=None)), OPEN, True, False,
     ["private_key_path", "certificate"]),
    ("files read: the host holds an older one", [dated(ID1, expires=10), dated(ID2, expires=300)], held(ID1), OPEN, True, False,
     ["renew_before_days"]),
]


@pytest.mark.parametrize("case, named, held_view, window, due, held_back, codes", HOSTS, ids=[row[0] for row in HOSTS])
def test_host_status(case, named, held_view, window, due, held_back, codes):
    status = fleet.host_status(want(mode="per_host"), [dict(item, fromCSR=False) for item in named], held_view, window, NOW)
    assert (status["due"], status["held_back"], [item["reason"] for item in status["reasons"]]) == (due, held_back, codes)


def test_host_status_names_the_credential():
    status = fleet.host_status(want(), [dated(ID1, expires=10), dated(ID2, expires=300)], None, OPEN, NOW)
    assert (status["credential_id"], status["status"], status["expires_in_days"], status["checked"]) == (ID2, "READY", 300.0, False)


def test_findings():
    statuses = [fleet.host_status(want(host), [item for item in listed if item["name"] == host], None, OPEN, NOW)
                for host, listed in [("h1", []), ("h2", []), ("h3", []), ("h4", [])]]
    listed = [dated(ID1, "h1"), dated("a" * 8, "h1", expires=200),  # duplicates of h1
              dated(ID2, "h2", expires=5),  # expiring
              dated(ID3, "gone", status="EXPIRED", expires=-2),  # orphan and expired
              dated("b" * 8, "err", status="ERROR"),  # orphan and in error
              dated("c" * 8, "new", status="CREATING", created=-1),  # stuck for a day; an orphan too
              dated("d" * 8, "held"),  # a probed host holds it: no orphan
              dated("e" * 8, "other-team")]  # out of scope
    statuses = [fleet.host_status(want(host), [item for item in listed if item["name"] == host], None, OPEN, NOW) for host in ("h1", "h2", "h3")]
    found = fleet.findings(statuses, listed, {"d" * 8}, re.compile("^(h|gone|err|new)"), 60, NOW)
    assert sorted(item["id"] for item in found["orphans"]) == sorted([ID3, "b" * 8, "c" * 8])
    assert [item["host"] for item in found["expiring"]] == ["h2"]
    assert [item["id"] for item in found["expired"]] == [ID3]
    assert [item["id"] for item in found["error"]] == ["b" * 8]
    assert [item["id"] for item in found["stuck_creating"]] == ["c" * 8]
    assert found["duplicates"] == [dict(name="h1", ids=sorted([ID1, "a" * 8]))]
    assert [item["host"] for item in found["without_credential"]] == ["h3"]
    assert found["identity_drift"] == []


def test_findings_identity_drift_and_recent_creating():
    listed = [dated(ID1, "h1", identityURNs=[OTHER_URN]), dated(ID2, "x", status="CREATING", created=0)]
    statuses = [fleet.host_status(want("h1"), listed[:1], None, OPEN, NOW)]
    found = fleet.findings(statuses, listed, set(), re.compile(""), 60, NOW)
    assert [item["host"] for item in found["identity_drift"]] == ["h1"]
    assert found["stuck_creating"] == []


def test_table():
    statuses = [fleet.host_status(want(host), named, None, OPEN, NOW) for host, named in (("h1", [dated()]), ("h2", []))]
    found = fleet.findings(statuses, [dated()], set(), re.compile(""), 60, NOW)
    lines = fleet.table(statuses, found, 1)
    assert lines[0].split()[:3] == ["HOST", "CREDENTIAL", "STATUS"]
    assert any(line.startswith("h2 ") and "due: the domain has no credential called 'h2'" in line for line in lines)
    assert "2 hosts: 1 due, 0 held back until the maintenance window, 1 up to date" in lines
    assert "without_credential: 1" in lines
