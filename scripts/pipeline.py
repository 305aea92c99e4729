# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test pipeline of okms.access: `make test` runs every step, `make STEP` one of them.

Run with the Python of the pipeline's virtualenv (.venv, made by the Makefile from tests/requirements-dev.txt):

    .venv/bin/python scripts/pipeline.py [STEP ...]

First it copies the repository to build/ansible_collections/okms/access (Ansible's tools need that path)
and gives ansible-test a pip bootstrap script that works offline (install_pip_bootstrap.py). Then it runs
every step asked for, even after a failure, prints a summary with each step's time, and exits 1 when any
step failed. A step that tests nothing fails: no integration target, a target that did not run, no test collected.

The version matrix: the steps above run on the pinned ansible-core of tests/requirements-dev.txt (Python 3.11);
the steps NAME-CORE (sanity-2.16, units-2.21, roles-2.16, ...) run on the other ansible-core releases of MATRIX,
each in its own virtualenv build/venv-CORE (made from tests/requirements-CORE.txt when absent or out of date) and
its own collection copy build/matrix/CORE/ansible_collections/okms/access, with its own emulator for the role
targets. `make test` runs those steps in a second lane, beside the first lane's steps (LANES).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import glob
import hashlib
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
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
INTEGRATION_LOGS = BUILD / 'integration'
VENV_BIN = Path(sys.executable).parent


def matrix() -> dict[str, str]:
    """The other ansible-core releases tested, and the Python of each: one tests/requirements-CORE.txt per release,
    with a line "# python: X.Y". Today the oldest that meta/runtime.yml accepts (requires_ansible) and the newest;
    the pinned one (tests/requirements-dev.txt) runs the first lane on Python 3.11."""
    found = {}
    for path in sorted((REPO / 'tests').glob('requirements-*.txt')):
        python = re.search(r'^# python: (\d+\.\d+)$', path.read_text(encoding='utf-8'), re.MULTILINE)
        if python:
            found[path.stem.split('-', 1)[1]] = python.group(1)
    return found


MATRIX = matrix()
# The integration targets that run on every ansible-core of MATRIX: the roles and the shipped playbooks, but those
# whose aliases say MATRIX_PINNED_ONLY (a target whose subject is not what changes between ansible-core releases).
MATRIX_TARGET_PREFIX = 'role_'
MATRIX_PINNED_ONLY = 'matrix/pinned'


class StepFailed(Exception):
    """A step failed for a reason that its commands' exit codes do not show (nothing tested, a leak, ...)."""


@dataclass(frozen=True)
class Core:
    """One ansible-core under test: its Python, the bin directory of its virtualenv, its collections root."""

    version: str
    python: str
    bin: Path
    root: Path

    @property
    def collection(self) -> Path:
        return self.root / 'ansible_collections' / 'okms' / 'access'


PINNED = Core('pinned', PYTHON_VERSION, VENV_BIN, BUILD)

# Where the output of this thread's commands and messages goes: our stdout, or the log of a step run in a second lane.
_OUTPUT = threading.local()


def output():
    return getattr(_OUTPUT, 'stream', sys.stdout)


def say(text: str) -> None:
    print(text, file=output(), flush=True)


def tool_env(core: Core = PINNED, **extra: str) -> dict:
    """The environment of every tool: CORE's virtualenv first on PATH, collections looked up in CORE's root."""
    env = dict(os.environ)
    env['PATH'] = '%s%s%s' % (core.bin, os.pathsep, env.get('PATH', ''))
    env['VIRTUAL_ENV'] = str(core.bin.parent)
    env['ANSIBLE_COLLECTIONS_PATH'] = str(core.root)
    if not sys.stdout.isatty():
        env['NO_COLOR'] = '1'
    env.update(extra)
    return env


# Commands running now, in any lane: stopped when the pipeline is interrupted.
_RUNNING: set[subprocess.Popen] = set()


def run(cmd: list[str], env: dict | None = None, log: Path | None = None, core: Core = PINNED) -> None:
    """Run CMD in CORE's collection copy; its output goes to output(), or only to LOG when given."""
    say('$ %s' % ' '.join(cmd))
    out = log.open('w', encoding='utf-8') if log is not None else output()
    try:
        with subprocess.Popen(cmd, cwd=core.collection, env=env or tool_env(core), stdin=subprocess.DEVNULL,
                              stdout=None if out is sys.stdout else out, stderr=subprocess.STDOUT) as proc:
            _RUNNING.add(proc)
            try:
                returncode = wait_counting_cpu(proc)
            finally:
                _RUNNING.discard(proc)
    finally:
        if log is not None:
            out.close()
    if returncode != 0:
        raise StepFailed('%s exited with %d' % (cmd[0], returncode))


def wait_counting_cpu(proc: subprocess.Popen) -> int:
    """Wait for PROC; add the CPU time of its process tree (user + system, what it waited for) to this lane's step."""
    dummy, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    add_cpu(usage.ru_utime + usage.ru_stime)
    return proc.returncode


def add_cpu(seconds: float) -> None:
    """Count SECONDS of CPU to the step (or target) that this thread runs now."""
    _OUTPUT.cpu = getattr(_OUTPUT, 'cpu', 0.0) + seconds


def sanity(core: Core) -> None:
    ignores = sorted(str(path.relative_to(core.collection)) for path in (core.collection / 'tests' / 'sanity').glob('ignore-*.txt'))
    if ignores:
        raise StepFailed('sanity ignore files are not allowed: %s' % ', '.join(ignores))
    run(['ansible-test', 'sanity', '--python', core.python, '--color', 'no'], core=core)


def units(core: Core) -> None:
    run(['ansible-test', 'units', '--python', core.python, '--requirements', '--color', 'no'], core=core)


def step_sanity() -> None:
    sanity(PINNED)


# Line coverage of the code that unit tests must cover on their own: the module_utils and the role's plugins.
COVERAGE_INCLUDE = ('plugins/module_utils/*', 'plugins/action/*', 'plugins/modules/okms_client_files.py')
COVERAGE_MIN = 90
COVERAGE_REPORT = BUILD / 'coverage-report.txt'


def step_units() -> None:
    """The unit tests once, with coverage: they must pass, and cover COVERAGE_MIN% of COVERAGE_INCLUDE."""
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


def emulator_tests(core: Core) -> None:
    # pytest exits 5 when it collected no test: run() turns that into a failure too.
    run([str(core.bin / 'python'), '-m', 'pytest', '-p', 'no:cacheprovider', 'tests/emulator/tests'],
        env=tool_env(core, PYTHONPATH=str(core.collection / 'tests' / 'emulator')), core=core)


def step_emulator_tests() -> None:
    emulator_tests(PINNED)


def integration_targets(core: Core = PINNED, without: str = '') -> set[str]:
    """Targets ansible-test must run: every target but setup_*/prepare_* and hidden ones (run as dependencies), and
    but those with the alias WITHOUT when given."""
    root = core.collection / 'tests' / 'integration' / 'targets'
    targets = set()
    for path in root.iterdir() if root.is_dir() else []:
        if not path.is_dir():
            continue
        aliases_file = path / 'aliases'
        aliases = aliases_file.read_text(encoding='utf-8').split() if aliases_file.exists() else []
        if not path.name.startswith(('setup_', 'prepare_')) and 'hidden' not in aliases and (not without or without not in aliases):
            targets.add(path.name)
    return targets


def chosen_targets(available: set[str]) -> list[str]:
    """The targets of AVAILABLE to run: those that INTEGRATION_TARGETS="a b" names (while working on them), else all."""
    chosen = set(os.environ.get('INTEGRATION_TARGETS', '').split())
    unknown = sorted(chosen - integration_targets())
    if unknown:
        raise StepFailed('INTEGRATION_TARGETS names unknown targets: %s' % ', '.join(unknown))
    targets = sorted(chosen & available if chosen else available)
    if not targets:
        raise StepFailed('no integration target to run (INTEGRATION_TARGETS names none of %s)' % ', '.join(sorted(available))
                         if chosen else 'tests/integration/targets/ holds no target to run')
    return targets


def targets_run(log_text: str) -> set[str]:
    """Targets that ansible-test started, from its 'Running NAME integration test role|script' lines."""
    found = set()
    for line in log_text.splitlines():
        words = line.split()
        if len(words) == 5 and words[0] == 'Running' and words[2:4] == ['integration', 'test']:
            found.add(words[1])
    return found


def load_yaml(path: Path):
    with path.open(encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def write_integration_config(info: dict, core: Core) -> None:
    """tests/integration/integration_config.yml: ansible-test passes it to every target as extra vars."""
    path = core.collection / 'tests' / 'integration' / 'integration_config.yml'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write('---\n# Written by scripts/pipeline.py for this run of the emulator.\n')
        yaml.safe_dump({'okms_emulator': info}, handle, default_flow_style=False)


# The pinned integration step runs its targets on this many workers at once, each in a collection copy of its own
# (build/ansible_collections, then build/shard-N/) with its own emulator and lock directory; INTEGRATION_WORKERS=1 runs
# them one after the other. Two keep both CPUs of a 2-CPU machine busy once lane 2 is done.
INTEGRATION_WORKERS = int(os.environ.get('INTEGRATION_WORKERS', '2'))
# Seconds each target took in a recent run (wall, on the machine of the README's numbers): only the order in which
# workers take the targets (longest first, so that no long target starts last); a target it does not list counts 0.
DURATIONS = REPO / 'tests' / 'integration' / 'durations.yml'


@dataclass
class TargetRun:
    """One target run by ansible-test: in which copy, how long, its CPU (ansible-test and every process it ran)."""

    target: str
    worker: str
    log: Path
    ok: bool = False
    wall: float = 0.0
    cpu: float = 0.0


@dataclass
class WorkersResults:
    """What the workers of integration() leave: their target runs, their problems, the CPU of their emulators."""

    runs: list
    problems: list
    emulators_cpu: list


def queue_of(targets: list[str]) -> queue.Queue:
    """TARGETS in the order workers take them: longest first by DURATIONS, then by name."""
    durations = load_yaml(DURATIONS) if DURATIONS.exists() else {}
    ordered = sorted(targets, key=lambda name: (-float(durations.get(name) or 0), name))
    found: queue.Queue = queue.Queue()
    for name in ordered:
        found.put(name)
    return found


def integration(cores: list[Core], targets: list[str], logs: Path) -> None:
    """Run TARGETS at -vvv, one ansible-test per target, on a worker per copy of CORES (each with its own emulator,
    state and lock directory) taking the next target from one queue; each target's output in LOGS/TARGET.log. Then fail
    if an output holds a secret of the emulator it ran against, or if a target failed or did not run."""
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    pending, results = queue_of(targets), WorkersResults([], [], [])
    say('%d targets on %d worker(s); the output of each at -vvv: %s/TARGET.log (secrets are looked for there)' % (len(targets), len(cores), logs))
    stream = output()
    workers = [threading.Thread(target=integration_worker, args=(core, '%s/%d' % (core.version, number), pending, logs, stream, results))
               for number, core in enumerate(cores, 1)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    runs, problems = results.runs, results.problems
    add_cpu(sum(run_.cpu for run_ in runs) + sum(results.emulators_cpu))
    say('\n%-34s %-10s %8s %8s  %s' % ('target', 'worker', 'wall s', 'CPU s', 'result'))
    for run_ in sorted(runs, key=lambda item: -item.wall):
        say('%-34s %-10s %8.1f %8.1f  %s' % (run_.target, run_.worker, run_.wall, run_.cpu, 'passed' if run_.ok else 'FAILED'))
    ran = set(run_.target for run_ in runs)
    missing = sorted(set(targets) - ran)
    if missing:
        problems.append('targets not run (skipped or never reached): %s' % ', '.join(missing))
    failed = sorted(run_.target for run_ in runs if not run_.ok)
    if failed:
        problems.append('targets failed: %s' % ', '.join(failed))
    if problems:
        raise StepFailed('; '.join(problems))


def integration_worker(core: Core, name: str, pending: queue.Queue, logs: Path, stream, results: WorkersResults) -> None:
    """One worker of integration(): an emulator for CORE's copy, then the targets it takes from PENDING, one at a time."""
    _OUTPUT.stream = stream
    state = core.root / 'emulator-integration'
    shutil.rmtree(state, ignore_errors=True)
    # The emulator dies with the thread that started it (PR_SET_PDEATHSIG): this one, which also stops it.
    emulator = Emulator(state, python=sys.executable)
    try:
        info = emulator.start()
    except HarnessError as exc:
        results.problems.append(str(exc))
        return
    mine = []
    try:
        say('worker %s: emulator %s (state %s)' % (name, info['api_url'], state))
        write_integration_config(info, core)
        while True:
            try:
                target = pending.get_nowait()
            except queue.Empty:
                break
            mine.append(run_target(core, target, logs, name, requirements=not mine))
    finally:
        results.emulators_cpu.append(emulator.cpu_seconds())
        emulator.stop()
    secrets = secrets_of(info, issued_tokens(state))
    for run_ in mine:
        text = run_.log.read_text(encoding='utf-8', errors='replace')
        found = check_integration_output(text, run_.target, secrets)
        if found or not run_.ok:
            say('--- last lines of %s (secrets masked) ---' % run_.log)
            say(redacted_tail(text, secrets, 150))
        results.problems.extend(found)
    say('worker %s: secret scan of %d target outputs: looked for %s, "PRIVATE KEY" and "Bearer <token>"'
        % (name, len(mine), ', '.join('%d %s' % (len(values), kind) for kind, values in secrets.items())))
    results.runs.extend(mine)


def run_target(core: Core, target: str, logs: Path, worker: str, requirements: bool) -> TargetRun:
    """ansible-test integration of TARGET alone; --requirements on a worker's first target only (they are then in place)."""
    result = TargetRun(target, worker, logs / ('%s.log' % target))
    started, _OUTPUT.cpu = time.monotonic(), 0.0
    say('worker %s: %s' % (worker, target))
    try:
        run(['ansible-test', 'integration', '--python', core.python, '--allow-destructive', '--color', 'no', '-vvv', target]
            + (['--requirements'] if requirements else []), log=result.log, core=core, env=tool_env(core, **lock_directory(core)))
        result.ok = True
    except StepFailed:
        result.ok = False
    result.wall, result.cpu = time.monotonic() - started, _OUTPUT.cpu
    say('worker %s: %s %s in %.1f s (CPU %.0f s)' % (worker, target, 'passed' if result.ok else 'FAILED', result.wall, result.cpu))
    return result


def lock_directory(core: Core) -> dict:
    """The modules' lock directory (XDG_RUNTIME_DIR) of a collection copy: its own, so that two copies running targets
    at once do not wait for each other's locks."""
    directory = core.root / 'run'
    directory.mkdir(mode=0o700, exist_ok=True)
    return {'XDG_RUNTIME_DIR': str(directory)}


def pinned_copies(count: int) -> list[Core]:
    """The pinned collection copy, and COUNT - 1 more beside it (build/shard-N/), made afresh."""
    cores = [PINNED]
    for number in range(2, count + 1):
        root = BUILD / ('shard-%d' % number)
        sync_collection(root)
        cores.append(Core(PINNED.version, PYTHON_VERSION, VENV_BIN, root))
    return cores


def step_integration() -> None:
    targets = chosen_targets(integration_targets())
    integration(pinned_copies(max(1, min(INTEGRATION_WORKERS, len(targets)))), targets, INTEGRATION_LOGS)


def check_integration_output(text: str, target: str, secrets: dict) -> list[str]:
    """What is wrong with the output of TARGET's run: leaked secrets, the target not started."""
    problems = ['%s: %s found in the output (lines %s)' % (target, kind, ', '.join(map(str, lines[:10])))
                for kind, lines in find_leaks(text, secrets).items()]
    if target not in targets_run(text):
        problems.append('%s: ansible-test did not run it' % target)
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


ARTIFACTS = BUILD / 'artifact'


def build_artifact() -> Path:
    """ansible-galaxy collection build into build/artifact/; the tarball's path."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    run(['ansible-galaxy', 'collection', 'build', '--output-path', str(ARTIFACTS)])
    return ARTIFACTS / ('okms-access-%s.tar.gz' % load_yaml(COLLECTION / 'galaxy.yml')['version'])


def step_galaxy_build() -> None:
    with tarfile.open(build_artifact()) as artifact:
        names = set(artifact.getnames())
    missing = sorted(files_that_must_ship() - names)
    shipped = sorted(name for name in names if any(name == banned or name.startswith(banned + '/') for banned in NOT_SHIPPED))
    print('artifact: %d files' % len(names))
    if missing or shipped:
        raise StepFailed('the artifact misses %s; it ships development files %s' % (missing or 'nothing', shipped or 'none'))


# No server answers there (a closed port of this machine): ansible-galaxy fails as soon as it asks one.
NO_GALAXY = 'https://127.0.0.1:9/api/'


def step_galaxy_install() -> None:
    """The tarball installs as on a machine without Galaxy (README "Air-gapped installs"), then its docs load."""
    artifact = build_artifact()
    with tempfile.TemporaryDirectory(prefix='galaxy-install.', dir=BUILD) as target:
        # Only what the command installs counts: not the collections that the ansible package brings (site-packages).
        env = tool_env(ANSIBLE_GALAXY_SERVER=NO_GALAXY, ANSIBLE_COLLECTIONS_PATH=target, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
        run(['ansible-galaxy', 'collection', 'install', str(artifact), '-p', target], env=env)
        run(['ansible-doc', '--json', 'okms.access.okms_certificate'], env=env, log=BUILD / 'galaxy-install-doc.json')
        installed = sorted(path.relative_to(target).as_posix() for path in Path(target).glob('ansible_collections/*/*'))
    say('installed without Galaxy: %s' % ', '.join(installed))
    if installed != ['ansible_collections/okms/access']:
        raise StepFailed('the offline install brought %s, expected only okms/access' % installed)


# The version matrix: a virtualenv and a collection copy per ansible-core of MATRIX, made once per run (the virtualenv
# only when its requirements changed), by the first step of that ansible-core.
_MATRIX_LOCK = threading.Lock()
_MATRIX_READY: dict[str, Core] = {}


def find_python(version: str) -> str:
    """An interpreter of Python VERSION that runs: pythonX.Y on PATH, else one of pyenv's (a pyenv shim may have
    no Python behind it)."""
    candidates = [shutil.which('python%s' % version)]
    pyenv_root = os.environ.get('PYENV_ROOT', os.path.expanduser('~/.pyenv'))
    candidates += sorted(glob.glob(os.path.join(pyenv_root, 'versions', '%s.*' % version, 'bin', 'python%s' % version)), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, '-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'],
                               capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise StepFailed('no Python %s found (python%s on PATH, or pyenv): install it to test ansible-core on it' % (version, version))


def requirements_digest(version: str) -> str:
    """What the virtualenv of VERSION is made from: tests/requirements-VERSION.txt and the constraints it names."""
    digest = hashlib.sha256()
    for name in ('requirements-%s.txt' % version, 'constraints-%s.txt' % version):
        path = REPO / 'tests' / name
        digest.update(path.read_bytes() if path.exists() else b'')
    return digest.hexdigest()


def matrix_venv(version: str, python: str) -> Path:
    """build/venv-VERSION with tests/requirements-VERSION.txt, made again when that file or its constraints change."""
    venv = BUILD / ('venv-%s' % version)
    stamp = venv / '.requirements-installed'
    wanted = requirements_digest(version)
    if stamp.exists() and stamp.read_text(encoding='utf-8') == wanted:
        return venv / 'bin'
    started = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    interpreter = find_python(python)
    say('virtualenv %s: Python %s (%s), tests/requirements-%s.txt' % (venv, python, interpreter, version))
    for cmd in ([interpreter, '-m', 'venv', str(venv)],
                [str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
                 '-r', str(REPO / 'tests' / ('requirements-%s.txt' % version))]):
        result = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=output(), stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise StepFailed('making the virtualenv %s failed: %s exited with %d' % (venv, ' '.join(cmd[:3]), result.returncode))
    stamp.write_text(wanted, encoding='utf-8')
    say('virtualenv %s: made in %.1f s' % (venv, time.monotonic() - started))
    return venv / 'bin'


def matrix_core(version: str) -> Core:
    """ansible-core VERSION of MATRIX, ready: its virtualenv, its collection copy, ansible-test's pip bootstrap."""
    with _MATRIX_LOCK:
        if version not in _MATRIX_READY:
            core = Core(version, MATRIX[version], matrix_venv(version, MATRIX[version]), BUILD / 'matrix' / version)
            sync_collection(core.root)
            # The bootstrap script is named after the pip version that this ansible-test installs.
            run([str(core.bin / 'python'), str(REPO / 'scripts' / 'install_pip_bootstrap.py')], core=core)
            _MATRIX_READY[version] = core
        return _MATRIX_READY[version]


def matrix_steps(version: str) -> dict:
    """The steps of ansible-core VERSION: sanity, units (with the emulator's tests on a Python the pinned steps do
    not use) and the targets named MATRIX_TARGET_PREFIX* (the roles and playbooks), each against its own emulator."""

    def step_sanity_core() -> None:
        sanity(matrix_core(version))

    def step_units_core() -> None:
        core = matrix_core(version)
        units(core)
        if core.python != PYTHON_VERSION:
            emulator_tests(core)

    def step_roles_core() -> None:
        core = matrix_core(version)
        targets = chosen_targets({name for name in integration_targets(core, without=MATRIX_PINNED_ONLY)
                                  if name.startswith(MATRIX_TARGET_PREFIX)})
        integration([core], targets, core.root / 'integration')

    python = MATRIX[version]
    extra = " and the emulator's tests" if python != PYTHON_VERSION else ''
    return {
        'sanity-%s' % version: ('ansible-test sanity on ansible-core %s, Python %s' % (version, python), step_sanity_core),
        'units-%s' % version: ('ansible-test units%s on ansible-core %s, Python %s' % (extra, version, python), step_units_core),
        'roles-%s' % version: ('the %s* integration targets on ansible-core %s, Python %s, against their own emulator'
                               % (MATRIX_TARGET_PREFIX, version, python), step_roles_core),
    }


# Every step; `make test` runs the steps of each lane in this order, the lanes side by side (LANES).
STEPS = {
    'sanity': ('ansible-test sanity, no ignore file', step_sanity),
    'units': ('ansible-test units --coverage: the tests pass, line coverage of module_utils and the role plugins >= %d%%' % COVERAGE_MIN,
              step_units),
    'emulator-tests': ("the emulator's own tests (pytest, python-ovh as client)", step_emulator_tests),
    'integration': ('ansible-test integration against the emulator, at -vvv, then the secret scan', step_integration),
    'fleet': ('the SSH fleet: csr mode on hosts in their own network and mount namespaces', step_fleet),
    'ansible-lint': ('ansible-lint --profile production', step_ansible_lint),
    'docs-lint': ('antsibull-docs lint-collection-docs --plugin-docs', step_docs_lint),
    'changelog-lint': ('antsibull-changelog lint', step_changelog_lint),
    'galaxy-build': ('ansible-galaxy collection build: what ships and what does not', step_galaxy_build),
    'galaxy-install': ('ansible-galaxy collection install of the built tarball with no Galaxy server reachable', step_galaxy_install),
}
PINNED_STEPS = list(STEPS)
for _version in MATRIX:
    STEPS.update(matrix_steps(_version))
# Lane 1: the pinned ansible-core, its output on stdout. Lane 2: the matrix, each step's output in build/logs/STEP.log;
# it runs mostly beside lane 1's integration step, which waits on the emulator more than it computes.
LANES = (PINNED_STEPS, [name for name in STEPS if name not in PINNED_STEPS])
LOGS = BUILD / 'logs'


def prepare(names: list[str]) -> None:
    """Copy the repository to build/ and make ansible-test's pip bootstrap work offline, for the pinned steps of NAMES
    (the matrix steps make their own copies): a run of matrix steps leaves the copy of another run alone."""
    if '%d.%d' % sys.version_info[:2] != PYTHON_VERSION:
        sys.exit('the pipeline needs Python %s, this is %s: remove .venv and run make with PYTHON=python%s'
                 % (PYTHON_VERSION, sys.version.split()[0], PYTHON_VERSION))
    if not set(names) & set(PINNED_STEPS):
        return
    started = time.monotonic()
    sync_collection(BUILD)
    install_pip_bootstrap()
    print('prepared %s in %.1f s' % (COLLECTION, time.monotonic() - started), flush=True)


def run_step(name: str, label: str) -> tuple[bool, float, str]:
    description, function = STEPS[name]
    say('\n==> %s %s: %s' % (label, name, description))
    started, _OUTPUT.cpu = time.monotonic(), 0.0
    try:
        function()
        ok, note = True, ''
    except StepFailed as exc:
        ok, note = False, str(exc)
    except Exception as exc:  # pylint: disable=broad-exception-caught  # a broken step must not stop the others
        traceback.print_exc(file=output())
        ok, note = False, 'error in the pipeline itself: %r' % exc
    elapsed = time.monotonic() - started
    say('<== %s: %s in %.1f s (CPU %.0f s)%s' % (name, 'PASSED' if ok else 'FAILED', elapsed, _OUTPUT.cpu, (': ' + note) if note else ''))
    return ok, elapsed, _OUTPUT.cpu, note


def run_lane(names: list[str], results: dict, lane: str = '') -> None:
    """Run the steps NAMES one after the other into RESULTS; in a second lane, each into build/logs/STEP.log."""
    for index, name in enumerate(names, 1):
        label = '[%s%d/%d]' % (lane and lane + ' ', index, len(names))
        if not lane:
            results[name] = run_step(name, label)
            continue
        log = LOGS / ('%s.log' % name)
        print('\n--> %s %s started beside lane 1 (output: %s)' % (label, name, log.relative_to(REPO)), flush=True)
        with log.open('w', encoding='utf-8') as _OUTPUT.stream:
            results[name] = run_step(name, label)
        del _OUTPUT.stream
        ok, elapsed, cpu, note = results[name]
        print('<-- %s %s: %s in %.1f s (CPU %.0f s)%s' % (label, name, 'PASSED' if ok else 'FAILED', elapsed, cpu, (': ' + note) if note else ''),
              flush=True)


def run_lanes(lanes: list[list[str]]) -> dict:
    """The first lane here, the others in threads beside it; the results of every step, by name."""
    results: dict = {}
    LOGS.mkdir(parents=True, exist_ok=True)
    threads = [threading.Thread(target=run_lane, args=(names, results, 'lane %d' % number), daemon=True)
               for number, names in enumerate(lanes[1:], 2) if names]
    for thread in threads:
        thread.start()
    try:
        run_lane(lanes[0], results)
        for thread in threads:
            thread.join()
    except BaseException:
        for proc in list(_RUNNING):
            proc.kill()
        raise
    return results


def main(argv: list[str]) -> int:
    names = argv or list(STEPS)
    unknown = [name for name in names if name not in STEPS]
    if unknown:
        sys.exit('unknown step(s) %s; steps: %s' % (', '.join(unknown), ', '.join(STEPS)))
    # On SIGTERM, unwind like on Ctrl-C so that a running emulator is stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.monotonic()
    prepare(names)
    # Steps named on the command line run one after the other; `make test` runs the LANES side by side.
    results = run_lanes([names] if argv else [list(lane) for lane in LANES])
    print('\n==== okms.access test pipeline')
    print('  %-15s %-7s %9s %9s' % ('step', 'result', 'wall', 'CPU'))
    for name in names:
        ok, elapsed, cpu, note = results[name]
        lane = '' if argv or name in LANES[0] else ' (lane 2)'
        print('  %-15s %-7s %7.1f s %7.1f s%s  %s' % (name, 'passed' if ok else 'FAILED', elapsed, cpu, lane, note))
        if not ok and (LOGS / ('%s.log' % name)).exists() and lane:
            print('    last lines of %s:' % (LOGS / ('%s.log' % name)).relative_to(REPO))
            print(''.join('      ' + line for line in (LOGS / ('%s.log' % name)).read_text(errors='replace').splitlines(True)[-40:]))
    failed = sum(1 for name in names if not results[name][0])
    print('  %-15s %-7s %7.1f s %7.1f s' % ('total', '', time.monotonic() - started, sum(results[name][2] for name in names)))
    print('pipeline: %d passed, %d failed' % (len(names) - failed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
