# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``python -m okms_emulator --state-dir DIR [--host ADDR] [--port N] [--rest-port N] [--config FILE]``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from okms_emulator.accounts import ConfigError
from okms_emulator.emulator import INFO_FILE, Emulator, Options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m okms_emulator",
        description="Emulate the OVHcloud API (OKMS credentials) and a KMS domain's mTLS REST endpoint. "
                    "Writes STATE_DIR/%s when ready; SIGTERM or SIGINT stops it (exit 0)." % INFO_FILE,
    )
    parser.add_argument("--state-dir", required=True, help="directory of the persistent state (created if missing)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="API port (default 0: a free port)")
    parser.add_argument("--rest-port", type=int, default=0, help="KMS REST (mTLS) port (default 0: a free port)")
    parser.add_argument("--config", help="JSON file: settings, accounts and domains (see README.md)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv=None) -> int:
    """Run until SIGTERM or SIGINT; 0 then, 2 for a bad configuration, 1 when the servers cannot start."""
    args = _parser().parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    emulator = Emulator(Options(args.state_dir, args.host, args.port, args.rest_port, args.config, args.verbose))
    try:
        info = emulator.start()
    except (ConfigError, OSError) as exc:
        emulator.stop()
        print("okms_emulator: cannot start: %s" % exc, file=sys.stderr)
        return 2 if isinstance(exc, ConfigError) else 1
    print("okms_emulator: API %s, KMS REST %s, state %s" % (info["api_url"], info["rest_url"], info["state_dir"]), file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        pass
    emulator.stop()
    return 0
