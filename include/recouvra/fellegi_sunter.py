"""A Fellegi-Sunter record-linkage model trained without labels (the method splink implements).

Each candidate pair is described by one *comparison level* per field (``-1`` = a side is missing,
``0`` = the values disagree, higher = closer agreement). For each field and level the model holds

- ``u``: how often two records of *different* entities fall in that level, estimated by comparing
  random pairs of records (almost all of them are non-matches);
- ``m``: how often two records of the *same* entity fall in it, estimated by expectation-maximisation
  on the blocked candidate pairs (``u`` fixed, ``m`` and the share of matches re-estimated in turn).

The evidence a field gives is its match weight ``log2(m / u)``; the weights add up (the fields are
taken as independent given the match status) and the sum plus the prior log-odds of the candidate set
is the log-odds that the pair is one entity. A value many records share (a common name, an
accountant's phone) proves less than a rare one: for *exact* levels ``u`` is replaced by the share of
records holding the value (term-frequency adjustment, as splink does).

Both estimates are shrunk towards documented priors (pseudo-counts), so that a file of twenty records
gets the priors and a file of a million the data's own figures. Everything is vectorised: EM runs on
the distinct level patterns (a few thousand), not on the pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FieldSpec", "FSModel", "fit"]


@dataclass(frozen=True)
class FieldSpec:
    """One compared field: level labels (index = level, 0 = disagree) and prior m and u per level."""

    name: str
    labels: tuple[str, ...]
    m_prior: tuple[float, ...]
    u_prior: tuple[float, ...]

    @property
    def levels(self) -> int:
        return len(self.labels)


@dataclass
class FSModel:
    """Trained probabilities: ``m[field][level]``, ``u[field][level]``, and ``lam``, the chance that two
    records drawn at random from the file are one entity (the prior)."""

    fields: tuple[FieldSpec, ...]
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    lam: float
    iterations: int = 0
    pairs: int = 0
    random_pairs: int = 0
    history: list[float] = field(default_factory=list)
    lam_candidates: float = 0.01  # expected share of matches among the candidate pairs
    # how often records of one name that the file's identifiers keep apart (two entities) hold one
    # mailbox: the upper bound of that share (recouvra.matching.namesakes_mail_share); 1 where the file
    # did not tell (too few such pairs, or a model stored before it was kept)
    namesakes_mail_share: float = 1.0

    def prior_weight(self, among_candidates: bool = False) -> float:
        """log2-odds of a match before any comparison: between two random records, or (``among_candidates``)
        between the two records of a candidate pair."""
        import math

        lam = self.lam_candidates if among_candidates else self.lam
        return math.log2(lam / (1.0 - lam))

    def field_weights(
        self,
        name: str,
        levels: np.ndarray,
        tf_u: np.ndarray | None = None,
        exact_level: int | None = None,
        rare_u: np.ndarray | None = None,
    ) -> np.ndarray:
        """``log2(m/u)`` of each pair's level of one field (0 where missing).

        ``tf_u`` (share of records holding the pair's value) replaces ``u`` at ``exact_level`` when it
        is larger: agreeing on a common value proves less than the average agreement. ``rare_u``
        (where > 0) replaces it when it is smaller: a value no other record of the file holds proves
        more than the average agreement (term-frequency adjustment both ways, as splink's).
        """
        import numpy as np

        m, u = self.m[name], self.u[name]
        lv = np.clip(levels, 0, None)
        mu = m[lv]
        uu = u[lv]
        if tf_u is not None and exact_level is not None:
            at_exact = levels == exact_level
            if rare_u is not None:
                uu = np.where(at_exact & (rare_u > 0), np.minimum(uu, np.where(rare_u > 0, rare_u, 1.0)), uu)
            uu = np.where(at_exact, np.maximum(uu, tf_u), uu)
        w = np.log2(mu / uu)
        return np.where(levels < 0, 0.0, w)

    def as_table(self) -> list[dict[str, object]]:
        """m, u and weight of every level: what the model learnt, for the docs and ``--explain``."""
        import math

        rows: list[dict[str, object]] = []
        for spec in self.fields:
            for lv, label in enumerate(spec.labels):
                m, u = float(self.m[spec.name][lv]), float(self.u[spec.name][lv])
                rows.append(
                    {
                        "field": spec.name,
                        "level": lv,
                        "label": label,
                        "m": round(m, 6),
                        "u": round(u, 8),
                        "weight": round(math.log2(m / u), 2),
                    }
                )
        return rows


def _pattern_codes(levels: dict[str, np.ndarray], fields: tuple[FieldSpec, ...]) -> np.ndarray:
    """One integer per pair for its combination of levels (missing = an extra level)."""
    import numpy as np

    code = np.zeros(len(next(iter(levels.values()))), dtype=np.int64)
    for spec in fields:  # in place: no temporary as long as the pairs (0.4 GB at 18 M pairs)
        code *= spec.levels + 1
        code += levels[spec.name]
        code += 1
    return code


def _code_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pattern codes in order and how many pairs have each, as ``np.unique(codes,
    return_counts=True)`` gives them, by counting (the patterns are a few million at most): no sorted
    copy of every pair's code (0.3 GB more at L's 18 M pairs)."""
    import numpy as np

    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.bincount(codes)
    present = np.flatnonzero(counts)
    return present.astype(np.int64), counts[present].astype(np.int64)


def _decode(codes: np.ndarray, fields: tuple[FieldSpec, ...]) -> dict[str, np.ndarray]:
    import numpy as np

    out: dict[str, np.ndarray] = {}
    rest = codes.copy()
    for spec in reversed(fields):
        out[spec.name] = (rest % (spec.levels + 1)).astype(np.int64) - 1
        rest //= spec.levels + 1
    return out


def estimate_u(
    levels: dict[str, np.ndarray],
    fields: tuple[FieldSpec, ...],
    pseudo: float = 10_000.0,
    weights: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``u`` per level from the levels of random pairs, shrunk towards the priors.

    ``weights`` (the chance each random pair is *not* a match) removes the few true matches a random
    sample holds: negligible in a large file, most of the agreeing pairs in a file of twenty records.
    """
    import numpy as np

    u: dict[str, np.ndarray] = {}
    for spec in fields:
        lv = levels[spec.name]
        ok = lv >= 0
        w = None if weights is None else weights[ok]
        counts = np.bincount(lv[ok], weights=w, minlength=spec.levels).astype(float)
        prior = np.asarray(spec.u_prior, dtype=float)
        prior = prior / prior.sum()
        u[spec.name] = (counts + pseudo * prior) / (counts.sum() + pseudo)
    return u


def _log_ratio(
    pat: dict[str, np.ndarray],
    fields: tuple[FieldSpec, ...],
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
) -> np.ndarray:
    import numpy as np

    out = np.zeros(len(next(iter(pat.values()))))
    for spec in fields:
        lv = pat[spec.name]
        ok = lv >= 0
        at = np.clip(lv, 0, None)
        out += np.where(ok, np.log(m[spec.name][at]) - np.log(u[spec.name][at]), 0.0)
    return out


def _em_m(
    pat: dict[str, np.ndarray],
    counts: np.ndarray,
    fields: tuple[FieldSpec, ...],
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    fixed: frozenset[str],
    *,
    lam0: float,
    max_iter: int,
    m_pseudo: float,
    tol: float,
) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """EM for ``m`` and the share of matches on one session's patterns, ``u`` fixed.

    Fields in ``fixed`` (those the session's pairs were selected on) are left out: every pair agrees
    on them, so they cannot tell matches from non-matches here. Returns the new ``m`` of the other
    fields, the expected matches per pattern, and the iterations run."""
    import numpy as np

    free = tuple(f for f in fields if f.name not in fixed)
    m = {k: v.copy() for k, v in m.items()}
    lam = lam0
    w = np.zeros(len(counts))
    iterations = 0
    for _ in range(max_iter):
        iterations += 1
        logit = np.log(lam) - np.log1p(-lam) + _log_ratio(pat, free, m, u)
        post = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
        w = counts * post
        new_lam = float(np.clip(w.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        delta = abs(new_lam - lam)
        for spec in free:
            lv = pat[spec.name]
            ok = lv >= 0
            num = np.bincount(lv[ok], weights=w[ok], minlength=spec.levels)
            prior = np.asarray(spec.m_prior, dtype=float) / sum(spec.m_prior)
            new_m = (num + m_pseudo * prior) / (num.sum() + m_pseudo)
            delta = max(delta, float(np.abs(new_m - m[spec.name]).max()))
            m[spec.name] = new_m
        lam = new_lam
        if delta < tol:
            break
    return m, w, iterations


def _m_from_labelled(
    levels: dict[str, np.ndarray],
    labelled: tuple[np.ndarray, frozenset[str]],
    fields: tuple[FieldSpec, ...],
    m: dict[str, np.ndarray],
    min_pairs: int,
    pseudo: float,
) -> dict[str, np.ndarray]:
    """``m`` counted on candidate pairs known to be one entity (``labelled``: a mask, and the fields
    that chose them, whose ``m`` they cannot tell), each field's count pulled towards its EM estimate
    by ``pseudo`` pairs. With fewer than ``min_pairs`` labelled pairs, ``m`` is unchanged; a field
    compared on fewer than ``min_pairs`` of them (missing on one side) keeps its EM estimate."""
    import numpy as np

    mask, chosen_by = labelled
    if int(mask.sum()) < min_pairs:
        return m
    out = dict(m)
    for spec in fields:
        if spec.name in chosen_by:
            continue
        lv = levels[spec.name][mask]
        lv = lv[lv >= 0]
        if len(lv) < min_pairs:
            continue
        counts = np.bincount(lv, minlength=spec.levels).astype(float)
        out[spec.name] = (counts + pseudo * m[spec.name]) / (counts.sum() + pseudo)
    return out


def fit(
    candidate_levels: dict[str, np.ndarray],
    random_levels: dict[str, np.ndarray],
    fields: tuple[FieldSpec, ...],
    *,
    sessions: dict[str, tuple[np.ndarray, frozenset[str]]] | None = None,
    labelled: tuple[np.ndarray, frozenset[str]] | None = None,
    min_labelled: int = 200,
    labelled_pseudo: float = 50.0,
    all_pairs: int | None = None,
    max_iter: int = 40,
    m_pseudo: float = 50.0,
    u_pseudo: float = 10_000.0,
    tol: float = 1e-5,
) -> FSModel:
    """Train the model as splink does, without labels (or with the labels the file's own identifiers give).

    1. ``u`` from the levels of random pairs;
    2. ``m`` by EM in *sessions*: each session is the subset of candidate pairs selected by one rule
       (``sessions[name] = (mask over the candidates, fields the rule fixes)``); the fixed fields are
       left out of that session's EM, and each field's ``m`` is the average over the sessions that
       estimated it, weighted by their expected matches. Without sessions: one EM on all candidates;
    2b. where ``labelled`` (a mask over the candidates known to be one entity, and the fields that
        chose them) holds at least ``min_labelled`` pairs: each other field's ``m`` counted on them
        instead (:func:`_m_from_labelled`), as splink's ``estimate_m_from_label_column``;
    3. the prior (``lam``: odds that two random records match) by EM over all pairs of the file, the
       pairs outside the candidates counting as non-matches (``all_pairs`` = n(n-1)/2);
    4. ``u`` again with each random pair weighted by its chance of not being a match (a small file's
       random pairs are mostly its matches), then 2, 2b and 3 again.
    """
    import numpy as np

    n_random = len(next(iter(random_levels.values()))) if random_levels else 0
    n_pairs = len(next(iter(candidate_levels.values()))) if candidate_levels else 0
    u = estimate_u(random_levels, fields, u_pseudo)
    m0 = {s.name: np.asarray(s.m_prior, dtype=float) / sum(s.m_prior) for s in fields}
    total = all_pairs or max(n_pairs, n_random, 1)
    model = FSModel(fields, dict(m0), u, 1e-4, pairs=n_pairs, random_pairs=n_random)
    if n_pairs == 0:
        return model
    sessions = sessions or {"all": (np.ones(n_pairs, dtype=bool), frozenset())}
    codes = _pattern_codes(candidate_levels, fields)
    if n_random:
        r_codes, r_inverse = np.unique(_pattern_codes(random_levels, fields), return_inverse=True)
        r_pat = _decode(r_codes, fields)
    all_codes, all_counts = _code_counts(codes)
    all_pat = _decode(all_codes, fields)
    # each session's patterns and their counts, the same in both rounds (a pass over its pairs' codes)
    patterns = {name: _code_counts(codes[mask]) for name, (mask, _) in sessions.items() if mask.sum() >= 1}
    m = dict(m0)
    prior = 1e-4
    for rnd in range(2):
        if rnd > 0 and n_random:
            logit = _log_ratio(r_pat, fields, m, u) + np.log(prior / (1 - prior))
            not_match = 1.0 / (1.0 + np.exp(np.clip(logit, -50, 50)))
            u = estimate_u(random_levels, fields, u_pseudo, not_match[r_inverse.ravel()])
        sums = {s.name: np.zeros(s.levels) for s in fields}
        mass = {s.name: 0.0 for s in fields}
        for name, (_, fixed) in sessions.items():
            if name not in patterns:
                continue
            pc, counts = patterns[name]
            pat = _decode(pc, fields)
            m_s, w, it = _em_m(
                pat,
                counts.astype(float),
                fields,
                m,
                u,
                fixed,
                lam0=0.5,
                max_iter=max_iter,
                m_pseudo=m_pseudo,
                tol=tol,
            )
            model.iterations += it
            for spec in fields:
                if spec.name in fixed:
                    continue
                weight = float(w[pat[spec.name] >= 0].sum())
                sums[spec.name] += weight * m_s[spec.name]
                mass[spec.name] += weight
        m = {s.name: (sums[s.name] / mass[s.name]) if mass[s.name] > 0 else m0[s.name] for s in fields}
        if labelled is not None:
            m = _m_from_labelled(candidate_levels, labelled, fields, m, min_labelled, labelled_pseudo)
        # the prior: expected matches among the candidates over all pairs of the file
        ratio = _log_ratio(all_pat, fields, m, u)
        for _ in range(100):
            logit = np.log(prior / (1 - prior)) + ratio
            expected = float((all_counts / (1.0 + np.exp(-np.clip(logit, -50, 50)))).sum())
            new = float(np.clip(expected / total, 1e-12, 0.5))
            if abs(np.log(new / prior)) < 1e-4:
                prior = new
                break
            prior = new
        model.history.append(prior)
    model.m, model.u, model.lam = m, u, prior
    # the share of matches among the candidate pairs: a prior that does not shrink as the file grows
    model.lam_candidates = float(np.clip(prior * total / n_pairs, 1e-9, 0.5))
    return model
