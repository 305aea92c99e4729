# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's action plugins pipeline their module runs whenever the connection can, and say so when it cannot.

The kill test (integration target module_args_not_on_disk) shows what it changes on disk; this shows the decision on
Ansible's own connection and become plugins.
"""

from __future__ import annotations

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader

from ansible_collections.okms.access.plugins.action import (
    okms_certificate,
    okms_certificate_info,
    okms_client,
    okms_secret,
    okms_secret_file,
    okms_secret_info,
)
from ansible_collections.okms.access.plugins.plugin_utils import _pipelining


class FakeTask:
    action = "okms.access.okms_secret_file"


@pytest.fixture
def connection():
    local = connection_loader.get("local", PlayContext(), None)
    local.set_options()
    return local


def action(plugin, connection):
    return plugin.ActionModule(FakeTask(), connection, PlayContext(), None, None, None)


@pytest.mark.parametrize("plugin", [okms_certificate, okms_certificate_info, okms_client, okms_secret, okms_secret_info, okms_secret_file])
def test_modules_are_pipelined_although_pipelining_is_off(plugin, connection):
    assert connection.get_option("pipelining") is False and not connection.is_pipelining_enabled()
    assert action(plugin, connection)._is_pipelining_enabled("new")


def test_a_connection_that_cannot_pipeline_falls_back_with_one_warning(connection, monkeypatch):
    warnings = []
    monkeypatch.setattr(_pipelining.display, "warning", warnings.append)
    connection.set_become_plugin(become_loader.get("su"))
    plugin = action(okms_secret_file, connection)
    assert not plugin._is_pipelining_enabled("new")
    assert not plugin._is_pipelining_enabled("new")
    assert warnings == ["okms.access.okms_secret_file: the connection cannot pipeline the module (become method su, "
                        "keep_remote_files or async), so Ansible writes the module with its arguments, secrets included, "
                        "to a temporary file until it ends"]


def test_async_and_old_style_modules_are_left_to_ansible(connection):
    plugin = action(okms_secret_file, connection)
    assert not plugin._is_pipelining_enabled("new", wrap_async=True)
    assert not plugin._is_pipelining_enabled("old")
