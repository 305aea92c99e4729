# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""_lock: exclusive flock locks with a timeout, their paths, and the private lock directory."""

from __future__ import annotations

import os
import re
import stat
import subprocess

import pytest

from ansible_collections.okms.access.plugins.module_utils._lock import (
    LockDirectoryError,
    LockTimeout,
    ensure_private_directory,
    _alive,
    _holder,
    _take_for,
    exclusive_lock,
    hold_until_exit,
    name_lock_directory,
    name_lock_path,
    pair_lock_path,
    private_directory_problem,
)


class FakeTime:
    """A monotonic clock that advances only when the lock sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = 0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps += 1
        self.now += seconds


def test_a_held_lock_times_out_for_another_holder(tmp_path):
    path = str(tmp_path / "x.lock")
    fake = FakeTime()
    with exclusive_lock(path, 5, "the test"):
        # flock locks belong to the open file description: a second open conflicts even in the same process
        with pytest.raises(LockTimeout, match=r"the test .*5 seconds"):
            with exclusive_lock(path, 5, "the test", sleep=fake.sleep, monotonic=fake.monotonic):
                pass
    assert fake.now >= 5 and fake.sleeps > 1


def test_a_released_lock_can_be_taken_again(tmp_path):
    path = str(tmp_path / "x.lock")
    with exclusive_lock(path, 1, "the test"):
        pass
    with exclusive_lock(path, 0, "the test") as held:
        assert held == path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_lock_file_is_never_opened_through_a_link(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    link = tmp_path / "x.lock"
    link.symlink_to(target)
    with pytest.raises(OSError):
        with exclusive_lock(str(link), 1, "the test"):
            pass


@pytest.mark.parametrize("environ, expected", [
    ({"XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/okms-access-locks"),
    ({"XDG_RUNTIME_DIR": "relative"}, "/tmp/okms-access-locks-%d" % os.getuid()),
    ({"XDG_RUNTIME_DIR": ""}, "/tmp/okms-access-locks-%d" % os.getuid()),
    ({}, "/tmp/okms-access-locks-%d" % os.getuid()),
])
def test_name_lock_directory(environ, expected):
    assert name_lock_directory(environ) == expected


def test_name_lock_paths_differ_by_domain_and_name_and_hide_the_name():
    paths = {name_lock_path("/d", okms_id, name) for okms_id, name in [("a", "b"), ("a", "c"), ("b", "b"), ("a\0b", ""), ("a", "b\0")]}
    assert len(paths) == 5
    assert all(os.path.dirname(path) == "/d" and re.match(r"^[0-9a-f]{32}\.lock$", os.path.basename(path)) for path in paths)
    assert name_lock_path("/d", "a", "../../etc/x").startswith("/d/")


@pytest.mark.parametrize("path, expected", [
    ("/etc/okms/domain.key", "/etc/okms/.domain.key.lock"),
    ("/etc/okms/client.cert", "/etc/okms/.client.cert.lock"),
])
def test_pair_lock_path(path, expected):
    assert pair_lock_path(path) == expected


class Stat:
    def __init__(self, mode, uid):
        self.st_mode = mode
        self.st_uid = uid


@pytest.mark.parametrize("mode, uid, problem", [
    (stat.S_IFDIR | 0o700, 1000, None),
    (stat.S_IFDIR | 0o755, 1000, None),
    (stat.S_IFLNK | 0o777, 1000, "not a directory"),
    (stat.S_IFREG | 0o600, 1000, "not a directory"),
    (stat.S_IFDIR | 0o700, 0, "another user"),
    (stat.S_IFDIR | 0o1777, 1000, "writable by the group or others"),
    (stat.S_IFDIR | 0o770, 1000, "writable by the group or others"),
])
def test_private_directory_problem(mode, uid, problem):
    found = private_directory_problem(Stat(mode, uid), 1000)
    assert (found is None) if problem is None else (problem in found)


def test_ensure_private_directory_creates_it_0700(tmp_path):
    directory = str(tmp_path / "locks")
    ensure_private_directory(directory)
    ensure_private_directory(directory)
    assert stat.S_IMODE(os.lstat(directory).st_mode) == 0o700


def test_ensure_private_directory_refuses_a_link_or_an_open_directory(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(LockDirectoryError, match="not a directory"):
        ensure_private_directory(str(link))
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    open_dir.chmod(0o777)
    with pytest.raises(LockDirectoryError, match="writable by the group or others"):
        ensure_private_directory(str(open_dir))


def test_a_play_lock_lasts_as_long_as_the_process_it_watches(tmp_path):
    path = str(tmp_path / "name.lock")
    playbook = subprocess.Popen(["sleep", "60"])
    try:
        holder = hold_until_exit([path, path], 1, playbook.pid, "the name")
        with pytest.raises(LockTimeout, match="the name"):
            with exclusive_lock(path, 0.2, "the name"):
                pass
        # The same playbook's next play: held already.
        assert hold_until_exit([path], 0.2, playbook.pid, "the name") > 0
        with pytest.raises(LockTimeout, match="another run has held the lock on the name"):
            hold_until_exit([path], 0.2, os.getpid(), "the name")
    finally:
        playbook.kill()
        playbook.wait()
    os.waitpid(holder, 0)
    with exclusive_lock(path, 2, "the name"):
        pass


def test_take_for_writes_the_pid_it_holds_for_and_knows_its_own(tmp_path):
    path = str(tmp_path / "name.lock")
    descriptor = _take_for(path, 1, 4242, "the name")
    try:
        assert _holder(descriptor) == 4242
        assert _take_for(path, 1, 4242, "the name") is None
        fake = FakeTime()
        with pytest.raises(LockTimeout):
            _take_for(path, 1, 4343, "the name", sleep=fake.sleep, monotonic=fake.monotonic)
    finally:
        os.close(descriptor)
    with open(path, "w", encoding="ascii") as handle:
        handle.write("not a pid")
    with open(path, "rb") as handle:
        assert _holder(handle.fileno()) is None


def test_alive():
    assert _alive(os.getpid())
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert not _alive(finished.pid)
    assert _alive(1)
