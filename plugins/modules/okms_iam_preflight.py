#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_iam_preflight
short_description: Check, before any access certificate is created, that OVH IAM grants what a KMS domain's users need
version_added: 0.2.0
description:
  - Proves two things on the controller, with reads only, before a credential is created for a KMS domain (OKMS).
  - The controller's own rights - C(POST /v2/iam/resource/{urn}/authorization/check) for the actions of
    O(controller_access) and O(controller_actions) (by default what managing access certificates needs).
  - For each identity of O(identities) - the identities that the hosts' certificates will carry - whether the IAM
    policies that name it, or a group it belongs to (C(GET /1.0/me/identity/user/{login})), grant the data plane
    actions (C(okms:apikms:)) of O(okms_access) and O(actions) on the domain, with C(deny) and C(except) applied and
    expired policies ignored, as OVH evaluates them. The OVH API actions (C(okms:apiovh:)) of O(okms_access) are
    checked for the controller.
  - A refused action fails the module (or warns, with O(on_missing=warn)) with one line per identity and action,
    naming the domain, the policy that denies it, and the M(okms.access.okms_iam_policy) call that would grant it.
  - An action that a policy grants only under a condition the controller cannot decide (the source IP of each host,
    a date, a tag) gives a warning; M(okms.access.okms_iam_probe) proves it from each host once it holds its
    certificate.
  - Listing the policies needs C(account:apiovh:iam/policy/get) on the controller's account (the preset V(iam_read) of
    M(okms.access.okms_iam_policy)); the module checks it first and, when it is refused, reports it (with the policy
    that grants it) instead of the identities' findings.
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
      - The module only reads (the authorization check is a POST that changes nothing), in check mode too.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  platform:
    platforms: posix
options:
  okms_id:
    description:
      - ID (UUID) of the KMS domain.
    type: str
    required: true
  identities:
    description:
      - Identity URNs the hosts' certificates will carry (the role's C(okms_client_identity_urns)).
      - Empty checks the controller only.
    type: list
    elements: str
    default: []
  okms_access:
    description:
      - Presets of what the hosts need (see M(okms.access.okms_iam_policy) for their actions).
    type: list
    elements: str
    choices: [access_check, keys_use, secrets_read, secrets_write, credentials_manage, iam_read]
    default: [access_check]
  actions:
    description:
      - Other actions the hosts need.
    type: list
    elements: str
    default: []
  controller_access:
    description:
      - Presets of what the controller needs; its C(okms:apiovh:) actions are checked.
    type: list
    elements: str
    choices: [access_check, keys_use, secrets_read, secrets_write, credentials_manage, iam_read]
    default: [credentials_manage]
  controller_actions:
    description:
      - Other actions the controller needs.
    type: list
    elements: str
    default: []
  on_missing:
    description:
      - V(fail) ends the module when an action is refused; V(warn) reports it as warnings and succeeds.
    type: str
    choices: [fail, warn]
    default: fail
notes:
  - "IAM actions: C(okms:apiovh:resource/get) to read the domain, C(account:apiovh:iam/policy/get) to list the policies
    (the preset V(iam_read)), C(account:apiovh:me/identity/user/get) to read a user identity's groups; the authorization
    check of the controller's own rights needs none."
seealso:
  - module: okms.access.okms_iam_policy
  - module: okms.access.okms_iam_probe
"""

EXAMPLES = r"""
- name: Before creating the hosts' credentials, prove that IAM lets them pass the access check and read secrets
  okms.access.okms_iam_preflight:
    okms_id: "{{ okms_id }}"
    identities:
      - urn:v1:eu:identity:group:xx1111-ovh/web-hosts
    okms_access: [access_check, secrets_read]
  register: okms_preflight

- name: Only warn
  okms.access.okms_iam_preflight:
    okms_id: "{{ okms_id }}"
    identities: ["urn:v1:eu:identity:user:xx1111-ovh/web-1"]
    on_missing: warn
"""

RETURN = r"""
ok:
  description: Whether every action asked is granted unconditionally.
  returned: success
  type: bool
  sample: true
domain:
  description: The KMS domain checked.
  returned: success
  type: dict
  contains:
    urn:
      description: Its resource URN.
      type: str
      sample: urn:v1:eu:resource:okms:5bd4a4c0-1f2a-4d6e-9b1c-0123456789ab
    rest_endpoint:
      description: Its REST endpoint (mutual TLS), for M(okms.access.okms_iam_probe); empty when it could not be read.
      type: str
      sample: https://eu-west-rbx.okms.ovh.net
host_actions:
  description: The data plane actions (C(okms:apikms:)) asked for the hosts; M(okms.access.okms_iam_probe) proves them.
  returned: success
  type: list
  elements: str
  sample: ["okms:apikms:random/get", "okms:apikms:secretConfig/get"]
controller_identity:
  description: The controller's identity (C(GET /1.0/auth/details)).
  returned: success
  type: str
  sample: urn:v1:eu:identity:account:xx1111-ovh
findings:
  description: One entry per identity (the controller's included) and action checked.
  returned: always
  type: list
  elements: dict
  contains:
    identity:
      description: The identity.
      type: str
    action:
      description: The action.
      type: str
    okms_id:
      description: The domain.
      type: str
    granted:
      description: True, false, or null when it depends on a condition the controller cannot decide.
      type: bool
    allowed_by:
      description: Names of the policies that allow it (those with a condition included).
      type: list
      elements: str
    denied_by:
      description: Names of the policies that deny or except it.
      type: list
      elements: str
    groups:
      description: The groups of the identity whose policies were applied.
      type: list
      elements: str
    fix:
      description: What would grant it (absent when granted).
      type: str
missing:
  description: One sentence per refused action (identity, action, domain, reason, fix).
  returned: always
  type: list
  elements: str
  sample: ["identity urn:v1:eu:identity:user:xx1111-ovh/web-1 on KMS domain 5bd4a4c0-... lacks okms:apikms:random/get (no policy grants it): ..."]
conditional:
  description: One sentence per action granted only under a condition (proven from the hosts).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._iam import (
    ACCOUNT_ACTIONS,
    KMS_PREFIX,
    OVH_PREFIX,
    PRESETS,
    IamApi,
    IamInputError,
    account_urn,
    controller_findings,
    finding_message,
    identity_findings,
    identity_parts,
    plane_actions,
    wanted_actions,
)
from ansible_collections.okms.access.plugins.module_utils._validation import uuid_problem


class OkmsIamPreflight(OkmsModuleBase):
    module_argument_spec = dict(
        okms_id=dict(type="str", required=True),
        identities=dict(type="list", elements="str", default=[]),
        okms_access=dict(type="list", elements="str", choices=sorted(PRESETS), default=["access_check"]),
        actions=dict(type="list", elements="str", default=[]),
        controller_access=dict(type="list", elements="str", choices=sorted(PRESETS), default=["credentials_manage"]),
        controller_actions=dict(type="list", elements="str", default=[]),
        on_missing=dict(type="str", choices=["fail", "warn"], default="fail"),
    )

    def run(self):
        hosts_actions, controller_actions = self.wanted()
        params = self.module.params
        api = IamApi(self.client)
        try:
            domain = self.read_domain(api)
            urn = api.derived_urn(params["okms_id"], domain)
            controller = api.caller_identity() or "the controller"
            findings = controller_findings(api.authorization_check(urn, controller_actions), controller_actions,
                                           params["okms_id"], controller)
            if params["identities"] and hosts_actions:
                findings += self.listing_rights(api, controller)
            if params["identities"] and hosts_actions and not any(finding["action"] in ACCOUNT_ACTIONS for finding in findings):
                policies = api.policies()
                for identity in params["identities"]:
                    findings += identity_findings(policies, identity, self.groups(api, identity), params["okms_id"], urn, hosts_actions)
        except OvhApiError as exc:
            self.fail_api(exc, "IAM preflight of KMS domain %s" % params["okms_id"])
        self.report(findings, dict(domain=dict(urn=urn, rest_endpoint=(domain or {}).get("restEndpoint") or ""),
                                   controller_identity=controller, host_actions=hosts_actions))

    def wanted(self):
        """(hosts' okms:apikms: actions, controller's okms:apiovh: actions); bad input fails before any API call."""
        params = self.module.params
        problems = [problem for problem in [uuid_problem(params["okms_id"])] if problem]
        problems += ["identities: %r is not an identity URN (urn:v1:{eu|ca|us}:identity:{kind}:{nic}[/{name}])" % urn
                     for urn in params["identities"] if identity_parts(urn) is None]
        if problems:
            self.module.fail_json(msg="Invalid input: " + "; ".join(problems))
        try:
            hosts = wanted_actions(params["okms_access"], params["actions"])
            controller = wanted_actions(params["controller_access"], params["controller_actions"], "controller_access")
        except IamInputError as exc:
            self.module.fail_json(msg=str(exc))
        controller_needs = plane_actions(controller, OVH_PREFIX)
        controller_needs += [action for action in plane_actions(hosts, OVH_PREFIX) if action not in controller_needs]
        return plane_actions(hosts, KMS_PREFIX), controller_needs

    def listing_rights(self, api, controller):
        """Findings of the account actions the policies' listing needs (checked on the controller's account)."""
        if identity_parts(controller) is None:
            return []
        actions = list(ACCOUNT_ACTIONS)
        return controller_findings(api.authorization_check(account_urn(controller), actions), actions,
                                   self.module.params["okms_id"], controller)

    def read_domain(self, api):
        """The domain, or None when the controller may not read it (the authorization check then says why)."""
        try:
            return api.domain(self.module.params["okms_id"])
        except OvhApiError as exc:
            if exc.status != 403:
                raise
            return None

    def groups(self, api, identity):
        try:
            return api.groups_of(identity)
        except OvhApiError as exc:
            if exc.status not in (403, 404):
                raise
            if exc.status == 404:
                self.module.warn("%s names no user of the account (%s): a certificate for it is granted nothing by a group" % (identity, exc))
            else:
                self.module.warn("the groups of %s cannot be read (%s): only the policies naming it were applied" % (identity, exc))
            return []

    def report(self, findings, facts):
        missing = [finding_message(finding) for finding in findings if finding["granted"] is False]
        conditional = [finding_message(finding) for finding in findings if finding["granted"] is None]
        for sentence in conditional:
            self.module.warn(sentence)
        result = dict(facts, changed=False, ok=not missing and not conditional, findings=findings, missing=missing,
                      conditional=conditional)
        if missing and self.module.params["on_missing"] == "fail":
            self.module.fail_json(msg="IAM preflight: %d action(s) refused: %s" % (len(missing), " | ".join(missing)), **result)
        for sentence in missing:
            self.module.warn(sentence)
        self.module.exit_json(**result)


def main():
    module = OkmsIamPreflight.build_module(supports_check_mode=True)
    OkmsIamPreflight(module).run()


if __name__ == "__main__":
    main()
