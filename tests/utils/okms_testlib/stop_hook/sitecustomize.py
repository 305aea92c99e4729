# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stop point between two renames, for the crash tests (okms_testlib.crash puts this directory on PYTHONPATH).

With OKMS_TEST_STOP_BETWEEN="KEY_PATH:CERT_PATH" and OKMS_TEST_STOP_MARKER=FILE in the environment, a Python process
that has renamed a file onto one of the two paths and is about to rename one onto the other creates FILE and waits for
a signal instead: the test sees FILE and kills the whole process tree there, between the two renames, whatever their
order. Without those variables nothing is changed.
"""

import os
import signal

_PATHS = [path for path in os.environ.get("OKMS_TEST_STOP_BETWEEN", "").split(":") if path]
_MARKER = os.environ.get("OKMS_TEST_STOP_MARKER", "")


def _install():
    done = set()

    def stop_before_second(destination):
        target = os.path.abspath(os.fspath(destination))
        if target not in _PATHS:
            return
        if done and target not in done:
            with open(_MARKER, "w", encoding="utf-8") as handle:
                handle.write("%d\n" % os.getpid())
            while True:
                signal.pause()  # until the test's SIGKILL
        done.add(target)

    def wrap(function):
        def renamed(src, dst, *args, **kwargs):
            stop_before_second(dst)
            return function(src, dst, *args, **kwargs)
        return renamed

    os.replace = wrap(os.replace)
    os.rename = wrap(os.rename)


if len(_PATHS) == 2 and _MARKER:
    _install()
