"""Synthetic fund database: the operational source every pipeline stage extracts from.

``seed_source`` creates and fills it (employers with realistic duplicates and dirt, declarations,
receivables, titles, ledger payments, plans, proceedings, disputes) and writes the duplicates truth
beside it; ``export_dedupe_sample`` turns the employers into a labelled sample for the dedupe CLI.
See docs/synthetic-data.md.
"""

from __future__ import annotations

from recouvra.standins.generator.export import export_dedupe_sample
from recouvra.standins.generator.seed import GENERATOR_VERSION, SCALES, SeedReport, seed_source

__all__ = ["GENERATOR_VERSION", "SCALES", "SeedReport", "export_dedupe_sample", "seed_source"]
