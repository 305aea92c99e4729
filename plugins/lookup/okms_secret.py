# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: okms_secret
short_description: Read the data of OVHcloud KMS Secret Manager secrets (OKMS)
version_added: 0.1.0
description:
  - Returns the data of each secret path given, or one field of it, read from a KMS domain's Secret Manager through the
    OVH API v2 on the controller.
  - Reads the connection options exactly like the modules of okms.access - the lookup's own options, then the C(OVH_*)
    environment variables, then the C(ovh.conf) files.
  - The data is a secret - use it in C(no_log) tasks, or write it with M(okms.access.okms_secret_file).
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - okms.access.secret
options:
  _terms:
    description: The secret paths, for example V(app/db).
    type: list
    elements: str
    required: true
  version:
    description: The version to read instead of the current one; it must be ACTIVE.
    type: int
  field:
    description: Return only the value under this key of each secret's data.
    type: str
notes:
  - "IAM actions (prefix C(okms:apiovh:)): C(secret/get) and C(secret/version/getData)."
seealso:
  - module: okms.access.okms_secret
  - module: okms.access.okms_secret_info
"""

EXAMPLES = r"""
- name: Use the database password (the current version of app/db)
  ansible.builtin.debug:
    msg: "connecting as {{ lookup('okms.access.okms_secret', 'app/db', okms_id=okms_id, field='user') }}"

- name: Version 2 of the whole secret, through an emulator or a proxy
  ansible.builtin.set_fact:
    db_secret: "{{ lookup('okms.access.okms_secret', 'app/db', okms_id=okms_id, version=2, endpoint=api_url, ca_path=ca_file) }}"
  no_log: true
"""

RETURN = r"""
_raw:
  description:
    - For each path, the secret's data (a dictionary), or the value of O(field).
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.okms.access.plugins.module_utils._client import (
    HAS_REQUESTS,
    OvhApiError,
    OvhConfigError,
    api_argument_spec,
    client_from_params,
    user_agent_of,
)
from ansible_collections.okms.access.plugins.module_utils._secret import SecretError, path_problem, select_field
from ansible_collections.okms.access.plugins.module_utils._secret_api import SecretApi
from ansible_collections.okms.access.plugins.module_utils._validation import input_errors
from ansible_collections.okms.access.plugins.plugin_utils._collection import version_environment


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        params = dict((name, self.get_option(name)) for name in api_argument_spec())
        okms_id, version, field = self.get_option("okms_id"), self.get_option("version"), self.get_option("field")
        errors = input_errors({"okms_id": okms_id}, ["okms_id"])
        errors += ["path: " + path_problem(term) for term in terms if path_problem(term)]
        if errors:
            raise AnsibleLookupError("okms.access.okms_secret: invalid input: " + "; ".join(errors))
        if not HAS_REQUESTS:
            raise AnsibleLookupError("okms.access.okms_secret needs the Python library requests on the controller")
        try:
            api = SecretApi(client_from_params(params, user_agent=user_agent_of(version_environment())), okms_id)
            return [select_field(api.read_data(term, version), field, "secret %r" % term) for term in terms]
        except (OvhConfigError, OvhApiError, SecretError) as exc:
            raise AnsibleLookupError("okms.access.okms_secret: %s" % exc) from None
