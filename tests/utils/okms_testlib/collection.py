# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The repository this library belongs to, and its copy where Ansible looks for the collection."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# tests/utils/okms_testlib/collection.py: three levels below the repository (or below its copy in build/).
REPO = Path(__file__).resolve().parents[3]

# Never copied into the collection tree: VCS data, virtualenvs, build outputs, test outputs.
_SYNC_IGNORE = shutil.ignore_patterns('.git', '.venv', 'build', 'output', '__pycache__', '*.pyc', '.pytest_cache')


def sync_collection(collections_root: Path) -> Path:
    """Copy the repository to COLLECTIONS_ROOT/ansible_collections/okms/access (a real directory, as Ansible needs)."""
    dest = collections_root / 'ansible_collections' / 'okms' / 'access'
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO, dest, ignore=_SYNC_IGNORE, symlinks=True)
    # ansible-test lists content with git when it sits in a checkout; the copy lies under build/, which the
    # repository ignores, so without a repository of its own ansible-test would see no file and test nothing.
    subprocess.run(['git', 'init', '--quiet', str(dest)], check=True)
    return collections_root
