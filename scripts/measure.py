"""Run a command and record its wall time and peak memory: ``measure.py STATS -- CMD ARGS...``.

Peak memory is ``ru_maxrss`` from ``wait4``: the largest resident set of the command or of any process
it waited for (Airflow's task runner, normalisation workers), not a sum. ``STATS`` receives one line,
``<seconds> <peak MiB>``; the command's exit status is passed on. No dependency beyond the standard
library, so the demo can time any step (GNU time is not on every machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        print("usage: measure.py STATS -- CMD [ARGS...]", file=sys.stderr)
        return 2
    stats, cmd = argv[0], argv[2:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    with open(stats, "w", encoding="utf-8") as out:
        out.write(f"{time.monotonic() - t0:.1f} {usage.ru_maxrss / 1024:.0f}\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
