# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the documentation says in two places says the same thing.

- every plugin that calls the OVH API (documented with the okms.access.api fragment) names its IAM actions in its notes;
- the README's table of connection options names every environment variable that the fragment's options read;
- no note that a lookup shows says that module_defaults apply to it (they apply to modules only).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

COLLECTION_ROOT = Path(__file__).resolve().parents[2]
FRAGMENT = COLLECTION_ROOT / 'plugins' / 'doc_fragments' / 'api.py'
IAM_ACTION = re.compile(r'okms:apiovh:|C\([a-z]+(/[a-zA-Z]+)+\)')


def documentation(path: Path) -> dict:
    """The DOCUMENTATION string of a plugin file or of a doc fragment's class, parsed, without importing the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
        if isinstance(node, ast.Assign) and [getattr(target, 'id', None) for target in node.targets] == ['DOCUMENTATION']:
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no DOCUMENTATION' % path)


def api_plugins() -> list[Path]:
    """The modules and the lookup that take the connection options (the okms.access.api fragment)."""
    paths = sorted((COLLECTION_ROOT / 'plugins' / 'modules').glob('*.py')) + sorted((COLLECTION_ROOT / 'plugins' / 'lookup').glob('*.py'))
    return [path for path in paths if 'okms.access.api' in (documentation(path).get('extends_documentation_fragment') or [])
            if path.stem != '__init__']


def test_there_are_api_plugins():
    assert len(api_plugins()) >= 5


@pytest.mark.parametrize('path', api_plugins(), ids=lambda path: '%s/%s' % (path.parent.name, path.stem))
def test_every_api_plugin_names_its_iam_actions(path):
    notes = documentation(path).get('notes') or []
    iam_notes = [note for note in notes if note.startswith('IAM actions') and IAM_ACTION.search(note)]
    assert iam_notes, '%s: no note "IAM actions ..." naming the actions it needs' % path.name


def readme_connection_table() -> dict[str, str]:
    """The rows of the README's table of connection options: option name -> the rest of the row."""
    rows = {}
    for line in (COLLECTION_ROOT / 'README.md').read_text(encoding='utf-8').splitlines():
        match = re.match(r'^\| ((?:`\w+`(?:, )?)+) \|(.*)$', line)
        if match:
            for option in re.findall(r'`(\w+)`', match.group(1)):
                rows[option] = match.group(2)
    return rows


def fragment_options() -> dict:
    return documentation(FRAGMENT)['options']


@pytest.mark.parametrize('option', sorted(fragment_options()))
def test_readme_table_names_the_environment_variables_of_each_option(option):
    text = ' '.join(fragment_options()[option]['description'])
    variables = sorted(set(re.findall(r'E\(([A-Z][A-Z0-9_]+)\)', text)))
    row = readme_connection_table().get(option)
    assert row is not None, 'README.md: the table of connection options has no row for %s' % option
    missing = [variable for variable in variables if '`%s`' % variable not in row]
    assert not missing, 'README.md: the row of %s does not name %s, which the option reads' % (option, ', '.join(missing))


def test_no_note_of_the_lookup_says_module_defaults_apply_to_it():
    # ansible-doc shows the fragment's notes with the lookup's own.
    notes = (documentation(FRAGMENT).get('notes') or []) + documentation(COLLECTION_ROOT / 'plugins' / 'lookup' / 'okms_secret.py')['notes']
    about_module_defaults = [note for note in notes if 'module_defaults' in note]
    assert about_module_defaults
    for note in about_module_defaults:
        assert 'lookup' in note and re.search(r'\bnot\b', note), 'a note says module_defaults apply without excepting the lookup: %s' % note
