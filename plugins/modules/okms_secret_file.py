#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_secret_file
short_description: Put secret data into a file safely
version_added: 0.1.0
description:
  - Writes the data of a secret (read from OKMS on the controller, for example by M(okms.access.okms_secret_info) or the
    P(okms.access.okms_secret#lookup) lookup), one field of it, or a text rendered from it, into a file on the host.
  - The file is written only when its content or its owner, group or mode differ, through a temporary file that is
    mode 0600 from its first byte, created without following links, and renamed over the destination atomically.
  - The content is never shown in output, diffs or errors. The role C(okms.access.secrets) uses this module.
  - This module talks to no API; it is not part of the C(group/okms.access.okms) action group.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - okms.access.pipelined
attributes:
  check_mode:
    support: full
    details:
      - Check mode writes nothing and predicts C(changed) exactly.
  diff_mode:
    support: full
    details:
      - The diff shows the path, whether the file exists, its owner, group and mode, and whether the content changes;
        never the content, nor a checksum of it.
  platform:
    platforms: posix
options:
  dest:
    description:
      - The file to write. Its directory must exist.
    type: path
    required: true
  data:
    description:
      - The secret's data (a JSON object). Without O(field) the file holds it as JSON.
      - Exactly one of O(data) and O(content) is required.
    type: raw
  field:
    description:
      - With O(data), the key of the data whose value the file holds - a string as it is, any other value as JSON.
    type: str
  content:
    description:
      - The text the file holds, for example rendered from several fields of a secret with a template.
    type: str
  mode:
    description:
      - The file's mode. Defaults to V(0600).
      - A quoted octal string (V('0640')), a symbolic mode (V(u=rw,g=r,o=)), or a number that YAML read from an unquoted mode
        with a leading zero (V(0640) is 416). An unquoted mode without one (V(640) is the decimal number 640, mode 1200) is
        refused with the quoted mode to write instead. A bad mode, owner or group is refused before anything is written.
notes:
  - The content goes to the host inside the module's arguments, like the C(content) of M(ansible.builtin.copy); it is
    never logged as O(data) and O(content) are C(no_log).
seealso:
  - module: okms.access.okms_secret_info
"""

EXAMPLES = r"""
- name: Read app/db once on the controller
  okms.access.okms_secret_info:
    okms_id: "{{ okms_id }}"
    path: app/db
    include_data: true
    list_versions: false
  delegate_to: localhost
  run_once: true
  no_log: true
  register: db_secret

- name: Write the database password, readable by the application's group
  okms.access.okms_secret_file:
    dest: /etc/app/db-password
    data: "{{ db_secret.secrets[0].version.data }}"
    field: password
    owner: root
    group: app
    mode: "0640"
"""

RETURN = r"""
dest:
  description: The file.
  returned: always
  type: str
  sample: /etc/app/db-password
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.okms.access.plugins.module_utils._files import SECRET_MODE, ensure_file, file_arguments, read_bytes
from ansible_collections.okms.access.plugins.module_utils._secret import SecretError, file_text, select_field
from ansible_collections.okms.access.plugins.module_utils._validation import fail_on_errors, file_option_errors


def file_view(path):
    """What the diff shows of a file: whether it exists, its owner, group and mode; never its content."""
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return dict(path=path, state="absent")
    return dict(path=path, state="file" if os.path.isfile(path) and not os.path.islink(path) else "other",
                owner=_name(pwd.getpwuid, status.st_uid, "pw_name"), group=_name(grp.getgrgid, status.st_gid, "gr_name"),
                mode="%04o" % (status.st_mode & 0o7777))


def predicted_view(before, file_args):
    """The file_view() the file will have once the task's owner, group and mode are applied (check mode)."""
    after = dict(before, state="file")
    for option in ("owner", "group"):
        if file_args.get(option) is not None:
            after[option] = str(file_args[option])
    mode = file_args["mode"]
    if isinstance(mode, int) or str(mode).isdigit():
        mode = "%04o" % (mode if isinstance(mode, int) else int(mode, 8))
    after["mode"] = str(mode)
    return after


def _name(lookup, number, attribute):
    try:
        return getattr(lookup(number), attribute)
    except KeyError:
        return str(number)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            data=dict(type="raw", no_log=True),
            field=dict(type="str"),
            content=dict(type="str", no_log=True),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
        mutually_exclusive=[("data", "content"), ("field", "content")],
        required_one_of=[("data", "content")],
    )
    dest = module.params["dest"]
    # Owner, group and mode are checked before the file is written: a bad one would fail once the data is on disk.
    fail_on_errors(module, file_option_errors(module.params))
    if os.path.isdir(dest):
        module.fail_json(msg="dest: %s is a directory; give the path of a file inside it" % dest)
    if not os.path.isdir(os.path.dirname(os.path.abspath(dest))):
        module.fail_json(msg="dest: the directory of %s does not exist; create it first" % dest)
    if module.params["content"] is not None:
        text = module.params["content"]
    else:
        try:
            text = file_text(select_field(module.params["data"], module.params["field"], "the secret data for %s" % dest))
        except SecretError as exc:
            module.fail_json(msg=str(exc))
    content = to_bytes(text, errors="surrogate_or_strict")
    file_args = file_arguments(module, dest, SECRET_MODE)
    before = file_view(dest)
    content_changes = read_bytes(dest) != content
    try:
        changed = ensure_file(module, content, file_args)
    except OSError as exc:
        module.fail_json(msg="cannot write %s: %s" % (dest, exc.strerror or exc))
    after = predicted_view(before, file_args) if module.check_mode else file_view(dest)
    if content_changes:
        after["content"] = "changed (not shown)"
    module.exit_json(changed=changed, dest=dest, diff=dict(before=before, after=after))


if __name__ == "__main__":
    main()
