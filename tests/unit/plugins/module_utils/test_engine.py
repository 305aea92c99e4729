# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The engine as a table: each row a situation (files on the host, API answer, variables) and the plan expected."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.okms.access.plugins.module_utils import _engine as engine

CA_SUM = "ca-sum"
CLI_SUM = "cli-sum"
URN = "urn:v1:eu:identity:account:xx1111-ovh"
OTHER_URN = "urn:v1:eu:identity:group:xx1111-ovh/web"
ID1 = "11111111-1111-1111-1111-111111111111"
ID2 = "22222222-2222-2222-2222-222222222222"
ID3 = "33333333-3333-3333-3333-333333333333"


def want(host="h1", **over):
    paths = dict(dir="/etc/okms", key="/etc/okms/domain.key", cert="/etc/okms/client.cert", ca="/etc/okms/ca.pem",
                 cli="/etc/okms/okms.yaml", key_new="/etc/okms/domain.key.new", cert_new="/etc/okms/client.cert.new")
    value = dict(host=host, okms_id=ID3, state="present", mode="csr", name=host, identity_urns=[URN], description="",
                 certificate_type="ECDSA", renew_before_days=30, owner="", group="", key_mode="0600", cli=True, paths=paths)
    value.update(over)
    return value


def stat(mode, checksum=None, isdir=False, owner="root", uid=0, group="root", gid=0):
    return dict(mode=mode, owner=owner, uid=uid, group=group, gid=gid, isdir=isdir, checksum=checksum)


def held(credential_id=ID1, **over):
    files = dict(dir=stat("0750", isdir=True), key=stat("0600"), cert=stat("0644"), ca=stat("0644", CA_SUM),
                 cli=stat("0644", CLI_SUM), key_new=None, cert_new=None)
    files.update(over.pop("files", {}))
    value = dict(files=files, credential_id=credential_id, key_public_sha256="AA", key_problem=None,
                 certificate_public_sha256="AA", certificate_problem=None, verify=dict(ok=True, msg=""))
    value.update(over)
    return value


def nothing_held():
    return held(credential_id="", files=dict.fromkeys(engine.FILE_ROLES), key_public_sha256=None, certificate_public_sha256=None,
                verify=None)


def credential(credential_id=ID1, name="h1", **over):
    value = {"id": credential_id, "name": name, "status": "READY", "identityURNs": [URN], "description": None, "fromCSR": True,
             "certificateType": "ECDSA", "expiredAt": "2027-01-01T00:00:00Z", "expires_in_days": 200.0,
             "certificatePEM": "-----BEGIN CERTIFICATE-----\n"}
    value.update(over)
    return value


def plan_one(w, h, c, listed=()):
    return engine.plan_play([(w["host"], w, h)], {h["credential_id"]: c} if h["credential_id"] else {}, list(listed), CA_SUM,
                            {w["host"]: CLI_SUM})["hosts"][w["host"]]


# (case, want, held, credential, expected reason codes: [] means nothing to replace)
REASON_CASES = [
    ("all in place", want(), held(), credential(), []),
    ("nothing on the host", want(), nothing_held(), None, ["private_key_path", "certificate"]),
    ("key missing", want(), held(files=dict(key=None)), credential(), ["private_key_path"]),
    ("key unreadable", want(), held(key_problem="/etc/okms/domain.key does not hold a PEM private key"), credential(), ["private_key_path"]),
    ("key of another pair", want(), held(key_public_sha256="BB"), credential(), ["private_key_path"]),
    ("certificate missing", want(), held(credential_id="", files=dict(cert=None)), None, ["certificate"]),
    ("certificate unreadable", want(), held(credential_id="", certificate_problem="not a certificate"), None, ["certificate"]),
    ("credential gone", want(), held(), None, ["credential"]),
    ("credential being deleted", want(), held(), credential(status="DELETING"), ["credential"]),
    ("credential in ERROR", want(), held(), credential(status="ERROR"), ["status"]),
    ("credential EXPIRED", want(), held(), credential(status="EXPIRED", expires_in_days=-1.0), ["status"]),
    ("due for renewal", want(), held(), credential(expires_in_days=10.0), ["renew_before_days"]),
    ("renewal turned off", want(renew_before_days=0), held(), credential(expires_in_days=1.0), []),
    ("another name (renamed host)", want(), held(), credential(name="old-name"), ["name"]),
    ("URNs in another order", want(identity_urns=[OTHER_URN, URN, URN]), held(), credential(identityURNs=[URN, OTHER_URN]), []),
    ("other URNs", want(identity_urns=[OTHER_URN]), held(), credential(), ["identity_urns"]),
    ("empty description asks for nothing", want(description=""), held(), credential(description="old"), []),
    ("other description", want(description="web"), held(), credential(description="old"), ["description"]),
    ("description asked, none set", want(description="web"), held(), credential(description=None), ["description"]),
    ("same description", want(description="web"), held(), credential(description="web"), []),
    ("csr mode, API-generated key", want(), held(), credential(fromCSR=False), ["csr"]),
    ("per_host mode, key from a CSR", want(mode="per_host"), held(), credential(fromCSR=True), ["csr"]),
    ("per_host mode, other key type", want(mode="per_host", certificate_type="RSA"), held(), credential(fromCSR=False), ["certificate_type"]),
    ("csr mode, other key type", want(certificate_type="RSA"), held(), credential(), ["certificate_type"]),
    ("several reasons at once", want(identity_urns=[OTHER_URN]), held(key_public_sha256="BB"), credential(status="ERROR"),
     ["private_key_path", "status", "identity_urns"]),
]


@pytest.mark.parametrize("case, w, h, c, codes", REASON_CASES, ids=[row[0] for row in REASON_CASES])
def test_reasons_to_replace(case, w, h, c, codes):
    plan = plan_one(w, h, c)
    assert [item["reason"] for item in plan["reasons"]] == codes
    assert plan["issue"] == plan["deploy"] == bool(codes)
    assert all(item["message"] for item in plan["reasons"])
    assert plan["copy_from"] == ""


# (case, want, held, expected file work)
FILE_CASES = [
    ("all in place", want(), held(), dict(fix_dir=False, write_ca=False, write_cli=False, remove=[], attrs=[], changes=False)),
    ("key readable by others", want(), held(files=dict(key=stat("0644"))),
     dict(attrs=[dict(path="/etc/okms/domain.key", mode="0600")], changes=True)),
    ("group-readable key asked", want(group="ssl-cert", key_mode="0640"), held(files=dict(key=stat("0600", group="ssl-cert"))),
     dict(attrs=[dict(path="/etc/okms/domain.key", mode="0640"), dict(path="/etc/okms/client.cert", mode="0644")], fix_dir=True,
          write_ca=True, write_cli=True)),
    ("owner given by uid", want(owner="0"), held(), dict(changes=False)),
    ("other owner", want(owner="okms"), held(files=dict(cert=stat("0644", owner="okms", uid=900))),
     dict(attrs=[dict(path="/etc/okms/domain.key", mode="0600")], fix_dir=True, write_ca=True)),
    ("group given by gid", want(group="0"), held(), dict(changes=False)),
    ("CA changed", want(), held(files=dict(ca=stat("0644", "old-ca"))), dict(write_ca=True, write_cli=False, changes=True)),
    ("CA mode", want(), held(files=dict(ca=stat("0600", CA_SUM))), dict(write_ca=True, changes=True)),
    ("okms.yaml missing", want(), held(files=dict(cli=None)), dict(write_cli=True, changes=True)),
    ("okms.yaml not asked for", want(cli=False), held(files=dict(cli=None)), dict(write_cli=False, changes=False)),
    ("directory mode", want(), held(files=dict(dir=stat("0755", isdir=True))), dict(fix_dir=True, changes=True)),
    ("directory is a file", want(), held(files=dict(dir=stat("0750"))), dict(fix_dir=True)),
    ("staged leftovers", want(), held(files=dict(key_new=stat("0600"), cert_new=stat("0644"))),
     dict(remove=["/etc/okms/domain.key.new", "/etc/okms/client.cert.new"], changes=True)),
]


@pytest.mark.parametrize("case, w, h, expected", FILE_CASES, ids=[row[0] for row in FILE_CASES])
def test_file_work(case, w, h, expected):
    plan = plan_one(w, h, credential())
    assert dict((key, plan[key]) for key in expected) == expected


@pytest.mark.parametrize("verify, changed, expected", [
    (dict(ok=True, msg=""), False, False),
    (dict(ok=False, msg="HTTP 503"), False, True),
    (None, False, False),
    (dict(ok=False, msg="HTTP 503"), True, False),
])
def test_a_failed_access_check_counts_only_for_files_kept(verify, changed, expected):
    files = dict(ca=stat("0644", "old")) if changed else {}
    assert plan_one(want(), held(verify=verify, files=files), credential())["access_failed"] is expected


def test_new_pair_leaves_the_old_modes_to_the_new_files():
    plan = plan_one(want(), held(files=dict(key=stat("0644"), key_new=stat("0600")), key_public_sha256="BB"), credential())
    assert plan["deploy"] and plan["attrs"] == []
    assert plan["old"] == [dict(id=ID1, name="h1")]
    assert plan["remove"] == ["/etc/okms/domain.key.new"]


def test_a_deleting_credential_is_not_replaced_twice():
    plan = plan_one(want(), held(), credential(status="DELETING"))
    assert plan["deploy"] and plan["old"] == []


def shared_hosts(*helds):
    return [("h%d" % index, want("h%d" % index, mode="shared", name="play"), h) for index, h in enumerate(helds, 1)]


def shared_credential(credential_id=ID1, **over):
    return credential(credential_id, name="play", fromCSR=False, **over)


# (case, helds, credentials by id, expected {host: (issue, deploy, copy_from)}, kept id)
SHARED_CASES = [
    ("every host holds the shared credential", [held(), held(), held()], {ID1: shared_credential()},
     dict(h1=(False, False, ""), h2=(False, False, ""), h3=(False, False, "")), ID1),
    ("a host lost the key: copied from the first holder", [held(), held(files=dict(key=None)), held()], {ID1: shared_credential()},
     dict(h1=(False, False, ""), h2=(False, True, "h1"), h3=(False, False, "")), ID1),
    ("the first host has nothing: copied from the second", [nothing_held(), held(), held()], {ID1: shared_credential()},
     dict(h1=(False, True, "h2"), h2=(False, False, ""), h3=(False, False, "")), ID1),
    ("no valid credential: one new for all", [held(), held(), held()], {ID1: shared_credential(expires_in_days=3.0)},
     dict(h1=(True, True, ""), h2=(True, True, ""), h3=(True, True, "")), None),
    ("nothing anywhere", [nothing_held(), nothing_held()], {},
     dict(h1=(True, True, ""), h2=(True, True, "")), None),
    ("two valid credentials: the one that expires last is kept",
     [held(), held(credential_id=ID2)],
     {ID1: shared_credential(expiredAt="2027-01-01T00:00:00Z"), ID2: shared_credential(ID2, expiredAt="2027-06-01T00:00:00Z")},
     dict(h1=(False, True, "h2"), h2=(False, False, "")), ID2),
]


@pytest.mark.parametrize("case, helds, credentials, expected, kept_id", SHARED_CASES, ids=[row[0] for row in SHARED_CASES])
def test_shared_mode(case, helds, credentials, expected, kept_id):
    hosts = shared_hosts(*helds)
    plans = engine.plan_play(hosts, credentials, [], CA_SUM, dict((host, CLI_SUM) for host, dummy, dummy in hosts))
    found = dict((host, (plan["issue"], plan["deploy"], plan["copy_from"])) for host, plan in plans["hosts"].items())
    assert found == expected
    assert (plans["kept"] or {}).get("id") == kept_id
    for host, plan in plans["hosts"].items():
        assert plan["kept_id"] == (kept_id or "")
        assert all(item["id"] != kept_id for item in plan["old"])
        assert bool(plan["reasons"]) == plan["deploy"], host


def test_shared_copy_replaces_the_hosts_other_credential():
    hosts = shared_hosts(held(), held(credential_id=ID2))
    plans = engine.plan_play(hosts, {ID1: shared_credential(expiredAt="2027-06-01T00:00:00Z"), ID2: shared_credential(ID2)}, [],
                             CA_SUM, {})
    assert plans["hosts"]["h2"]["old"] == [dict(id=ID2, name="play")]
    assert [item["reason"] for item in plans["hosts"]["h2"]["reasons"]] == ["credential"]


def test_listed_credentials_stand_in_for_reads_by_id():
    listed = [credential(ID1, expires_in_days=5.0), credential(ID2, name="h2")]
    plans = engine.plan_play([("h1", want(), held())], {}, listed, CA_SUM, {"h1": CLI_SUM})
    assert [item["reason"] for item in plans["hosts"]["h1"]["reasons"]] == ["renew_before_days"]


def test_absent_per_host_deletes_its_name_and_its_certificates_credential():
    listed = [credential(ID1, name="renamed"), credential(ID2), credential(ID3, name="h2")]
    plans = engine.plan_play([("h1", want(state="absent"), held())], {}, listed, None, {})
    plan = plans["hosts"]["h1"]
    assert sorted(item["id"] for item in plan["delete"]) == [ID1, ID2]
    assert plan["remove"] == ["/etc/okms/domain.key", "/etc/okms/client.cert", "/etc/okms/ca.pem", "/etc/okms/okms.yaml"]
    assert plan["remove_dir"] and plan["changes"]


def test_absent_shared_deletes_once_on_the_first_host():
    hosts = [(host, dict(w, state="absent"), h) for host, w, h in shared_hosts(held(), nothing_held())]
    listed = [shared_credential(), shared_credential(ID2, status="DELETING")]
    plans = engine.plan_play(hosts, {}, listed, None, {})["hosts"]
    assert [item["id"] for item in plans["h1"]["delete"]] == [ID1]
    assert plans["h2"] == dict(delete=[], remove=[], remove_dir=False, changes=False)


def test_absent_with_nothing_left_changes_nothing():
    plans = engine.plan_play([("h1", want(state="absent"), nothing_held())], {}, [], None, {})
    assert plans["hosts"]["h1"]["changes"] is False


def test_no_host():
    assert engine.plan_play([], {}, [], CA_SUM, {}) == dict(hosts={}, kept=None)


# (regenerate, drift, renewal, expected decision, expected reason codes)
DRIFT = [engine.reason("identity_urns", "differs")]
RENEW = [engine.reason("renew_before_days", "soon")]
DECISION_CASES = [
    ("always", [], [], engine.REPLACE, ["regenerate"]),
    ("always", DRIFT, RENEW, engine.REPLACE, ["identity_urns", "renew_before_days", "regenerate"]),
    ("never", DRIFT, RENEW, engine.KEEP, ["identity_urns", "renew_before_days"]),
    ("fail", [], [], engine.KEEP, []),
    ("fail", DRIFT, [], engine.FAIL, ["identity_urns"]),
    ("fail", DRIFT, RENEW, engine.REPLACE, ["identity_urns", "renew_before_days"]),
    ("fail", [], RENEW, engine.REPLACE, ["renew_before_days"]),
    ("on_drift", DRIFT, [], engine.REPLACE, ["identity_urns"]),
    ("on_drift", [], [], engine.KEEP, []),
]


@pytest.mark.parametrize("regenerate, drift, renew, decision, codes", DECISION_CASES)
def test_decide_replacement(regenerate, drift, renew, decision, codes):
    found, reasons = engine.decide_replacement(regenerate, drift, renew)
    assert found == decision
    assert [item["reason"] for item in reasons] == codes


def test_key_origin_of_a_csr_whose_key_differs():
    assert [item["reason"] for item in engine.key_origin_drift(credential(), True, csr_key_matches=False)] == ["csr"]
    assert engine.key_origin_drift(credential(), True, csr_key_matches=True) == []
    assert engine.key_origin_drift(credential(fromCSR=False, certificateType="RSA"), False, wanted_type=None) == []


def test_renewal_does_not_count_an_expired_credential_twice():
    assert engine.renewal("EXPIRED", -3.0, 30) == []
    assert engine.renewal("READY", None, 30) == []
    assert engine.renewal("READY", 30.0, 30)[0]["reason"] == "renew_before_days"


def test_private_key_drift():
    assert engine.private_key_drift(None, b"a", b"a", "/k") == []
    assert engine.private_key_drift(None, None, b"a", "/k") == []
    assert "holds another key" in engine.private_key_drift(None, b"a", b"b", "/k")[0]["message"]
    assert engine.private_key_drift("/k does not exist", None, None, "/k")[0]["message"] == "the private key is lost: /k does not exist"


def play_wants(*rows):
    return [(host, want(host, **over)) for host, over in rows]


# (case, wants, whole play in the batch, expected problem fragments)
PLAY_CASES = [
    ("consistent", play_wants(("h1", {}), ("h2", {})), True, []),
    ("two domains", play_wants(("h1", {}), ("h2", dict(okms_id=ID1))), True, ["okms_client_okms_id must be the same"]),
    ("two modes", play_wants(("h1", {}), ("h2", dict(mode="per_host"))), True, ["okms_client_mode must be the same"]),
    ("two states", play_wants(("h1", {}), ("h2", dict(state="absent"))), True, ["okms_client_state must be the same"]),
    ("shared with two names", play_wants(("h1", dict(mode="shared", name="a")), ("h2", dict(mode="shared", name="b"))), True,
     ["okms_client_name must be the same for every host in the shared mode"]),
    ("shared in batches", play_wants(("h1", dict(mode="shared", name="a"))), False, ["needs every host of the play in one batch"]),
    ("one name for two hosts", play_wants(("h1", dict(name="web")), ("h2", dict(name="web"))), True,
     ["'web' is given to several hosts (h1, h2)"]),
]


@pytest.mark.parametrize("case, wants, whole, fragments", PLAY_CASES, ids=[row[0] for row in PLAY_CASES])
def test_play_problems(case, wants, whole, fragments):
    problems = engine.play_problems(wants, whole)
    assert len(problems) == len(fragments)
    for problem, fragment in zip(problems, fragments):
        assert fragment in problem


def test_owned_query_terms():
    names, ids = engine.owned_query_terms([want("b"), want("a"), want("a")], [held(), held(ID2), nothing_held()])
    assert names == ["a", "b"] and ids == [ID1, ID2]


def test_plans_do_not_change_their_inputs():
    w, h, c = want(), held(key_public_sha256="BB"), credential()
    before = copy.deepcopy((w, h, c))
    plan_one(w, h, c)
    assert (w, h, c) == before


# certificateType as the API reports it: EC is ECDSA (OVH's control panel), missing is the API's default, unknown is kept
CERTIFICATE_TYPE_CASES = [
    # (case, reported, wanted, expected reason codes, warns)
    ("same type", "ECDSA", "ECDSA", [], False),
    ("EC is ECDSA", "EC", "ECDSA", [], False),
    ("lower case ec", "ec", "ECDSA", [], False),
    ("missing is the default ECDSA", None, "ECDSA", [], False),
    ("empty is the default ECDSA", "", "ECDSA", [], False),
    ("missing, RSA asked", None, "RSA", ["certificate_type"], False),
    ("EC, RSA asked", "EC", "RSA", ["certificate_type"], False),
    ("RSA, ECDSA asked", "RSA", "ECDSA", ["certificate_type"], False),
    ("rsa in lower case", "rsa", "RSA", [], False),
    ("nothing asked", "RSA", None, [], False),
    ("unknown type never replaces", "ED25519", "ECDSA", [], True),
    ("unknown type never replaces RSA either", "ED25519", "RSA", [], True),
]


@pytest.mark.parametrize("case, reported, wanted, codes, warns", CERTIFICATE_TYPE_CASES, ids=[row[0] for row in CERTIFICATE_TYPE_CASES])
def test_certificate_type_rule(case, reported, wanted, codes, warns):
    api_credential = credential(fromCSR=False, certificateType=reported)
    assert [item["reason"] for item in engine.key_origin_drift(api_credential, False, wanted_type=wanted)] == codes
    assert bool(engine.certificate_type_warning(api_credential)) == warns


def test_the_role_keeps_an_ec_credential_and_warns_about_an_unknown_one():
    assert plan_one(want(mode="per_host"), held(), credential(fromCSR=False, certificateType="EC"))["reasons"] == []
    plan = plan_one(want(mode="per_host"), held(), credential(fromCSR=False, certificateType="X25519"))
    assert plan["deploy"] is False and plan["changes"] is False
    assert plan["access_warning"] is True
    assert plan["warnings"] and "X25519" in plan["warnings"][0] and "kept" in plan["warnings"][0]
