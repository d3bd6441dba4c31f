"""``simulate_agencies``: every demo agency, as its own SFTP user, fetches its drops, works its
dossiers and sends its return files; the payments it reports reach the fund's source ledger.

One agency at a time: connect with the agency's own login and key (``ag01``, never the fund's: it
may write only its ``inbox/``), download ``outbox/`` (``.part`` ignored,
packages checked against their manifests) and ``outbox/acks/``, plan and build the week's files
(:mod:`recouvra.standins.simulator.emit`), write the ledger rows recorded by ``until``, upload each file
(``.sha256`` sidecar first, every file as ``.part`` then renamed), then save the agency's state
(``<work_dir>/<AGENCY>.state.json``). A second run with the same ``until`` sends nothing.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recouvra.errors import RecouvraError
from recouvra.exchange.ack import Ack
from recouvra.exchange.errors import AckError
from recouvra.exchange.names import ACK_SUFFIX, ACKS, INBOX, OUTBOX, PROCESSED, sidecar_name
from recouvra.standins.simulator.emit import AgencyState, emit_agency
from recouvra.standins.simulator.ledger import write_ledger
from recouvra.standins.simulator.outbox import read_outbox

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

    from recouvra.config import Settings
    from recouvra.sftp.client import ParamikoSftpClient, SftpParams

log = logging.getLogger(__name__)


class SimulatorError(RecouvraError):
    """The simulator cannot run as asked (no server, a state made with another seed, ...)."""


@dataclass
class AgencyReport:
    """What one simulated agency did in a run."""

    agency: str
    dossiers: int = 0
    packages: list[str] = field(default_factory=list)
    sending_days: list[str] = field(default_factory=list)
    files_sent: list[str] = field(default_factory=list)
    intents: dict[str, int] = field(default_factory=dict)  # VALID, ROWS_MALFORMED, F008, DUPLICATE, ...
    file_intents: dict[str, str] = field(default_factory=dict)  # file name -> what it was built to be
    records: dict[str, int] = field(default_factory=dict)  # valid records sent, by type
    rows_sent: int = 0
    rows_malformed: int = 0
    row_faults: dict[str, int] = field(default_factory=dict)
    ledger_rows: int = 0
    acks: dict[str, int] = field(default_factory=dict)  # acks read this run, by status
    profiles: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class SimulationReport:
    """The whole run: one :class:`AgencyReport` per agency."""

    until: dt.date
    seed: int
    agencies: list[AgencyReport] = field(default_factory=list)

    @property
    def files_sent(self) -> int:
        return sum(len(a.files_sent) for a in self.agencies)

    @property
    def ledger_rows(self) -> int:
        return sum(a.ledger_rows for a in self.agencies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "until": self.until.isoformat(),
            "seed": self.seed,
            "agencies": [vars(a) for a in self.agencies],
        }

    def summary(self) -> str:
        lines = [
            f"agency simulation up to {self.until} (seed {self.seed}): {self.files_sent} file(s) sent, "
            f"{self.ledger_rows} ledger row(s) written"
        ]
        for a in self.agencies:
            recs = ", ".join(f"{k} {v}" for k, v in sorted(a.records.items())) or "nothing new"
            lines.append(
                f"  {a.agency}: {a.dossiers} dossiers, {len(a.files_sent)} files ({recs}); "
                f"{a.rows_malformed}/{a.rows_sent} rows malformed; {a.ledger_rows} ledger rows; "
                f"acks read {dict(sorted(a.acks.items())) or '{}'}"
            )
            lines.extend(f"    ! {p}" for p in a.problems)
        return "\n".join(lines)


def params_from_connections(settings: Settings, keys: Path) -> dict[str, SftpParams]:
    """Each agency's own login to its home, from the fund's connection to it (``AIRFLOW_CONN_<ID>``:
    host, port, pinned host key; the agency's login is the fund's without ``fund-``, as
    ``scripts/sftp-host.sh`` names them) and the agency's key ``<keys>/<AGENCY>_ed25519``."""
    from recouvra.connections import env_var, sftp_endpoint
    from recouvra.sftp.client import SftpParams

    out = {}
    for agency in settings.agencies:
        endpoint = sftp_endpoint(agency.sftp_conn_id)
        if endpoint is None:
            raise SimulatorError(f"agency {agency.code}: {env_var(agency.sftp_conn_id)} is not set (the "
                                 "fund's connection to its home: host, port and host key come from it)")
        key = keys / f"{agency.code}_ed25519"
        if not key.exists():
            raise SimulatorError(f"agency {agency.code}: no key {key}")
        out[agency.code] = SftpParams(host=endpoint.host, port=endpoint.port,
                                      username=endpoint.login.replace("fund-", "", 1), key_file=key,
                                      host_key=endpoint.host_key, agency=agency.code)
    return out


def _params_from_root(root: Path, agencies: list[str], port: int | None) -> dict[str, SftpParams]:
    from recouvra.sftp.client import SftpParams
    from recouvra.sftp.keys import agency_key_path, host_key_line
    from recouvra.standins.sftp_server import HOST, running_port, username_for

    port = port or running_port(root)
    if port is None:
        raise SimulatorError(
            f"the embedded SFTP server of {root} is not running: start it (recouvra sftp serve --daemon) "
            "or give --port"
        )
    out = {}
    for agency in agencies:
        key = agency_key_path(root, agency)
        if not key.exists():
            raise SimulatorError(f"no key for agency {agency} under {root / 'keys'}")
        out[agency] = SftpParams(
            host=HOST,
            port=port,
            username=username_for(agency),
            key_file=key,
            host_key=host_key_line(root),
            agency=agency,
        )
    return out


def load_state(path: Path, agency: str, seed: int) -> AgencyState:
    """The agency's saved state, or a fresh one; a state made with another seed is an error."""
    if not path.exists():
        return AgencyState(agency=agency, seed=seed)
    state = AgencyState.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if state.seed != seed:
        raise SimulatorError(
            f"{path} was made with seed {state.seed}, not {seed}: use that seed, or remove the file "
            "(and the agency's inbox) to start over"
        )
    return state


def save_state(path: Path, state: AgencyState) -> None:
    """Write the state atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state.to_dict(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _fetch(client: ParamikoSftpClient, remote: str, local: Path) -> list[str]:
    """Download the complete files of a remote folder that are new or changed; return every name seen."""
    local.mkdir(parents=True, exist_ok=True)
    names = []
    for f in client.list_ready(remote):
        names.append(f.name)
        target = local / f.name
        if not (target.exists() and target.stat().st_size == f.size and not f.name.endswith(".json")):
            client.download(f.path, target)
    return names


def simulate_agencies(
    settings: Settings,
    *,
    until: dt.date,
    source_url: str | None = None,
    sftp: Mapping[str, SftpParams] | Path | None = None,
    seed: int | None = None,
    port: int | None = None,
    work_dir: Path | None = None,
    agencies: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationReport:
    """Run every agency up to ``until`` (see module doc) and return what each did.

    ``sftp``: connection parameters per agency, each the agency's own login
    (:meth:`~recouvra.standins.sftp_server.EmbeddedSftpServer.agency_params`), or the embedded server's
    root (the agencies' keys under ``<root>/keys/``, port from ``port`` or the running daemon); default
    ``storage.sftp_root``.
    ``source_url``: the fund's source database (default ``storage.source_url``). ``seed``: default
    ``simulator.seed``. ``work_dir``: the agencies' local copies and state (default
    ``<sftp_root>/simulator``).
    """
    from recouvra.sftp.client import connect

    seed = settings.simulator.seed if seed is None else seed
    url = settings.resolve_url(source_url) if source_url else settings.source_url
    say = progress or (lambda _msg: None)
    codes = agencies or [a.code for a in settings.agencies]
    if sftp is not None and not isinstance(sftp, Path):
        params = {k: v for k, v in sftp.items() if k in codes}
        root = None
    else:
        root = (sftp if isinstance(sftp, Path) else settings.path(settings.storage.sftp_root)).resolve()
        params = _params_from_root(root, codes, port)
    work = work_dir or (root or settings.path(settings.storage.sftp_root).resolve()) / "simulator"
    report = SimulationReport(until=until, seed=seed)

    for agency in codes:
        if agency not in params:
            continue
        rep = AgencyReport(agency)
        report.agencies.append(rep)
        state_path = work / f"{agency}.state.json"
        state = load_state(state_path, agency, seed)
        if state.until is not None and state.until >= until:
            say(f"{agency}: already simulated up to {state.until}; nothing to send")
        local = work / agency
        with connect(params[agency]) as client:
            _fetch(client, OUTBOX, local / "outbox")
            ack_names = _fetch(client, ACKS, local / "acks")
            taken = {f.name for f in client.list_ready(INBOX)} | {
                f.name for f in client.list_ready(PROCESSED)
            }
            for name in ack_names:
                if name.endswith(ACK_SUFFIX) and name not in state.acks:
                    try:
                        status = Ack.parse((local / "acks" / name).read_bytes(), name=name).status.value
                    except (AckError, OSError) as exc:
                        rep.problems.append(f"ack {name} unreadable: {exc}")
                        continue
                    state.acks[name] = status
                    rep.acks[status] = rep.acks.get(status, 0) + 1
            content = read_outbox(agency, local / "outbox")
            rep.dossiers, rep.packages, rep.problems = (
                len(content.dossiers),
                content.packages,
                [*rep.problems, *content.problems],
            )
            say(
                f"{agency}: {rep.dossiers} dossiers from {len(content.packages)} package(s); "
                f"working up to {until}"
            )
            if state.until is not None and state.until >= until:
                continue
            behaviour = settings.simulator.behaviour(agency)
            result = emit_agency(
                agency, content.dossiers, content.notices, state, behaviour, until, taken_names=taken
            )
            rep.sending_days = [d.isoformat() for d in result.sending_days]
            rep.records, rep.profiles = result.records, result.profiles
            rep.ledger_rows = write_ledger(url, result.ledger)
            sent_dir = local / "sent"
            sent_dir.mkdir(parents=True, exist_ok=True)
            by_day = Counter(f.file_date for f in result.files)
            done_days: set[dt.date] = set()
            for f in result.files:
                if f.file_date not in done_days:
                    done_days.add(f.file_date)
                    say(f"{agency}: {f.file_date} sending {by_day[f.file_date]} file(s)")
                if f.sidecar is not None:
                    side = sent_dir / sidecar_name(f.name)
                    side.write_bytes(f.sidecar)
                    client.upload_atomic(side, posixpath.join("inbox", side.name))
                path = sent_dir / f.name
                path.write_bytes(f.data)
                client.upload_atomic(path, posixpath.join("inbox", f.name))
                rep.files_sent.append(f.name)
                rep.intents[f.intent] = rep.intents.get(f.intent, 0) + 1
                rep.file_intents[f.name] = f.intent
                rep.rows_sent += f.rows
                rep.rows_malformed += f.malformed_rows
                for code in f.malformed_codes:
                    rep.row_faults[code] = rep.row_faults.get(code, 0) + 1
        save_state(state_path, state)
        say(f"{agency}: {len(rep.files_sent)} file(s) sent, {rep.ledger_rows} ledger row(s) written")
    return report
