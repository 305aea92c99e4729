#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The code is the action plugin plugins/action/okms_audit.py: this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_audit
short_description: The inventory against its KMS domains - which hosts are due for renewal, orphans, expired, duplicates
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin) and connects to no host. It reads the variables of the role
    C(okms.access.client) of each host in O(hosts) from the inventory (over the role's defaults), lists each KMS domain
    once at the largest page size, and reports every host's credential and whether the role would replace it (C(due)).
  - A host is due exactly when the role would replace its credential - it expires within C(okms_client_renew_before_days),
    or past C(okms_client_renew_fraction) of its lifetime, is C(EXPIRED) or C(ERROR), has no credential of its name, or
    differs from the variables (identity URNs, description, key origin or type). Seen from the API alone, a host's
    credential is the C(READY) one of its name that expires last.
  - A host that lost its files is invisible to the API. With O(held_var), what each host read with
    M(okms.access.okms_client_files) (registered by an earlier play) is used instead - lost or mismatched files make the
    host due, and the credentials hosts hold are never orphans. The playbooks C(okms.access.renew) (C(okms_renew_check_hosts))
    and C(okms.access.audit) do that.
  - The findings - C(orphans) (credentials in scope that no inventory host is named after and no probed host holds),
    C(expiring), C(expired), C(error), C(stuck_creating), C(duplicates) (names with more than one live credential),
    C(without_credential) (hosts), C(identity_drift) (hosts whose credential has other identity URNs than asked).
  - With O(prune_orphans), deletes the orphans (check mode - names them only).
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the API, deletes nothing and writes no file; C(changed) predicts the pruning.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  hosts:
    description:
      - The inventory hosts to audit, for example C("{{ groups['okms_clients'] }}"). Each host's
        C(okms_client_*) variables (and C(okms_client_api), over the task's connection options) are read as the role
        reads them; a bad value fails the task naming the host and the variable.
    type: list
    elements: str
    required: true
  held_var:
    description:
      - The name of a variable in which each host registered the result of M(okms.access.okms_client_files) with
        C(action=read) (check_hosts). Hosts without it (not probed, unreachable) are judged from the API alone.
      - Empty - the API alone.
    type: str
    default: ""
  window:
    description:
      - A weekly maintenance window (UTC) - C(start) (V("HH:MM")), C(hours) (its length) and C(days) (V(mon) to V(sun),
        default every day). Outside it, a due host is C(held_back) unless it has no working credential (none, C(EXPIRED),
        C(ERROR), lost files) or its certificate expires before the next window starts.
      - Unset - always open.
    type: dict
  name_pattern:
    description:
      - A regular expression (Python C(re.search)); only credentials whose name matches it are in scope for the findings
        about credentials (C(orphans), C(expired), C(error), C(stuck_creating), C(duplicates)), so that a domain shared with
        other teams or tools reports only this inventory's. Empty - every credential of the domain.
    type: str
    default: ""
  creating_timeout:
    description: Minutes after its creation from which a credential still C(CREATING) is reported as stuck.
    type: int
    default: 60
  prune_orphans:
    description:
      - Delete the orphans. Needs O(held_var), so that a credential whose certificate a reachable host holds is never one.
        Run it in check mode first.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for a credential still C(CREATING) before deleting it.
    type: int
    default: 120
  metrics_file:
    description:
      - A node_exporter text file on the controller with the fleet's counts (C(okms_fleet_credentials) by status,
        C(okms_fleet_hosts) by state, C(okms_fleet_findings) by kind, C(okms_fleet_earliest_expiration_timestamp_seconds),
        C(okms_fleet_audit_timestamp_seconds)), written atomically (not in check mode). Empty - none.
    type: path
    default: ""
  table_limit:
    description: At most this many rows per section in RV(table) (the JSON results hold every row).
    type: int
    default: 50
notes:
  - The API secrets stay on the controller - the task runs there, the hosts never receive them.
  - Requests - one authentication and one listing per KMS domain (C(ceil(M/1000)) pages for M credentials), plus one
    deletion per pruned orphan.
seealso:
  - module: okms.access.okms_client
  - module: okms.access.okms_certificate_info
"""

EXAMPLES = r"""
- name: Which hosts are due, and what the domain holds that no host uses
  okms.access.okms_audit:
    hosts: "{{ groups['okms_clients'] }}"
    name_pattern: "^web-"
    window: {days: [sat, sun], start: "02:00", hours: 4}
  register: audit

- name: Show the report
  ansible.builtin.debug:
    msg: "{{ audit.table }}"

- name: Delete the orphans, after the hosts' files were read (check mode first)
  okms.access.okms_audit:
    hosts: "{{ groups['okms_clients'] }}"
    held_var: okms_audit__held
    prune_orphans: true
    metrics_file: /var/lib/prometheus/node-exporter/okms_fleet.prom
  check_mode: true
"""

RETURN = r"""
due:
  description: The hosts the role should run on now.
  returned: always
  type: list
  elements: str
held_back:
  description: Due hosts left for the next maintenance window.
  returned: always
  type: list
  elements: str
hosts:
  description:
    - Per host - C(name), C(okms_id), C(credential_id) (empty without one), C(status), C(expired_at), C(expires_in_days),
      C(due), C(held_back), C(reasons) (each a C(reason) code naming the variable and a C(message)), C(checked) (its files
      were read).
  returned: always
  type: dict
findings:
  description:
    - Lists by kind - C(orphans), C(expired), C(error), C(stuck_creating) (credentials - C(id), C(name), C(status),
      C(expired_at)), C(duplicates) (C(name), C(ids)), C(expiring), C(without_credential), C(identity_drift) (hosts -
      C(host), C(name), C(credential_id), C(expires_in_days), C(reasons)); every row has C(okms_id).
  returned: always
  type: dict
pruned:
  description: Ids of the orphans deleted (in check mode - that would be deleted).
  returned: always
  type: list
  elements: str
domains:
  description: Per KMS domain - C(credentials) (listed), C(hosts), C(statuses) (credentials by status).
  returned: always
  type: dict
window:
  description: C(inside) (the maintenance window is open) and C(next_start) (RFC 3339, null without a window).
  returned: always
  type: dict
table:
  description: The readable report, one line per item.
  returned: always
  type: list
  elements: str
"""
