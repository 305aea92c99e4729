# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""One writer at a time: exclusive ``flock`` locks on lock files, taken with a timeout.

Two locks guard a credential: one per (KMS domain, credential name) on the machine running the module, in a
private directory of the user (``$XDG_RUNTIME_DIR/okms-access-locks``, else ``/tmp/okms-access-locks-<uid>``),
and one per key/certificate pair, a ``.<key file name>.lock`` file beside the files. A lock is released when
its file descriptor is closed, which the kernel also does when the process dies: a crashed run never leaves a
stale lock. Lock files are never removed (removing one while another process waits on it would let two
writers in).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import stat
import time

# Pause between two attempts at a busy lock, in seconds.
LOCK_POLL_INTERVAL = 0.05


class LockTimeout(Exception):
    """The lock stayed busy for the whole timeout."""


class LockDirectoryError(Exception):
    """The lock directory cannot be trusted (a link, another user's, open to others)."""


def name_lock_directory(environ=None):
    """The user's private lock directory: under XDG_RUNTIME_DIR (per user already), else a per-uid one in /tmp."""
    environ = os.environ if environ is None else environ
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "okms-access-locks")
    return "/tmp/okms-access-locks-%d" % os.getuid()


def name_lock_path(directory, okms_id, name):
    """The lock file of one credential name of one KMS domain (a hash: names may hold any printable character)."""
    # JSON keeps the two apart whatever characters they hold
    digest = hashlib.sha256(json.dumps([okms_id, name]).encode("utf-8")).hexdigest()[:32]
    return os.path.join(directory, "%s.lock" % digest)


def pair_lock_path(file_path):
    """The lock file beside a key (or certificate) file: ``.<file name>.lock`` in the same directory."""
    directory, base = os.path.split(os.path.abspath(file_path))
    return os.path.join(directory, ".%s.lock" % base)


def ensure_private_directory(directory):
    """Create ``directory`` with mode 0700, or check that the existing one is a real directory of ours, closed to others."""
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    problem = private_directory_problem(info, os.getuid())
    if problem:
        raise LockDirectoryError("%s %s; remove it or set XDG_RUNTIME_DIR to a private directory" % (directory, problem))


def private_directory_problem(info, uid):
    """Why a stat result cannot be a private lock directory of user ``uid`` (None when it can)."""
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory (a link or a file)"
    if info.st_uid != uid:
        return "belongs to another user (uid %d)" % info.st_uid
    if info.st_mode & 0o022:
        return "is writable by the group or others (mode %04o)" % stat.S_IMODE(info.st_mode)
    return None


@contextlib.contextmanager
def exclusive_lock(path, timeout, what, sleep=time.sleep, monotonic=time.monotonic):
    """Hold an exclusive lock on the file at ``path`` (created 0600, never through a link) for the ``with`` block.

    LockTimeout, naming ``what``, when another process holds it for ``timeout`` seconds.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        deadline = monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if monotonic() >= deadline:
                    raise LockTimeout("another run has held the lock on %s (%s) for %s seconds (wait_timeout)" % (what, path, timeout)) from None
                sleep(LOCK_POLL_INTERVAL)
        yield path
    finally:
        os.close(descriptor)


def hold_until_exit(paths, timeout, watch_pid, what, poll=0.2):
    """Take the locks at ``paths`` in a child process that holds them until process ``watch_pid`` ends.

    The role's steps run in short-lived worker processes, so a lock that must last the whole play is held by a child
    that outlives the worker and watches the playbook's process: when that process ends, or is killed, the child ends
    and the kernel releases the locks. A lock already held for the same ``watch_pid`` (another play of the same
    playbook run) counts as held. Returns the child's pid; raises LockTimeout when a lock stays busy ``timeout`` seconds.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe; test_lock.py checks what it does
        os.close(read_end)
        _detach(write_end)
        try:
            descriptors = [_take_for(path, timeout, watch_pid, what) for path in sorted(set(paths))]
            os.write(write_end, b"ok")
            os.close(write_end)
            while _alive(watch_pid):
                time.sleep(poll)
            del descriptors
        except BaseException as exc:  # pylint: disable=broad-exception-caught  # reported to the parent, which raises
            os.write(write_end, str(exc).encode("utf-8", "replace") or b"failed")
        finally:
            os.kill(os.getpid(), 9)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        answer = reader.read().decode("utf-8", "replace")
    if answer != "ok":
        os.waitpid(pid, 0)
        raise LockTimeout(answer)
    return pid


def _detach(keep):  # pragma: no cover - runs in the child of hold_until_exit
    """Close what the child inherited (the worker's pipes, the output a caller may wait on) but ``keep``."""
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):
        os.dup2(null, descriptor)
    os.closerange(3, keep)
    os.closerange(keep + 1, 65536)


def _take_for(path, timeout, watch_pid, what, sleep=time.sleep, monotonic=time.monotonic):
    """The descriptor of ``path`` locked for ``watch_pid`` (its pid written in the file), or None when ``watch_pid`` holds it already."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    deadline = monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if _holder(descriptor) == watch_pid:
                os.close(descriptor)
                return None
            if monotonic() >= deadline:
                os.close(descriptor)
                raise LockTimeout("another run has held the lock on %s (%s) for %s seconds (wait_timeout)" % (what, path, timeout)) from None
            sleep(LOCK_POLL_INTERVAL)
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, str(watch_pid).encode("ascii"), 0)
    return descriptor


def _holder(descriptor):
    """The pid written in a lock file by the process it is held for (None when it holds none)."""
    try:
        return int(os.pread(descriptor, 32, 0) or b"0") or None
    except ValueError:
        return None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
