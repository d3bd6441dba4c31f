"""The generator tests' fixtures: the default settings, and one small source seeded once for the session."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from recouvra.config import Settings, load_settings
from recouvra.standins.generator import seed_source

_spec = importlib.util.spec_from_file_location("generator_sources", Path(__file__).with_name("sources.py"))
assert _spec is not None and _spec.loader is not None
sources = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sources)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The shipped configuration, the history ending with October 2026 (what these tests state)."""
    base = load_settings()
    return base.model_copy(update={"seed": base.seed.model_copy(update={"end_month": "2026-10"})})


@pytest.fixture(scope="session")
def seeded(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One small source seeded once for the session: (database file, truth dir)."""
    d = tmp_path_factory.mktemp("seed")
    db, truth = d / "source.db", d / "truth"
    seed_source(settings, scale=sources.N, seed=sources.SEED, url=f"sqlite:///{db}", truth_dir=truth,
                progress=False)
    return db, truth
