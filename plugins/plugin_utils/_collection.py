# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This plugin_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The collection's version, read from its one place: galaxy.yml in a source tree, MANIFEST.json (made from galaxy.yml by
ansible-galaxy collection build) in an installed collection. Controller side only: the modules get it from the action
plugins in the environment variable _client.VERSION_VARIABLE."""

from __future__ import annotations

import functools
import json
import os

import yaml

from ansible_collections.okms.access.plugins.module_utils._client import VERSION_VARIABLE

COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_version(root=COLLECTION_ROOT):
    manifest = os.path.join(root, "MANIFEST.json")
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            return json.load(handle)["collection_info"]["version"]
    with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


# Read once per process: every module run of a play asks for it (a YAML parse per host and step otherwise).
@functools.lru_cache(maxsize=None)
def this_collection_version():
    return collection_version()


def version_environment():
    """The environment variable that tells the API client (module_utils/_client.py) the collection's version."""
    return {VERSION_VARIABLE: this_collection_version()}
