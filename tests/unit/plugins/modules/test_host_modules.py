# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the host-side modules ship: never the API client (_client) nor requests.

Ansible packs into a module's AnsiballZ payload every module_utils that the module imports, anywhere in the file
(inside try: and functions too), then what those import, and so on. The walk below does the same on the source files,
so a host module that reached _client, even through another module_utils, fails here.
"""

from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.okms.access.plugins import modules as modules_package
from ansible_collections.okms.access.plugins import module_utils as module_utils_package

MODULE_UTILS = "ansible_collections.okms.access.plugins.module_utils"
MODULES_DIR = os.path.dirname(modules_package.__file__)
MODULE_UTILS_DIR = os.path.dirname(module_utils_package.__file__)
# The modules that run on the managed hosts (the others run on the controller, through localhost or an action plugin).
HOST_MODULES = ("okms_client_files", "okms_secret_file")
CONTROLLER_ONLY = ("_client", "_secret_api", "_base")


def imported_names(path):
    """Every module name that the file imports, at any depth of its syntax tree."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == MODULE_UTILS:  # from ...module_utils import _files
                names.update("%s.%s" % (MODULE_UTILS, alias.name) for alias in node.names)
    return names


def shipped(module_name):
    """(the collection's module_utils, the other top-level packages) that the module's payload would hold."""
    seen, outside, todo = set(), set(), [os.path.join(MODULES_DIR, module_name + ".py")]
    while todo:
        for name in imported_names(todo.pop()):
            if name.startswith(MODULE_UTILS + "."):
                util = name[len(MODULE_UTILS) + 1:].split(".")[0]
                if util not in seen:
                    seen.add(util)
                    todo.append(os.path.join(MODULE_UTILS_DIR, util + ".py"))
            else:
                outside.add(name.split(".")[0])
    return seen, outside


@pytest.mark.parametrize("module_name", HOST_MODULES)
def test_host_modules_ship_no_api_client(module_name):
    utils, outside = shipped(module_name)
    assert not utils & set(CONTROLLER_ONLY), "%s ships %s" % (module_name, sorted(utils & set(CONTROLLER_ONLY)))
    assert "requests" not in outside


def test_the_walk_sees_the_api_client_where_it_is():
    # The check above could pass by seeing nothing: a controller module does reach _client and requests.
    utils, outside = shipped("okms_secret")
    assert {"_client", "_secret", "_secret_api"} <= utils
    assert "requests" in outside
