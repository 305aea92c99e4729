#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_secret_info
short_description: Read secrets of the OVHcloud KMS Secret Manager (OKMS)
version_added: 0.1.0
description:
  - Returns one secret of a KMS domain (its current version or O(version)), or every secret of the domain, with their
    metadata and versions.
  - The secrets' data is returned only with O(include_data=true); set C(no_log) on such a task.
  - Never changes anything.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - okms.access.secret
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
  path:
    description:
      - The path of one secret. Without it, every secret of the domain is returned (the list is read page by page).
    type: str
  version:
    description:
      - With O(path), the version to return instead of the current one.
    type: int
  include_data:
    description:
      - Whether to return the data of the version (only ACTIVE versions hold readable data).
      - Needs the IAM action C(okms:apiovh:secret/version/getData). Set C(no_log) on the task.
    type: bool
    default: false
  list_versions:
    description:
      - Whether to return every version of each secret (their numbers and states, never their data) in RV(secrets[].versions).
      - Costs one more API request per secret.
    type: bool
    default: true
notes:
  - "IAM actions (prefix C(okms:apiovh:)): C(secret/get); C(secret/version/getData) for O(include_data=true)."
seealso:
  - module: okms.access.okms_secret
  - plugin: okms.access.okms_secret
    plugin_type: lookup
"""

EXAMPLES = r"""
# These examples use the variable okms_id (the KMS domain id).

- name: List every secret of the domain with its versions
  okms.access.okms_secret_info:
    okms_id: "{{ okms_id }}"
  register: all_secrets

- name: Read the data of version 2 of app/db
  okms.access.okms_secret_info:
    okms_id: "{{ okms_id }}"
    path: app/db
    version: 2
    include_data: true
    list_versions: false
  no_log: true
  register: db_secret
"""

RETURN = r"""
secrets:
  description:
    - The secret O(path) (empty when it does not exist), or every secret of the domain.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The secret's path.
      type: str
      sample: app/db
    metadata:
      description: >-
        The secret's metadata, C(max_versions), C(cas_required), C(deactivate_version_after), C(custom_metadata),
        C(current_version), C(oldest_version), C(created_at), C(updated_at) (see the okms.access.okms_secret module).
      type: dict
      sample: {"max_versions": 0, "cas_required": false, "deactivate_version_after": "0s", "custom_metadata": {},
               "current_version": 2, "oldest_version": 0, "created_at": "2026-04-04T12:26:28Z",
               "updated_at": "2026-04-05T08:00:00Z"}
    version:
      description:
        - The current version, or O(version). C(data) only with O(include_data=true), null when the version is not ACTIVE.
          An ACTIVE version that the API returns without data fails the task, naming the IAM action
          C(okms:apiovh:secret/version/getData) that the account lacks.
      type: dict
      sample: {"id": 2, "state": "ACTIVE", "created_at": "2026-04-05T08:00:00Z", "deactivated_at": null}
    versions:
      description: Every version of the secret, oldest first, without data; only with O(list_versions=true).
      type: list
      elements: dict
      sample: [{"id": 1, "state": "DEACTIVATED", "created_at": "2026-04-04T12:26:28Z", "deactivated_at": "2026-04-05T08:00:00Z"}]
"""

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._secret import (
    VERSION_MAX,
    SecretError,
    metadata_result,
    path_problem,
    version_data,
    version_result,
)
from ansible_collections.okms.access.plugins.module_utils._secret_api import SecretApi
from ansible_collections.okms.access.plugins.module_utils._validation import fail_on_errors, input_errors


class OkmsSecretInfo(OkmsModuleBase):
    module_argument_spec = dict(
        okms_id=dict(type="str", required=True),
        path=dict(type="str"),
        version=dict(type="int"),
        include_data=dict(type="bool", default=False),
        list_versions=dict(type="bool", default=True),
    )

    def run(self):
        params = self.module.params
        errors = input_errors(params, ["okms_id"])
        if params["path"] is not None and path_problem(params["path"]):
            errors.append("path: " + path_problem(params["path"]))
        if params["version"] is not None and not 1 <= params["version"] <= VERSION_MAX:
            errors.append("version: %d is out of range 1..%d" % (params["version"], VERSION_MAX))
        fail_on_errors(self.module, errors)
        api = SecretApi(self.client, params["okms_id"])
        try:
            secrets = [self.secret_result(api, secret) for secret in self.find(api)]
        except OvhApiError as exc:
            self.fail_api(exc)
        except SecretError as exc:
            self.module.fail_json(msg=str(exc))
        self.module.exit_json(changed=False, secrets=secrets)

    def find(self, api):
        """The GetResponses asked for: one secret (read with its data if asked), or every secret of the domain."""
        params = self.module.params
        if params["path"] is not None:
            secret = api.read(params["path"], version=params["version"], include_data=params["include_data"])
            return [secret] if secret is not None else []
        secrets = list(api.list_secrets())
        if params["include_data"]:
            # the list carries no data: each secret is read again with it
            secrets = [api.read(secret["path"], include_data=True) or secret for secret in secrets]
        return secrets

    def secret_result(self, api, secret):
        params = self.module.params
        result = dict(path=secret["path"], metadata=metadata_result(secret.get("metadata") or {}), version=None)
        if secret.get("version"):
            if params["include_data"]:
                version_data(secret["version"], "secret %r of KMS domain %s" % (secret["path"], params["okms_id"]))
            result["version"] = version_result(secret["version"], params["include_data"])
        if params["list_versions"]:
            result["versions"] = [version_result(version) for version in api.list_versions(secret["path"])]
        return result


def main():
    module = OkmsSecretInfo.build_module(supports_check_mode=True, required_by={"version": "path"})
    OkmsSecretInfo(module).run()


if __name__ == "__main__":
    main()
