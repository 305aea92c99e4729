# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Safe writes of key and certificate files, and the checks of the paths they are written to.

A file is written through a temporary file in its own directory, created with mode 0600 from the first
byte (O_CREAT|O_EXCL|O_NOFOLLOW), synced to disk, given its final owner, group and mode through its file
descriptor, then renamed over the destination: a reader sees the old file or the new one, never a partial
or world-readable key. Nothing is ever done through a path that could follow a link planted by someone
else, and a new file never takes the owner of what it replaces: it belongs to the writing user unless the
task names an owner or group.
Before writing, the directory and the destination are checked: a directory that other users may write
to (unless sticky and owned by root or the writing user), and a destination that is a symbolic link,
a FIFO, a device or a socket are refused. Problems are returned as text (for input checks) or raised as
UnsafePathError, an OSError, so that a caller holding a key that exists nowhere else can still react.
"""

from __future__ import annotations

import binascii
import errno
import grp
import os
import pwd
import re
import stat

_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")

# The modes of the files the collection writes, each defined here only: private keys and secret files, a private key
# that its group reads, public files (certificates, CA, okms-cli configuration, metrics), the role's directory.
SECRET_MODE = "0600"
GROUP_SECRET_MODE = "0640"
PUBLIC_MODE = "0644"
DIRECTORY_MODE = "0750"

# File types that are never written to nor read from: opening a FIFO blocks until a writer appears.
_SPECIAL_FILE_TYPES = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafePathError(OSError):
    """A path a key or certificate must not be written through; ``str()`` says why and how to fix it."""

    def __str__(self):
        return self.args[0]


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


def directory_of(path):
    """The directory ``path`` is created in, as written: ``a/missing/../k`` keeps ``a/missing/..``, which the system
    resolves (and refuses) as it would when opening the file, where a normalized path would hide the missing part."""
    return os.path.dirname(path) or os.curdir


def directory_problem(path):
    """Why the directory of ``path`` cannot safely hold a key or certificate file; None when it can.

    Other users who may write to the directory could swap the file between its check and its use, so such a
    directory is refused, except a sticky one (like /tmp) owned by root or the writing user, where they can
    remove or rename only their own files.
    """
    directory = directory_of(path)
    try:
        status = os.stat(directory)
    except FileNotFoundError:
        return ("the directory %s does not exist (or goes through one that does not); create it first "
                "(e.g. with ansible.builtin.file state=directory)" % directory)
    except NotADirectoryError:
        return "%s is not a directory (a part of it is a file); give a path inside an existing directory" % directory
    except OSError as exc:
        return "the directory %s cannot be examined (%s)" % (directory, exc.strerror)
    if not stat.S_ISDIR(status.st_mode):
        return "%s is not a directory; give a path inside an existing directory" % directory
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not _protected_shared_directory(status):
        return ("the directory %s (mode %04o, owner uid %d) can be written by other users, who could replace the file; "
                "remove their write access (chmod go-w %s) or choose a directory only its owner can write to"
                % (directory, stat.S_IMODE(status.st_mode), status.st_uid, directory))
    return None


def unwritable_directory_problem(path):
    """Why the writing user cannot create ``path`` in its directory (checked before anything is created); None when it can."""
    directory = directory_of(path)
    if os.path.isdir(directory) and not os.access(directory, os.W_OK | os.X_OK):
        return ("the directory %s is not writable by the user running the module (uid %d); run the task as a user who can "
                "write there (e.g. become: true) or choose another directory" % (directory, os.geteuid()))
    return None


def _protected_shared_directory(status):
    """A sticky directory owned by root or the writing user: nobody else can rename or remove our files in it."""
    return bool(status.st_mode & stat.S_ISVTX) and status.st_uid in (0, os.geteuid())


def destination_problem(path):
    """Why the file at ``path`` cannot be replaced by a key or certificate; None when absent or a regular file."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return "%s cannot be examined (%s)" % (path, exc.strerror)
    if stat.S_ISLNK(status.st_mode):
        return ("%s is a symbolic link (to %s); files are never written through a link, which could point anywhere: "
                "set the option to the real file's path" % (path, os.readlink(path)))
    if stat.S_ISDIR(status.st_mode):
        return "%s is a directory; give the path of a file inside it" % path
    for is_type, what in _SPECIAL_FILE_TYPES:
        if is_type(status.st_mode):
            return "%s is %s, not a regular file; remove it or choose another path" % (path, what)
    return None


def path_problem(path):
    """directory_problem() or destination_problem() of ``path``, the directory first."""
    return directory_problem(path) or destination_problem(path)


def same_file_problems(paths):
    """Problems of options that name the same file, from ``paths`` [(option, path or None)].

    Paths are compared once resolved (symbolic links of directories and files, ``..``), and by inode when both
    files exist (hard links), so that one file is never written over another that must stay.
    """
    known = [(option, path, _identity(path)) for option, path in paths if path]
    problems = []
    for index, (option, path, identity) in enumerate(known):
        for other_option, other_path, other_identity in known[index + 1:]:
            if identity & other_identity:
                problems.append("%s and %s name the same file (%s and %s); give each its own file"
                                % (option, other_option, path, other_path))
    return problems


def _identity(path):
    """What makes two paths one file: the resolved path, and the (device, inode) when the file exists."""
    identity = {os.path.realpath(path)}
    try:
        status = os.stat(path)
    except OSError:
        return identity
    identity.add((status.st_dev, status.st_ino))
    return identity


def ensure_file(module, content, file_args):
    """Make the file hold ``content`` with the file options of ``file_args``; True when anything changed.

    In check mode nothing is written and the return value predicts the change. UnsafePathError when the path
    is not safe to write (see path_problem()).
    """
    _raise_path_problem(file_args["path"])
    if read_bytes(file_args["path"]) != content:
        if not module.check_mode:
            write_atomically(module, content, file_args)
        return True
    return module.set_fs_attributes_if_different(file_args, False)


def write_atomically(module, content, file_args, exclusive=False):
    """Write ``content`` to ``file_args['path']`` through a 0600 temporary file renamed over it (an unnamed one where
    the system has O_TMPFILE, given a name once complete: a process killed while writing leaves no file behind).

    With ``exclusive``, an existing file is never replaced: FileExistsError instead (the temporary file is linked to the
    path, which fails when the path exists, then unlinked), so that two writers never overwrite each other's file.

    The new file belongs to the writing user, or to the task's owner and group, whatever the file it replaces
    belonged to. Raises OSError (UnsafePathError when the path is not safe, see path_problem()), whose text never
    contains ``content``; the temporary file is removed on failure. SELinux context, file attributes and
    symbolic modes are applied by Ansible once the file is in place.
    """
    path = file_args["path"]
    _raise_path_problem(path)
    directory = directory_of(path)
    temporary = os.path.join(directory, ".%s.%s.tmp" % (os.path.basename(path), binascii.hexlify(os.urandom(6)).decode("ascii")))
    descriptor, anonymous = _open_temporary(directory, temporary)
    try:
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(descriptor, view):]
            _set_owner_and_mode(descriptor, file_args)
            os.fsync(descriptor)
            if anonymous:
                # The content gets a name only now, complete: a process killed while writing leaves no file behind.
                _link_anonymous(descriptor, path if exclusive else temporary)
        finally:
            os.close(descriptor)
        if exclusive and not anonymous:
            os.link(temporary, path)
            os.unlink(temporary)
        elif not exclusive:
            os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_directory(directory)
    module.set_fs_attributes_if_different(file_args, False)


def _link_anonymous(descriptor, path):
    """Give the unnamed file of ``descriptor`` the name ``path`` (linkat with AT_SYMLINK_FOLLOW on /proc/self/fd/N: the
    way open(2) documents; os.link only follows the magic link when given a directory descriptor)."""
    fds = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.link(str(descriptor), path, src_dir_fd=fds, follow_symlinks=True)
    finally:
        os.close(fds)


def _open_temporary(directory, temporary):
    """(descriptor, anonymous): an unnamed 0600 file in ``directory`` (Linux O_TMPFILE, linked into place once written),
    else the 0600 file ``temporary``, created here (never through a link)."""
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
        try:
            return os.open(directory, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600), True
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
    return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600), False


def remove_file(module, path):
    """Remove ``path`` if it exists (not in check mode); True when it existed."""
    if not os.path.lexists(path):
        return False
    if not module.check_mode:
        os.remove(path)
    return True


def _raise_path_problem(path):
    problem = path_problem(path)
    if problem:
        raise UnsafePathError(problem)


def _set_owner_and_mode(descriptor, file_args):
    """The task's owner and group (unset: the writing user's), then the numeric mode, on the new file itself."""
    uid = user_id(file_args["owner"]) if file_args.get("owner") is not None else -1
    gid = group_id(file_args["group"]) if file_args.get("group") is not None else -1
    if (uid, gid) != (-1, -1):
        os.fchown(descriptor, uid, gid)
    mode = numeric_mode(file_args.get("mode"))
    if mode is not None:
        # After fchown, which may clear setuid/setgid bits.
        os.fchmod(descriptor, mode)


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
