#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo of okms.access (`make demo`): the playbook okms.access.provision gives three hosts access to a KMS domain
of the bundled OKMS emulator, then runs again and changes nothing.

The hosts are local (ansible_connection=local), each with its own root directory under build/demo/hosts/, so that the
paths, modes and owners printed are those of real files. The API credentials reach the collection the way they reach
it in production: OVH_* environment variables (the emulator's CA through REQUESTS_CA_BUNDLE). No secret is printed.
Run it with the Python of the pipeline's virtualenv (.venv, made by `make demo`).
"""

from __future__ import annotations

import base64
import pwd
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tests' / 'utils'))

# pylint: disable=wrong-import-position
from okms_testlib import HarnessError  # noqa: E402
from okms_testlib.certificates import credential_id, load_certificate  # noqa: E402
from okms_testlib.collection import REPO, sync_collection  # noqa: E402
from okms_testlib.emulator import Emulator, ovh_environment, split_requests  # noqa: E402
from okms_testlib.playbook import VENV_BIN, parse_recap, recap_problems, run_playbook  # noqa: E402

DEMO = REPO / 'build' / 'demo'
HOSTS = ('web-1', 'web-2', 'web-3')
INVENTORY = DEMO / 'inventory.yml'
CREDENTIAL_BY_ID_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential/{credentialId}'
DOMAIN_ROUTE = 'GET /v2/okms/resource/{okmsId}'
# The task result lines of ansible-playbook's default output.
RESULT_LINE = re.compile(r'^(ok|changed|failed|fatal)')


def step(title: str) -> None:
    print('\n==> %s' % title)


def okms_dir(host: str) -> Path:
    return DEMO / 'hosts' / host / 'etc' / 'okms'


def write_inventory(info: dict) -> str:
    """The inventory of the demo's local hosts; returns its text."""
    lines = ['all:', '  vars:', '    ansible_connection: local', '    ansible_python_interpreter: %s' % sys.executable,
             '    okms_client_okms_id: %s' % info['okms_id'],
             '    okms_client_identity_urns: ["urn:v1:eu:identity:account:%s"]' % info['nichandle'],
             '    okms_client_description: okms.access demo', '    okms_client_okms_cli_config: true', '  hosts:']
    for host in HOSTS:
        okms_dir(host).parent.mkdir(parents=True, exist_ok=True)
        lines += ['    %s:' % host, '      okms_client_dir: %s' % okms_dir(host)]
    text = '\n'.join(lines) + '\n'
    INVENTORY.write_text(text)
    return text


def provision(emulator: Emulator, name: str) -> str:
    """Run the playbook as a user runs it, its output shown and kept in build/demo/NAME.log; returns that output."""
    emulator.reset_requests()
    print('$ ansible-playbook okms.access.provision -i %s' % INVENTORY.relative_to(REPO), flush=True)
    env = dict(ovh_environment(emulator.info), ANSIBLE_COLLECTIONS_PATH=str(REPO / 'build'),
               ANSIBLE_DISPLAY_SKIPPED_HOSTS='false', ANSIBLE_NOCOLOR='1')
    run = run_playbook(name, 'okms.access.provision', INVENTORY, env, DEMO / ('%s.log' % name), echo=True)
    problems = run.problems(list(HOSTS))
    if problems:
        sys.exit('demo: the playbook failed: %s' % '; '.join(problems))
    return Path(run.log).read_text()


def print_requests(by_route: dict) -> None:
    for route, count in sorted(by_route.items()):
        print('    %3d  %s' % (count, route))


def print_host_files() -> None:
    """Each host's OKMS directory as ls -l shows it, and the credential its certificate belongs to."""
    root = DEMO / 'hosts'
    for host in HOSTS:
        print('%s:' % host)
        for path in [okms_dir(host)] + sorted(okms_dir(host).iterdir()):
            info = path.stat()
            mode, owner = info.st_mode, pwd.getpwuid(info.st_uid).pw_name
            print('    %s %04o %-8s %5d  %s' % (stat.filemode(mode), stat.S_IMODE(mode), owner, info.st_size, path.relative_to(root)))
        certificate = load_certificate(okms_dir(host) / 'client.cert')
        expires = certificate.not_valid_after_utc.strftime('%Y-%m-%d %H:%M UTC')
        print('    credential %s, expires %s' % (credential_id(certificate), expires))


def check_idempotent(output: str, by_route: dict) -> None:
    """The second run changed nothing, wrote nothing, read each host's credential by id and the domain once."""
    problems = recap_problems(parse_recap(output), unchanged=HOSTS)
    if problems:
        sys.exit('demo: the second run changed something: %s' % '; '.join(problems))
    counts = (split_requests(by_route)['api_writes'], by_route.get(CREDENTIAL_BY_ID_ROUTE, 0), by_route.get(DOMAIN_ROUTE, 0))
    if counts != (0, len(HOSTS), 1):
        sys.exit('demo: the second run made %d writes, %d GETs by id, %d domain reads; expected 0, %d, 1'
                 % (counts + (len(HOSTS),)))
    print('second run: changed=0 on all %d hosts' % len(HOSTS))


def role_mtls_results(output: str) -> list[str]:
    """The hosts' results of the role's mutual TLS check task (the task that asks for a random byte)."""
    lines = output.splitlines()
    found = []
    for index, line in enumerate(lines):
        if 'random byte' in line:
            found += [result for result in lines[index + 1:index + 1 + len(HOSTS)] if RESULT_LINE.match(result)]
    if not found:
        sys.exit("demo: the role's mutual TLS check is not in the output of the second run")
    return found


def check_mtls_here(info: dict) -> None:
    """The request of the role's check, made from here with each host's files (Python requests, not Ansible)."""
    for host in HOSTS:
        directory = okms_dir(host)
        answer = requests.get('%s/api/%s/v1/random' % (info['rest_url'], info['okms_id']), params={'length': 16}, timeout=30,
                              cert=(str(directory / 'client.cert'), str(directory / 'domain.key')), verify=str(directory / 'ca.pem'))
        answer.raise_for_status()
        print('    %s: HTTP %d, %d random bytes from the KMS domain'
              % (host, answer.status_code, len(base64.b64decode(answer.json()['bytes']))))


def demo(emulator: Emulator) -> None:
    step('Starting the OKMS emulator (state in %s)' % emulator.state_dir.relative_to(REPO))
    info = emulator.start()
    print('OVH API:     %s' % info['api_url'])
    print('KMS domain:  %s, REST endpoint %s' % (info['okms_id'], info['rest_url']))

    step('Writing a demo inventory of %d local hosts, each with its own root directory' % len(HOSTS))
    print(''.join('    %s\n' % line for line in write_inventory(info).splitlines()), end='')

    step("First run: every host gets a key, a certificate and the domain's CA (csr mode: keys are made on the hosts)")
    provision(emulator, 'first-run')
    print('API requests of the first run (emulator counters):')
    print_requests(emulator.requests_by_route())

    step("What each host holds (read from disk; the credential id is the certificate's serial number)")
    print_host_files()

    step('Second run: nothing to do')
    output = provision(emulator, 'second-run')
    by_route = emulator.requests_by_route()
    print('API requests of the second run (emulator counters): no write, one GET by id per host, one domain read')
    print_requests(by_route)
    check_idempotent(output, by_route)

    step('The mutual TLS check of each host')
    print("The role's check, made by each host with its own files (second run):")
    print(''.join('    %s\n' % line for line in role_mtls_results(output)), end='')
    print('The same request made here with the files of each host (Python requests, independent of Ansible):')
    check_mtls_here(info)

    step("Done: the hosts' files are in build/demo/hosts/, the runs' output in build/demo/*.log")


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)
    step('Setting up %s (Python 3.11 and the pinned tools of tests/requirements-dev.txt)' % sys.prefix)
    if not (VENV_BIN / 'ansible-playbook').exists():
        sys.exit('demo: %s has no ansible-playbook: run the demo with `make demo`' % VENV_BIN)
    version = subprocess.run([str(VENV_BIN / 'ansible-playbook'), '--version'], capture_output=True, text=True, check=True).stdout
    print('ready: %s' % version.splitlines()[0])

    step('Copying the collection to build/ansible_collections/okms/access')
    sync_collection(REPO / 'build')

    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir(parents=True)
    emulator = Emulator(DEMO / 'emulator')
    try:
        demo(emulator)
    except HarnessError as exc:
        sys.exit('demo: %s' % exc)
    finally:
        if emulator.stop():
            print('emulator stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())
