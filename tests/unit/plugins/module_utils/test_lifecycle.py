# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one lifecycle of the module and the role (_lifecycle.py), as tables: one row per case."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.okms.access.plugins.module_utils import _lifecycle as lifecycle

# (what, arguments, body)
BODIES = [
    ("minimal", dict(name="n", identity_urns=("u",)), {"name": "n", "identityURNs": ["u"]}),
    ("empty description not sent", dict(name="n", identity_urns=["u"], description=""), {"name": "n", "identityURNs": ["u"]}),
    ("description, validity, key type", dict(name="n", identity_urns=["u"], description="d", validity=30, certificate_type="RSA"),
     {"name": "n", "identityURNs": ["u"], "description": "d", "validity": 30, "certificateType": "RSA"}),
    ("a CSR carries its key type", dict(name="n", identity_urns=["u"], certificate_type="ECDSA", csr="PEM"),
     {"name": "n", "identityURNs": ["u"], "csr": "PEM"}),
    ("validity 0 is sent (the API refuses it)", dict(name="n", identity_urns=["u"], validity=0), {"name": "n", "identityURNs": ["u"], "validity": 0}),
]


@pytest.mark.parametrize("what, arguments, body", BODIES, ids=[row[0] for row in BODIES])
def test_creation_body(what, arguments, body):
    assert lifecycle.creation_body(**arguments) == body, what


ISSUED = [
    (None, lifecycle.ISSUED_GONE),
    ({"status": "CREATING"}, lifecycle.ISSUED_WAIT),
    ({"status": "READY"}, lifecycle.ISSUED_READY),
    ({"status": "EXPIRED"}, lifecycle.ISSUED_READY),
    ({"status": "ERROR"}, lifecycle.ISSUED_DISCARD),
    ({"status": "DELETING"}, lifecycle.ISSUED_GONE),
]


@pytest.mark.parametrize("credential, what", ISSUED)
def test_issued(credential, what):
    found, why = lifecycle.issued(credential)
    assert found == what and why


# (what, staged key, its problem, staged certificate's key, key in place, owner of the staged key, decision)
STAGED = [
    ("nothing staged", None, None, None, "A", None, lifecycle.STAGED_NONE),
    ("staged key with its credential", "N", None, None, "A", "id-n", lifecycle.STAGED_ADOPT),
    ("staged key, its credential gone or in ERROR", "N", None, None, "A", None, lifecycle.STAGED_DISCARD_KEY),
    ("staged key wins over a staged certificate", "N", None, "N", "A", "id-n", lifecycle.STAGED_ADOPT),
    ("unreadable staged key", None, "x is not a key", None, "A", None, lifecycle.STAGED_UNREADABLE),
    ("crash between the renames", None, None, "N", "N", None, lifecycle.STAGED_FINISH_SWAP),
    ("staged certificate of another key", None, None, "N", "A", None, lifecycle.STAGED_DISCARD_CERTIFICATE),
    ("staged certificate, no key in place", None, None, "N", None, None, lifecycle.STAGED_DISCARD_CERTIFICATE),
]


@pytest.mark.parametrize("what, key, problem, certificate, in_place, owner, decision", STAGED, ids=[row[0] for row in STAGED])
def test_staged_pair(what, key, problem, certificate, in_place, owner, decision):
    found, why = lifecycle.staged_pair(key, problem, certificate, in_place, owner)
    assert found == decision, what
    assert (why == "") == (decision == lifecycle.STAGED_NONE)


# (what, proof, key held, adopted already, decision)
LEFTOVERS = [
    ("nothing proves it", None, False, False, lifecycle.REPORT),
    ("nothing proves it, a key on disk", None, True, False, lifecycle.REPORT),
    ("our CSR's", lifecycle.PROOF_CSR, False, False, lifecycle.ADOPT),
    ("our CSR's, a second one", lifecycle.PROOF_CSR, False, True, lifecycle.REPORT),
    ("a staged key's", lifecycle.PROOF_KEY, True, False, lifecycle.ADOPT),
    ("a key we hold in place", lifecycle.PROOF_KEY, False, False, lifecycle.KEEP),
    ("a key we hold in place, which a new credential replaces", lifecycle.PROOF_KEY, False, False, lifecycle.DELETE, True),
    ("lost API-key create, keyless", lifecycle.PROOF_WINDOW, False, False, lifecycle.DELETE),
    ("recorded create, keyless", lifecycle.PROOF_RECORDED, False, False, lifecycle.DELETE),
    ("recorded create, its key staged", lifecycle.PROOF_RECORDED, True, False, lifecycle.ADOPT),
    ("replaced, a stopped run did not delete it", lifecycle.PROOF_REPLACED, False, False, lifecycle.DELETE),
]


@pytest.mark.parametrize("what, proof, key_held, adopted, decision, replaced", [row + (False,) * (6 - len(row)) for row in LEFTOVERS],
                         ids=[row[0] for row in LEFTOVERS])
def test_leftover(what, proof, key_held, adopted, decision, replaced):
    found, why = lifecycle.leftover(proof, key_held, adopted, replaced)
    assert found == decision and why, what


LIVE = {"id": "c", "name": "h1", "status": "READY"}
# (what, credential, proof, others holding, outside, deleted, words of the reason)
DELETIONS = [
    ("replaced, nobody else", LIVE, lifecycle.PROOF_REPLACED, (), (), True, "replaces"),
    ("recorded, keyless", LIVE, lifecycle.PROOF_RECORDED, (), (), True, "key exists nowhere"),
    ("window, keyless", LIVE, lifecycle.PROOF_WINDOW, (), (), True, "lost create"),
    ("a key we hold", LIVE, lifecycle.PROOF_KEY, (), (), True, "newer"),
    ("our CSR's", LIVE, lifecycle.PROOF_CSR, (), (), True, "CSR"),
    ("nothing proves it", LIVE, None, (), (), False, "possible orphan"),
    ("another host still uses it (a clone)", LIVE, lifecycle.PROOF_REPLACED, ("h2",), (), False, "h2 still use it"),
    ("hosts outside the run may hold it", LIVE, lifecycle.PROOF_REPLACED, (), ("h3", "h2"), False, "outside this run (h2, h3)"),
    ("another name: another host's", dict(LIVE, name="h0"), lifecycle.PROOF_REPLACED, (), (), False, "not ours"),
    ("being deleted", dict(LIVE, status="DELETING"), lifecycle.PROOF_REPLACED, (), (), False, "gone"),
    ("gone", None, lifecycle.PROOF_REPLACED, (), (), False, "gone"),
]


@pytest.mark.parametrize("what, credential, proof, others, outside, deleted, words", DELETIONS, ids=[row[0] for row in DELETIONS])
def test_deletion(what, credential, proof, others, outside, deleted, words):
    found, why = lifecycle.deletion(credential, "h1", proof, others, outside)
    assert found is deleted, what
    assert words in why


def test_creation_window_spans_the_call_the_margin_and_the_clock_bounds():
    first, last = lifecycle.creation_window(1000.0, 1010.0, (-2.0, 3.0), margin=5.0)
    assert first == datetime.datetime.fromtimestamp(998.0, datetime.timezone.utc)
    assert last == datetime.datetime.fromtimestamp(1018.0, datetime.timezone.utc)


def test_a_recorded_id_proves_an_api_key_credential_without_a_window():
    candidate = {"id": "c", "fromCSR": False, "certificatePEM": None, "createdAt": "2026-04-04T12:00:00Z"}
    assert lifecycle.ownership_proof(candidate, None, set(), None, False, recorded_ids={"c"}) == lifecycle.PROOF_RECORDED
    assert lifecycle.ownership_proof(candidate, None, set(), None, False, recorded_ids={"d"}) is None
