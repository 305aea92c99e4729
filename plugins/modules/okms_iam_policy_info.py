#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_iam_policy_info
short_description: List the OVH IAM policies that apply to OVHcloud KMS domains or identities
version_added: 0.2.0
description:
  - Lists the account's OVH IAM v2 policies (C(GET /v2/iam/policy)), OVHcloud's read-only ones included, and keeps those
    of a O(name), of an O(identities) entry and of the KMS domains of O(okms_ids).
  - Filters are applied by the module, so that a policy naming C(urn:v1:eu:resource:okms:*) applies to every domain and
    a policy naming C(urn:v1:eu:identity:group:xx1111-ovh/*) to every group, as OVH applies them.
  - Never changes anything.
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
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  platform:
    platforms: posix
options:
  name:
    description:
      - Keep only the policies with this name.
    type: str
  identities:
    description:
      - Keep only the policies that name one of these identity URNs (wildcards of the policy applied).
    type: list
    elements: str
    default: []
  okms_ids:
    description:
      - Keep only the policies that apply to one of these KMS domains (by the domain's resource URN, read from the API).
    type: list
    elements: str
    default: []
notes:
  - "IAM actions: C(account:apiovh:iam/policy/get) to list the policies, C(okms:apiovh:resource/get) to read each KMS domain's
    resource URN when O(okms_ids) are given."
seealso:
  - module: okms.access.okms_iam_policy
  - module: okms.access.okms_iam_preflight
"""

EXAMPLES = r"""
- name: The policies that apply to a KMS domain
  okms.access.okms_iam_policy_info:
    okms_ids:
      - "{{ okms_id }}"
  register: domain_policies

- name: Their names
  ansible.builtin.debug:
    msg: "{{ domain_policies.policies | map(attribute='name') | list }}"

- name: One policy by name
  okms.access.okms_iam_policy_info:
    name: okms-web-hosts
  register: web_hosts_policy
"""

RETURN = r"""
policies:
  description: The policies kept, in the API's order, with the fields that M(okms.access.okms_iam_policy) returns.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ID (UUID) of the policy.
      type: str
      sample: 9dfe6a03-1937-4287-8ab7-866224d333b1
    name:
      description: Name of the policy.
      type: str
      sample: okms-web-hosts
    description:
      description: Description (empty when none).
      type: str
      sample: ""
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
      sample: ["okms:apikms:random/get"]
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
      sample: null
    expired_at:
      description: Expiry (empty when none).
      type: str
      sample: ""
    owner:
      description: The account that owns the policy.
      type: str
      sample: xx1111-ovh
    read_only:
      description: Whether OVH forbids changing the policy (OVHcloud's own policies, such as C(ovh-default)).
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
"""

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._iam import (
    IamApi,
    applies_to_domain,
    policy_result,
    wildcard_match,
)
from ansible_collections.okms.access.plugins.module_utils._validation import uuid_problem


class OkmsIamPolicyInfo(OkmsModuleBase):
    module_argument_spec = dict(
        name=dict(type="str"),
        identities=dict(type="list", elements="str", default=[]),
        okms_ids=dict(type="list", elements="str", default=[]),
    )

    def run(self):
        params = self.module.params
        for okms_id in params["okms_ids"]:
            if uuid_problem(okms_id):
                self.module.fail_json(msg="okms_ids: %s" % uuid_problem(okms_id))
        api = IamApi(self.client)
        try:
            urns = [api.domain_urn(okms_id) for okms_id in params["okms_ids"]]
            policies = [policy for policy in api.policies() if self.kept(policy, urns)]
        except OvhApiError as exc:
            self.fail_api(exc, "listing the IAM policies")
        self.module.exit_json(changed=False, policies=[policy_result(policy) for policy in policies])

    def kept(self, policy, domain_urns):
        params = self.module.params
        if params["name"] is not None and policy.get("name") != params["name"]:
            return False
        named = policy.get("identities") or []
        if params["identities"] and not any(wildcard_match(urn, identity) for urn in named for identity in params["identities"]):
            return False
        return not domain_urns or any(applies_to_domain(policy, urn) for urn in domain_urns)


def main():
    module = OkmsIamPolicyInfo.build_module(supports_check_mode=True)
    OkmsIamPolicyInfo(module).run()


if __name__ == "__main__":
    main()
