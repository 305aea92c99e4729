# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the role_client_* integration targets: the emulator's admin routes and the PLAY RECAP of a run.

    python role_test.py CONFIG reset                       forget the request counters
    python role_test.py CONFIG requests --writes N [--max-okms-reads N] [--list-pages N] [--mtls N]
                                                           check the counters since the last reset
    python role_test.py CONFIG expire CREDENTIAL_ID DAYS   make a credential expire in DAYS days
    python role_test.py CONFIG fault ROUTE STATUS          fail the next request of ROUTE with STATUS
    python role_test.py CONFIG clear-faults
    python role_test.py CONFIG config KEY=VALUE...         change runtime settings (VALUE in JSON, else a string)
    python role_test.py CONFIG config-save FILE            keep the runtime settings in FILE
    python role_test.py CONFIG config-restore FILE         put back the runtime settings kept in FILE
    python role_test.py recap LOG --changed HOSTS --unchanged HOSTS [--failed HOSTS]
    python role_test.py serial CERTIFICATE_FILE            print the credential id that the certificate's serial encodes

CONFIG is integration_config.yml (okms_emulator: admin_url, ca_file, ...). Nothing secret is printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import ssl
import sys
import urllib.request
import uuid

import yaml
from cryptography import x509

RECAP = re.compile(r'^(?P<host>\S+)\s+:\s+ok=\d+\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)', re.MULTILINE)
LIST_ROUTE = 'GET /v2/okms/resource/{okmsId}/credential'
WRITE_METHODS = ('POST', 'PUT', 'PATCH', 'DELETE')


class Admin:
    """The emulator's admin routes (loopback only), verified with the emulator's CA."""

    def __init__(self, config_path):
        with open(config_path, encoding='utf-8') as handle:
            emulator = yaml.safe_load(handle)['okms_emulator']
        self.url = emulator['admin_url'].rstrip('/')
        self.context = ssl.create_default_context(cafile=emulator['ca_file'])

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(request, context=self.context, timeout=60) as answer:
            return json.load(answer)


def counts(by_route):
    """Writes of the OVH API, reads of the /v2/okms routes, credential list pages and mTLS requests of the hosts."""
    found = dict(writes=0, okms_reads=0, list_pages=0, mtls=0)
    for route, count in by_route.items():
        method, dummy, path = route.partition(' ')
        if path.startswith('/api/'):
            found['mtls'] += count
        elif method in WRITE_METHODS and 'oauth2' not in path:
            found['writes'] += count
        elif path.startswith('/v2/okms'):
            found['okms_reads'] += count
        if route == LIST_ROUTE:
            found['list_pages'] += count
    return found


def check_requests(admin, args):
    by_route = admin.call('GET', '/requests')['by_route']
    found = counts(by_route)
    print('emulator requests since the last reset: %s' % json.dumps(by_route, sort_keys=True))
    problems = []
    for name, wanted in (('writes', args.writes), ('list_pages', args.list_pages), ('mtls', args.mtls)):
        if wanted is not None and found[name] != wanted:
            problems.append('%s: %d, expected %d' % (name, found[name], wanted))
    for pair in args.route or []:
        route, dummy, wanted = pair.rpartition('=')
        if by_route.get(route, 0) != int(wanted):
            problems.append('%s: %d, expected %s' % (route, by_route.get(route, 0), wanted))
    if args.max_okms_reads is not None and found['okms_reads'] > args.max_okms_reads:
        problems.append('okms_reads: %d, expected at most %d' % (found['okms_reads'], args.max_okms_reads))
    return problems


def check_recap(args):
    with open(args.log, encoding='utf-8', errors='replace') as handle:
        text = handle.read()
    recap = dict((match.group('host'), match.groupdict()) for match in RECAP.finditer(text[text.rfind('PLAY RECAP'):]))
    problems = []
    for option, host_list in (('changed', args.changed), ('unchanged', args.unchanged), ('failed', args.failed)):
        for host in [name for name in host_list.split(',') if name]:
            if host not in recap:
                problems.append('%s is not in the PLAY RECAP' % host)
                continue
            changed, failed = int(recap[host]['changed']), int(recap[host]['failed']) + int(recap[host]['unreachable'])
            if option == 'failed' and not failed:
                problems.append('%s did not fail' % host)
            if option != 'failed' and failed:
                problems.append('%s failed' % host)
            if option == 'changed' and not changed:
                problems.append('%s changed nothing, a change was expected' % host)
            if option == 'unchanged' and changed:
                problems.append('%s changed %d things, nothing was expected to change' % (host, changed))
    print('recap: %s' % ', '.join('%s changed=%s failed=%s' % (host, row['changed'], row['failed']) for host, row in sorted(recap.items())))
    return problems


def print_serial(path):
    with open(path, 'rb') as handle:
        print(uuid.UUID(int=x509.load_pem_x509_certificate(handle.read()).serial_number))
    return []


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    if argv and argv[0] == 'serial':
        parser.add_argument('command')
        parser.add_argument('certificate')
        return parser.parse_args(argv)
    if argv and argv[0] == 'recap':
        parser.add_argument('command')
        parser.add_argument('log')
        parser.add_argument('--changed', default='')
        parser.add_argument('--unchanged', default='')
        parser.add_argument('--failed', default='')
        return parser.parse_args(argv)
    parser.add_argument('config')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('reset')
    requests = commands.add_parser('requests')
    for option in ('--writes', '--max-okms-reads', '--list-pages', '--mtls'):
        requests.add_argument(option, type=int)
    requests.add_argument('--route', action='append', help='ROUTE=N: exactly N requests of that route')
    expire = commands.add_parser('expire')
    expire.add_argument('credential_id')
    expire.add_argument('days', type=float)
    fault = commands.add_parser('fault')
    fault.add_argument('route')
    fault.add_argument('status', type=int)
    commands.add_parser('clear-faults')
    config = commands.add_parser('config')
    config.add_argument('settings', nargs='+')
    for command in ('config-save', 'config-restore'):
        commands.add_parser(command).add_argument('file')
    return parser.parse_args(argv)


def setting_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def change_config(admin, args):
    if args.command == 'config':
        body = dict((key, setting_value(value)) for key, dummy, value in (pair.partition('=') for pair in args.settings))
        print('emulator settings changed: %s' % json.dumps(admin.call('POST', '/config', body), sort_keys=True))
    elif args.command == 'config-save':
        with open(args.file, 'w', encoding='utf-8') as handle:
            json.dump(admin.call('GET', '/config'), handle)
    else:
        with open(args.file, encoding='utf-8') as handle:
            admin.call('POST', '/config', json.load(handle))


def main(argv):
    args = parse_args(argv)
    if args.command == 'recap':
        problems = check_recap(args)
    elif args.command == 'serial':
        problems = print_serial(args.certificate)
    else:
        admin = Admin(args.config)
        problems = []
        if args.command == 'reset':
            admin.call('POST', '/requests/reset')
        elif args.command == 'requests':
            problems = check_requests(admin, args)
        elif args.command == 'expire':
            when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=args.days)
            answer = admin.call('POST', '/credentials/%s' % args.credential_id, {'expiredAt': when.isoformat()})
            print('credential %s now expires at %s' % (answer['id'], answer['expiredAt']))
        elif args.command == 'fault':
            admin.call('POST', '/faults', {'route': args.route, 'status': args.status, 'count': 1})
        elif args.command == 'clear-faults':
            admin.call('DELETE', '/faults')
        elif args.command.startswith('config'):
            change_config(admin, args)
    for problem in problems:
        print('FAILED: %s' % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
