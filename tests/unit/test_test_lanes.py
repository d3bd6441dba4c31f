"""scripts/test.sh, `make test`'s two lanes, run with a stand-in for pytest.

The stand-in records the arguments and priority it was started with, waits a moment (the lanes must run
side by side), and exits with the status its lane is told to give (``STANDIN_UNIT_RC``,
``STANDIN_INTEGRATION_RC``). What is checked: each lane's tests and priority, the exit status of the
failing lane, the unit lane's log shown after the integration lane's output, the single-run forms, and
that a signal to the script leaves no lane running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test.sh"

STANDIN = """#!{python}
import os, sys, time
from pathlib import Path
args = sys.argv[1:]
lane = "unit" if "tests/unit" in args else "integration" if "tests/integration" in args else "single"
started = time.time()
with open(Path(os.environ["STANDIN_DIR"]) / f"{{lane}}.started", "w") as f:
    f.write(f"{{os.getpid()}} {{os.nice(0)}} {{' '.join(args)}}")
print(f"stand-in {{lane}} lane: {{' '.join(args)}}", flush=True)
time.sleep(float(os.environ.get("STANDIN_SLEEP", "0.5")))
(Path(os.environ["STANDIN_DIR"]) / f"{{lane}}.span").write_text(f"{{started}} {{time.time()}}")
sys.exit(int(os.environ.get(f"STANDIN_{{lane.upper()}}_RC", "0")))
"""


@pytest.fixture()
def standin(tmp_path: Path) -> dict[str, str]:
    """The environment that runs scripts/test.sh with the stand-in as its pytest."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "pytest"
    exe.write_text(STANDIN.format(python=sys.executable))
    exe.chmod(0o755)
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("STANDIN_", "TEST_LANES"))}
    return {**keep, "BIN": str(bin_dir), "STANDIN_DIR": str(tmp_path), "TMPDIR": str(tmp_path)}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def _started(env: dict[str, str], lane: str) -> tuple[int, int, str]:
    pid, nice, args = (Path(env["STANDIN_DIR"]) / f"{lane}.started").read_text().split(" ", 2)
    return int(pid), int(nice), args


def test_both_lanes_run_side_by_side_the_unit_lane_niced_and_shown_after(standin: dict[str, str]) -> None:
    run = _run({**standin, "STANDIN_SLEEP": "2"})
    assert run.returncode == 0, run.stdout + run.stderr
    # side by side: each lane started before the other ended
    (unit_start, unit_end), (integration_start, integration_end) = (
        map(float, (Path(standin["STANDIN_DIR"]) / f"{lane}.span").read_text().split())
        for lane in ("unit", "integration"))
    assert unit_start < integration_end and integration_start < unit_end
    _, unit_nice, unit_args = _started(standin, "unit")
    _, integration_nice, integration_args = _started(standin, "integration")
    assert unit_args.startswith("tests/unit tests/dags tests/bench ") and "--basetemp=" in unit_args
    assert integration_args.startswith("tests/integration ")
    assert unit_nice == min(integration_nice + 10, 19)  # (19: the lowest priority there is)
    out = run.stdout
    # the unit lane's output comes after the integration lane's, whole, with its own status line
    assert out.index("stand-in integration lane") < out.index("stand-in unit lane")
    assert "unit lane: pytest exit status 0" in out
    assert "integration lane exit status 0" in out
    assert list(Path(standin["TMPDIR"]).glob("recouvra-test.*")) == []  # its log and folder removed


@pytest.mark.parametrize(("unit_rc", "integration_rc", "expected"), [(0, 1, 1), (3, 0, 3), (3, 2, 2)])
def test_the_suite_fails_when_either_lane_fails(standin: dict[str, str], unit_rc: int, integration_rc: int,
                                                expected: int) -> None:
    run = _run({**standin, "STANDIN_UNIT_RC": str(unit_rc), "STANDIN_INTEGRATION_RC": str(integration_rc)})
    assert run.returncode == expected, run.stdout + run.stderr
    assert "stand-in unit lane" in run.stdout  # the failing run's log is shown all the same
    if unit_rc:
        kept = list(Path(standin["TMPDIR"]).glob("recouvra-test.*/unit-lane.log"))
        assert len(kept) == 1 and f"the unit lane's log stays in {kept[0]}" in run.stdout


@pytest.mark.parametrize(("args", "env"), [(("tests/unit/test_cli.py", "-x"), {}), ((), {"TEST_LANES": "1"})])
def test_arguments_or_one_lane_give_a_single_pytest(standin: dict[str, str], args: tuple[str, ...],
                                                    env: dict[str, str]) -> None:
    run = _run({**standin, **env, "STANDIN_SINGLE_RC": "4"}, *args)
    assert run.returncode == 4
    assert _started(standin, "single")[2] == " ".join(args)
    assert not (Path(standin["STANDIN_DIR"]) / "unit.started").exists()


def test_a_signal_to_the_script_stops_both_lanes(standin: dict[str, str]) -> None:
    proc = subprocess.Popen(["bash", str(SCRIPT)], env={**standin, "STANDIN_SLEEP": "60"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marks = [Path(standin["STANDIN_DIR"]) / f"{lane}.started" for lane in ("unit", "integration")]
    deadline = time.monotonic() + 20
    while not all(m.exists() and m.read_text() for m in marks) and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [_started(standin, lane)[0] for lane in ("unit", "integration")]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 143
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not yet reaped by its parent, here init) counts as gone
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")
