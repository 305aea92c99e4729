#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The code is the action plugin plugins/action/okms_client.py: this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_client
short_description: One step of the role okms.access.client (an action plugin)
version_added: 0.1.0
description:
  - The steps of the role C(okms.access.client). Each runs on the controller, makes the OVH API calls itself, and runs
    M(okms.access.okms_client_files) on the host for the file work - at most once per step. The decisions are those of
    the collection's rules, which M(okms.access.okms_certificate) shares.
  - The steps read the role's variables and the results that earlier steps registered (C(okms_client__want),
    C(okms_client__start), C(okms_client__held), C(okms_client__plans), C(okms_client__request),
    C(okms_client__shared_key)); they are meant for the role's C(tasks/main.yml), not for playbooks.
  - V(check) checks and resolves the host's variables, before any API call.
  - V(start), once per play - the play's variables together, the lock of each credential name of the play (held until
    the playbook's process ends; not in check mode), one authentication for the play, the KMS domain's CA and endpoints.
  - V(read) - the host's files (staged ones included) and its access to the domain over mutual TLS.
  - V(plan), once per play - one GET by id per credential that the hosts' certificates name, or one listing when a host
    has none or an earlier run left something; then what each host needs and why, and what to do with what earlier runs
    left (adopt a staged key, finish a swap, delete what this controller's record proves its own, report the rest).
  - V(request) - the new credential of the host (in V(shared) mode, of the play), without waiting for it; an API-key
    create call is recorded on the controller before and after it, until its key is on a host.
  - V(apply) - waits for the new certificate, puts the new pair in place, fixes the files and checks the access; with
    C(okms_client_state=absent), deletes the credentials and removes the files.
  - V(cleanup) - deletes the credentials that the new pairs replace and those the plan proved left by earlier runs, unless
    another host holds one, it is called another name, or (V(shared) mode) hosts outside the run may hold it; names what
    it deletes and what it keeps.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the API and the hosts, writes nothing, and predicts C(changed).
  diff_mode:
    support: full
    details:
      - The diff shows the id of the credential before and after, never key material.
  platform:
    platforms: posix
options:
  step:
    description: The step to run.
    type: str
    required: true
    choices: [check, start, read, plan, request, apply, cleanup]
notes:
  - "IAM actions (prefix C(okms:apiovh:)) on the domain, for the role: C(resource/get) (step V(start)), C(credential/get),
    C(credential/create) (step V(request)) and C(credential/delete) (steps V(apply) with C(okms_client_state=absent),
    and V(cleanup)). The hosts' identities need C(okms:apikms:random/get) for the access check (a warning without it)."
seealso:
  - module: okms.access.okms_client_files
  - module: okms.access.okms_certificate
"""

EXAMPLES = r"""
- name: Plan every host of the play (in the role okms.access.client)
  okms.access.okms_client:
    step: plan
  run_once: true
  register: okms_client__plans
"""

RETURN = r"""
want:
  description: The host's resolved variables.
  returned: step is check
  type: dict
held:
  description: What the host holds (files, credential id of its certificate, public key hashes, access check).
  returned: step is read
  type: dict
hosts:
  description:
    - The plan of each host - C(issue), C(deploy), C(copy_from), C(reasons), C(old), the file work, C(changes); and what
      earlier runs left - C(adopt_id) (a credential whose key is staged on the host, put in place instead of a new one),
      C(finish_swap), C(discard_staged_key), C(delete) (credentials provably left by this controller's runs, deleted at
      cleanup), C(possible_orphans) (reported, never deleted), C(clone_of) (why the host's certificate is another host's).
  returned: step is plan
  type: dict
reasons:
  description: Why the host gets a new key and certificate, each with C(reason) (a code) and C(message).
  returned: step is apply
  type: list
  elements: dict
credential_id:
  description: The id of the new credential.
  returned: step is request
  type: str
deleted:
  description: Ids of the deleted credentials.
  returned: step is cleanup, or apply with state absent
  type: list
  elements: str
deletions:
  description: Each deleted credential - C(id), C(name) and C(why).
  returned: step is cleanup, or apply with state absent
  type: list
  elements: dict
kept:
  description:
    - Credentials the step could have deleted but kept - C(id), C(name) and C(why) (another host holds it, it is called
      another name, hosts outside the run may hold it); each is also a warning.
  returned: step is cleanup, or apply with state absent
  type: list
  elements: dict
possible_orphans:
  description: Ids of credentials of the name that nothing proves this controller's; reported, never deleted.
  returned: step is cleanup
  type: list
  elements: str
adopted:
  description: The credential whose staged key an earlier run left, put in place (empty when none).
  returned: step is apply
  type: str
"""
