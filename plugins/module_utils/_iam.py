# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""OVH IAM v2 for KMS domains: actions, presets, URNs, the policies' wanted state, and how OVH evaluates them.

Pure functions (no I/O), shared by okms_iam_policy, okms_iam_policy_info, okms_iam_preflight and the role.

Sources (see docs/iam.md):

- policy shape (``name``, ``description``, ``identities``, ``resources[].urn``, ``permissions.allow|except|deny[].action``,
  ``permissionsGroups[].urn``, ``conditions``, ``expiredAt``, ``readOnly``): OVH's IAM v2 schema
  (``iam.policy.Creation`` / ``Update`` / ``Response``, as carried by ovh/ovhcloud-cli) and terraform-provider-ovh's
  ``ovh_iam_policy`` (POST ``/v2/iam/policy``, PUT and DELETE ``/v2/iam/policy/{policyId}``);
- evaluation: OVH's guide "How to use IAM policies using the OVHcloud API": everything is denied by default; ``allow``
  grants; ``except`` removes actions from the same policy's ``allow`` only; ``deny`` wins over every other policy;
  URNs and actions may end (URNs also begin) with a ``*`` wildcard; a policy past its ``expiredAt`` no longer applies;
- actions: the ``x-iam-actions`` of OVH's ``/okms`` API v2 schema (``okms:apiovh:``) and the IAM table of the KMS REST
  API's OpenAPI file in ovh/okms-sdk-go (``okms:apikms:``).
"""

from __future__ import annotations

import datetime
import ipaddress
import json

KMS_PREFIX = "okms:apikms:"
OVH_PREFIX = "okms:apiovh:"

# okms-sdk-go .github/codegen/schemas/swagger.yaml (KMS REST API 2.14.0): the data plane, over mutual TLS
KMS_ACTIONS = tuple(KMS_PREFIX + suffix for suffix in (
    "random/get",
    "serviceKey/create", "serviceKey/import", "serviceKey/get", "serviceKey/update", "serviceKey/delete",
    "serviceKey/activate", "serviceKey/deactivate", "serviceKey/encrypt", "serviceKey/decrypt",
    "serviceKey/sign", "serviceKey/verify", "serviceKey/dataKey/create", "serviceKey/dataKey/decrypt",
    "secret/get", "secret/create", "secret/delete", "secret/updateMetadata", "secret/subKeys/get",
    "secret/version/create", "secret/version/getData", "secret/version/delete", "secret/version/activate",
    "secret/version/deactivate", "secretConfig/get", "secretConfig/update",
))
# OVH API v2 schema, section /okms (x-iam-actions): the OVH API, called by the controller
OVH_ACTIONS = tuple(OVH_PREFIX + suffix for suffix in (
    "resource/get", "credential/get", "credential/create", "credential/delete",
    "log/kind/get", "log/subscription/create", "log/subscription/delete", "log/subscription/get", "log/url/create",
    "secret/create", "secret/delete", "secret/edit", "secret/get", "secret/updateMetadata",
    "secret/version/activate", "secret/version/create", "secret/version/deactivate", "secret/version/delete",
    "secret/version/edit", "secret/version/getData", "secretConfig/get", "secretConfig/update",
    "serviceKey/activate", "serviceKey/create", "serviceKey/deactivate", "serviceKey/delete", "serviceKey/get",
    "serviceKey/import", "serviceKey/update",
))
# OVH IAM v2 schema (x-iam-actions of /iam/policy): listing the policies, which the preflight needs (on the account)
ACCOUNT_ACTIONS = ("account:apiovh:iam/policy/get",)
KNOWN_ACTIONS = KMS_ACTIONS + OVH_ACTIONS + ACCOUNT_ACTIONS

# What the collection's own parts need. A preset may hold both planes: the hosts use the okms:apikms: actions
# (mutual TLS), the controller the okms:apiovh: ones (OVH API).
PRESETS = {
    # the role's access check: GET /v1/random?length=1, or GET /v2/secretConfig where random is not served
    "access_check": (KMS_PREFIX + "random/get", KMS_PREFIX + "secretConfig/get"),
    # okms-cli's `keys` commands on service keys: list/get, encrypt/decrypt, sign/verify, data keys
    "keys_use": tuple(KMS_PREFIX + "serviceKey/" + suffix for suffix in (
        "get", "encrypt", "decrypt", "sign", "verify", "dataKey/create", "dataKey/decrypt")),
    # a secret's data: okms_secret_info / the lookup / okms.access.secrets (OVH API) and okms-cli (mutual TLS)
    "secrets_read": (
        KMS_PREFIX + "secret/get", KMS_PREFIX + "secret/version/getData",
        OVH_PREFIX + "secret/get", OVH_PREFIX + "secret/version/getData",
    ),
    # okms_secret: create, new versions, metadata (reading first, to compare)
    "secrets_write": (
        KMS_PREFIX + "secret/get", KMS_PREFIX + "secret/create", KMS_PREFIX + "secret/version/create",
        KMS_PREFIX + "secret/updateMetadata",
        OVH_PREFIX + "secret/get", OVH_PREFIX + "secret/create", OVH_PREFIX + "secret/edit",
        OVH_PREFIX + "secret/version/create", OVH_PREFIX + "secret/updateMetadata", OVH_PREFIX + "secret/version/edit",
    ),
    # okms_iam_preflight on the controller: list the IAM policies (a right on the account: resources [account URN])
    "iam_read": ACCOUNT_ACTIONS,
    # okms_certificate and the role on the controller: read the domain, list, create and delete credentials
    "credentials_manage": (
        OVH_PREFIX + "resource/get", OVH_PREFIX + "credential/get", OVH_PREFIX + "credential/create",
        OVH_PREFIX + "credential/delete",
    ),
}

PLATES = {"ovh-eu": "eu", "ovh-ca": "ca", "ovh-us": "us"}
IDENTITY_PREFIX = "urn:v1:%s:identity:"


class IamInputError(ValueError):
    """Bad input found before any API call; the message names the option, the problem and the fix."""


# --- actions ---------------------------------------------------------------------------------------------------


def wildcard_match(pattern, value):
    """OVH's URN and action wildcard: ``*`` alone, or one ``*`` at the end and/or the beginning."""
    if pattern == "*":
        return True
    starts, ends = pattern.startswith("*"), pattern.endswith("*")
    core = pattern.strip("*")
    if starts and ends:
        return core in value
    if ends:
        return value.startswith(core)
    if starts:
        return value.endswith(core)
    return pattern == value


def expand_actions(pattern):
    """The known actions an action or wildcard stands for."""
    return tuple(action for action in KNOWN_ACTIONS if wildcard_match(pattern, action))


def check_actions(option, actions):
    """IamInputError naming the first action that is not an okms action of OVH's reference list."""
    for action in actions:
        known = isinstance(action, str) and (action in ACCOUNT_ACTIONS or action.startswith("okms:") and expand_actions(action))
        if not known:
            raise IamInputError(
                "%s: %r is not an okms action of OVH's reference list: write an okms:apikms: or okms:apiovh: action "
                "(a trailing * is allowed, e.g. okms:apikms:secret/*) or use a preset of okms_access (%s)"
                % (option, action, ", ".join(sorted(PRESETS))))


def preset_actions(option, names):
    """The actions of presets, in preset order, each once; IamInputError for an unknown name."""
    actions = []
    for name in names:
        if name not in PRESETS:
            raise IamInputError("%s: unknown preset %r (known: %s)" % (option, name, ", ".join(sorted(PRESETS))))
        actions.extend(action for action in PRESETS[name] if action not in actions)
    return actions


def wanted_actions(presets, actions, option="okms_access"):
    """Presets' actions then the listed ones, checked, each once, order kept."""
    merged = preset_actions(option, presets or [])
    check_actions("actions", actions or [])
    merged.extend(action for action in actions or [] if action not in merged)
    return merged


def account_urn(identity):
    """The account resource URN (``urn:v1:{plate}:resource:account:{nic}``) of an identity's account."""
    plate, _kind, nichandle, _name = identity_parts(identity)
    return "urn:v1:%s:resource:account:%s" % (plate, nichandle)


def plane_actions(actions, prefix):
    """The actions of one plane (KMS_PREFIX: the hosts, over mutual TLS; OVH_PREFIX: the controller)."""
    return [action for action in actions if action.startswith(prefix)]


# --- URNs ------------------------------------------------------------------------------------------------------


def plate_of_endpoint(endpoint):
    """The URN plate (eu, ca, us) of an OVH endpoint name; ``eu`` for a full URL (the emulator, a proxy)."""
    return PLATES.get(endpoint or "ovh-eu", "eu")


def domain_urn(okms_id, plate="eu"):
    """A KMS domain's resource URN as OVH builds it (``iam.urn`` of GET /v2/okms/resource/{okmsId})."""
    return "urn:v1:%s:resource:okms:%s" % (plate, okms_id)


def urn_of_domain(domain, okms_id, plate="eu"):
    """The URN the API gives in the domain's ``iam.urn``, else the one derived from its id."""
    iam = domain.get("iam") if isinstance(domain, dict) else None
    if isinstance(iam, dict) and iam.get("urn"):
        return iam["urn"]
    return domain_urn(okms_id, plate)


def identity_parts(urn):
    """``(plate, kind, nichandle, name)`` of ``urn:v1:{plate}:identity:{kind}:{nic}[/{name}]``; None otherwise."""
    parts = urn.split(":") if isinstance(urn, str) else []
    if len(parts) != 6 or parts[:2] != ["urn", "v1"] or parts[3] != "identity":
        return None
    nichandle, _sep, name = parts[5].partition("/")
    return parts[2], parts[4], nichandle, name


def group_urn(user_urn, group):
    """The URN of the group ``group`` of the user identity ``user_urn`` (same plate and account)."""
    plate, _kind, nichandle, _name = identity_parts(user_urn)
    return "urn:v1:%s:identity:group:%s/%s" % (plate, nichandle, group)


# --- a policy's wanted state and its comparison -----------------------------------------------------------------


def _action_list(actions):
    return [{"action": action} for action in sorted(set(actions))]


def policy_body(want):
    """The POST/PUT body (``iam.policy.Creation``/``Update``) of a wanted policy (see ``wanted_policy``)."""
    body = {
        "name": want["name"],
        "identities": sorted(set(want["identities"])),
        "resources": [{"urn": urn} for urn in sorted(set(want["resources"]))],
        "permissions": {"allow": _action_list(want["allow"])},
    }
    for field in ("except", "deny"):
        if want[field]:
            body["permissions"][field] = _action_list(want[field])
    if want["permissions_groups"]:
        body["permissionsGroups"] = [{"urn": urn} for urn in sorted(set(want["permissions_groups"]))]
    if want["description"]:
        body["description"] = want["description"]
    if want["conditions"]:
        body["conditions"] = want["conditions"]
    if want["expired_at"]:
        body["expiredAt"] = want["expired_at"]
    return body


def wanted_policy(params, resources):
    """The wanted state of okms_iam_policy's options (resources: the URNs, domains' included); IamInputError."""
    allow = wanted_actions(params.get("okms_access"), params.get("actions"))
    except_actions, deny = params.get("except_actions") or [], params.get("deny_actions") or []
    check_actions("except_actions", except_actions)
    check_actions("deny_actions", deny)
    if not allow and not deny and not params.get("permissions_groups"):
        raise IamInputError("a policy needs okms_access, actions, deny_actions or permissions_groups: it would grant nothing")
    if not params.get("identities"):
        raise IamInputError("identities: list at least one identity URN (urn:v1:eu:identity:user:xx1111-ovh/name ...)")
    for urn in params["identities"]:
        if identity_parts(urn) is None:
            raise IamInputError("identities: %r is not an identity URN (urn:v1:{eu|ca|us}:identity:{kind}:{nic}[/{name}])" % urn)
    if not resources:
        raise IamInputError("a policy needs okms_ids or resources: name the KMS domains it applies to")
    if params["name"].startswith("ovh-"):
        raise IamInputError("name: the prefix 'ovh-' is reserved for OVHcloud's own policies; choose another name")
    return {
        "name": params["name"], "description": params.get("description") or "",
        "identities": list(params["identities"]), "resources": list(resources),
        "allow": allow, "except": list(except_actions), "deny": list(deny),
        "permissions_groups": list(params.get("permissions_groups") or []),
        "conditions": params.get("conditions") or None, "expired_at": params.get("expired_at") or "",
    }


def _actions_of(permissions, field):
    return sorted({item.get("action") for item in (permissions or {}).get(field) or [] if isinstance(item, dict)})


def comparable(policy):
    """What okms_iam_policy compares and shows in a diff, from an API policy or a POST/PUT body."""
    permissions = policy.get("permissions") or {}
    return {
        "name": policy.get("name"),
        "description": policy.get("description") or "",
        "identities": sorted(set(policy.get("identities") or [])),
        "resources": sorted({item.get("urn") for item in policy.get("resources") or []}),
        "allow": _actions_of(permissions, "allow"),
        "except": _actions_of(permissions, "except"),
        "deny": _actions_of(permissions, "deny"),
        "permissions_groups": sorted({item.get("urn") for item in policy.get("permissionsGroups") or []}),
        "conditions": policy.get("conditions") or None,
        "expired_at": policy.get("expiredAt") or "",
    }


def _same_time(first, second):
    try:
        return parse_time(first) == parse_time(second)
    except ValueError:
        return first == second


def policy_changes(current, body):
    """The comparable fields whose value differs between an API policy and the wanted body, sorted."""
    have, want = comparable(current), comparable(body)
    changed = []
    for field in sorted(want):
        if field == "expired_at" and have[field] and want[field] and _same_time(have[field], want[field]):
            continue
        if field == "conditions" and json.dumps(have[field], sort_keys=True) == json.dumps(want[field], sort_keys=True):
            continue
        if have[field] != want[field]:
            changed.append(field)
    return changed


def find_by_name(policies, name):
    """The policies named ``name``."""
    return [policy for policy in policies if policy.get("name") == name]


# --- evaluation ------------------------------------------------------------------------------------------------


def parse_time(text):
    """An aware datetime of an RFC 3339 time (``Z`` accepted)."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _ip_matches(wanted, address):
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(wanted.strip(), strict=False)
    except ValueError:
        return False


def condition_holds(condition, context):
    """True, False or None (not decidable here) for an ``iam.policy.Condition`` and a request context.

    ``MATCH`` holds when every key of ``values`` matches. Decided here: ``request.IP`` (an address or, as an
    inferred extension, a CIDR block; comma-separated values are alternatives) against ``context["ip"]``. Every other
    key (dates, tags) and an IP not known (the controller cannot know the host's source address) give None.
    ``AND``/``OR``/``NOT`` combine ``conditions`` with three-valued logic.
    """
    if not condition:
        return True
    operator = condition.get("operator") or "MATCH"
    if operator == "MATCH":
        results = [_value_holds(key, value, context) for key, value in (condition.get("values") or {}).items()]
        return _all(results)
    inner = [condition_holds(item, context) for item in condition.get("conditions") or []]
    if operator == "AND":
        return _all(inner)
    if operator == "OR":
        return True if True in inner else (None if None in inner else False)
    if operator == "NOT":
        value = _all(inner)
        return None if value is None else not value
    return None


def _all(results):
    return False if False in results else (None if None in results else True)


def _value_holds(key, value, context):
    if key == "request.IP" and context.get("ip"):
        return any(_ip_matches(item, context["ip"]) for item in str(value).split(","))
    return None


def policy_applies(policy, identities, resource_urn, now):
    """Whether a policy names one of ``identities`` and the resource, and has not expired at ``now``."""
    if policy.get("expiredAt") and parse_time(policy["expiredAt"]) <= now:
        return False
    if not any(wildcard_match(named, identity) for named in policy.get("identities") or [] for identity in identities):
        return False
    return any(_resource_matches(item.get("urn", ""), resource_urn, policy) for item in policy.get("resources") or [])


def _resource_matches(urn, resource_urn, policy):
    # an account's default resource group (policy ovh-default) holds every resource of the account
    if ":resourceGroup:" in urn:
        return bool(policy.get("readOnly")) and (policy.get("name") or "").startswith("ovh-")
    return wildcard_match(urn, resource_urn)


def _granted_by(policy, action):
    groups = policy.get("permissionsGroups") or []
    permissions = [policy.get("permissions") or {}] + [group.get("permissions") or {} for group in groups]
    allowed = any(wildcard_match(item.get("action", ""), action) for perms in permissions for item in perms.get("allow") or [])
    excepted = any(wildcard_match(item.get("action", ""), action) for perms in permissions for item in perms.get("except") or [])
    denied = any(wildcard_match(item.get("action", ""), action) for perms in permissions for item in perms.get("deny") or [])
    return allowed, excepted, denied


def decide(policies, identities, resource_urn, action, context=None, now=None):
    """How OVH's IAM answers ``action`` on ``resource_urn`` for a caller holding ``identities``.

    Returns ``{"granted": True|False|None, "allowed_by", "denied_by", "excepted_by", "conditional_allow",
    "conditional_deny"}`` (policy names). None = it depends on a condition not decidable here (source IP unknown,
    dates, tags): the hosts' own check proves it.
    """
    context = context or {}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    found = {key: [] for key in ("allowed_by", "denied_by", "excepted_by", "conditional_allow", "conditional_deny")}
    for policy in policies:
        if not policy_applies(policy, identities, resource_urn, now):
            continue
        allowed, excepted, denied = _granted_by(policy, action)
        holds = condition_holds(policy.get("conditions"), context)
        name = policy.get("name") or policy.get("id")
        if denied and holds is not False:
            found["denied_by" if holds else "conditional_deny"].append(name)
        if allowed and excepted:
            found["excepted_by"].append(name)
        elif allowed and holds:
            found["allowed_by"].append(name)
        elif allowed and holds is None:
            found["conditional_allow"].append(name)
    if found["denied_by"]:
        granted = False
    elif found["allowed_by"]:
        granted = None if found["conditional_deny"] else True
    elif found["conditional_allow"]:
        granted = None
    else:
        granted = False
    return dict(found, granted=granted)


# --- preflight: what is missing, and the call that fixes it -------------------------------------------------------


def fix_for(identity, action, okms_id, decision):
    """A sentence naming the policy that would fix a refused action (or the deny policy to change)."""
    if decision["denied_by"]:
        return "remove %s from deny_actions of the policy %s (a deny wins over every allow)" % (
            action, ", ".join(repr(name) for name in decision["denied_by"]))
    if decision["excepted_by"]:
        return "remove %s from except_actions of the policy %s" % (action, ", ".join(repr(name) for name in decision["excepted_by"]))
    preset = next((name for name, actions in sorted(PRESETS.items()) if action in actions), None)
    grant = "okms_access: [%s]" % preset if preset else "actions: [%s]" % action
    if action in ACCOUNT_ACTIONS:
        return "add a policy: okms.access.okms_iam_policy: {name: okms-iam-read, identities: [%s], resources: [%s], %s}" % (
            identity, account_urn(identity), grant)
    return "add a policy: okms.access.okms_iam_policy: {name: okms-%s, identities: [%s], okms_ids: [%s], %s}" % (
        okms_id[:8], identity, okms_id, grant)


def identity_findings(policies, identity, groups, okms_id, resource_urn, actions, context=None, now=None):
    """Per action, the decision for one credential identity (and the groups it belongs to), with the fix."""
    findings = []
    for action in actions:
        decision = decide(policies, [identity] + list(groups), resource_urn, action, context, now)
        finding = {"identity": identity, "action": action, "okms_id": okms_id, "granted": decision["granted"],
                   "allowed_by": decision["allowed_by"] + decision["conditional_allow"],
                   "denied_by": decision["denied_by"] + decision["excepted_by"], "groups": list(groups)}
        if decision["granted"] is not True:
            finding["fix"] = fix_for(identity, action, okms_id, decision)
        findings.append(finding)
    return findings


def finding_message(finding):
    """One line of a preflight report."""
    where = "identity %s on KMS domain %s" % (finding["identity"], finding["okms_id"])
    if finding["granted"] is None:
        return "%s: %s is allowed by %s only under a condition (e.g. the source IP): each host's own check proves it" % (
            where, finding["action"], ", ".join(finding["allowed_by"]))
    reason = "denied by %s" % ", ".join(finding["denied_by"]) if finding["denied_by"] else "no policy grants it"
    return "%s lacks %s (%s): %s" % (where, finding["action"], reason, finding["fix"])


def controller_findings(answer, actions, okms_id, controller):
    """Missing actions of the controller from POST /v2/iam/resource/{urn}/authorization/check's answer."""
    refused = set(answer.get("unauthorizedActions") or []) | (set(actions) - set(answer.get("authorizedActions") or []))
    nothing = {"denied_by": [], "excepted_by": []}
    return [{
        "identity": controller, "action": action, "okms_id": okms_id, "granted": False, "allowed_by": [], "denied_by": [],
        "groups": [], "fix": fix_for(controller, action, okms_id, nothing),
    } for action in actions if action in refused]


# --- results and API calls ---------------------------------------------------------------------------------------


def policy_result(policy):
    """A policy as the modules return it (snake_case; the comparable fields plus id, owner and dates)."""
    return dict(comparable(policy), id=policy.get("id"), owner=policy.get("owner"), read_only=bool(policy.get("readOnly")),
                created_at=policy.get("createdAt"), updated_at=policy.get("updatedAt"))


def applies_to_domain(policy, resource_urn):
    """Whether a policy names the domain's URN (wildcards included) or is its account's default policy."""
    return any(_resource_matches(item.get("urn", ""), resource_urn, policy) for item in policy.get("resources") or [])


class IamApi:
    """The IAM v2 calls (OvhApiClient ``client``): policies, a domain's URN, the authorization check, users' groups."""

    POLICY = "/v2/iam/policy"

    def __init__(self, client):
        self.client = client

    def policies(self):
        """Every policy of the account (read-only ones included); filters are applied here, wildcards and all."""
        return list(self.client.iter_list(self.POLICY))

    def create(self, body):
        """POST a policy; the new policy."""
        return self.client.post(self.POLICY, body)

    def update(self, policy_id, body):
        """PUT the whole policy."""
        return self.client.put("%s/%s" % (self.POLICY, policy_id), body)

    def delete(self, policy_id):
        """DELETE a policy."""
        return self.client.delete("%s/%s" % (self.POLICY, policy_id))

    def domain(self, okms_id):
        """GET /v2/okms/resource/{okmsId}."""
        return self.client.get("/v2/okms/resource/%s" % okms_id)

    def derived_urn(self, okms_id, domain=None):
        """The domain's ``iam.urn`` from ``domain``, else derived from its id and the endpoint's plate."""
        return urn_of_domain(domain or {}, okms_id, plate_of_endpoint(getattr(self.client.config, "endpoint", None)))

    def domain_urn(self, okms_id):
        """The domain's resource URN, read from the API."""
        return self.derived_urn(okms_id, self.domain(okms_id))

    def authorization_check(self, resource_urn, actions):
        """POST /v2/iam/resource/{urn}/authorization/check: the caller's authorized and unauthorized actions."""
        return self.client.post("/v2/iam/resource/%s/authorization/check" % resource_urn, {"actions": list(actions)})

    def caller_identity(self):
        """The caller's identity URN (GET /1.0/auth/details ``identities``), None when the API gives none."""
        details = self.client.get("/auth/details")
        identities = details.get("identities") if isinstance(details, dict) else None
        return identities[0] if identities else None

    def groups_of(self, identity):
        """The group URNs of a user identity (GET /1.0/me/identity/user/{login} ``group``); none for other kinds."""
        parts = identity_parts(identity)
        if parts is None or parts[1] != "user" or not parts[3]:
            return []
        user = self.client.get("/me/identity/user/%s" % parts[3])
        group = user.get("group") if isinstance(user, dict) else None
        return [group_urn(identity, group)] if group else []
