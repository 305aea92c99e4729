#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_secret
short_description: Manage secrets of the OVHcloud KMS Secret Manager (OKMS)
version_added: 0.1.0
description:
  - Creates, updates and deletes a secret of a KMS domain's Secret Manager through the OVH API v2, and changes the state
    of its versions.
  - With O(data), the secret gets a new version only when the data of its current version differs (the module reads
    it to compare; the comparison is never shown). Data are compared as decoded JSON; key order does not matter and
    numbers compare by value (V(1.0) is V(1), as the API may echo it), but V(true) is not V(1) and V("1") is not V(1).
    The write carries C(cas), the version read, so a version written by someone else in between is never overwritten
    silently - the module fails instead and changes nothing.
  - The metadata options change the secret's metadata when they differ; options left unset are not managed.
  - Results, diffs and messages show the path, the metadata and version numbers, never the secret's data.
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
      - Check mode reads the API, writes nothing and predicts C(changed), the metadata and the version number exactly.
  diff_mode:
    support: full
    details:
      - The diff shows the metadata, the current version number and the states of the versions named in
        O(version_states), never the data.
  platform:
    platforms: posix
options:
  path:
    description:
      - The secret's path, for example V(app/db) or V(prod/database/mysql); slashes build a hierarchy.
      - "Letters, digits and C(_ . : / = @ -), 1 to 255 characters, with no leading, trailing or double slash."
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the secret, V(absent) deletes it with all its versions.
    type: str
    choices: [present, absent]
    default: present
  data:
    description:
      - The secret's data, a JSON object whose values may be any JSON value (strings, numbers, lists, objects).
        A string holding a JSON object is accepted too.
      - Required to create a secret. When the current version's data differs, a new version holds O(data). A current
        version that is not ACTIVE (its data cannot be read) counts as different.
      - An ACTIVE current version that the API returns without data fails the task, naming the IAM action
        C(okms:apiovh:secret/version/getData) that the account lacks.
      - At most 64 KiB of JSON. Never shown in output, diffs or errors.
    type: raw
  max_versions:
    description:
      - How many versions the secret keeps; when a new version goes over it, the oldest one is deleted.
      - V(0) means the domain's setting applies (10 unless the domain's C(secretConfig) says otherwise). At most 24000.
    type: int
  cas_required:
    description:
      - Whether every write to the secret must carry C(cas) (check-and-set). V(false) means the domain's setting applies.
      - This module sends C(cas) with every new version, whatever this setting. A metadata-only update carries it only
        when the secret requires it or the update sets O(cas_required=true), as OVH's control panel does (and once more
        when the domain's C(secretConfig) turns out to require it).
    type: bool
  deactivate_version_after:
    description:
      - How long a version stays active after its creation, then it is deactivated, for example V(30d) or V(12h30m).
      - V(0s) means the domain's setting applies (by default, versions stay active).
    type: str
  custom_metadata:
    description:
      - Key/value strings attached to the secret (at most 64). When set, it replaces the secret's custom metadata.
      - "Keys must not be empty; values are 1 to 512 characters among letters, digits and C(_ . : / = @ % -), as OVH's
        schema states. The API judges other key rules."
    type: dict
  version_states:
    description:
      - States to give to versions of the secret, applied after any new version.
      - V(ACTIVE) and V(DEACTIVATED) can be switched back and forth (a deactivated version's data cannot be read);
        V(DELETED) erases the version's data for good and is final.
      - A version that no longer exists (pruned by O(max_versions)) counts as V(DELETED). A version above the secret's
        current version does not exist yet, and the task fails.
    type: list
    elements: dict
    suboptions:
      version:
        description: The version number (1 is the first version).
        type: int
        required: true
      state:
        description: The state it must have.
        type: str
        choices: [ACTIVE, DEACTIVATED, DELETED]
        required: true
notes:
  - "IAM actions (prefix C(okms:apiovh:)): C(secret/get) and C(secret/version/getData) to read, C(secret/create) to create,
    C(secret/edit) with C(secret/version/create) (new data) and C(secret/updateMetadata) (metadata) to update,
    C(secret/version/edit) with C(secret/version/activate), C(secret/version/deactivate) or C(secret/version/delete)
    for O(version_states), C(secret/delete) for O(state=absent)."
seealso:
  - module: okms.access.okms_secret_info
  - plugin: okms.access.okms_secret
    plugin_type: lookup
"""

EXAMPLES = r"""
# These examples use the variable okms_id (the KMS domain id).
# Connection options come from module_defaults, the OVH_* environment variables or ovh.conf.

- name: Store the database credentials (a new version only when they change)
  okms.access.okms_secret:
    okms_id: "{{ okms_id }}"
    path: app/db
    data:
      user: app
      password: "{{ vault_db_password }}"
    max_versions: 5
    custom_metadata:
      owner: team-db

- name: Deactivate version 1 and delete version 2
  okms.access.okms_secret:
    okms_id: "{{ okms_id }}"
    path: app/db
    version_states:
      - version: 1
        state: DEACTIVATED
      - version: 2
        state: DELETED

- name: Delete the secret and all its versions
  okms.access.okms_secret:
    okms_id: "{{ okms_id }}"
    path: app/db
    state: absent
"""

RETURN = r"""
path:
  description: The secret's path.
  returned: always
  type: str
  sample: app/db
version:
  description:
    - The secret's current version number (after the change; predicted in check mode); null once absent.
  returned: always
  type: int
  sample: 3
metadata:
  description: The secret's metadata (after the change; predicted in check mode); empty once absent.
  returned: always
  type: dict
  contains:
    max_versions:
      description: Versions kept (0 = the domain's setting).
      type: int
      sample: 5
    cas_required:
      description: Whether writes must carry C(cas) (false = the domain's setting).
      type: bool
      sample: false
    deactivate_version_after:
      description: Lifetime of a version (V(0s) = the domain's setting).
      type: str
      sample: 30d
    custom_metadata:
      description: Key/value strings of the secret.
      type: dict
      sample: {"owner": "team-db"}
    current_version:
      description: The newest version number, whatever its state.
      type: int
      sample: 3
    oldest_version:
      description: As the API reports it (in check mode, the value before the change).
      type: int
      sample: 0
    created_at:
      description: When the secret was created.
      type: str
      sample: "2026-04-04T12:26:28Z"
    updated_at:
      description: When the secret last changed.
      type: str
      sample: "2026-04-05T08:00:00Z"
versions_changed:
  description: The version state changes made (or that would be made in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"version": 1, "before": "ACTIVE", "after": "DEACTIVATED"}]
"""

import json

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError
from ansible_collections.okms.access.plugins.module_utils._secret import (
    METADATA_OPTIONS,
    UNSET_METADATA,
    SecretError,
    data_differs,
    data_problem,
    metadata_changes,
    metadata_problems,
    metadata_request,
    metadata_result,
    path_problem,
    state_changes,
    update_cas,
    version_data,
    version_states_problems,
)
from ansible_collections.okms.access.plugins.module_utils._secret_api import SecretApi
from ansible_collections.okms.access.plugins.module_utils._validation import fail_on_errors, input_errors


class OkmsSecret(OkmsModuleBase):
    module_argument_spec = dict(
        okms_id=dict(type="str", required=True),
        path=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        data=dict(type="raw", no_log=True),
        max_versions=dict(type="int"),
        cas_required=dict(type="bool"),
        deactivate_version_after=dict(type="str"),
        custom_metadata=dict(type="dict"),
        version_states=dict(type="list", elements="dict", options=dict(
            version=dict(type="int", required=True),
            state=dict(type="str", choices=["ACTIVE", "DEACTIVATED", "DELETED"], required=True),
        )),
    )

    def __init__(self, module):
        super().__init__(module)
        self.params = module.params
        self.data = None
        self.api = None

    def run(self):
        self.check_input()
        self.api = SecretApi(self.client, self.params["okms_id"])
        try:
            if self.params["state"] == "absent":
                result = self.ensure_absent()
            else:
                result = self.ensure_present()
        except SecretError as exc:
            self.module.fail_json(msg=str(exc), path=self.params["path"])
        except OvhApiError as exc:
            self.fail_api(exc, "Secret %r of KMS domain %s" % (self.params["path"], self.params["okms_id"]))
        self.module.exit_json(**result)

    def check_input(self):
        """Every check that needs no API call, so that bad input fails before any request."""
        errors = input_errors(self.params, ["okms_id"])
        problem = path_problem(self.params["path"])
        if problem:
            errors.append("path: " + problem)
        if self.params["data"] is not None:
            self.data = self.params["data"]
            if isinstance(self.data, str):
                try:
                    self.data = json.loads(self.data)
                except ValueError:
                    pass  # data_problem says what is wrong: a string that is not a JSON object
            problem = data_problem(self.data)
            if problem:
                errors.append("data: " + problem)
        errors.extend(metadata_problems(self.params))
        errors.extend(version_states_problems(self.params["version_states"]))
        if self.params["state"] == "absent":
            managed = [option for option, dummy in METADATA_OPTIONS if self.params[option] is not None]
            managed += [option for option in ("data", "version_states") if self.params[option] is not None]
            if managed:
                errors.append("state=absent deletes the secret; remove %s" % ", ".join(managed))
        fail_on_errors(self.module, errors)

    def ensure_absent(self):
        path = self.params["path"]
        secret = self.api.read(path)
        result = dict(changed=secret is not None, path=path, version=None, metadata={}, versions_changed=[])
        if secret is not None:
            result["diff"] = dict(before=secret_view(metadata_result(secret["metadata"])), after={})
            if not self.module.check_mode:
                self.api.delete(path)
        return result

    def ensure_present(self):
        path = self.params["path"]
        secret = self.api.read(path, include_data=self.data is not None)
        if secret is None:
            metadata, before = self.create(), {}
        else:
            metadata, before = self.update(secret), secret_view(metadata_result(secret["metadata"]))
        versions_changed = self.change_states(secret is None, metadata.get("current_version"))
        after = secret_view(metadata)
        if versions_changed:
            before["version_states"] = dict((str(change["version"]), change["before"]) for change in versions_changed)
            after["version_states"] = dict((str(change["version"]), change["after"]) for change in versions_changed)
        return dict(changed=before != after, path=path, version=metadata.get("current_version"), metadata=metadata,
                    versions_changed=versions_changed, diff=dict(before=before, after=after))

    def create(self):
        """Metadata of the new secret (predicted in check mode)."""
        if self.data is None:
            raise SecretError("secret %r does not exist in KMS domain %s: give data to create it" % (self.params["path"], self.params["okms_id"]))
        if self.params["version_states"]:
            raise SecretError("version_states: secret %r does not exist yet; create it first" % self.params["path"])
        request = metadata_request(self.params)
        if self.module.check_mode:
            return metadata_result(dict(UNSET_METADATA, currentVersion=1, oldestVersion=0, **request))
        return metadata_result(self.api.create(self.params["path"], self.data, request)["metadata"])

    def update(self, secret):
        """Metadata after a new version and/or a metadata change (none when nothing differs)."""
        current = secret["metadata"]
        changes = metadata_changes(current, self.params)
        version = secret.get("version") or {}
        where = "secret %r of KMS domain %s" % (self.params["path"], self.params["okms_id"])
        new_data = self.data is not None and data_differs(version_data(version, where), self.data)
        if not changes and not new_data:
            return metadata_result(current)
        if self.module.check_mode:
            predicted = metadata_result(dict(current, **changes))
            if new_data:
                predicted["current_version"] = current["currentVersion"] + 1
            return predicted
        answer = self.api.update(self.params["path"], current["currentVersion"], update_cas(current, changes, new_data),
                                 self.data if new_data else None, changes)
        return metadata_result(answer["metadata"])

    def change_states(self, created, current_version):
        if not self.params["version_states"] or created:
            return []
        path = self.params["path"]
        changes = state_changes(self.api.list_versions(path), self.params["version_states"], current_version)
        for number, dummy, state in changes:
            if not self.module.check_mode:
                self.api.set_state(path, number, state)
        return [dict(version=number, before=before, after=after) for number, before, after in changes]


def secret_view(metadata):
    """What the diff shows of a secret: its settable metadata and version numbers."""
    view = dict((option, metadata.get(option)) for option, dummy in METADATA_OPTIONS)
    view["current_version"] = metadata.get("current_version")
    return view


def main():
    module = OkmsSecret.build_module(supports_check_mode=True)
    OkmsSecret(module).run()


if __name__ == "__main__":
    main()
