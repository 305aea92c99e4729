# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Give ansible-test a pip bootstrap script that works without its download host.

ansible-test bootstraps pip into every virtualenv it creates (sanity tests, --venv) with a get-pip.py
that it downloads from a host this machine cannot reach, unless ~/.ansible/test/cache/get_pip_<version>.py
already exists. This writes a stand-in there, only when the file is absent (a machine that has the real
script keeps it). The stand-in installs pip from the interpreter's bundled wheel (ensurepip), then runs
that pip with the arguments ansible-test gave (for example pip==24.2), through the usual index.

Run it with the Python that runs ansible-test.
"""

from __future__ import annotations

import os
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

STAND_IN = '''\
"""Stand-in for get-pip.py written by okms.access scripts/install_pip_bootstrap.py."""
import subprocess
import sys

# In a child process: ensurepip clears the PIP_* variables and sets PIP_CONFIG_FILE=/dev/null in the environment
# of the process that runs it, which would hide pip's index configuration from the install below.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
# get-pip.py understands these two; pip install does not (and a venv made by ensurepip on 3.11 has setuptools anyway).
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
'''


def bootstrap_path() -> str:
    """The path where ansible-test looks for the pip bootstrap script of the pip version it installs."""
    python = types.SimpleNamespace(version='%d.%d' % sys.version_info[:2])
    pip_version = get_venv_packages(python)['pip']
    return os.path.expanduser('~/.ansible/test/cache/get_pip_%s.py' % pip_version.replace('.', '_'))


def main() -> None:
    path = bootstrap_path()
    if os.path.exists(path):
        print('pip bootstrap: keeping %s' % path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w', encoding='utf-8') as handle:
        handle.write(STAND_IN)
    os.replace(path + '.tmp', path)
    print('pip bootstrap: wrote %s (installs pip with ensurepip, then from the package index)' % path)


if __name__ == '__main__':
    main()
