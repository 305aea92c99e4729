#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_iam_probe
short_description: Prove from a host, with its KMS certificate, that OVH IAM grants it the data plane actions it needs
version_added: 0.2.0
description:
  - The last step of the IAM preflight (see M(okms.access.okms_iam_preflight)) - after the host holds its certificate,
    one harmless request per action to the KMS domain's REST API over mutual TLS, from the host itself, so that policy
    conditions on the source address (C(request.IP)) are proven where they apply.
  - V(okms:apikms:random/get) is proven by C(GET /api/{okmsId}/v1/random?length=1) and V(okms:apikms:secretConfig/get) by
    C(GET /api/{okmsId}/v2/secretConfig). Other actions have no harmless request that a missing right refuses (lists are
    filtered by per-item rights, other calls change or reveal data); they are reported as not proven.
  - A refusal of the authorization category fails the module (or warns, with O(on_missing=warn)) naming the action; a
    refused certificate is the business of the role's access check and is reported as not proven.
  - It runs on the host and needs only Python's standard library; it takes no OVH API option.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - The requests read nothing secret and change nothing; they are sent in check mode too.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  platform:
    platforms: posix
options:
  rest_endpoint:
    description:
      - The domain's REST endpoint (its C(restEndpoint); M(okms.access.okms_iam_preflight) returns it as C(domain.rest_endpoint)).
    type: str
    required: true
  okms_id:
    description:
      - ID (UUID) of the KMS domain.
    type: str
    required: true
  certificate_path:
    description: The host's certificate file.
    type: path
    required: true
  private_key_path:
    description: The host's private key file.
    type: path
    required: true
  ca_path:
    description: The domain's CA file (its C(publicCA)), to verify the endpoint.
    type: path
    required: true
  actions:
    description: The data plane actions to prove.
    type: list
    elements: str
    default: ["okms:apikms:random/get", "okms:apikms:secretConfig/get"]
  identities:
    description: The identity URNs of the certificate, named in the messages.
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds per request.
    type: int
    default: 10
  on_missing:
    description:
      - V(fail) ends the module when an action is refused; V(warn) reports it and succeeds.
    type: str
    choices: [fail, warn]
    default: fail
seealso:
  - module: okms.access.okms_iam_preflight
"""

EXAMPLES = r"""
- name: Prove from each host that its identity may use the KMS domain from where it stands
  okms.access.okms_iam_probe:
    rest_endpoint: "{{ okms_preflight.domain.rest_endpoint }}"
    okms_id: "{{ okms_id }}"
    certificate_path: /etc/okms/client.cert
    private_key_path: /etc/okms/domain.key
    ca_path: /etc/okms/ca.pem
"""

RETURN = r"""
probes:
  description: One entry per action.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: The action.
      type: str
      sample: okms:apikms:random/get
    granted:
      description: True (the request succeeded), false (refused for lack of the action), null (not proven).
      type: bool
      sample: true
    msg:
      description: Why, when not granted.
      type: str
      sample: ""
missing:
  description: One sentence per refused action.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.okms.access.plugins.module_utils._probe import probe_actions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            rest_endpoint=dict(type="str", required=True),
            okms_id=dict(type="str", required=True),
            certificate_path=dict(type="path", required=True),
            private_key_path=dict(type="path", required=True),
            ca_path=dict(type="path", required=True),
            actions=dict(type="list", elements="str", default=["okms:apikms:random/get", "okms:apikms:secretConfig/get"]),
            identities=dict(type="list", elements="str", default=[]),
            timeout=dict(type="int", default=10),
            on_missing=dict(type="str", choices=["fail", "warn"], default="fail"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    base_url = "%s/api/%s" % (params["rest_endpoint"].rstrip("/"), params["okms_id"])
    probes = probe_actions(base_url, params["actions"], params["certificate_path"], params["private_key_path"],
                           params["ca_path"], params["timeout"])
    who = "identity %s" % ", ".join(params["identities"]) if params["identities"] else "the certificate's identity"
    missing = ["%s on KMS domain %s: %s" % (who, params["okms_id"], probe["msg"]) for probe in probes if probe["granted"] is False]
    for probe in probes:
        if probe["granted"] is None:
            module.warn("%s not proven: %s" % (probe["action"], probe["msg"]))
    if missing and params["on_missing"] == "fail":
        module.fail_json(msg="IAM probe from this host: " + " | ".join(missing), probes=probes, missing=missing)
    for sentence in missing:
        module.warn(sentence)
    module.exit_json(changed=False, probes=probes, missing=missing)


if __name__ == "__main__":
    main()
