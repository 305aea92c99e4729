# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's tests and the collection's unit tests on another Python (3.13 by default: its ssl default context
is strict, VERIFY_X509_STRICT), in a virtualenv of their own under build/.

    python3 scripts/newer_python.py [--python python3.13] [--collection build/ansible_collections/okms/access]

The virtualenv build/py<X.Y> is made from tests/requirements-units.txt once (again when that file changes). The
collection copy must exist (scripts/pipeline.py makes it: any step, or pipeline.prepare()). Exits 1 when a run fails.
run_on() is what a pipeline step calls.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO / 'tests' / 'requirements-units.txt'


def venv_for(python: str) -> Path:
    """build/py<X.Y> with the requirements installed; made (or refreshed) only when they changed."""
    version = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], check=True,
                             capture_output=True, text=True).stdout.strip()
    venv = REPO / 'build' / ('py' + version)
    stamp = venv / '.requirements-installed'
    wanted = REQUIREMENTS.read_text(encoding='utf-8') + (REPO / 'tests' / 'constraints-dev.txt').read_text(encoding='utf-8')
    if not stamp.exists() or stamp.read_text(encoding='utf-8') != wanted:
        subprocess.run([python, '-m', 'venv', str(venv)], check=True)
        subprocess.run([str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
                        '-r', str(REQUIREMENTS)], check=True, cwd=REQUIREMENTS.parent)
        stamp.write_text(wanted, encoding='utf-8')
    return venv


def run_on(python: str, collection: Path) -> list[str]:
    """Run both suites with ``python`` in ``collection`` (the ansible_collections/okms/access copy); the failed ones."""
    venv = venv_for(python)
    bin_dir = venv / 'bin'
    version = venv.name[2:]
    env = dict(os.environ, PATH='%s%s%s' % (bin_dir, os.pathsep, os.environ.get('PATH', '')), VIRTUAL_ENV=str(venv),
               ANSIBLE_COLLECTIONS_PATH=str(collection.parent.parent.parent))
    env.pop('PYTHONPATH', None)
    suites = {
        'emulator tests on Python %s' % version: ([str(bin_dir / 'python'), '-m', 'pytest', '-p', 'no:cacheprovider', '-q',
                                                   'tests/emulator/tests'], dict(env, PYTHONPATH=str(collection / 'tests' / 'emulator'))),
        # the virtualenv holds what ansible-test units needs: no --requirements (it would reach for pip's bootstrap)
        'unit tests on Python %s' % version: ([str(bin_dir / 'ansible-test'), 'units', '--python', version, '--color', 'no'], env),
    }
    failed = []
    for name, (cmd, suite_env) in suites.items():
        print('==> %s: %s' % (name, ' '.join(cmd)), flush=True)
        if subprocess.run(cmd, cwd=collection, env=suite_env, stdin=subprocess.DEVNULL, check=False).returncode != 0:
            failed.append(name)
    return failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--python', default='python3.13')
    parser.add_argument('--collection', type=Path, default=REPO / 'build' / 'ansible_collections' / 'okms' / 'access')
    args = parser.parse_args(argv)
    failed = run_on(args.python, args.collection.resolve())
    print('failed: %s' % ', '.join(failed) if failed else 'passed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
