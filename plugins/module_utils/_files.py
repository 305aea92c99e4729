# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Safe writes of key and certificate files.

A file is written through a temporary file in its own directory, created with mode 0600 from the first
byte (O_CREAT|O_EXCL), synced to disk, given its final owner, group and mode, then renamed over the
destination: a reader sees the old file or the new one, never a partial or world-readable key.
Owner, group and numeric modes are applied with plain os calls, which raise OSError rather than end
the module, so that a caller holding a key that exists nowhere else can still react.
"""

from __future__ import annotations

import binascii
import grp
import os
import pwd
import re

_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")


def read_bytes(path):
    """The file's content, None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def file_arguments(module, path, mode):
    """The module's file options (owner, group, SELinux, attributes) for ``path``; ``mode`` when the task sets none."""
    file_args = module.load_file_common_arguments(module.params, path=path)
    if file_args.get("mode") is None:
        file_args["mode"] = mode
    return file_args


def numeric_mode(mode):
    """The mode as an int when it is numeric (0644, '0644', '644'); None for a symbolic mode such as u=rw,g=r."""
    if isinstance(mode, int):
        return mode
    if isinstance(mode, str) and _OCTAL_MODE.match(mode):
        return int(mode, 8)
    return None


def user_id(owner):
    """uid of a user name or number; KeyError when no such user exists."""
    return int(owner) if str(owner).isdigit() else pwd.getpwnam(owner).pw_uid


def group_id(group):
    """gid of a group name or number; KeyError when no such group exists."""
    return int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid


def ensure_file(module, content, file_args):
    """Make the file hold ``content`` with the file options of ``file_args``; True when anything changed.

    In check mode nothing is written and the return value predicts the change.
    """
    if read_bytes(file_args["path"]) != content:
        if not module.check_mode:
            write_atomically(module, content, file_args)
        return True
    return module.set_fs_attributes_if_different(file_args, False)


def write_atomically(module, content, file_args):
    """Write ``content`` to ``file_args['path']`` through a 0600 temporary file renamed over it.

    Raises OSError (whose text never contains ``content``); the temporary file is removed on failure.
    SELinux context, file attributes and symbolic modes are applied by Ansible once the file is in place.
    """
    path = os.path.abspath(file_args["path"])
    temporary = os.path.join(os.path.dirname(path), ".%s.%s.tmp" % (os.path.basename(path), binascii.hexlify(os.urandom(6)).decode("ascii")))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(descriptor, view):]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        _set_owner_and_mode(temporary, path, file_args)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_directory(os.path.dirname(path))
    module.set_fs_attributes_if_different(file_args, False)


def remove_file(module, path):
    """Remove ``path`` if it exists (not in check mode); True when it existed."""
    if not os.path.lexists(path):
        return False
    if not module.check_mode:
        os.remove(path)
    return True


def _set_owner_and_mode(temporary, path, file_args):
    """The task's owner/group, else those of the file being replaced; then the numeric mode."""
    try:
        current = os.stat(path)
    except FileNotFoundError:
        current = None
    uid = user_id(file_args["owner"]) if file_args.get("owner") is not None else (current.st_uid if current else -1)
    gid = group_id(file_args["group"]) if file_args.get("group") is not None else (current.st_gid if current else -1)
    if (uid, gid) != (-1, -1):
        try:
            os.chown(temporary, uid, gid)
        except PermissionError:
            if file_args.get("owner") is not None or file_args.get("group") is not None:
                raise
            # Not allowed to keep another user's ownership: the new file stays the writer's.
    mode = numeric_mode(file_args.get("mode"))
    if mode is not None:
        os.chmod(temporary, mode)


def _sync_directory(directory):
    """Make the rename itself durable."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(descriptor)


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass
