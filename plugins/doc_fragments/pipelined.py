# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The modules whose action plugin pipelines them (plugins/plugin_utils/_pipelining.py): the okms.access.pipelined fragment.
    DOCUMENTATION = r"""
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details:
      - The action plugin only runs the module, pipelined (see the notes).
notes:
  - The module's action plugin pipelines it - the module and its arguments (API secrets, keys, secret data) go over the
    connection's standard input, whatever C(pipelining) is set to - so that no C(AnsiballZ_*.py) file holding them is left
    in C(remote_tmp) by a killed run. When the connection cannot pipeline (become method C(su), C(keep_remote_files),
    async), Ansible's own way applies, with a warning.
"""
