"""The agency simulator (``recouvra simulate-agencies``): synthetic recovery agencies for the demo
and the tests, answering the fund's files over SFTP as real agencies would (docs/simulator.md)."""

from __future__ import annotations

from recouvra.standins.simulator.run import AgencyReport, SimulationReport, SimulatorError, simulate_agencies

__all__ = ["AgencyReport", "SimulationReport", "SimulatorError", "simulate_agencies"]
