# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Safe writes and the checks of hostile paths (symbolic links, other users' files, shared directories, FIFOs).

These tests run as root, as the modules do on managed hosts (become), and use the user nobody as the other
user of the machine: root can chown to nobody, and a child process can become nobody.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import stat
import tempfile

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.okms.access.plugins.module_utils._files import (
    UnsafePathError,
    destination_problem,
    directory_problem,
    ensure_file,
    file_arguments,
    path_problem,
    same_file_problems,
    unwritable_directory_problem,
    write_atomically,
)
from ansible_collections.okms.access.tests.unit.plugins.module_utils.test_base import patch_module_args

NOBODY = 65534
KEY = b"-----BEGIN EC PRIVATE KEY-----\nnew key\n-----END EC PRIVATE KEY-----\n"
OLD = b"old content\n"


@pytest.fixture(autouse=True)
def as_root():
    assert os.geteuid() == 0, "these tests chown files to nobody: run them as root (as ansible-test units runs here)"


@pytest.fixture
def module_for():
    """module_for(**file_options) -> an AnsibleModule with the common file options (owner, group, mode, ...)."""
    with contextlib.ExitStack() as stack:
        def build(**args):
            stack.enter_context(patch_module_args(args))
            return AnsibleModule(argument_spec={}, add_file_common_args=True, supports_check_mode=True)
        yield build


@pytest.fixture
def write(module_for):
    """write(path, mode="0600", **file_options): write KEY at path as the module would; the file's lstat."""
    def write_key(path, mode="0600", **args):
        module = module_for(**args)
        write_atomically(module, KEY, file_arguments(module, str(path), mode))
        return os.lstat(str(path))
    return write_key


@pytest.fixture
def reachable_tmp():
    """A directory nobody can reach (pytest's own are 0700 root)."""
    path = tempfile.mkdtemp(prefix="okms-files-", dir="/tmp")
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    shutil.rmtree(path)


@pytest.fixture
def no_hang():
    """Fail (SIGALRM) instead of hanging forever, should a FIFO be opened."""
    def timeout(signum, frame):
        raise AssertionError("blocked on a FIFO")
    previous = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(5)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def directory(path, mode, uid=0):
    path.mkdir()
    os.chown(str(path), uid, uid)
    os.chmod(str(path), mode)
    return path


def file_of_nobody(path, mode=0o644):
    path.write_bytes(OLD)
    os.chown(str(path), NOBODY, NOBODY)
    os.chmod(str(path), mode)
    return path


def leftovers(folder):
    return sorted(name for name in os.listdir(str(folder)) if name.endswith(".tmp"))


def as_nobody(action):
    """Run ``action`` in a child process as nobody; the name of the exception it raised, or None."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running pytest's exit handlers
        os.close(read_end)
        outcome = b""
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            action()
        except BaseException as exc:  # pylint: disable=broad-except
            outcome = type(exc).__name__.encode()
        os.write(write_end, outcome)
        # Not os._exit: under coverage, ansible-test wraps it to save coverage data first, which nobody may not write;
        # the child would then go on running pytest as a second worker. SIGKILL ends it whatever is wrapped.
        os.kill(os.getpid(), signal.SIGKILL)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode()
    os.waitpid(pid, 0)
    return outcome or None


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
@pytest.mark.parametrize("mode, expected", [("0600", 0o600), ("0640", 0o640), ("0644", 0o644), ("0400", 0o400)])
def test_new_file_gets_the_task_mode_whatever_the_umask(tmp_path, write, umask, mode, expected):
    previous = os.umask(umask)
    try:
        status = write(tmp_path / "k.key", mode=mode)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(status.st_mode) == expected
    assert (tmp_path / "k.key").read_bytes() == KEY


@pytest.mark.parametrize("old_mode, mode, expected", [(0o644, "0600", 0o600), (0o600, "0644", 0o644), (0o666, "0600", 0o600)])
def test_replaced_file_gets_the_task_mode_not_the_old_one(tmp_path, write, old_mode, mode, expected):
    (tmp_path / "k.key").write_bytes(OLD)
    os.chmod(str(tmp_path / "k.key"), old_mode)
    assert stat.S_IMODE(write(tmp_path / "k.key", mode=mode).st_mode) == expected


@pytest.mark.parametrize("shared_mode", [0o755, 0o1777])
def test_new_key_never_takes_the_owner_of_the_file_it_replaces(reachable_tmp, write, shared_mode):
    """nobody's file at the key's path (in a private directory, and in a sticky shared one like /tmp): the key is the
    writer's (root), 0600, and nobody cannot read it."""
    folder = directory(reachable_tmp / "d", shared_mode)
    file_of_nobody(folder / "k.key")
    assert as_nobody(lambda: open(str(folder / "k.key"), "rb").close()) is None  # nobody reaches the path
    status = write(folder / "k.key")
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (0, 0, 0o600)
    assert as_nobody(lambda: open(str(folder / "k.key"), "rb").close()) == "PermissionError"
    assert leftovers(folder) == []


def test_owner_and_group_of_the_task_are_set_on_the_new_file(tmp_path, write):
    status = write(tmp_path / "k.key", owner="nobody", group=str(NOBODY))
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (NOBODY, NOBODY, 0o600)


def test_symlink_at_the_destination_is_refused_and_nothing_is_touched(tmp_path, write):
    target = file_of_nobody(tmp_path / "elsewhere")
    os.symlink(str(target), str(tmp_path / "k.key"))
    with pytest.raises(UnsafePathError) as error:
        write(tmp_path / "k.key")
    assert "is a symbolic link (to %s)" % target in str(error.value)
    assert "set the option to the real file's path" in str(error.value)
    assert os.path.islink(str(tmp_path / "k.key")) and target.read_bytes() == OLD
    assert os.stat(str(target)).st_uid == NOBODY
    assert leftovers(tmp_path) == []


def test_dangling_symlink_at_the_destination_is_refused(tmp_path, write):
    os.symlink(str(tmp_path / "nowhere"), str(tmp_path / "k.key"))
    with pytest.raises(UnsafePathError):
        write(tmp_path / "k.key")
    assert not os.path.exists(str(tmp_path / "nowhere"))


def test_symlinked_directory_is_followed_and_its_real_directory_checked(tmp_path, write):
    safe = directory(tmp_path / "safe", 0o700)
    os.symlink(str(safe), str(tmp_path / "link"))
    assert write(tmp_path / "link" / "k.key").st_uid == 0
    assert (safe / "k.key").read_bytes() == KEY

    open_to_all = directory(tmp_path / "open", 0o777)
    os.symlink(str(open_to_all), str(tmp_path / "open-link"))
    with pytest.raises(UnsafePathError) as error:
        write(tmp_path / "open-link" / "k.key")
    assert "can be written by other users" in str(error.value)
    assert os.listdir(str(open_to_all)) == []


@pytest.mark.parametrize("mode, owner, refused", [
    (0o777, 0, True),            # anyone may replace the file
    (0o775, 0, True),            # the group may
    (0o757, 0, True),
    (0o1777, 0, False),          # sticky, owned by root: /tmp
    (0o1777, NOBODY, True),      # sticky, but its owner (another user) may remove our files
    (0o1770, 0, False),
    (0o755, NOBODY, False),      # another user's directory that only it writes to
    (0o700, 0, False),
])
def test_directory_writable_by_others_is_refused_unless_sticky_and_ours(tmp_path, write, mode, owner, refused):
    folder = directory(tmp_path / "d", mode, owner)
    problem = directory_problem(str(folder / "k.key"))
    assert (problem is not None) == refused
    if refused:
        assert "chmod go-w %s" % folder in problem and "%04o" % mode in problem
        with pytest.raises(UnsafePathError):
            write(folder / "k.key")
        assert os.listdir(str(folder)) == []
    else:
        assert stat.S_IMODE(write(folder / "k.key").st_mode) == 0o600


@pytest.mark.parametrize("make, what", [
    (os.mkfifo, "is a FIFO (named pipe)"),
    (lambda path: os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3)), "is a character device"),
])
def test_special_file_at_the_destination_is_refused_without_opening_it(tmp_path, module_for, no_hang, make, what):
    path = str(tmp_path / "k.key")
    make(path)
    assert what in destination_problem(path)
    module = module_for()
    with pytest.raises(UnsafePathError):
        ensure_file(module, KEY, file_arguments(module, path, "0600"))
    with pytest.raises(UnsafePathError):
        write_atomically(module, KEY, file_arguments(module, path, "0600"))
    assert leftovers(tmp_path) == []


def test_socket_at_the_destination_is_refused(tmp_path):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "k.key"))
        assert "is a socket" in destination_problem(str(tmp_path / "k.key"))


@pytest.mark.parametrize("relative, fragment", [
    ("missing/k.key", "does not exist"),
    ("missing/../k.key", "does not exist"),       # the system resolves missing/.. and fails, abspath would not
    ("plain-file/k.key", "is not a directory"),
])
def test_missing_or_impossible_directory_is_refused(tmp_path, relative, fragment):
    (tmp_path / "plain-file").write_bytes(b"")
    assert fragment in path_problem(str(tmp_path / relative))


def test_directory_the_writer_cannot_write_to_is_found_before_writing(reachable_tmp, module_for):
    """As nobody, in root's directory: the problem is found by the check, and the write fails cleanly."""
    folder = directory(reachable_tmp / "d", 0o755)
    key = str(folder / "k.key")
    module = module_for()

    def check_then_write():
        problem = unwritable_directory_problem(key)
        assert problem and "not writable by the user running the module (uid %d)" % NOBODY in problem
        write_atomically(module, KEY, file_arguments(module, key, "0600"))

    assert as_nobody(check_then_write) == "PermissionError"
    assert unwritable_directory_problem(key) is None  # root may
    assert os.listdir(str(folder)) == []


def test_same_file_under_several_names_is_found(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(str(real), str(tmp_path / "link"))
    (real / "hard.key").write_bytes(OLD)
    os.link(str(real / "hard.key"), str(real / "hard.cert"))
    key, certificate = str(real / "k.key"), str(real / "c.cert")
    assert same_file_problems([("private_key_path", key), ("certificate_path", certificate), ("csr_path", None)]) == []
    assert same_file_problems([("private_key_path", key), ("certificate_path", key)]) == [
        "private_key_path and certificate_path name the same file (%s and %s); give each its own file" % (key, key)]
    for alias in (str(tmp_path / "link" / "k.key"), str(real / "sub" / ".." / "k.key"), str(real) + "//k.key"):
        problems = same_file_problems([("private_key_path", key), ("certificate_path", alias)])
        assert len(problems) == 1 and alias in problems[0], alias
    assert len(same_file_problems([("certificate_path", str(real / "hard.cert")), ("private_key_path", str(real / "hard.key"))])) == 1
    assert len(same_file_problems([("private_key_path", key), ("certificate_path", certificate), ("csr_path", key)])) == 1


def test_ensure_file_leaves_an_equal_file_alone_and_check_mode_writes_nothing(tmp_path, module_for):
    path = str(tmp_path / "c.cert")
    module = module_for()
    assert ensure_file(module, KEY, file_arguments(module, path, "0644")) is True
    inode = os.stat(path).st_ino
    assert ensure_file(module, KEY, file_arguments(module, path, "0644")) is False
    assert os.stat(path).st_ino == inode
    checking = module_for(_ansible_check_mode=True)
    assert ensure_file(checking, b"other", file_arguments(checking, path, "0644")) is True
    assert (tmp_path / "c.cert").read_bytes() == KEY


@pytest.mark.parametrize("exclusive", [False, True], ids=["replace", "exclusive"])
def test_a_writer_killed_before_the_rename_leaves_no_file(tmp_path, module_for, monkeypatch, exclusive):
    """The content is written to an unnamed file (O_TMPFILE): SIGKILL while it is written leaves nothing beside the key."""
    (tmp_path / "k.key").write_bytes(OLD)
    module = module_for()
    destination = tmp_path / ("k.key.new" if exclusive else "k.key")
    pid = os.fork()
    if pid == 0:  # the child: killed in the middle of the write, as a killed run's module is
        monkeypatch.setattr(os, "fsync", lambda descriptor: os.kill(os.getpid(), signal.SIGKILL))
        try:
            write_atomically(module, KEY, file_arguments(module, str(destination), "0600"), exclusive=exclusive)
        finally:
            os.kill(os.getpid(), signal.SIGKILL)
    dummy, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert leftovers(tmp_path) == [] and sorted(os.listdir(str(tmp_path))) == ["k.key"]
    assert (tmp_path / "k.key").read_bytes() == OLD
