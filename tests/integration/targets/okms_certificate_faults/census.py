#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Census of one fault matrix row, taken through the API and the disk: the test library's okms_testlib.census.

census.py CONFIG TABLE ROW OUTCOME PREFIX DIR [FOREIGN_ID ...]
census.py CONFIG force-error PREFIX_NAME OLD_ID
(see okms_testlib.census.main)
"""

import sys
from pathlib import Path

# role_test.py puts the collection's tests/utils on sys.path when imported.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "role_client_common"))

# pylint: disable=wrong-import-position
import role_test  # noqa: E402,F401  pylint: disable=unused-import
from okms_testlib.census import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv))
