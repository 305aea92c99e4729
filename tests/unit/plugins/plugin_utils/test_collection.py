# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's version comes from galaxy.yml (MANIFEST.json once built) and reaches the modules' environment."""

from __future__ import annotations

import json
import os

import yaml
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.okms.access.plugins.action import okms_secret
from ansible_collections.okms.access.plugins.plugin_utils._collection import COLLECTION_ROOT, collection_version


class FakeTask:
    action = "okms.access.okms_secret"
    environment = [{"OTHER": "value"}]


def galaxy_version():
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def test_a_source_tree_reads_galaxy_yml_and_a_built_collection_its_manifest(tmp_path):
    assert collection_version() == galaxy_version()
    (tmp_path / "galaxy.yml").write_text("version: 1.0.0\n")
    assert collection_version(str(tmp_path)) == "1.0.0"
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.0.0"}}))
    assert collection_version(str(tmp_path)) == "2.0.0"


def test_module_runs_get_the_version_besides_the_task_environment():
    connection = connection_loader.get("local", PlayContext(), None)
    plugin = okms_secret.ActionModule(FakeTask(), connection, PlayContext(), None, None, None)
    plugin._templar = type("Templar", (), {"template": staticmethod(lambda value: value)})()
    assert plugin._compute_environment_string() == "OKMS_ACCESS_VERSION=%s OTHER=value" % galaxy_version()
