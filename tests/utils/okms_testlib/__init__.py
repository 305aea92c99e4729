# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test library of okms.access: what the pipeline, the demo, the benchmark, the SSH fleet test and the
role_client_* integration targets share.

- collection: the repository's root and its copy to ``ROOT/ansible_collections/okms/access``;
- emulator: start and stop the OKMS emulator, its admin routes, its request counters sorted by kind,
  the collection's inputs (role variables, OVH_* variables) for it;
- playbook: ansible-playbook runs, their PLAY RECAP and what to expect of it, a shared ansible.cfg;
- certificates: the credential id that a client certificate's serial number encodes;
- secret_scan: look for secrets in test output without printing one;
- census: what a fault left, through the API and the disk (lost keys, duplicates, foreign deletes, mismatched pairs,
  unsafe files, leaks);
- crash: a process tree killed at a point found by watching (the API, a marker file, the stop hook);
- role_faults: the rows of the role's fault targets (crashes, concurrent runs, partial shared runs, cloned hosts);
- fleet: an SSH fleet of hosts in their own network namespaces (also a command: ``fleet.py up|down``).

Scripts put ``tests/utils`` on sys.path and import ``okms_testlib.<module>``.
"""


class HarnessError(Exception):
    """A step of a test tool failed; the message says which and where to look."""
