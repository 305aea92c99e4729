#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_iam_policy
short_description: Grant IAM identities rights on OVHcloud KMS domains (an OVH IAM v2 policy)
version_added: 0.2.0
description:
  - Creates, updates or deletes an OVH IAM policy (C(/v2/iam/policy)) that gives IAM identities - the identities of a
    KMS credential, an OAuth2 service account, a user or a group - actions on KMS domains (OKMS).
  - The policy is found by O(name). OVH does not make policy names unique; when more than one policy has the name the
    module fails and lists their ids.
  - An existing policy is compared field by field (identities, resources, allowed, excepted and denied actions,
    permissions groups, description, conditions, expiry; lists as sets) and replaced with one C(PUT) when it differs.
  - Actions are checked before any API call against OVH's reference list of C(okms:apikms:) (the domain's REST API,
    used by the hosts over mutual TLS) and C(okms:apiovh:) (the OVH API) actions; O(okms_access) names the presets of
    what the collection's own parts need.
  - The resource URN of each domain of O(okms_ids) is the C(iam.urn) the API gives for it
    (C(urn:v1:eu:resource:okms:<okmsId>)); see the docs (docs/iam.md) for the least-privilege recipes of each mode of
    the role M(okms.access.okms_client).
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - ansible.builtin.action_common_attributes
  - okms.access.pipelined
attributes:
  check_mode:
    support: full
    details:
      - Check mode reads the policies and predicts RV(ignore:changed) and the diff; it never writes.
  diff_mode:
    support: full
    details:
      - The diff shows the policy's comparable fields before and after.
  platform:
    platforms: posix
options:
  name:
    description:
      - Name of the policy; the module finds the policy by it.
      - The prefix C(ovh-) is reserved for OVHcloud's own policies and refused.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy, V(absent) deletes it (only O(name) is needed then).
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Description of the policy. Empty or not set means none.
    type: str
  identities:
    description:
      - The identities the policy grants rights to, as URNs, for example C(urn:v1:eu:identity:user:xx1111-ovh/web-1),
        C(urn:v1:eu:identity:group:xx1111-ovh/servers) or
        C(urn:v1:eu:identity:credential:xx1111-ovh/oauth2-0123456789abcdef) (an OAuth2 service account).
      - Required with O(state=present).
    type: list
    elements: str
  okms_ids:
    description:
      - IDs (UUIDs) of the KMS domains the policy applies to; each becomes the domain's resource URN, read from the API.
      - With O(resources), at least one is needed with O(state=present).
    type: list
    elements: str
    default: []
  resources:
    description:
      - Other resource URNs of the policy, for example C(urn:v1:eu:resource:okms:*) for every KMS domain of the account.
    type: list
    elements: str
    default: []
  okms_access:
    description:
      - Presets of actions, added to O(actions).
      - V(access_check) - the role's access check (C(okms:apikms:random/get), C(okms:apikms:secretConfig/get)).
      - V(keys_use) - okms-cli's use of service keys (C(okms:apikms:serviceKey/get), C(encrypt), C(decrypt), C(sign),
        C(verify), C(dataKey/create), C(dataKey/decrypt)).
      - V(secrets_read) - reading secrets (C(secret/get) and C(secret/version/getData) of both planes).
      - V(secrets_write) - writing secrets (create, new versions, metadata; C(secret/get) to compare).
      - V(credentials_manage) - what the controller needs to manage access certificates (C(okms:apiovh:resource/get),
        C(credential/get), C(credential/create), C(credential/delete)).
      - V(iam_read) - what M(okms.access.okms_iam_preflight) needs to list the policies (C(account:apiovh:iam/policy/get)),
        a right on the account - its policy names the account's resource URN (C(urn:v1:eu:resource:account:xx1111-ovh))
        in O(resources).
    type: list
    elements: str
    choices: [access_check, keys_use, secrets_read, secrets_write, credentials_manage, iam_read]
    default: []
  actions:
    description:
      - Actions the policy allows, besides the presets of O(okms_access). A trailing C(*) is allowed
        (C(okms:apikms:secret/*)); each must match OVH's reference list of okms actions.
    type: list
    elements: str
    default: []
  except_actions:
    description:
      - Actions not allowed by this policy although O(actions) or O(okms_access) include them (OVH's C(except)). It only
        limits this policy; another policy may still allow them.
    type: list
    elements: str
    default: []
  deny_actions:
    description:
      - Actions denied to the identities whatever any other policy allows (OVH's C(deny)).
    type: list
    elements: str
    default: []
  permissions_groups:
    description:
      - URNs of OVH permissions groups the policy also grants.
    type: list
    elements: str
    default: []
  conditions:
    description:
      - Conditions of the policy, in the API's shape (C(iam.policy.Condition)), for example C(operator) V(MATCH) with
        C(values) mapping C(request.IP) to an address (see EXAMPLES). Compared as given.
      - A condition on the source IP can only be proven from each host; see M(okms.access.okms_iam_preflight).
    type: dict
  expired_at:
    description:
      - Date and time (RFC 3339) after which the policy no longer applies.
    type: str
notes:
  - "IAM actions: C(account:apiovh:iam/policy/get) to find the policy by name, C(account:apiovh:iam/policy/create),
    C(account:apiovh:iam/policy/edit) and C(account:apiovh:iam/policy/delete) to change it, and C(okms:apiovh:resource/get) to
    read each KMS domain's resource URN."
seealso:
  - module: okms.access.okms_iam_policy_info
  - module: okms.access.okms_iam_preflight
  - name: How to use IAM policies using the OVHcloud API
    description: OVH's guide to policies, identities, resources and actions.
    link: https://github.com/ovh/docs/blob/develop/pages/account_and_service_management/account_information/iam-policies-api/guide.en-gb.md
"""

EXAMPLES = r"""
# These examples use the variable okms_id (the KMS domain id) and the account xx1111-ovh.
# Connection options come from module_defaults, the OVH_* environment variables or ovh.conf.

- name: Let the hosts' identity pass the role's access check and read secrets over mutual TLS
  okms.access.okms_iam_policy:
    name: okms-web-hosts
    description: web hosts read their secrets
    identities:
      - urn:v1:eu:identity:group:xx1111-ovh/web-hosts
    okms_ids:
      - "{{ okms_id }}"
    okms_access: [access_check, secrets_read]

- name: Let an OAuth2 service account (the controller) manage access certificates, nothing more
  okms.access.okms_iam_policy:
    name: okms-controller
    identities:
      - urn:v1:eu:identity:credential:xx1111-ovh/oauth2-0123456789abcdef
    okms_ids:
      - "{{ okms_id }}"
    okms_access: [credentials_manage]

- name: Everything on the KMS REST API but deleting service keys, from one address only
  okms.access.okms_iam_policy:
    name: okms-batch
    identities:
      - urn:v1:eu:identity:user:xx1111-ovh/batch
    okms_ids:
      - "{{ okms_id }}"
    actions: ["okms:apikms:*"]
    except_actions: ["okms:apikms:serviceKey/delete"]
    conditions:
      operator: MATCH
      values:
        request.IP: 203.0.113.7

- name: Remove a policy
  okms.access.okms_iam_policy:
    name: okms-batch
    state: absent
"""

RETURN = r"""
policy:
  description:
    - The policy after the change (with O(state=present)); in check mode, what it would be. Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: ID (UUID) of the policy; null when check mode would create it.
      type: str
      sample: 9dfe6a03-1937-4287-8ab7-866224d333b1
    name:
      description: Name of the policy.
      type: str
      sample: okms-web-hosts
    description:
      description: Description (empty when none).
      type: str
      sample: web hosts read their secrets
    identities:
      description: Identity URNs, sorted.
      type: list
      elements: str
      sample: ["urn:v1:eu:identity:group:xx1111-ovh/web-hosts"]
    resources:
      description: Resource URNs, sorted.
      type: list
      elements: str
      sample: ["urn:v1:eu:resource:okms:5bd4a4c0-1f2a-4d6e-9b1c-0123456789ab"]
    allow:
      description: Allowed actions, sorted.
      type: list
      elements: str
      sample: ["okms:apikms:random/get", "okms:apikms:secretConfig/get"]
    except:
      description: Excepted actions, sorted.
      type: list
      elements: str
      sample: []
    deny:
      description: Denied actions, sorted.
      type: list
      elements: str
      sample: []
    permissions_groups:
      description: Permissions group URNs, sorted.
      type: list
      elements: str
      sample: []
    conditions:
      description: Conditions, as the API holds them; null when none.
      type: dict
      sample: {"operator": "MATCH", "values": {"request.IP": "203.0.113.7"}}
    expired_at:
      description: Expiry (empty when none).
      type: str
      sample: ""
    owner:
      description: The account that owns the policy.
      type: str
      sample: xx1111-ovh
    read_only:
      description: Whether OVH forbids changing the policy.
      type: bool
      sample: false
    created_at:
      description: Creation time.
      type: str
      sample: "2026-12-03T12:00:00.000000Z"
    updated_at:
      description: Last update time, null if never updated.
      type: str
      sample: null
changed_fields:
  description: The fields that differ from the existing policy (empty when it is created, deleted or unchanged).
  returned: always
  type: list
  elements: str
  sample: ["allow", "description"]
"""

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._iam import (
    PRESETS,
    IamApi,
    IamInputError,
    comparable,
    domain_urn,
    find_by_name,
    policy_body,
    policy_changes,
    policy_result,
    wanted_policy,
)
from ansible_collections.okms.access.plugins.module_utils._validation import uuid_problem


class OkmsIamPolicy(OkmsModuleBase):
    module_argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        description=dict(type="str"),
        identities=dict(type="list", elements="str"),
        okms_ids=dict(type="list", elements="str", default=[]),
        resources=dict(type="list", elements="str", default=[]),
        okms_access=dict(type="list", elements="str", choices=sorted(PRESETS), default=[]),
        actions=dict(type="list", elements="str", default=[]),
        except_actions=dict(type="list", elements="str", default=[]),
        deny_actions=dict(type="list", elements="str", default=[]),
        permissions_groups=dict(type="list", elements="str", default=[]),
        conditions=dict(type="dict"),
        expired_at=dict(type="str"),
    )

    def __init__(self, module):
        super().__init__(module)
        self.params = module.params
        self.api = None

    def run(self):
        if self.params["state"] == "present":
            self.wanted([domain_urn(okms_id) for okms_id in self.params["okms_ids"]])  # bad input fails before any call
        self.api = IamApi(self.client)
        try:
            current = self.current()
            if self.params["state"] == "absent":
                self.absent(current)
            self.present(current)
        except OvhApiError as exc:
            self.fail_api(exc, "IAM policy %r" % self.params["name"])

    def wanted(self, domain_urns):
        for okms_id in self.params["okms_ids"]:
            problem = uuid_problem(okms_id)
            if problem:
                self.module.fail_json(msg="okms_ids: %s" % problem)
        try:
            return policy_body(wanted_policy(self.params, list(self.params["resources"]) + domain_urns))
        except IamInputError as exc:
            self.module.fail_json(msg=str(exc))

    def current(self):
        named = find_by_name(self.api.policies(), self.params["name"])
        if len(named) > 1:
            self.module.fail_json(msg="%d IAM policies are named %r (ids %s): delete the extra ones or rename them"
                                  % (len(named), self.params["name"], ", ".join(policy["id"] for policy in named)))
        return named[0] if named else None

    def refuse_read_only(self, current):
        if current is not None and current.get("readOnly"):
            self.module.fail_json(msg="IAM policy %r (%s) is read-only: OVHcloud manages it; write a policy of your own"
                                  % (self.params["name"], current["id"]))

    def absent(self, current):
        self.refuse_read_only(current)
        if current is not None and not self.module.check_mode:
            self.api.delete(current["id"])
        self.module.exit_json(changed=current is not None, policy={}, changed_fields=[],
                              diff=dict(before=comparable(current) if current else {}, after={}))

    def present(self, current):
        body = self.wanted([self.api.domain_urn(okms_id) for okms_id in self.params["okms_ids"]])
        self.refuse_read_only(current)
        changed_fields = policy_changes(current, body) if current is not None else []
        changed = current is None or bool(changed_fields)
        after = current
        if changed and not self.module.check_mode:
            after = self.api.create(body) if current is None else self.api.update(current["id"], body)
        elif changed:
            after = dict(current or {}, **body)
        self.module.exit_json(changed=changed, policy=policy_result(after), changed_fields=changed_fields,
                              diff=dict(before=comparable(current) if current else {}, after=comparable(body)))


def main():
    module = OkmsIamPolicy.build_module(
        supports_check_mode=True,
        required_if=[("state", "present", ["identities"])],
    )
    OkmsIamPolicy(module).run()


if __name__ == "__main__":
    main()
