# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This plugin_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Module runs whose arguments never reach a file: the collection's action plugins pipeline every module they run.

Without pipelining, Ansible writes each module, its arguments embedded, to ``AnsiballZ_<module>.py`` in a temporary
directory (``remote_tmp`` on the host, which is the controller for ``delegate_to: localhost``) and removes it when the
module ends - never when the run is killed. The arguments of this collection's modules hold API secrets, private keys
and secret data, so its action plugins send the module over the connection's standard input instead, whatever
``pipelining`` is set to, when the connection can: every connection that has pipelining (local, ssh, ...), unless the
become method cannot pipeline (su), ``keep_remote_files`` is set, or the task is async. Then Ansible's own choice
applies, with a warning.
"""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display

from ansible_collections.okms.access.plugins.plugin_utils._collection import version_environment

display = Display()


def can_pipeline(connection, wrap_async=False):
    """Whether ``connection`` can run a module over its standard input (the conditions of Ansible's own pipelining)."""
    become = connection.become
    # ansible-core < 2.19 has no "pipelining" on become plugins: su is the one that cannot (as its ActionBase decides).
    become_can = become is None or getattr(become, "pipelining", become.name != "su")
    return bool(connection.has_pipelining and become_can and not C.DEFAULT_KEEP_REMOTE_FILES
                and (not wrap_async or connection.has_native_async))


class PipelinedModules:
    """Mixin for an ActionBase: its module runs are pipelined whenever the connection can (see the module's text), with
    the collection's version in their environment."""

    _okms_warned = False

    def _is_pipelining_enabled(self, module_style, wrap_async=False):
        if module_style == "new" and can_pipeline(self._connection, wrap_async):
            return True
        if not self._okms_warned:
            self._okms_warned = True
            display.warning("%s: the connection cannot pipeline the module (become method su, keep_remote_files or async), so "
                            "Ansible writes the module with its arguments, secrets included, to a temporary file until it "
                            "ends" % self._task.action)
        return super()._is_pipelining_enabled(module_style, wrap_async)

    def _compute_environment_string(self, raw_environment_out=None):
        # The module's API client names the collection's version in its User-Agent; only the controller can read it.
        task_environment = super()._compute_environment_string(raw_environment_out)
        return " ".join(part for part in (self._connection._shell.env_prefix(**version_environment()), task_environment) if part)


class PipelinedModuleAction(PipelinedModules, NormalAction):
    """The action plugin of a module of the collection: Ansible's normal action, pipelined."""
