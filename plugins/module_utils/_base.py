# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""OkmsModuleBase: what every okms.access module shares (connection options, the client, API failures)."""

from __future__ import annotations

import copy

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.okms.access.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    OvhConfigError,
    api_argument_spec,
    client_from_params,
)


class OkmsModuleBase:
    """Base of every module: subclasses set ``module_argument_spec`` and build their AnsibleModule with build_module()."""

    module_argument_spec = {}

    def __init__(self, module):
        self.module = module
        self._client = None

    @classmethod
    def build_module(cls, **kwargs):
        """An AnsibleModule whose argument spec is the connection options plus ``cls.module_argument_spec``.

        ``kwargs`` (supports_check_mode, mutually_exclusive, required_if, ...) go to AnsibleModule unchanged.
        """
        argument_spec = api_argument_spec()
        argument_spec.update(copy.deepcopy(cls.module_argument_spec))
        return AnsibleModule(argument_spec=argument_spec, **kwargs)

    @property
    def client(self):
        """The OvhApiClient, created on first use; a configuration problem ends the module with its message, and a
        setting that weakens security (validate_certs=false) gives a warning."""
        if self._client is None:
            if not HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
            try:
                self._client = client_from_params(self.module.params)
            except OvhConfigError as exc:
                self.module.fail_json(msg=str(exc))
            for warning in self._client.config.warnings:
                self.module.warn(warning)
        return self._client

    def fail_api(self, exc, msg=None):
        """End the module for an OvhApiError: ``msg`` (what was being done) then the error's own sentence."""
        message = str(exc) if msg is None else "%s: %s" % (msg, exc)
        self.module.fail_json(msg=message, failure=exc.to_failure())
