# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection's metadata cannot drift from its content.

- meta/runtime.yml: the action group `okms` lists every module of plugins/modules/ that takes the connection options
  (the okms.access.api doc fragment), once: module_defaults of the group would break a module without them;
- meta/execution-environment.yml: the files it names exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COLLECTION_ROOT = Path(__file__).resolve().parents[2]


def load_yaml(relative_path: str) -> dict:
    with (COLLECTION_ROOT / relative_path).open(encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def module_names() -> list[str]:
    """The modules that talk to the API: those documented with the okms.access.api fragment."""
    return sorted(path.stem for path in (COLLECTION_ROOT / 'plugins' / 'modules').glob('*.py')
                  if path.stem != '__init__' and '- okms.access.api\n' in path.read_text(encoding='utf-8'))


def okms_group() -> list[str]:
    return load_yaml('meta/runtime.yml')['action_groups']['okms']


def test_collection_has_modules():
    assert module_names(), 'plugins/modules/ holds no module'


def test_action_group_okms_lists_every_module_once():
    assert sorted(okms_group()) == module_names()
    assert len(okms_group()) == len(set(okms_group()))


def test_action_group_uses_short_names():
    # Short names resolve inside this collection; playbooks use the group as group/okms.access.okms.
    assert all(re.fullmatch(r'[a-z][a-z0-9_]*', name) for name in okms_group())


def test_action_groups_has_only_okms():
    assert list(load_yaml('meta/runtime.yml')['action_groups']) == ['okms']


def test_requires_ansible_is_a_full_version():
    assert re.fullmatch(r'>=\d+\.\d+\.\d+', load_yaml('meta/runtime.yml')['requires_ansible'])


def test_execution_environment_names_existing_files():
    # ansible-builder reads these from the built collection; scripts/pipeline.py (galaxy-build) checks they ship.
    dependencies = load_yaml('meta/execution-environment.yml')['dependencies']
    assert sorted(dependencies) == ['python', 'system']
    for relative_path in dependencies.values():
        assert (COLLECTION_ROOT / relative_path).is_file(), relative_path
