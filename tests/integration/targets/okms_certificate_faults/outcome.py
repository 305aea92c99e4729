#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""outcome.py same|different RESULT_A RESULT_B: checks the two concurrent runs' results and prints the row's outcome.

Same paths: both succeed, exactly one of them creates the credential. Different paths: exactly one creates it; the
other either fails saying the key at its own path is lost (regenerate=fail), or found nothing to do. Exits 1 otherwise.
"""

import json
import sys


def describe(result):
    if result.get("failed"):
        return "failed (%s)" % ("key lost, regenerate=fail" if "private key is lost" in result.get("msg", "") else result.get("msg", "")[:80])
    return "changed" if result.get("changed") else "ok"


def main(argv):
    kind = argv[1]
    results = []
    for path in argv[2:4]:
        with open(path, encoding="utf-8") as handle:
            results.append(json.load(handle))
    outcomes = sorted(describe(result) for result in results)
    expected = [["changed", "ok"]] if kind == "same" else [["changed", "failed (key lost, regenerate=fail)"]]
    print(" / ".join(outcomes))
    return 0 if outcomes in expected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
