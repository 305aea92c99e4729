#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_certificate_info
short_description: List OVHcloud KMS domains and their access certificates (credentials)
version_added: 0.1.0
description:
  - Returns the credentials of a KMS domain (OKMS) - all of them, one by O(credential_id), or those with a O(name) - with
    the facts of their certificates, their expiry and whether they are due for renewal.
  - Optionally returns the domain itself (endpoints and public CA), or filters the credentials with a JMESPath O(query).
  - Without O(okms_id), lists the account's KMS domains.
  - Never changes anything.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - okms.access.credential
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
  okms_id:
    description:
      - ID (UUID) of the KMS domain whose credentials are returned.
      - When not set, RV(domains) lists the account's KMS domains and RV(credentials) is empty.
    type: str
  credential_id:
    description:
      - Return only this credential (one GET, no listing). RV(credentials) is empty when it does not exist.
      - Mutually exclusive with O(name).
    type: str
  name:
    description:
      - Return only the credentials with this name (the API has no filter, so the domain is listed).
      - Mutually exclusive with O(credential_id).
    type: str
  include_domain:
    description:
      - Also return the domain of O(okms_id) as RV(domain), with its endpoints and public CA certificate.
    type: bool
    default: false
  query:
    description:
      - A L(JMESPath,https://jmespath.org/) expression applied to the list RV(credentials); its value is returned as
        RV(query_result), and RV(credentials) is then empty. For example V([?status=='READY'].name) or V([?should_renew].id).
      - Checked before any API call; an invalid expression fails with the parser's message.
      - Needs the Python library C(jmespath) on the machine running the module.
    type: str
requirements:
  - cryptography >= 3.4
  - jmespath (only for O(query))
notes:
  - "IAM actions (prefix C(okms:apiovh:)): C(resource/get) to read the domains (without O(okms_id), or with
    O(include_domain=true)), C(credential/get) to read the credentials."
seealso:
  - module: okms.access.okms_certificate
"""

EXAMPLES = r"""
# These examples use the variables okms_id (the KMS domain id) and okms_dir (an existing directory).
# Connection options come from module_defaults, the OVH_* environment variables or ovh.conf.

- name: List the account's KMS domains
  okms.access.okms_certificate_info:
  register: okms_domains

- name: Show them
  ansible.builtin.debug:
    msg: "{{ okms_domains.domains | map(attribute='id') | list }}"

- name: Get every credential of a domain, and the domain's endpoints and CA
  okms.access.okms_certificate_info:
    okms_id: "{{ okms_id }}"
    include_domain: true
  register: okms_domain

- name: Write the domain's CA, to verify its REST and KMIP endpoints
  ansible.builtin.copy:
    content: "{{ okms_domain.domain.public_ca }}"
    dest: "{{ okms_dir }}/ca.pem"
    mode: "0644"

- name: Find the credentials called web-1
  okms.access.okms_certificate_info:
    okms_id: "{{ okms_id }}"
    name: web-1
  register: web_1_credentials

- name: Names of the READY credentials that expire within 30 days (plan renewals on a given date with now)
  okms.access.okms_certificate_info:
    okms_id: "{{ okms_id }}"
    renew_before_days: 30
    query: "[?status=='READY' && should_renew].name"
  register: to_renew

- name: Map each credential name to its ids, in one listing for a whole play
  okms.access.okms_certificate_info:
    okms_id: "{{ okms_id }}"
    query: "[].{name: name, id: id}"
  register: okms_ids
  run_once: true
"""

RETURN = r"""
credentials:
  description:
    - The credentials of the domain (all, by O(credential_id) or by O(name)); empty without O(okms_id).
    - Empty with O(query), whose value RV(query_result) is computed from them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: ID (UUID) of the credential.
      type: str
      sample: 5a3a6e27-6f1c-4d8e-9c55-2f0d2a4b1e77
    name:
      description: Name of the credential.
      type: str
      sample: web-1
    description:
      description: Description of the credential.
      type: str
      sample: web server 1
    identity_urns:
      description: IAM identities allowed to use the credential.
      type: list
      elements: str
      sample: ["urn:v1:eu:identity:account:xx1111-ovh"]
    status:
      description: C(CREATING), C(READY), C(DELETING), C(ERROR) or C(EXPIRED).
      type: str
      sample: READY
    from_csr:
      description: Whether the credential was made from a CSR.
      type: bool
      sample: false
    certificate_type:
      description: C(ECDSA) or C(RSA).
      type: str
      sample: ECDSA
    created_at:
      description: Creation time, RFC 3339.
      type: str
      sample: "2026-04-04T12:26:28.856619+02:00"
    expired_at:
      description: Expiry time (the certificate's notAfter), RFC 3339.
      type: str
      sample: "2027-04-04T12:26:28.856619+02:00"
    certificate_pem:
      description: The certificate (PEM, real newlines); V(null) until the credential is C(READY).
      type: str
      sample: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
    serial:
      description:
        - Serial number of the certificate as 32 lowercase hex digits, as C(openssl x509 -serial) prints it. OVH's examples
          show it equal to the credential id without its dashes; the collection does not rely on that.
        - V(null) until the credential is C(READY).
      type: str
      sample: 5a3a6e276f1c4d8e9c552f0d2a4b1e77
    fingerprint_sha256:
      description: SHA-256 fingerprint of the DER certificate, colon-separated uppercase hex; V(null) until C(READY).
      type: str
      sample: "3B:9F:...:A0"
    expires_in_days:
      description: Days from now (or O(now)) until C(expired_at), a float with two decimals; negative once expired.
      type: float
      sample: 364.99
    should_renew:
      description:
        - Whether the credential is due for renewal - it expires within O(renew_before_days) days of now (or O(now)), or
          it is C(EXPIRED).
      type: bool
      sample: false
query_result:
  description: The value of O(query) applied to RV(credentials).
  returned: when query is set
  type: raw
  sample: ["web-1", "web-2"]
domain:
  description: The KMS domain O(okms_id).
  returned: when include_domain is true
  type: dict
  contains:
    id:
      description: ID of the domain.
      type: str
    region:
      description: Region of the domain, for example C(eu-west-rbx).
      type: str
    rest_endpoint:
      description: URL of the domain's REST API (mutual TLS with a credential's certificate).
      type: str
      sample: https://eu-west-rbx.okms.ovh.net
    kmip_endpoint:
      description: C(host:port) of the domain's KMIP endpoint.
      type: str
      sample: eu-west-rbx.okms.ovh.net:5696
    kmip_rsa_endpoint:
      description: C(host:port) of the KMIP endpoint for RSA certificates, when the API gives one.
      type: str
    swagger_endpoint:
      description: URL of the REST API's documentation, when the API gives one.
      type: str
    public_ca:
      description: PEM of the CA that signs the REST and KMIP endpoints' server certificates.
      type: str
    public_rsa_ca:
      description: PEM of the CA of the RSA endpoints, when the API gives one.
      type: str
    iam:
      description: The domain's IAM metadata (C(id), C(urn), C(displayName), C(tags), C(state)).
      type: dict
domains:
  description: The account's KMS domains (same fields as RV(domain), without the CA certificates).
  returned: when okms_id is not set
  type: list
  elements: dict
"""

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    DOMAINS_PATH,
    CredentialApi,
    credential_result,
    parse_timestamp,
    utc_now,
)
from ansible_collections.okms.access.plugins.module_utils._validation import fail_on_errors, input_errors

try:
    import jmespath
except ImportError:
    jmespath = None
    JMESPATH_IMPORT_ERROR = traceback.format_exc()
else:
    JMESPATH_IMPORT_ERROR = None

# API field -> returned field of a domain.
DOMAIN_FIELDS = (
    ("id", "id"),
    ("region", "region"),
    ("restEndpoint", "rest_endpoint"),
    ("kmipEndpoint", "kmip_endpoint"),
    ("kmipRsaEndpoint", "kmip_rsa_endpoint"),
    ("swaggerEndpoint", "swagger_endpoint"),
    ("publicCA", "public_ca"),
    ("publicRsaCA", "public_rsa_ca"),
    ("iam", "iam"),
)


class OkmsCertificateInfo(OkmsModuleBase):
    module_argument_spec = dict(
        okms_id=dict(type="str"),
        credential_id=dict(type="str"),
        name=dict(type="str"),
        include_domain=dict(type="bool", default=False),
        query=dict(type="str"),
        renew_before_days=dict(type="int", default=0),
        now=dict(type="str"),
    )

    def __init__(self, module):
        super().__init__(module)
        self.params = module.params
        self.query = None

    def run(self):
        self.check_input()
        now = parse_timestamp(self.params["now"]) if self.params["now"] else utc_now()
        result = dict(changed=False, credentials=[])
        try:
            if self.params["okms_id"] is None:
                result["domains"] = [domain_result(domain) for domain in self.client.iter_list(DOMAINS_PATH)]
            else:
                result["credentials"] = [credential_result(credential, now, self.params["renew_before_days"])
                                         for credential in self.find_credentials()]
                if self.params["include_domain"]:
                    result["domain"] = domain_result(self.client.get("%s/%s" % (DOMAINS_PATH, self.params["okms_id"]), params={"publicCA": True}))
        except OvhApiError as exc:
            self.fail_api(exc)
        if self.query is not None:
            try:
                result["query_result"] = self.query.search(result["credentials"])
                # The query's value is the answer: a query over thousands of credentials returns what it selects, not them all.
                result["credentials"] = []
            except jmespath.exceptions.JMESPathError as exc:
                self.module.fail_json(msg="query: %r failed on the credentials: %s" % (self.params["query"], exc), credentials=result["credentials"])
        self.module.exit_json(**result)

    def check_input(self):
        """Every check that needs no API call, so that bad input fails before any request."""
        if not HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
        errors = input_errors(self.params, ["okms_id", "credential_id", "name", "renew_before_days", "now"])
        if self.params["query"] is not None:
            if jmespath is None:
                self.module.fail_json(msg=missing_required_lib("jmespath", reason="for the query option"), exception=JMESPATH_IMPORT_ERROR)
            try:
                self.query = jmespath.compile(self.params["query"])
            except jmespath.exceptions.JMESPathError as exc:
                errors.append("query: %r is not a valid JMESPath expression (%s); see https://jmespath.org/specification.html"
                              % (self.params["query"], " ".join(str(exc).split())))
        fail_on_errors(self.module, errors)

    def find_credentials(self):
        api = CredentialApi(self.client, self.params["okms_id"])
        if self.params["credential_id"]:
            credential = api.get(self.params["credential_id"])
            return [credential] if credential is not None else []
        if self.params["name"] is not None:
            return api.list_named(self.params["name"])
        return api.list_all()


def domain_result(domain):
    """A domain with snake_case keys; fields the API did not send are left out."""
    return dict((returned, domain[field]) for field, returned in DOMAIN_FIELDS if field in domain)


def main():
    module = OkmsCertificateInfo.build_module(
        supports_check_mode=True,
        mutually_exclusive=[("credential_id", "name")],
        required_by={"credential_id": "okms_id", "name": "okms_id"},
        required_if=[("include_domain", True, ["okms_id"])],
    )
    OkmsCertificateInfo(module).run()


if __name__ == "__main__":
    main()
