# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test pipeline of okms.access: `make test` runs every step, `make STEP` one of them.

Run with the Python of the pipeline's virtualenv (.venv, made by the Makefile from tests/requirements-dev.txt):

    .venv/bin/python scripts/pipeline.py [STEP ...]

First it copies the repository to build/ansible_collections/okms/access (Ansible's tools need that path)
and gives ansible-test a pip bootstrap script that works offline (install_pip_bootstrap.py). Then it runs
every step asked for, even after a failure, prints a summary with each step's time, and exits 1 when any
step failed. A step that tests nothing fails: no integration target, a target that did not run, no test collected.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tests' / 'utils'))

import yaml  # noqa: E402  (the virtualenv has it: ansible-core needs it)

from install_pip_bootstrap import main as install_pip_bootstrap  # noqa: E402
from okms_testlib import HarnessError  # noqa: E402
from okms_testlib.collection import REPO, sync_collection  # noqa: E402
from okms_testlib.emulator import Emulator  # noqa: E402
from okms_testlib.secret_scan import find_leaks, issued_tokens, redacted_tail, secrets_of  # noqa: E402

PYTHON_VERSION = '3.11'
BUILD = REPO / 'build'
COLLECTION = BUILD / 'ansible_collections' / 'okms' / 'access'
INTEGRATION_LOG = BUILD / 'integration-vvv.log'
INTEGRATION_STATE = BUILD / 'emulator-integration'
VENV_BIN = Path(sys.executable).parent


class StepFailed(Exception):
    """A step failed for a reason that its commands' exit codes do not show (nothing tested, a leak, ...)."""


def tool_env(**extra: str) -> dict:
    """The environment of every tool: the virtualenv first on PATH, collections looked up in build/."""
    env = dict(os.environ)
    env['PATH'] = '%s%s%s' % (VENV_BIN, os.pathsep, env.get('PATH', ''))
    env['VIRTUAL_ENV'] = str(VENV_BIN.parent)
    env['ANSIBLE_COLLECTIONS_PATH'] = str(BUILD)
    if not sys.stdout.isatty():
        env['NO_COLOR'] = '1'
    env.update(extra)
    return env


def run(cmd: list[str], env: dict | None = None, log: Path | None = None) -> None:
    """Run CMD in the collection copy; its output goes to our stdout, or only to LOG when given."""
    print('$ %s' % ' '.join(cmd), flush=True)
    if log is None:
        result = subprocess.run(cmd, cwd=COLLECTION, env=env or tool_env(), stdin=subprocess.DEVNULL, check=False)
    else:
        with log.open('w', encoding='utf-8') as out:
            result = subprocess.run(cmd, cwd=COLLECTION, env=env or tool_env(), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise StepFailed('%s exited with %d' % (cmd[0], result.returncode))


def step_sanity() -> None:
    ignores = sorted(str(path.relative_to(COLLECTION)) for path in (COLLECTION / 'tests' / 'sanity').glob('ignore-*.txt'))
    if ignores:
        raise StepFailed('sanity ignore files are not allowed: %s' % ', '.join(ignores))
    run(['ansible-test', 'sanity', '--python', PYTHON_VERSION, '--color', 'no'])


def step_units() -> None:
    run(['ansible-test', 'units', '--python', PYTHON_VERSION, '--requirements', '--color', 'no'])


# Line coverage of the code that unit tests must cover on their own: the module_utils and the role's plugins.
COVERAGE_INCLUDE = ('plugins/module_utils/*', 'plugins/action/*', 'plugins/modules/okms_client_files.py')
COVERAGE_MIN = 90
COVERAGE_REPORT = BUILD / 'coverage-report.txt'


def step_coverage() -> None:
    # Only this run counts (ansible-test coverage erase fails when nothing was collected yet).
    shutil.rmtree(COLLECTION / 'tests' / 'output' / 'coverage', ignore_errors=True)
    run(['ansible-test', 'units', '--python', PYTHON_VERSION, '--requirements', '--color', 'no', '--coverage'])
    # One --include: coverage takes a comma-separated list of patterns.
    run(['ansible-test', 'coverage', 'report', '--color', 'no', '--show-missing', '--include', ','.join(COVERAGE_INCLUDE)],
        log=COVERAGE_REPORT)
    report = COVERAGE_REPORT.read_text(encoding='utf-8')
    print(report)
    total = re.search(r'^TOTAL\s.*\s(\d+)%\s*$', report, re.MULTILINE)
    if total is None:
        raise StepFailed('no TOTAL line in the coverage report (%s)' % COVERAGE_REPORT)
    if int(total.group(1)) < COVERAGE_MIN:
        raise StepFailed('unit tests cover %s%% of %s, below %d%%' % (total.group(1), ', '.join(COVERAGE_INCLUDE), COVERAGE_MIN))


def step_emulator_tests() -> None:
    # pytest exits 5 when it collected no test: run() turns that into a failure too.
    run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', 'tests/emulator/tests'],
        env=tool_env(PYTHONPATH=str(COLLECTION / 'tests' / 'emulator')))


def integration_targets() -> set[str]:
    """Targets ansible-test must run: every target but setup_*/prepare_* and hidden ones (run as dependencies)."""
    root = COLLECTION / 'tests' / 'integration' / 'targets'
    targets = set()
    for path in root.iterdir() if root.is_dir() else []:
        if not path.is_dir():
            continue
        aliases = path / 'aliases'
        hidden = aliases.exists() and 'hidden' in aliases.read_text(encoding='utf-8').split()
        if not path.name.startswith(('setup_', 'prepare_')) and not hidden:
            targets.add(path.name)
    return targets


def targets_run(log_text: str) -> set[str]:
    """Targets that ansible-test started, from its 'Running NAME integration test role|script' lines."""
    found = set()
    for line in log_text.splitlines():
        words = line.split()
        if len(words) == 5 and words[0] == 'Running' and words[2:4] == ['integration', 'test']:
            found.add(words[1])
    return found


def targets_failed(log_text: str, known: set[str]) -> list[str]:
    """Targets listed after ansible-test's closing 'The N integration test(s) listed below ... failed' line."""
    _before, marker, after = log_text.rpartition('integration test(s) listed below')
    if not marker:
        return []
    return [line.strip() for line in after.splitlines()[1:] if line.strip() in known]


def load_yaml(path: Path):
    with path.open(encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def write_integration_config(info: dict) -> None:
    """tests/integration/integration_config.yml: ansible-test passes it to every target as extra vars."""
    path = COLLECTION / 'tests' / 'integration' / 'integration_config.yml'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write('---\n# Written by scripts/pipeline.py for this run of the emulator.\n')
        yaml.safe_dump({'okms_emulator': info}, handle, default_flow_style=False)


def step_integration() -> None:
    expected = integration_targets()
    # INTEGRATION_TARGETS="a b" runs only those targets (while working on them); the full step runs every target.
    chosen = os.environ.get('INTEGRATION_TARGETS', '').split()
    if chosen:
        unknown = sorted(set(chosen) - expected)
        if unknown:
            raise StepFailed('INTEGRATION_TARGETS names unknown targets: %s' % ', '.join(unknown))
        expected = set(chosen)
    if not expected:
        raise StepFailed('tests/integration/targets/ holds no target to run')
    shutil.rmtree(INTEGRATION_STATE, ignore_errors=True)
    emulator = Emulator(INTEGRATION_STATE, python=sys.executable)
    try:
        info = emulator.start()
    except HarnessError as exc:
        raise StepFailed(str(exc)) from exc
    problems = []
    try:
        print('emulator: %s (state %s)' % (info['api_url'], INTEGRATION_STATE), flush=True)
        write_integration_config(info)
        print('output of the run at -vvv: %s (secrets are looked for there once it ends)' % INTEGRATION_LOG, flush=True)
        # --continue-on-error: one failing target must not hide the results of the others.
        run(['ansible-test', 'integration', '--python', PYTHON_VERSION, '--requirements', '--allow-destructive',
             '--continue-on-error', '--color', 'no', '-vvv'] + sorted(chosen), log=INTEGRATION_LOG)
    except StepFailed as exc:
        problems.append(str(exc))
    finally:
        emulator.stop()
    text = INTEGRATION_LOG.read_text(encoding='utf-8', errors='replace')
    secrets = secrets_of(info, issued_tokens(INTEGRATION_STATE))
    problems += check_integration_output(text, expected, secrets)
    if problems:
        print('--- last lines of %s (secrets masked) ---' % INTEGRATION_LOG)
        print(redacted_tail(text, secrets, 150))
        raise StepFailed('; '.join(problems))


def check_integration_output(text: str, expected: set[str], secrets: dict) -> list[str]:
    """What is wrong with the output of the integration run: leaked secrets, targets that did not run."""
    problems = ['%s found in the output (lines %s)' % (kind, ', '.join(map(str, lines[:10])))
                for kind, lines in find_leaks(text, secrets).items()]
    if not problems:
        print('secret scan: none of %s, no "PRIVATE KEY" and no "Bearer <token>" in the output'
              % ', '.join('%d %s' % (len(values), kind) for kind, values in secrets.items()))
    ran = targets_run(text)
    print('targets run: %s' % (', '.join(sorted(ran)) or 'none'))
    failed = targets_failed(text, ran)
    if failed:
        problems.append('targets failed: %s' % ', '.join(failed))
    missing = sorted(expected - ran)
    if missing:
        problems.append('targets not run (skipped or never reached): %s' % ', '.join(missing))
    return problems


def step_fleet() -> None:
    run([sys.executable, str(COLLECTION / 'tests' / 'fleet' / 'run.py'), '--collections-path', str(BUILD)])


def step_ansible_lint() -> None:
    run(['ansible-lint', '--profile', 'production'])


def step_docs_lint() -> None:
    run(['antsibull-docs', 'lint-collection-docs', '--plugin-docs', '.'])


def step_changelog_lint() -> None:
    run(['antsibull-changelog', 'lint'])


# What the built collection must hold (plus every file under SHIPPED_DIRS), and what build_ignore must keep out.
SHIPPED_FILES = ('README.md', 'COPYING', 'LICENSES/GPL-3.0-or-later.txt', 'changelogs/changelog.yaml')
SHIPPED_DIRS = ('meta', 'plugins', 'roles', 'playbooks')
NOT_SHIPPED = ('Makefile', '.ci', 'scripts', '.venv', 'build', 'tests/integration/integration_config.yml', 'tests/output')


def files_that_must_ship() -> set[str]:
    """Relative paths the artifact needs: the fixed list, everything under SHIPPED_DIRS, the EE's requirement files."""
    found = set(SHIPPED_FILES)
    for top in SHIPPED_DIRS:
        found.update(path.relative_to(COLLECTION).as_posix() for path in (COLLECTION / top).rglob('*')
                     if path.is_file() and '__pycache__' not in path.parts)
    found.update(load_yaml(COLLECTION / 'meta' / 'execution-environment.yml')['dependencies'].values())
    return found


def step_galaxy_build() -> None:
    output = BUILD / 'artifact'
    shutil.rmtree(output, ignore_errors=True)
    run(['ansible-galaxy', 'collection', 'build', '--output-path', str(output)])
    version = load_yaml(COLLECTION / 'galaxy.yml')['version']
    with tarfile.open(output / ('okms-access-%s.tar.gz' % version)) as artifact:
        names = set(artifact.getnames())
    missing = sorted(files_that_must_ship() - names)
    shipped = sorted(name for name in names if any(name == banned or name.startswith(banned + '/') for banned in NOT_SHIPPED))
    print('artifact: %d files' % len(names))
    if missing or shipped:
        raise StepFailed('the artifact misses %s; it ships development files %s' % (missing or 'nothing', shipped or 'none'))


# The order of `make test`.
STEPS = {
    'sanity': ('ansible-test sanity, no ignore file', step_sanity),
    'units': ('ansible-test units', step_units),
    'coverage': ('ansible-test units --coverage: line coverage of module_utils and the role plugins >= %d%%' % COVERAGE_MIN, step_coverage),
    'emulator-tests': ("the emulator's own tests (pytest, python-ovh as client)", step_emulator_tests),
    'integration': ('ansible-test integration against the emulator, at -vvv, then the secret scan', step_integration),
    'fleet': ('the SSH fleet: csr mode on hosts in their own network and mount namespaces', step_fleet),
    'ansible-lint': ('ansible-lint --profile production', step_ansible_lint),
    'docs-lint': ('antsibull-docs lint-collection-docs --plugin-docs', step_docs_lint),
    'changelog-lint': ('antsibull-changelog lint', step_changelog_lint),
    'galaxy-build': ('ansible-galaxy collection build: what ships and what does not', step_galaxy_build),
}


def prepare() -> None:
    """Copy the repository to build/ and make ansible-test's pip bootstrap work offline."""
    if '%d.%d' % sys.version_info[:2] != PYTHON_VERSION:
        sys.exit('the pipeline needs Python %s, this is %s: remove .venv and run make with PYTHON=python%s'
                 % (PYTHON_VERSION, sys.version.split()[0], PYTHON_VERSION))
    started = time.monotonic()
    sync_collection(BUILD)
    install_pip_bootstrap()
    print('prepared %s in %.1f s' % (COLLECTION, time.monotonic() - started), flush=True)


def run_step(index: int, total: int, name: str) -> tuple[bool, float, str]:
    description, function = STEPS[name]
    print('\n==> [%d/%d] %s: %s' % (index, total, name, description), flush=True)
    started = time.monotonic()
    try:
        function()
        ok, note = True, ''
    except StepFailed as exc:
        ok, note = False, str(exc)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # a broken step must not stop the others
        traceback.print_exc()
        ok, note = False, 'error in the pipeline itself: %r' % exc
    elapsed = time.monotonic() - started
    print('<== %s: %s in %.1f s%s' % (name, 'PASSED' if ok else 'FAILED', elapsed, (': ' + note) if note else ''), flush=True)
    return ok, elapsed, note


def main(argv: list[str]) -> int:
    names = argv or list(STEPS)
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        sys.exit('unknown step(s) %s; steps: %s' % (', '.join(unknown), ', '.join(STEPS)))
    # On SIGTERM, unwind like on Ctrl-C so that a running emulator is stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    prepare()
    results = [(name,) + run_step(index, len(names), name) for index, name in enumerate(names, 1)]
    print('\n==== okms.access test pipeline')
    for name, ok, elapsed, note in results:
        print('  %-15s %-7s %7.1f s  %s' % (name, 'passed' if ok else 'FAILED', elapsed, note))
    failed = sum(1 for result in results if not result[1])
    print('  %-15s %-7s %7.1f s' % ('total', '', time.monotonic() - started))
    print('pipeline: %d passed, %d failed' % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
