"""What the agency simulator keeps between runs (recouvra.standins.simulator.run): its state file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from recouvra.standins.simulator.emit import AgencyState
from recouvra.standins.simulator.run import SimulatorError, load_state, save_state


def test_a_missing_state_is_a_fresh_one_and_a_saved_state_comes_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "agencies" / "AG01" / "state.json"
    fresh = load_state(path, "AG01", 7)
    assert fresh == AgencyState("AG01", 7) and not path.exists()
    state = AgencyState("AG01", 7, until=dt.date(2026, 12, 15), seq={"ACTIONS_20261211": 2},
                        reported={"D202611-000001|2026-08": "100.00"},
                        files={"AG01_ACTIONS_20261211_01.csv": "ab"}, acks={"ack.json": "ACCEPTED"},
                        lost=["ACT-1"])
    state.mark_sent("ACTIONS", "ACT-2")
    save_state(path, state)
    assert not path.with_name("state.json.tmp").exists()
    assert json.loads(path.read_text(encoding="utf-8"))["until"] == "2026-12-15"
    again = load_state(path, "AG01", 7)
    assert again.to_dict() == state.to_dict() and again.was_sent("ACTIONS", "ACT-2")


def test_a_state_made_with_another_seed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(path, AgencyState("AG01", 7))
    with pytest.raises(SimulatorError, match="made with seed 7, not 8"):
        load_state(path, "AG01", 8)
