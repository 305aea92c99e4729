# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's action plugins pipeline their module runs whenever the connection can, and say so when it cannot.

The kill test (integration target module_args_not_on_disk) shows what it changes on disk; this shows the decision on
Ansible's own connection and become plugins.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import become_loader, connection_loader

from ansible_collections.okms.access.plugins.action import okms_secret_file
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


ACTIONS = Path(__file__).resolve().parents[4] / "plugins" / "action"
# The action plugins that run no module: okms_audit makes its API calls on the controller itself.
NO_MODULE_RUN = ("okms_audit",)


def module_running_actions():
    """Every action plugin of the collection that runs a module (each module with an argument that can be secret has one)."""
    return [importlib.import_module("ansible_collections.okms.access.plugins.action." + path.stem)
            for path in sorted(ACTIONS.glob("okms_*.py")) if path.stem not in NO_MODULE_RUN]


def test_every_module_with_connection_options_has_a_pipelining_action():
    modules = Path(__file__).resolve().parents[4] / "plugins" / "modules"
    with_api = [path.stem for path in sorted(modules.glob("okms_*.py")) if "okms.access.api" in path.read_text(encoding="utf-8")]
    assert with_api and set(with_api) - set(NO_MODULE_RUN) <= set(module.__name__.rsplit(".", 1)[1] for module in module_running_actions())


@pytest.mark.parametrize("plugin", module_running_actions(), ids=lambda module: module.__name__.rsplit(".", 1)[1])
def test_modules_are_pipelined_although_pipelining_is_off(plugin, connection):
    assert connection.get_option("pipelining") is False
    assert action(plugin, connection)._is_pipelining_enabled("new")


def test_sudo_pipelines(connection):
    connection.set_become_plugin(become_loader.get("sudo"))
    assert action(okms_secret_file, connection)._is_pipelining_enabled("new")


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
