# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module okms_iam_policy, run over the connection's standard input: its arguments never reach a file (plugin_utils/_pipelining.py)."""

from __future__ import annotations

from ansible_collections.okms.access.plugins.plugin_utils._pipelining import PipelinedModuleAction


class ActionModule(PipelinedModuleAction):
    pass
