# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the role_client_* integration targets: the emulator's admin routes and the PLAY RECAP of a run.

    python role_test.py CONFIG reset                       forget the request counters
    python role_test.py CONFIG requests --writes N [--max-okms-reads N] [--list-pages N] [--mtls N] [--max-total N] [--route ROUTE=N]
                                                           check the counters since the last reset
    python role_test.py CONFIG expire CREDENTIAL_ID DAYS   make a credential expire in DAYS days
    python role_test.py CONFIG status CREDENTIAL_ID STATUS force a credential's status (fails when it does not exist)
    python role_test.py CONFIG fault ROUTE STATUS          fail the next request of ROUTE with STATUS
    python role_test.py CONFIG delay ROUTE SECONDS         delay the next request of ROUTE by SECONDS
    python role_test.py CONFIG wait-request ROUTE [--timeout S]   wait until a request of ROUTE arrived
    python role_test.py CONFIG clear-faults
    python role_test.py CONFIG config KEY=VALUE...         change runtime settings (VALUE in JSON, else a string)
    python role_test.py CONFIG config-save FILE            keep the runtime settings in FILE
    python role_test.py CONFIG config-restore FILE         put back the runtime settings kept in FILE
    python role_test.py recap LOG --changed HOSTS --unchanged HOSTS [--failed HOSTS] [--absent HOSTS]
    python role_test.py serial CERTIFICATE_FILE            print the credential id that the certificate's serial encodes
    python role_test.py kill-tree PID                      SIGKILL PID and every descendant (Ansible's workers are in
                                                           sessions of their own: a process group misses them)
    python role_test.py faults CONFIG WORK TARGET [-v...]  the rows of a fault target (okms_testlib.role_faults), census table

CONFIG is integration_config.yml (okms_emulator: admin_url, ca_file, ...). Nothing secret is printed.
The work is done by the test library tests/utils/okms_testlib of the collection this file belongs to.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml


def add_test_library_to_path() -> None:
    """Put tests/utils on sys.path: ansible-test runs a copy of the targets made under the collection's
    tests/output/, so the collection is the first directory above this file that holds tests/utils/okms_testlib."""
    for parent in Path(__file__).resolve().parents:
        if (parent / 'tests' / 'utils' / 'okms_testlib').is_dir():
            sys.path.insert(0, str(parent / 'tests' / 'utils'))
            return
    sys.exit('role_test.py: no tests/utils/okms_testlib above %s' % Path(__file__).resolve())


add_test_library_to_path()

# pylint: disable=wrong-import-position
from okms_testlib.certificates import credential_id, load_certificate  # noqa: E402
from okms_testlib.crash import kill_tree  # noqa: E402
from okms_testlib.emulator import AdminClient, split_requests  # noqa: E402
from okms_testlib.playbook import parse_recap, recap_problems  # noqa: E402
from okms_testlib.role_faults import main as fault_rows  # noqa: E402


def request_problems(admin: AdminClient, args: argparse.Namespace) -> list[str]:
    by_route = admin.requests_by_route()
    found = split_requests(by_route)
    print('emulator requests since the last reset: %s' % json.dumps(by_route, sort_keys=True))
    problems = []
    for name, wanted in (('api_writes', args.writes), ('list_pages', args.list_pages), ('mtls', args.mtls)):
        if wanted is not None and found[name] != wanted:
            problems.append('%s: %d, expected %d' % (name, found[name], wanted))
    if args.max_okms_reads is not None and found['okms_reads'] > args.max_okms_reads:
        problems.append('okms_reads: %d, expected at most %d' % (found['okms_reads'], args.max_okms_reads))
    if args.max_total is not None and sum(by_route.values()) > args.max_total:
        problems.append('requests of every route: %d, expected at most %d' % (sum(by_route.values()), args.max_total))
    for pair in args.route or []:
        route, dummy, wanted = pair.rpartition('=')
        if by_route.get(route, 0) != int(wanted):
            problems.append('%s: %d, expected %s' % (route, by_route.get(route, 0), wanted))
    return problems


def wait_for_request(admin: AdminClient, route: str, timeout: float) -> list[str]:
    """Wait until the emulator has received a request of ROUTE (counted on arrival, before a delay fault)."""
    deadline = time.monotonic() + timeout
    while admin.requests_by_route().get(route, 0) == 0:
        if time.monotonic() > deadline:
            return ['no request of %s within %s s' % (route, timeout)]
        time.sleep(0.1)
    return []


def setting_value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def change_settings(admin: AdminClient, args: argparse.Namespace) -> None:
    if args.command == 'config':
        admin.configure(**dict((key, setting_value(value)) for key, dummy, value in (pair.partition('=') for pair in args.settings)))
        print('emulator settings: %s' % json.dumps(admin.call('GET', '/config'), sort_keys=True))
    elif args.command == 'config-save':
        Path(args.file).write_text(json.dumps(admin.call('GET', '/config')), encoding='utf-8')
    else:
        admin.configure(**json.loads(Path(args.file).read_text(encoding='utf-8')))


def check_recap(args: argparse.Namespace) -> list[str]:
    recap = parse_recap(Path(args.log).read_text(encoding='utf-8', errors='replace'))
    print('recap: %s' % ', '.join('%s changed=%d failed=%d' % (host, row['changed'], row['failed']) for host, row in sorted(recap.items())))
    problems = ['%s is in the PLAY RECAP: it was connected to' % host for host in args.absent.split(',') if host in recap]
    return problems + recap_problems(recap, **{option: [host for host in getattr(args, option).split(',') if host]
                                               for option in ('changed', 'unchanged', 'failed')})


def admin_command(args: argparse.Namespace) -> list[str]:
    with open(args.config, encoding='utf-8') as handle:
        admin = AdminClient(yaml.safe_load(handle)['okms_emulator'])
    if args.command == 'requests':
        return request_problems(admin, args)
    if args.command == 'reset':
        admin.reset_requests()
    elif args.command == 'expire':
        print('credential %s now expires at %s' % (args.credential_id, admin.expire_in(args.credential_id, args.days)))
    elif args.command == 'status':
        print('credential %s is now %s' % (args.credential_id, admin.call('POST', '/credentials/%s' % args.credential_id,
                                                                          {'status': args.status})['status']))
    elif args.command == 'fault':
        admin.fail_next(args.route, args.status)
    elif args.command == 'delay':
        admin.call('POST', '/faults', {'route': args.route, 'delay': args.seconds, 'count': 1})
    elif args.command == 'wait-request':
        return wait_for_request(admin, args.route, args.timeout)
    elif args.command == 'clear-faults':
        admin.clear_faults()
    elif args.command.startswith('config'):
        change_settings(admin, args)
    return []


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    if argv and argv[0] == 'serial':
        parser.add_argument('command')
        parser.add_argument('certificate')
        return parser.parse_args(argv)
    if argv and argv[0] == 'kill-tree':
        parser.add_argument('command')
        parser.add_argument('pid', type=int)
        return parser.parse_args(argv)
    if argv and argv[0] == 'recap':
        parser.add_argument('command')
        parser.add_argument('log')
        parser.add_argument('--changed', default='')
        parser.add_argument('--unchanged', default='')
        parser.add_argument('--failed', default='')
        parser.add_argument('--absent', default='', help='hosts that must not be in the recap (never connected to)')
        return parser.parse_args(argv)
    parser.add_argument('config')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('reset')
    requests = commands.add_parser('requests')
    for option in ('--writes', '--max-okms-reads', '--list-pages', '--mtls', '--max-total'):
        requests.add_argument(option, type=int)
    requests.add_argument('--route', action='append', help='ROUTE=N: exactly N requests of that route')
    delay = commands.add_parser('delay')
    delay.add_argument('route')
    delay.add_argument('seconds', type=float)
    wait = commands.add_parser('wait-request')
    wait.add_argument('route')
    wait.add_argument('--timeout', type=float, default=60)
    expire = commands.add_parser('expire')
    expire.add_argument('credential_id')
    expire.add_argument('days', type=float)
    status = commands.add_parser('status')
    status.add_argument('credential_id')
    status.add_argument('status')
    fault = commands.add_parser('fault')
    fault.add_argument('route')
    fault.add_argument('status', type=int)
    commands.add_parser('clear-faults')
    commands.add_parser('config').add_argument('settings', nargs='+')
    for command in ('config-save', 'config-restore'):
        commands.add_parser(command).add_argument('file')
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    if argv and argv[0] == 'faults':
        # ansible-test's -v... go to the runs as they are: no parsing.
        return fault_rows(Path(argv[1]), Path(argv[2]), argv[3], Path(__file__).resolve().parent / 'site.yml', argv[4:])
    args = parse_args(argv)
    if args.command == 'recap':
        problems = check_recap(args)
    elif args.command == 'serial':
        print(credential_id(load_certificate(args.certificate)))
        problems = []
    elif args.command == 'kill-tree':
        kill_tree(args.pid)
        problems = []
    else:
        problems = admin_command(args)
    for problem in problems:
        print('FAILED: %s' % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
