#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bring up or tear down an SSH fleet of N hosts, each in its own network namespace (Linux, root).

Host i (1-based) is the network namespace ``okmsfleet<i>``: a veth pair joins it to the bridge
``okmsfl-br`` of the root namespace, which holds the gateway address ``<prefix>.1/24``; the host holds
``<prefix>.<10+i>/24`` and has no other route, so it reaches nothing but the bridge's address.
Each host runs its own sshd (root login by key only) inside a private mount namespace in which
``STATE/hosts/<name>/etc-okms`` is bind-mounted on /etc/okms: every host has its own /etc/okms,
and the root namespace's /etc/okms is never written.

``up`` writes STATE/fleet.json (the hosts), STATE/inventory.yml (a real SSH inventory: generated key,
private known_hosts pre-filled with the generated host keys, StrictHostKeyChecking=yes) and cleans the
leftovers of an aborted run first. ``down`` kills the sshds and every process left in the fleet's
namespaces, deletes its namespaces, veths and bridge (those recorded in STATE/fleet.json: another
fleet's are left alone); it runs whatever state it finds and never fails on
something already gone.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

NS_PREFIX = 'okmsfleet'
BRIDGE = 'okmsfl-br'
VETH_PREFIX = 'okmsfl-v'
DEFAULT_SUBNET = '10.231.0.0/24'
MOUNT_POINT = Path('/etc/okms')
SSHD = Path('/usr/sbin/sshd')
SFTP_SERVER = Path('/usr/lib/openssh/sftp-server')
SSHD_READY_TIMEOUT = 15.0


class FleetError(Exception):
    """A fleet step failed; the message names the step and the command."""


def sh(*cmd: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
    """Run a command; on failure (with check) raise FleetError naming the command and its stderr."""
    proc = subprocess.run(cmd, check=False, text=True, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and proc.returncode != 0:
        raise FleetError('%s exited %d: %s' % (' '.join(cmd), proc.returncode, (proc.stderr or '').strip()))
    return proc


def read_state(state_dir: Path) -> dict:
    state_file = state_dir / 'fleet.json'
    return json.loads(state_file.read_text()) if state_file.exists() else {}


def our_namespaces(state: dict) -> list[str]:
    """The network namespaces of the fleet of STATE that exist (also after an aborted run: the state is written before
    the network is made). Namespaces of another fleet, with the same prefix, are left alone."""
    ours = {host['netns'] for host in state.get('hosts', [])}
    return sorted(set(sh('ip', 'netns', 'list').stdout.split()) & ours)


def our_links(state: dict) -> list[str]:
    """The links of the fleet of STATE that exist: its veths, and the bridge once it has a state."""
    ours = {host['veth'] for host in state.get('hosts', [])} | ({BRIDGE} if state else set())
    names = [line.split(':')[1].strip().split('@')[0] for line in sh('ip', '-o', 'link', 'show').stdout.splitlines()]
    return sorted(name for name in names if name in ours)


def host_plan(count: int, subnet: str) -> tuple[str, list[dict]]:
    """Return the gateway address and, per host, its name, namespace, veth and address."""
    net = ipaddress.ip_network(subnet)
    if net.prefixlen > 26 or count > net.num_addresses - 12:
        raise FleetError('subnet %s is too small for %d hosts' % (subnet, count))
    gateway = str(net.network_address + 1)
    hosts = [{'name': 'fleet%d' % i, 'netns': '%s%d' % (NS_PREFIX, i), 'veth': '%s%d' % (VETH_PREFIX, i),
              'address': str(net.network_address + 10 + i)} for i in range(1, count + 1)]
    return gateway, hosts


def ensure_openssh() -> None:
    """Install Debian's openssh-server when sshd is missing (CI machines start fresh)."""
    if SSHD.exists():
        return
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    for cmd in (['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', 'openssh-server']):
        proc = subprocess.run(cmd, env=env, check=False, stdin=subprocess.DEVNULL, text=True, capture_output=True)
        if proc.returncode != 0:
            raise FleetError('%s exited %d: %s' % (' '.join(cmd), proc.returncode, proc.stderr.strip()))
    if not SSHD.exists():
        raise FleetError('openssh-server is installed but %s is missing' % SSHD)


def pick_python(requested: str) -> str:
    """The interpreter the hosts run modules with: REQUESTED, or with 'auto' the system python3 when it has
    cryptography (the csr mode generates keys on the host), else this script's own interpreter."""
    candidates = [requested] if requested != 'auto' else ['/usr/bin/python3', sys.executable]
    for python in candidates:
        if subprocess.run([python, '-c', 'import cryptography'], check=False, capture_output=True).returncode == 0:
            return python
    raise FleetError('no host interpreter with the cryptography package among %s' % ', '.join(candidates))


def keygen(path: Path, comment: str) -> str:
    """Generate an ed25519 key pair at PATH; return the public key line."""
    sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', str(path))
    return path.with_suffix('.pub').read_text().strip()


def sshd_config(host: dict, hostdir: Path, authorized_keys: Path) -> str:
    """Configuration of one host's sshd: its address only, root by key only, no PAM, its own host key."""
    return '\n'.join([
        'ListenAddress %s:22' % host['address'],
        'HostKey %s' % (hostdir / 'ssh_host_ed25519_key'),
        'PidFile %s' % (hostdir / 'sshd.pid'),
        'AuthorizedKeysFile %s' % authorized_keys,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        # The fleet's files live under the state directory (maybe below a world-writable /tmp).
        'StrictModes no',
        'MaxStartups 100:30:200',
        'MaxSessions 50',
        'Subsystem sftp %s' % SFTP_SERVER,
        '',
    ])


def setup_network(gateway: str, prefixlen: int, hosts: list[dict]) -> None:
    sh('ip', 'link', 'add', BRIDGE, 'type', 'bridge')
    sh('ip', 'addr', 'add', '%s/%d' % (gateway, prefixlen), 'dev', BRIDGE)
    sh('ip', 'link', 'set', BRIDGE, 'up')
    for host in hosts:
        peer = host['veth'] + 'p'
        sh('ip', 'netns', 'add', host['netns'])
        sh('ip', 'link', 'add', host['veth'], 'type', 'veth', 'peer', 'name', peer)
        sh('ip', 'link', 'set', host['veth'], 'master', BRIDGE, 'up')
        sh('ip', 'link', 'set', peer, 'netns', host['netns'])
        in_ns = ('ip', 'netns', 'exec', host['netns'])
        sh(*in_ns, 'ip', 'link', 'set', peer, 'name', 'eth0')
        sh(*in_ns, 'ip', 'addr', 'add', '%s/%d' % (host['address'], prefixlen), 'dev', 'eth0')
        sh(*in_ns, 'ip', 'link', 'set', 'eth0', 'up')
        sh(*in_ns, 'ip', 'link', 'set', 'lo', 'up')


def start_sshd(host: dict, hostdir: Path) -> int:
    """Start the host's sshd in its network namespace and a private mount namespace; return its pid.

    ip netns exec, unshare (no fork needed for a mount namespace) and sh all exec, so the child we
    start becomes sshd itself.
    """
    script = 'mount --bind "$1" "$2" && exec "$3" -D -e -f "$4"'
    cmd = ['ip', 'netns', 'exec', host['netns'], 'unshare', '--mount', '--propagation', 'private',
           'sh', '-c', script, 'sh', str(hostdir / 'etc-okms'), str(MOUNT_POINT), str(SSHD), str(hostdir / 'sshd_config')]
    with (hostdir / 'sshd.log').open('w') as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


def wait_for_ssh(address: str, pid: int, log: Path) -> None:
    """Wait until the sshd at ADDRESS:22 sends its banner; fail early if it died."""
    deadline = time.monotonic() + SSHD_READY_TIMEOUT
    while True:
        if not pid_alive(pid):
            raise FleetError('sshd for %s exited: %s' % (address, log.read_text().strip()))
        try:
            with socket.create_connection((address, 22), timeout=2) as conn:
                if conn.recv(64).startswith(b'SSH-'):
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise FleetError('sshd for %s did not answer within %ds; see %s' % (address, SSHD_READY_TIMEOUT, log))
        time.sleep(0.1)


def pid_alive(pid: int) -> bool:
    """True while PID runs (a zombie waiting for its parent counts as gone)."""
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def kill_pids(pids: list[int]) -> None:
    """SIGTERM, wait up to 5 s, then SIGKILL what is left."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [pid for pid in pids if pid_alive(pid)]
        if not pids:
            return


def inventory(state: dict) -> dict:
    """The SSH inventory of the fleet (group ``fleet``)."""
    ssh_args = ' '.join([
        '-o UserKnownHostsFile=%s' % state['known_hosts'],
        '-o GlobalKnownHostsFile=/dev/null',
        '-o StrictHostKeyChecking=yes',
        '-o IdentitiesOnly=yes',
        '-o PasswordAuthentication=no',
    ])
    return {'all': {'children': {'fleet': {
        'hosts': {host['name']: {'ansible_host': host['address']} for host in state['hosts']},
        'vars': {
            'ansible_connection': 'ssh',
            'ansible_user': 'root',
            'ansible_ssh_private_key_file': state['ssh_key'],
            'ansible_ssh_common_args': ssh_args,
            'ansible_python_interpreter': state['python'],
        },
    }}}}


def fleet_up(state_dir: Path, count: int, subnet: str, python: str) -> dict:
    """Clean leftovers, then build the fleet; on any failure tear down what was built and re-raise."""
    fleet_down(state_dir)
    if count < 1:
        raise FleetError('--hosts must be at least 1')
    ensure_openssh()
    gateway, hosts = host_plan(count, subnet)
    prefixlen = ipaddress.ip_network(subnet).prefixlen
    if state_dir.exists():
        shutil.rmtree(state_dir)
    state_dir.mkdir(parents=True, mode=0o700)
    state = {
        'subnet': subnet, 'gateway': gateway, 'hosts': hosts, 'python': pick_python(python),
        'ssh_key': str(state_dir / 'id_ed25519'), 'known_hosts': str(state_dir / 'known_hosts'),
        'inventory': str(state_dir / 'inventory.yml'), 'created_mount_point': not MOUNT_POINT.exists(),
    }
    write_state(state_dir, state)
    try:
        MOUNT_POINT.mkdir(parents=True, exist_ok=True)
        Path('/run/sshd').mkdir(mode=0o755, exist_ok=True)
        authorized_keys = state_dir / 'authorized_keys'
        authorized_keys.write_text(keygen(Path(state['ssh_key']), 'okms fleet controller') + '\n')
        known = []
        for host in hosts:
            hostdir = state_dir / 'hosts' / host['name']
            (hostdir / 'etc-okms').mkdir(parents=True)
            host_key = keygen(hostdir / 'ssh_host_ed25519_key', host['name'])
            known.append('%s %s' % (host['address'], ' '.join(host_key.split()[:2])))
            (hostdir / 'sshd_config').write_text(sshd_config(host, hostdir, authorized_keys))
            host['dir'] = str(hostdir)
        Path(state['known_hosts']).write_text('\n'.join(known) + '\n')
        setup_network(gateway, prefixlen, hosts)
        for host in hosts:
            host['sshd_pid'] = start_sshd(host, Path(host['dir']))
            write_state(state_dir, state)
        for host in hosts:
            wait_for_ssh(host['address'], host['sshd_pid'], Path(host['dir']) / 'sshd.log')
        # JSON is YAML: the inventory is readable by ansible's yaml inventory plugin as it is.
        Path(state['inventory']).write_text(json.dumps(inventory(state), indent=2) + '\n')
    except BaseException:
        write_state(state_dir, state)
        fleet_down(state_dir)
        raise
    write_state(state_dir, state)
    return state


def write_state(state_dir: Path, state: dict) -> None:
    tmp = state_dir / 'fleet.json.tmp'
    tmp.write_text(json.dumps(state, indent=2) + '\n')
    tmp.replace(state_dir / 'fleet.json')


def sshd_pids(state: dict) -> list[int]:
    """The recorded sshd pids that still run our sshd (a reused pid is left alone)."""
    pids = []
    for host in state.get('hosts', []):
        pid = host.get('sshd_pid')
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
                if str(Path(host['dir']) / 'sshd_config').encode() in cmdline.read():
                    pids.append(pid)
        except (OSError, TypeError):
            continue
    return pids


def fleet_down(state_dir: Path) -> list[str]:
    """Remove everything a fleet (this one, or an aborted one) left: processes, namespaces, veths, bridge."""
    done = []
    state = read_state(state_dir)
    pids = sshd_pids(state)
    for netns in our_namespaces(state):
        pids += [int(pid) for pid in sh('ip', 'netns', 'pids', netns, check=False).stdout.split()]
    if pids:
        kill_pids(sorted(set(pids)))
        done.append('killed %d processes' % len(set(pids)))
    for netns in our_namespaces(state):
        sh('ip', 'netns', 'del', netns)
        done.append('deleted netns %s' % netns)
    for name in our_links(state):
        sh('ip', 'link', 'del', name, check=False)
        done.append('deleted link %s' % name)
    if state.get('created_mount_point') and MOUNT_POINT.is_dir() and not any(MOUNT_POINT.iterdir()):
        MOUNT_POINT.rmdir()
        done.append('removed %s' % MOUNT_POINT)
    if state:
        state['hosts'] = [dict(host, sshd_pid=None) for host in state.get('hosts', [])]
        write_state(state_dir, state)
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('action', choices=['up', 'down'])
    parser.add_argument('--state-dir', type=Path, default=Path('build/fleet'), help='where keys, configs, logs and /etc/okms of each host live')
    parser.add_argument('--hosts', type=int, default=4, help='number of hosts (up)')
    parser.add_argument('--subnet', default=DEFAULT_SUBNET, help='private subnet of the fleet (a /24 to /26)')
    parser.add_argument('--python', default='auto', help="hosts' interpreter; 'auto' = /usr/bin/python3 if it has cryptography, else this one")
    args = parser.parse_args()
    if os.geteuid() != 0:
        parser.error('must run as root (network namespaces, mounts, sshd)')
    state_dir = args.state_dir.resolve()
    try:
        if args.action == 'up':
            state = fleet_up(state_dir, args.hosts, args.subnet, args.python)
            for host in state['hosts']:
                print('%-8s %-15s netns %-12s sshd pid %d' % (host['name'], host['address'], host['netns'], host['sshd_pid']))
            print('inventory: %s' % state['inventory'])
        else:
            for line in fleet_down(state_dir):
                print(line)
    except FleetError as exc:
        print('fleet %s failed: %s' % (args.action, exc), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
