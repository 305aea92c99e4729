# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filter the secrets role checks its files' modes with, before any API call; and the module's own check."""

from __future__ import annotations

from ansible_collections.okms.access.plugins.filter.file_mode_problems import FilterModule
from ansible_collections.okms.access.plugins.modules import okms_secret_file
from ansible_collections.okms.access.tests.unit.plugins.module_args import run_module

file_mode_problems = FilterModule().filters()["file_mode_problems"]


def test_each_bad_mode_is_named_by_its_item():
    files = [{"dest": "/a", "mode": "0640"}, {"dest": "/b"}, {"dest": "/c", "mode": 600}, {"dest": "/d", "mode": "rw"}]
    assert file_mode_problems(files, variable="okms_secrets_files") == [
        "okms_secrets_files[2] (/c): mode: the unquoted number 600 is ambiguous: YAML reads 600 as the decimal number 600 "
        "(mode 1130) and 0600 as 384 (mode 0600); quote it: '0600'",
        "okms_secrets_files[3] (/d): mode: 'rw' is not a file mode; use an octal string such as '0644' or a symbolic mode such "
        "as 'u=rw,go=r'"]
    assert file_mode_problems([]) == []


def test_the_module_refuses_a_bad_mode_owner_or_group_before_writing(tmp_path):
    for bad in (dict(mode=600), dict(mode="rw"), dict(owner="okms-no-such-user"), dict(group="okms-no-such-group")):
        result = run_module(okms_secret_file.main, dict(dest=str(tmp_path / "secret"), content="s3cret", **bad))
        assert result["failed"] and result["msg"].startswith("Invalid input: ")
        assert "s3cret" not in result["msg"]
        assert list(tmp_path.iterdir()) == []
    result = run_module(okms_secret_file.main, dict(dest=str(tmp_path / "secret"), content="s3cret", mode="0640"))
    assert result["changed"] and oct((tmp_path / "secret").stat().st_mode & 0o777) == "0o640"
