# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OVH IAM v2: policies, the authorization check, account users, and IAM-derived authorization.

Shapes from OVH's IAM v2 schema (``iam.policy.Creation``/``Update``/``Response``, ``iam.AuthorizeRequest``/
``AuthorizeResponse``, ``iam.reference.Action``) and OVH's guide "How to use IAM policies using the OVHcloud API":

- ``GET|POST /v2/iam/policy``, ``GET|PUT|DELETE /v2/iam/policy/{policyId}``; a read-only ``ovh-default`` policy per
  account grants its account identity ``*`` on the account's default resource group (every resource);
- ``POST /v2/iam/resource/{resourceURN}/authorization/check`` ``{"actions"}`` answers the caller's
  ``authorizedActions``/``unauthorizedActions`` on one of its domains or on its account (``urn:v1:eu:resource:account:<nic>``);
- ``GET /v2/iam/reference/action?resourceType=okms``; ``GET /1.0/me/identity/user/{user}`` (``group``).

Evaluation: denied by default; ``allow`` grants, ``except`` removes from the same policy's allow, any ``deny`` wins;
``*`` wildcards at either end of URNs and actions; past ``expiredAt`` a policy is ignored; ``MATCH`` conditions on
``request.IP`` (an address, a CIDR block, or a comma-separated list) hold for the request's source address; other
keys (dates, tags) hold (the emulator has no tags). With the setting ``iam_enforced`` the KMS REST API authorizes a
certificate's identities (and their users' groups) by these policies, and OAuth2 service accounts calling the OVH
API are authorized by them too; the account itself (application keys) keeps ``ovh-default``. Imports nothing from
the collection.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
import threading
import uuid

from okms_emulator.errors import api_error, bad_request, not_found
from okms_emulator.kms_iam import KMS_ACTIONS
from okms_emulator.routing import Answer, Route

POLICY = "/v2/iam/policy"
POLICY_ITEM = POLICY + "/{policyId}"
AUTHORIZATION_CHECK = "/v2/iam/resource/{resourceURN}/authorization/check"
REFERENCE_ACTION = "/v2/iam/reference/action"
USER = "/1.0/me/identity/user/{user}"
OPERATORS = ("AND", "MATCH", "NOT", "OR")
_IDENTITY = re.compile(r"urn:v1:(eu|ca|us):identity:(account|user|group|credential):[a-z0-9-]+(/[^\s]+)?|\*")
NAME_MAX = 255
DESCRIPTION_MAX = 300
OVH_ACTIONS = tuple("okms:apiovh:" + suffix for suffix in (
    "resource/get", "credential/get", "credential/create", "credential/delete",
    "secret/create", "secret/delete", "secret/edit", "secret/get", "secret/updateMetadata",
    "secret/version/activate", "secret/version/create", "secret/version/deactivate", "secret/version/delete",
    "secret/version/edit", "secret/version/getData", "secretConfig/get", "secretConfig/update",
))


def account_urn(account) -> str:
    """The identity of an account (application keys)."""
    return "urn:v1:eu:identity:account:" + account.nichandle


def caller_identity(request) -> str:
    """The identity of an OVH API caller: an OAuth2 service account, or the account."""
    account = request.account
    if request.header("Authorization"):
        return "urn:v1:eu:identity:credential:%s/oauth2-%s" % (account.nichandle, account.client_id)
    return account_urn(account)


def _wildcard(pattern: str, value: str) -> bool:
    if pattern == "*":
        return True
    core = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*"):
        return core in value
    if pattern.endswith("*"):
        return value.startswith(core)
    if pattern.startswith("*"):
        return value.endswith(core)
    return pattern == value


def _time(text: str) -> datetime.datetime:
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _ip_in(values: str, address: str) -> bool:
    for value in values.split(","):
        try:
            if ipaddress.ip_address(address) in ipaddress.ip_network(value.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def condition_holds(condition, source_ip: str) -> bool:
    """An ``iam.policy.Condition`` for a request from ``source_ip``."""
    if not condition:
        return True
    operator = condition.get("operator") or "MATCH"
    if operator == "MATCH":
        return all(_ip_in(str(value), source_ip) for key, value in (condition.get("values") or {}).items() if key == "request.IP")
    inner = [condition_holds(item, source_ip) for item in condition.get("conditions") or []]
    if operator == "AND":
        return all(inner)
    if operator == "OR":
        return any(inner)
    return not all(inner)


def _actions(policy: dict, field: str) -> list:
    lists = [policy.get("permissions") or {}] + [group.get("permissions") or {} for group in policy.get("permissionsGroups") or []]
    return [item["action"] for permissions in lists for item in permissions.get(field) or []]


def _checked_actions(where: str, items) -> list:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(item, dict) and isinstance(item.get("action"), str) for item in items):
        raise bad_request("", "%s must be a list of {\"action\": string}" % where)
    return [{"action": item["action"]} for item in items]


def _checked_condition(where: str, condition) -> dict | None:
    if condition is None:
        return None
    if not isinstance(condition, dict) or condition.get("operator", "MATCH") not in OPERATORS:
        raise bad_request("", "%s.operator must be one of %s" % (where, ", ".join(OPERATORS)))
    values = condition.get("values")
    if values is not None and (not isinstance(values, dict) or not all(isinstance(value, str) for value in values.values())):
        raise bad_request("", "%s.values must map strings to strings" % where)
    checked = {"operator": condition.get("operator", "MATCH")}
    if values is not None:
        checked["values"] = dict(values)
    if condition.get("conditions") is not None:
        if not isinstance(condition["conditions"], list):
            raise bad_request("", "%s.conditions must be a list" % where)
        checked["conditions"] = [_checked_condition("%s.conditions[%d]" % (where, index), item)
                                 for index, item in enumerate(condition["conditions"])]
    return checked


class IamService:
    """Policies (stored), users (admin), and the decisions."""

    def __init__(self, store, directory, clock, settings) -> None:
        self.store = store
        self.directory = directory
        self.clock = clock
        self.settings = settings
        self._lock = threading.Lock()

    # stored state

    def _policies(self) -> dict:
        return self.store.get_meta("iam_policies") or {}

    def _users(self) -> dict:
        return self.store.get_meta("iam_users") or {}

    def default_policy(self, account) -> dict:
        """The read-only ``ovh-default`` policy of an account (its id is derived from the account, so it is stable)."""
        group_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "resourceGroup:" + account.nichandle))
        return {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, "ovh-default:" + account.nichandle)), "owner": account.nichandle,
            "name": "ovh-default", "readOnly": True, "identities": [account_urn(account)],
            "resources": [{"urn": "urn:v1:eu:resourceGroup:" + group_id}], "permissions": {"allow": [{"action": "*"}]},
            "permissionsGroups": [], "createdAt": "2023-01-27T11:29:22.197537Z", "updatedAt": None,
        }

    def policies_of(self, account) -> list:
        """Every policy of an account, ``ovh-default`` first, then in creation order."""
        own = [policy for policy in self._policies().values() if policy["owner"] == account.nichandle]
        return [self.default_policy(account)] + sorted(own, key=lambda policy: policy["createdAt"])

    def set_user(self, login: str, group: str | None, nichandle: str) -> dict:
        """Create or replace an account user (admin route); ``group`` is its group's name."""
        with self.store.transaction():
            users = self._users()
            users["%s/%s" % (nichandle, login)] = {"login": login, "group": group}
            self.store.set_meta("iam_users", users)
        return users["%s/%s" % (nichandle, login)]

    def user(self, nichandle: str, login: str) -> dict | None:
        """A user of an account."""
        return self._users().get("%s/%s" % (nichandle, login))

    # decisions

    def _groups(self, identities) -> list:
        groups = []
        for identity in identities:
            parts = identity.split(":")
            if len(parts) == 6 and parts[4] == "user":
                nichandle, _sep, login = parts[5].partition("/")
                user = self.user(nichandle, login)
                if user and user.get("group"):
                    groups.append("urn:v1:%s:identity:group:%s/%s" % (parts[2], nichandle, user["group"]))
        return groups

    def allows(self, account, identities, resource_urn: str, action: str, source_ip: str) -> bool:
        """OVH's decision for ``action`` on a resource of ``account`` by a caller holding ``identities``."""
        identities = list(identities) + self._groups(identities)
        now = datetime.datetime.fromtimestamp(self.clock.now_seconds(), datetime.timezone.utc)
        allowed = False
        for policy in self.policies_of(account):
            if not self._applies(policy, identities, resource_urn, now) or not condition_holds(policy.get("conditions"), source_ip):
                continue
            if any(_wildcard(pattern, action) for pattern in _actions(policy, "deny")):
                return False
            if any(_wildcard(pattern, action) for pattern in _actions(policy, "allow")) and \
                    not any(_wildcard(pattern, action) for pattern in _actions(policy, "except")):
                allowed = True
        return allowed

    @staticmethod
    def _applies(policy: dict, identities: list, resource_urn: str, now) -> bool:
        if policy.get("expiredAt") and _time(policy["expiredAt"]) <= now:
            return False
        if not any(_wildcard(named, identity) for named in policy["identities"] for identity in identities):
            return False
        for item in policy["resources"]:
            if item["urn"].startswith("urn:v1:eu:resourceGroup:") and policy.get("readOnly"):
                return True
            if _wildcard(item["urn"], resource_urn):
                return True
        return False

    def caller_allows(self, request, resource_urn: str, action: str) -> bool:
        """Whether the OVH API caller may do ``action``: the account's denied actions, then (``iam_enforced``,
        OAuth2 service accounts) the policies."""
        account = request.account
        if action in account.denied_actions:
            return False
        if not self.settings["iam_enforced"] or not request.header("Authorization"):
            return True
        return self.allows(account, [caller_identity(request)], resource_urn, action, request.client_ip)

    # policies

    def _checked_policy(self, body, account) -> dict:
        if not isinstance(body, dict):
            raise bad_request("", "the body must be a JSON object")
        for field in ("identities", "name", "permissions", "resources"):
            if field not in body:
                raise bad_request("", "missing required field %s" % field)
        name = body["name"]
        if not isinstance(name, str) or not 1 <= len(name) <= NAME_MAX:
            raise bad_request("", "name must be a string of 1 to %d characters" % NAME_MAX)
        if name.startswith("ovh-"):
            raise bad_request("", "the prefix ovh- is reserved for OVHcloud policies")
        identities = body["identities"]
        if not isinstance(identities, list) or not all(isinstance(item, str) and _IDENTITY.fullmatch(item) for item in identities):
            raise bad_request("", "identities must be a list of identity URNs")
        resources = body["resources"]
        if not isinstance(resources, list) or not all(isinstance(item, dict) and isinstance(item.get("urn"), str) for item in resources):
            raise bad_request("", "resources must be a list of {\"urn\": string}")
        permissions = body["permissions"] if isinstance(body["permissions"], dict) else None
        if permissions is None:
            raise bad_request("", "permissions must be an object")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > DESCRIPTION_MAX):
            raise bad_request("", "description must be a string of at most %d characters" % DESCRIPTION_MAX)
        expired_at = body.get("expiredAt")
        if expired_at is not None:
            try:
                _time(expired_at)
            except (TypeError, ValueError, AttributeError):
                raise bad_request("", "expiredAt must be an RFC 3339 date-time") from None
        groups = body.get("permissionsGroups") or []
        if not isinstance(groups, list) or not all(isinstance(item, dict) and isinstance(item.get("urn"), str) for item in groups):
            raise bad_request("", "permissionsGroups must be a list of {\"urn\": string}")
        return {
            "name": name, "description": description, "identities": list(identities),
            "resources": [{"urn": item["urn"]} for item in resources],
            "permissions": {field: _checked_actions("permissions." + field, permissions.get(field))
                            for field in ("allow", "except", "deny")},
            "permissionsGroups": [{"urn": item["urn"]} for item in groups],
            "conditions": _checked_condition("conditions", body.get("conditions")),
            "expiredAt": expired_at, "owner": account.nichandle, "readOnly": False,
        }

    def _now_text(self) -> str:
        return datetime.datetime.fromtimestamp(self.clock.now_us() / 1e6, datetime.timezone.utc).isoformat().replace("+00:00", "Z")

    def create(self, account, body) -> dict:
        """A new policy (names are not unique, as with credentials: the emulator does not know OVH's rule)."""
        policy = self._checked_policy(body, account)
        policy.update(id=str(uuid.uuid4()), createdAt=self._now_text(), updatedAt=None)
        with self.store.transaction():
            policies = self._policies()
            policies[policy["id"]] = policy
            self.store.set_meta("iam_policies", policies)
        return policy

    def get(self, account, policy_id: str) -> dict:
        """One policy of the account; 404 otherwise."""
        for policy in self.policies_of(account):
            if policy["id"] == policy_id:
                return policy
        raise not_found("The requested object (policyId = %s) does not exist" % policy_id)

    def update(self, account, policy_id: str, body) -> dict:
        """Replace a policy's fields; a read-only one answers 403."""
        current = self.get(account, policy_id)
        if current.get("readOnly"):
            raise api_error(403, "policy %s is read-only" % policy_id, "Client::Forbidden")
        policy = self._checked_policy(body, account)
        policy.update(id=policy_id, createdAt=current["createdAt"], updatedAt=self._now_text())
        with self.store.transaction():
            policies = self._policies()
            policies[policy_id] = policy
            self.store.set_meta("iam_policies", policies)
        return policy

    def delete(self, account, policy_id: str) -> None:
        """Forget a policy; a read-only one answers 403."""
        if self.get(account, policy_id).get("readOnly"):
            raise api_error(403, "policy %s is read-only" % policy_id, "Client::Forbidden")
        with self.store.transaction():
            policies = self._policies()
            policies.pop(policy_id, None)
            self.store.set_meta("iam_policies", policies)


class IamApi:
    """The routes; ``domain_of(request)`` gives a domain of the caller by ``okmsId`` (404 otherwise)."""

    def __init__(self, services, parse_body) -> None:
        self.services = services
        self.iam = services.iam
        self.parse_body = parse_body

    def routes(self) -> list:
        """Routes for the API server."""
        return [
            Route("GET", POLICY, self.list_policies, iam_action="account:apiovh:iam/policy/get"),
            Route("POST", POLICY, self.create_policy, iam_action="account:apiovh:iam/policy/create"),
            Route("GET", POLICY_ITEM, self.get_policy, iam_action="account:apiovh:iam/policy/get"),
            Route("PUT", POLICY_ITEM, self.update_policy, iam_action="account:apiovh:iam/policy/edit"),
            Route("DELETE", POLICY_ITEM, self.delete_policy, iam_action="account:apiovh:iam/policy/delete"),
            Route("POST", AUTHORIZATION_CHECK, self.authorization_check),
            Route("GET", REFERENCE_ACTION, self.reference_actions),
            Route("GET", USER, self.get_user),
        ]

    def list_policies(self, request) -> Answer:
        """The account's policies, filtered by ``identity``, ``resourceURN`` and ``action`` (exact values)."""
        policies = self.iam.policies_of(request.account)
        filters = {"identity": lambda policy, value: value in policy["identities"],
                   "resourceURN": lambda policy, value: value in [item["urn"] for item in policy["resources"]],
                   "action": lambda policy, value: value in _actions(policy, "allow") + _actions(policy, "deny")}
        for name, keep in filters.items():
            values = request.query.get(name)
            if values:
                policies = [policy for policy in policies if any(keep(policy, value) for value in values)]
        return Answer(200, policies)

    def create_policy(self, request) -> Answer:
        """POST: 200 with the new policy (the schema declares 200)."""
        return Answer(200, self.iam.create(request.account, self.parse_body(request)))

    def get_policy(self, request) -> Answer:
        """One policy."""
        return Answer(200, self.iam.get(request.account, request.params["policyId"]))

    def update_policy(self, request) -> Answer:
        """PUT: the whole policy."""
        return Answer(200, self.iam.update(request.account, request.params["policyId"], self.parse_body(request)))

    def delete_policy(self, request) -> Answer:
        """DELETE: 200 with no content (``null``)."""
        self.iam.delete(request.account, request.params["policyId"])
        return Answer(200, None)

    def authorization_check(self, request) -> Answer:
        """Which of ``actions`` the caller may do on the resource."""
        body = self.parse_body(request)
        actions = body.get("actions") if isinstance(body, dict) else None
        if not isinstance(actions, list) or not all(isinstance(action, str) for action in actions):
            raise bad_request("", "actions must be a list of strings")
        urn = request.params["resourceURN"]
        okms_id = urn.rsplit(":", 1)[-1] if urn.startswith("urn:v1:eu:resource:okms:") else None
        domain = self.services.directory.domain(okms_id) if okms_id else None
        own_domain = domain is not None and domain.nichandle == request.account.nichandle
        if not own_domain and urn != "urn:v1:eu:resource:account:" + request.account.nichandle:
            raise not_found("The requested object (resourceURN = %s) does not exist" % urn)
        granted = [action for action in actions if self.iam.caller_allows(request, urn, action)]
        return Answer(200, {"authorizedActions": granted, "unauthorizedActions": [action for action in actions if action not in granted]})

    @staticmethod
    def reference_actions(request) -> Answer:
        """The okms actions (``resourceType=okms``; any other type lists none)."""
        types = request.query.get("resourceType") or ["okms"]
        if "okms" not in types:
            return Answer(200, [])
        actions = sorted(KMS_ACTIONS) + list(OVH_ACTIONS)
        return Answer(200, [{"action": action, "categories": ["READ" if action.endswith("get") or "getData" in action else "OPERATE"],
                             "description": action, "hasQueryParameters": False, "resourceType": "okms"} for action in actions])

    def get_user(self, request) -> Answer:
        """An account user (``GET /me/identity/user/{user}``: login, group...)."""
        login = request.params["user"]
        user = self.iam.user(request.account.nichandle, login)
        if user is None:
            raise not_found("User %s does not exist" % login)
        return Answer(200, {"login": login, "group": user.get("group") or "DEFAULT", "email": login + "@example.invalid",
                            "description": "", "status": "OK", "creation": "2026-01-01T00:00:00Z", "lastUpdate": None,
                            "passwordLastUpdate": None, "urn": "urn:v1:eu:identity:user:%s/%s" % (request.account.nichandle, login)})
