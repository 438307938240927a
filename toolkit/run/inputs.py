"""Everything a report reads, as the modules that own those inputs name them.

The batch fingerprints these to decide "unchanged, skip". Each file entry asks the module
that reads an input where it is (``params.bureau_file`` for a bureau's parameters,
``overrides.overrides_path`` for corrections, ``resources`` for the template, the
notebooks and the code), so an input a module starts reading is listed there, in one
place, not retyped in the batch.

The ledgers enter as validated rows, not as files: a batch hands each bureau's notebook
its own rows of every table and year with the loader's notices (``Ledgers.of``), so a
bureau's fingerprint digests exactly those (``Ledgers.digests``, ``notices_digest``). An
edit to one bureau's row in a ledger every bureau shares reruns that bureau alone; a
touched or re-saved file whose rows read the same reruns none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.data.contract_file import contract_path
from toolkit.data.ledgers import Ledgers
from toolkit.data.params import bureau_file
from toolkit.report.definitions import bureau_template_file
from toolkit.report.overrides import overrides_path
from toolkit.resources import PACKAGE, definition_files, definition_name, notebook
from toolkit.run.spec import RunSpec

Inputs = Callable[[RunSpec], list[Path]]


def _code(spec: RunSpec) -> list[Path]:
    """zongjie itself: its modules and the templates it exports with."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


#: Inputs every bureau of a run shares, by what they are.
SHARED: dict[str, Inputs] = {
    "template": lambda spec: [spec.template] if spec.template else definition_files(spec.report),
    "notebooks": lambda spec: [notebook(), notebook("overview.ipynb")],
    "contract": lambda spec: [contract_path(spec.params_dir)],
    "code": _code,
}

#: Inputs of one bureau (``spec.bureau``): its parameters and its corrections (this year's
#: and last year's, which the year-on-year checks compare against).
OWN: dict[str, Inputs] = {
    "parameters": lambda spec: [bureau_file(spec.params_dir, spec.bureau)],
    "overrides": lambda spec: [
        overrides_path(spec.params_dir, spec.bureau, spec.year, definition_name(spec.report)),
        overrides_path(spec.params_dir, spec.bureau, spec.year - 1, definition_name(spec.report)),
    ],
    "own template": lambda spec: (
        [] if spec.template else bureau_template_file(spec.params_dir, spec.bureau, spec.report)
    ),
}


def _digest(groups: dict[str, Inputs], spec: RunSpec, into: Any) -> None:
    for name, find in groups.items():
        for path in find(spec):
            into.update(f"\0{name}\0{path.name}\0".encode())
            into.update(path.read_bytes() if path.is_file() else b"\0absent")


def shared_digest(spec: RunSpec, ledgers: Ledgers) -> str:
    """Digest of the shared inputs (the ledgers' notices among them) and of the run's options that change a report."""
    h = hashlib.sha256(repr(sorted(spec.with_(bureau="").fingerprint_values().items())).encode())
    h.update(f"\0notices\0{ledgers.notices_digest()}".encode())
    _digest(SHARED, spec, h)
    return h.hexdigest()


def fingerprint(spec: RunSpec, shared: str, rows: str) -> str:
    """Digest of everything the bureau ``spec.bureau`` depends on, given the shared digest and its rows' digest."""
    h = hashlib.sha256(shared.encode())
    h.update(f"\0rows\0{rows}".encode())
    _digest(OWN, spec, h)
    h.update(repr(sorted(spec.fingerprint_values().items())).encode())
    return h.hexdigest()


def fingerprints(spec: RunSpec, codes: list[str], ledgers: Ledgers) -> dict[str, str]:
    """A digest per bureau of everything its report depends on, its rows of the validated ``ledgers`` included."""
    shared = shared_digest(spec, ledgers)
    rows = ledgers.digests()
    return {code: fingerprint(spec.for_bureau(code), shared, rows.get(code, "")) for code in codes}
