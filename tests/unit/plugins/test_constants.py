# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One owner per constant: the credential statuses, the API's domains path and the file modes are written, as string
literals in code, only in the module that defines them; every other file imports them."""

from __future__ import annotations

import ast
import os

import pytest

PLUGINS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "plugins"))
OWNERS = {
    "module_utils/_credential.py": ("READY", "CREATING", "DELETING", "ERROR", "EXPIRED", "/v2/okms/resource"),
    "module_utils/_files.py": ("0600", "0640", "0644", "0750"),
}
# Module-level strings that are documentation, not code.
DOC_NAMES = frozenset(("DOCUMENTATION", "EXAMPLES", "RETURN"))


def code_strings(path):
    """The string literals of a file's code (not its docstrings nor its DOCUMENTATION, EXAMPLES and RETURN)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body and isinstance(node.body[0], ast.Expr):
            skipped.add(id(node.body[0].value))
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id in DOC_NAMES for target in node.targets):
            skipped.add(id(node.value))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped]


def plugin_files():
    for directory, dummy, names in os.walk(PLUGINS):
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.relpath(os.path.join(directory, name), PLUGINS)


@pytest.mark.parametrize("owner, values", sorted(OWNERS.items()))
def test_each_constant_is_written_in_its_owner_only(owner, values):
    found = dict((value, []) for value in values)
    for relative in plugin_files():
        for text in code_strings(os.path.join(PLUGINS, relative)):
            if text in found:
                found[text].append(relative)
    assert dict((value, sorted(set(files))) for value, files in found.items()) == dict((value, [owner]) for value in values)
