# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: file_mode_problems
short_description: The problems of the modes of a list of files, before anything is written
version_added: 0.1.0
description:
  - Checks the C(mode) of each file of a list as M(okms.access.okms_secret_file) does, so that a role can refuse a bad
    mode before any API call (the role C(okms.access.secrets) does).
  - A mode is a quoted octal string (V('0600')), a symbolic mode (V(u=rw,go=)), or a number that YAML read from an
    unquoted mode with a leading zero (V(0600) is 384). A number read from an unquoted mode without one (V(600) is the
    decimal number 600, mode 1130) is refused, with the quoted mode to write instead.
author:
  - okms.access contributors (@okms-access)
options:
  _input:
    description: The files; each a dictionary whose C(mode), when set, is checked.
    type: list
    elements: dict
    required: true
  variable:
    description: The name of the list, which each problem starts with.
    type: str
    default: files
  label:
    description: The key of each item that names it in a problem (for example its destination path).
    type: str
    default: dest
seealso:
  - module: okms.access.okms_secret_file
"""

EXAMPLES = r"""
- name: Refuse the bad modes of okms_secrets_files before any API call
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join('; ') }}"
  vars:
    problems: "{{ okms_secrets_files | okms.access.file_mode_problems(variable='okms_secrets_files') }}"
"""

RETURN = r"""
_value:
  description:
    - "One sentence per bad mode, such as C(okms_secrets_files[0] (/etc/app/db): mode: the unquoted number 600 is ambiguous ...;
      quote it: '0600'); empty when every mode is good."
  type: list
  elements: str
"""

from ansible_collections.okms.access.plugins.module_utils._validation import file_mode_problem


def file_mode_problems(files, variable="files", label="dest"):
    problems = []
    for index, item in enumerate(files or []):
        problem = file_mode_problem(item["mode"]) if isinstance(item, dict) and item.get("mode") is not None else None
        if problem:
            problems.append("%s[%d] (%s): mode: %s" % (variable, index, item.get(label, "?"), problem))
    return problems


class FilterModule:
    def filters(self):
        return {"file_mode_problems": file_mode_problems}
