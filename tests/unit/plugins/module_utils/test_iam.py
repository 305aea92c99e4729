# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""IAM rules as tables: actions and presets, URNs, the wanted policy and its changes, evaluation, preflight findings."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.okms.access.plugins.module_utils._iam import (
    PRESETS,
    IamInputError,
    check_actions,
    comparable,
    condition_holds,
    controller_findings,
    decide,
    domain_urn,
    expand_actions,
    finding_message,
    group_urn,
    identity_findings,
    identity_parts,
    plane_actions,
    plate_of_endpoint,
    policy_body,
    policy_changes,
    urn_of_domain,
    wanted_actions,
    wanted_policy,
    wildcard_match,
)

OKMS_ID = "5bd4a4c0-1f2a-4d6e-9b1c-0123456789ab"
DOMAIN = domain_urn(OKMS_ID)
USER = "urn:v1:eu:identity:user:xx1111-ovh/web"
GROUP = "urn:v1:eu:identity:group:xx1111-ovh/servers"
OTHER = "urn:v1:eu:identity:user:xx1111-ovh/other"
RANDOM = "okms:apikms:random/get"
CONFIG = "okms:apikms:secretConfig/get"
NOW = datetime.datetime(2026, 12, 3, 12, 0, tzinfo=datetime.timezone.utc)


def policy(name, identities, allow=(), except_=(), deny=(), resources=(DOMAIN,), **extra):
    permissions = {"allow": [{"action": action} for action in allow]}
    if except_:
        permissions["except"] = [{"action": action} for action in except_]
    if deny:
        permissions["deny"] = [{"action": action} for action in deny]
    return dict({"name": name, "identities": list(identities), "resources": [{"urn": urn} for urn in resources],
                 "permissions": permissions}, **extra)


@pytest.mark.parametrize("pattern, value, expected", [
    ("*", "anything", True),
    ("okms:apikms:*", RANDOM, True),
    ("okms:apikms:secret/*", RANDOM, False),
    ("okms:apikms:secret/*", "okms:apikms:secret/version/getData", True),
    ("*/get", RANDOM, True),
    ("*:random*", RANDOM, True),
    ("urn:v1:eu:resource:okms:*", DOMAIN, True),
    ("urn:v1:eu:resource:okms:other", DOMAIN, False),
    (RANDOM, RANDOM, True),
    (RANDOM, CONFIG, False),
])
def test_wildcard_match(pattern, value, expected):
    assert wildcard_match(pattern, value) is expected


@pytest.mark.parametrize("action, ok", [
    (RANDOM, True),
    ("okms:apiovh:credential/create", True),
    ("account:apiovh:iam/policy/get", True),
    ("account:apiovh:iam/policy/create", False),
    ("okms:apikms:secret/*", True),
    ("okms:*", True),
    ("okms:apikms:random/post", False),
    ("okms:apikms:nothing*", False),
    ("dnsZone:apiovh:get", False),
    ("*", False),
    (3, False),
])
def test_check_actions(action, ok):
    if ok:
        check_actions("actions", [action])
    else:
        with pytest.raises(IamInputError, match="actions: .* is not an okms action"):
            check_actions("actions", [action])


def test_expand_actions():
    assert set(expand_actions("okms:apikms:serviceKey/dataKey/*")) == {
        "okms:apikms:serviceKey/dataKey/create", "okms:apikms:serviceKey/dataKey/decrypt"}


def test_every_preset_holds_known_actions_only():
    for actions in PRESETS.values():
        check_actions("preset", actions)


@pytest.mark.parametrize("presets, actions, expected", [
    (["access_check"], [], [RANDOM, CONFIG]),
    (["access_check", "access_check"], [RANDOM], [RANDOM, CONFIG]),
    ([], ["okms:apikms:serviceKey/get"], ["okms:apikms:serviceKey/get"]),
    (["secrets_read"], [], ["okms:apikms:secret/get", "okms:apikms:secret/version/getData",
                            "okms:apiovh:secret/get", "okms:apiovh:secret/version/getData"]),
])
def test_wanted_actions(presets, actions, expected):
    assert wanted_actions(presets, actions) == expected


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(IamInputError, match=r"okms_access: unknown preset 'secret_read' \(known: access_check, "):
        wanted_actions(["secret_read"], [])


def test_plane_actions():
    actions = wanted_actions(["secrets_read"], [])
    assert plane_actions(actions, "okms:apikms:") == ["okms:apikms:secret/get", "okms:apikms:secret/version/getData"]


@pytest.mark.parametrize("endpoint, plate", [("ovh-eu", "eu"), ("ovh-ca", "ca"), ("ovh-us", "us"), (None, "eu"),
                                             ("https://127.0.0.1:8443/1.0", "eu")])
def test_plate_of_endpoint(endpoint, plate):
    assert plate_of_endpoint(endpoint) == plate


@pytest.mark.parametrize("domain, plate, expected", [
    ({"iam": {"urn": "urn:v1:ca:resource:okms:" + OKMS_ID}}, "eu", "urn:v1:ca:resource:okms:" + OKMS_ID),
    ({"iam": None}, "us", "urn:v1:us:resource:okms:" + OKMS_ID),
    ({}, "eu", DOMAIN),
])
def test_urn_of_domain(domain, plate, expected):
    assert urn_of_domain(domain, OKMS_ID, plate) == expected


@pytest.mark.parametrize("urn, parts", [
    (USER, ("eu", "user", "xx1111-ovh", "web")),
    ("urn:v1:ca:identity:account:xx1111-ovh", ("ca", "account", "xx1111-ovh", "")),
    ("urn:v1:eu:resource:okms:x", None),
    ("not a urn", None),
])
def test_identity_parts(urn, parts):
    assert identity_parts(urn) == parts


def test_group_urn():
    assert group_urn(USER, "servers") == GROUP


def params(**changes):
    base = {"name": "web-access", "description": "", "identities": [USER], "okms_access": ["access_check"],
            "actions": [], "except_actions": [], "deny_actions": [], "permissions_groups": [], "conditions": None,
            "expired_at": None}
    return dict(base, **changes)


@pytest.mark.parametrize("changes, resources, problem", [
    ({"okms_access": [], "actions": []}, [DOMAIN], "would grant nothing"),
    ({"identities": []}, [DOMAIN], "identities: list at least one"),
    ({"identities": ["xx1111-ovh"]}, [DOMAIN], "identities: 'xx1111-ovh' is not an identity URN"),
    ({}, [], "needs okms_ids or resources"),
    ({"name": "ovh-mine"}, [DOMAIN], "prefix 'ovh-' is reserved"),
    ({"deny_actions": ["okms:apikms:nope"]}, [DOMAIN], "deny_actions: 'okms:apikms:nope'"),
    ({"except_actions": ["x"]}, [DOMAIN], "except_actions: 'x'"),
])
def test_wanted_policy_refuses(changes, resources, problem):
    with pytest.raises(IamInputError, match=problem):
        wanted_policy(params(**changes), resources)


def test_policy_body_is_canonical_and_compares_equal_to_the_answer():
    body = policy_body(wanted_policy(params(identities=[USER, GROUP, USER], deny_actions=[CONFIG]), [DOMAIN]))
    assert body == {
        "name": "web-access", "identities": [GROUP, USER], "resources": [{"urn": DOMAIN}],
        "permissions": {"allow": [{"action": RANDOM}, {"action": CONFIG}], "deny": [{"action": CONFIG}]},
    }
    answer = dict(body, id="x", owner="xx1111-ovh", readOnly=False, createdAt="2026-01-01T00:00:00Z",
                  identities=[USER, GROUP], permissionsGroups=[], description=None,
                  resources=[{"urn": DOMAIN, "resource": {"type": "okms"}}])
    assert policy_changes(answer, body) == []


@pytest.mark.parametrize("changes, fields", [
    ({"description": "new"}, ["description"]),
    ({"identities": [USER, OTHER]}, ["identities"]),
    ({"actions": ["okms:apikms:serviceKey/get"]}, ["allow"]),
    ({"except_actions": [RANDOM]}, ["except"]),
    ({"deny_actions": [RANDOM]}, ["deny"]),
    ({"permissions_groups": ["urn:v1:eu:permissionsGroup:ovh:x"]}, ["permissions_groups"]),
    ({"conditions": {"operator": "MATCH", "values": {"request.IP": "10.0.0.1"}}}, ["conditions"]),
    ({"expired_at": "2030-01-01T00:00:00Z"}, ["expired_at"]),
    ({"description": "d", "okms_access": ["keys_use"]}, ["allow", "description"]),
])
def test_policy_changes(changes, fields):
    current = policy_body(wanted_policy(params(), [DOMAIN]))
    assert policy_changes(current, policy_body(wanted_policy(params(**changes), [DOMAIN]))) == fields


def test_same_expiry_written_differently_is_no_change():
    current = dict(policy_body(wanted_policy(params(), [DOMAIN])), expiredAt="2030-01-01T00:00:00.000000Z")
    assert policy_changes(current, policy_body(wanted_policy(params(expired_at="2030-01-01T01:00:00+01:00"), [DOMAIN]))) == []


def test_comparable_of_a_sparse_answer():
    assert comparable({"name": "n"})["allow"] == []


IP_ONLY = {"operator": "MATCH", "values": {"request.IP": "10.1.0.0/24"}}


@pytest.mark.parametrize("condition, context, expected", [
    (None, {}, True),
    (IP_ONLY, {"ip": "10.1.0.7"}, True),
    (IP_ONLY, {"ip": "10.2.0.7"}, False),
    (IP_ONLY, {}, None),
    ({"operator": "MATCH", "values": {"request.IP": "10.9.9.9,10.1.0.7"}}, {"ip": "10.1.0.7"}, True),
    ({"operator": "MATCH", "values": {"request.IP": "10.1.0.7", "resource.Tag(env)": "prod"}}, {"ip": "10.1.0.7"}, None),
    ({"operator": "MATCH", "values": {"request.IP": "10.1.0.8", "resource.Tag(env)": "prod"}}, {"ip": "10.1.0.7"}, False),
    ({"operator": "OR", "conditions": [IP_ONLY, {"operator": "MATCH", "values": {"request.IP": "10.3.0.1"}}]}, {"ip": "10.3.0.1"}, True),
    ({"operator": "AND", "conditions": [IP_ONLY, {"operator": "MATCH", "values": {"request.IP": "10.3.0.1"}}]}, {"ip": "10.3.0.1"}, False),
    ({"operator": "NOT", "conditions": [IP_ONLY]}, {"ip": "10.3.0.1"}, True),
    ({"operator": "NOT", "conditions": [IP_ONLY]}, {}, None),
    ({"operator": "XOR"}, {}, None),
])
def test_condition_holds(condition, context, expected):
    assert condition_holds(condition, context) is expected


ALLOW_USER = policy("allow-user", [USER], [RANDOM, CONFIG])
ALLOW_ALL_EXCEPT = policy("all-but-random", [USER], ["okms:apikms:*"], except_=[RANDOM])
DENY_RANDOM = policy("deny-random", [GROUP], deny=[RANDOM])
GROUP_ALLOWS = policy("group-allows", [GROUP], [RANDOM])
OTHER_DOMAIN = policy("other-domain", [USER], [RANDOM], resources=["urn:v1:eu:resource:okms:other"])
WILD_DOMAIN = policy("every-domain", [USER], [RANDOM], resources=["urn:v1:eu:resource:okms:*"])
EXPIRED = policy("expired", [USER], [RANDOM], expiredAt="2026-01-01T00:00:00Z")
FROM_NET = policy("from-net", [USER], [RANDOM], conditions=IP_ONLY)
DEFAULT = policy("ovh-default", ["urn:v1:eu:identity:account:xx1111-ovh"], ["*"],
                 resources=["urn:v1:eu:resourceGroup:1234"], readOnly=True)
PERMISSIONS_GROUP = {"urn": "urn:v1:eu:permissionsGroup:x", "permissions": {"allow": [{"action": RANDOM}]}}
GROUPED = policy("by-permissions-group", [USER], [], permissionsGroups=[PERMISSIONS_GROUP])


@pytest.mark.parametrize("policies, identities, context, granted, key, names", [
    ([], [USER], {}, False, "allowed_by", []),
    ([ALLOW_USER], [USER], {}, True, "allowed_by", ["allow-user"]),
    ([ALLOW_USER], [OTHER], {}, False, "allowed_by", []),
    ([ALLOW_ALL_EXCEPT], [USER], {}, False, "excepted_by", ["all-but-random"]),
    ([ALLOW_ALL_EXCEPT, ALLOW_USER], [USER], {}, True, "allowed_by", ["allow-user"]),
    ([ALLOW_USER, DENY_RANDOM], [USER, GROUP], {}, False, "denied_by", ["deny-random"]),
    ([ALLOW_USER, DENY_RANDOM], [USER], {}, True, "allowed_by", ["allow-user"]),
    ([GROUP_ALLOWS], [USER, GROUP], {}, True, "allowed_by", ["group-allows"]),
    ([OTHER_DOMAIN], [USER], {}, False, "allowed_by", []),
    ([WILD_DOMAIN], [USER], {}, True, "allowed_by", ["every-domain"]),
    ([EXPIRED], [USER], {}, False, "allowed_by", []),
    ([FROM_NET], [USER], {}, None, "conditional_allow", ["from-net"]),
    ([FROM_NET], [USER], {"ip": "10.1.0.9"}, True, "allowed_by", ["from-net"]),
    ([FROM_NET], [USER], {"ip": "192.0.2.1"}, False, "allowed_by", []),
    ([DEFAULT], ["urn:v1:eu:identity:account:xx1111-ovh"], {}, True, "allowed_by", ["ovh-default"]),
    ([DEFAULT], [USER], {}, False, "allowed_by", []),
    ([GROUPED], [USER], {}, True, "allowed_by", ["by-permissions-group"]),
    ([ALLOW_USER, dict(DENY_RANDOM, conditions=IP_ONLY)], [USER, GROUP], {}, None, "conditional_deny", ["deny-random"]),
    ([ALLOW_USER, dict(DENY_RANDOM, conditions=IP_ONLY)], [USER, GROUP], {"ip": "192.0.2.1"}, True, "allowed_by", ["allow-user"]),
])
def test_decide(policies, identities, context, granted, key, names):
    decision = decide(policies, identities, DOMAIN, RANDOM, context, NOW)
    assert decision["granted"] is granted
    assert decision[key] == names


def test_identity_findings_name_the_fix():
    findings = identity_findings([ALLOW_USER, DENY_RANDOM], USER, [GROUP], OKMS_ID, DOMAIN,
                                 [RANDOM, CONFIG, "okms:apikms:serviceKey/encrypt"], now=NOW)
    by_action = {finding["action"]: finding for finding in findings}
    assert by_action[CONFIG]["granted"] is True and "fix" not in by_action[CONFIG]
    assert by_action[RANDOM]["denied_by"] == ["deny-random"]
    assert "remove okms:apikms:random/get from deny_actions of the policy 'deny-random'" in by_action[RANDOM]["fix"]
    encrypt = by_action["okms:apikms:serviceKey/encrypt"]
    assert encrypt["fix"] == ("add a policy: okms.access.okms_iam_policy: {name: okms-5bd4a4c0, identities: [%s], "
                              "okms_ids: [%s], okms_access: [keys_use]}" % (USER, OKMS_ID))
    message = finding_message(encrypt)
    assert message.startswith("identity %s on KMS domain %s lacks okms:apikms:serviceKey/encrypt (no policy grants it)" % (USER, OKMS_ID))


def test_excepted_finding_names_the_policy():
    [finding] = identity_findings([ALLOW_ALL_EXCEPT], USER, [], OKMS_ID, DOMAIN, [RANDOM], now=NOW)
    assert "except_actions of the policy 'all-but-random'" in finding["fix"]
    assert "denied by all-but-random" in finding_message(finding)


def test_conditional_finding_message():
    [finding] = identity_findings([FROM_NET], USER, [], OKMS_ID, DOMAIN, [RANDOM], now=NOW)
    assert finding["granted"] is None
    assert "only under a condition" in finding_message(finding)


def test_controller_findings():
    answer = {"authorizedActions": ["okms:apiovh:resource/get"], "unauthorizedActions": ["okms:apiovh:credential/create"]}
    findings = controller_findings(answer, ["okms:apiovh:resource/get", "okms:apiovh:credential/create",
                                            "okms:apiovh:credential/get"], OKMS_ID, "urn:v1:eu:identity:account:xx")
    assert [finding["action"] for finding in findings] == ["okms:apiovh:credential/create", "okms:apiovh:credential/get"]
    assert "credentials_manage" in findings[0]["fix"]


def test_the_listing_right_is_fixed_on_the_account():
    controller = "urn:v1:eu:identity:credential:xx1111-ovh/oauth2-abc"
    [finding] = controller_findings({"unauthorizedActions": ["account:apiovh:iam/policy/get"]},
                                    ["account:apiovh:iam/policy/get"], OKMS_ID, controller)
    assert finding["fix"] == ("add a policy: okms.access.okms_iam_policy: {name: okms-iam-read, identities: [%s], "
                              "resources: [urn:v1:eu:resource:account:xx1111-ovh], okms_access: [iam_read]}" % controller)
