"""What deciding "unchanged, skip" costs a batch of N bureaus sharing one set of ledgers.

Builds N fictional bureaus (``scale.build``: the sample bureaus' rows under new codes, one
CSV per table shared by all), validates them once as the batch does, then prints:

- the per-bureau digests of the validated rows (``Ledgers.digests``) and the notices';
- the whole fingerprint of every bureau (rows, parameters, overrides, template, notebooks,
  code), as ``batch.plan`` computes it;
- writing each bureau's own copy of the ledgers (``batch.own_rows``), which its notebook reads;
- what one notebook pays for the ledgers it is handed, the whole copy against its own rows:
  the ledger summary it shows and the review panel it builds.

Run: .venv/bin/python benchmarks/fingerprint.py [--bureaus 1000]
Goal: digests and fingerprints of 1,000 bureaus in well under a second each, next to
minutes of notebooks.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale import YEAR, build


def _timed(what: str, run, repeat: int = 1):
    """Run ``run`` ``repeat`` times; print wall and CPU milliseconds a run; return its value and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        value = run()
    wall, cpu = (time.perf_counter() - wall) / repeat, (time.process_time() - cpu) / repeat
    print(f"  {what:<62} wall {wall * 1000:8.1f} ms   cpu {cpu * 1000:8.1f} ms")
    return value, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bureaus", type=int, default=1000)
    args = parser.parse_args()

    from IPython.core.interactiveshell import InteractiveShell

    from toolkit.data.ledgers import TABLE_NAMES, Ledgers
    from toolkit.data.params import list_bureaus
    from toolkit.data.validate import load_ledgers_per_bureau
    from toolkit.run import batch, inputs
    from toolkit.run.spec import RunSpec
    from toolkit.ui import present
    from toolkit.ui.review import ReviewPanel

    with tempfile.TemporaryDirectory() as tmp:
        data, params, codes = build(args.bureaus, Path(tmp))
        known = list_bureaus(params)
        start = time.perf_counter()
        ledgers = load_ledgers_per_bureau(data, known).ledgers
        rows = sum(len(getattr(ledgers, t)) for t in TABLE_NAMES)
        print(
            f"{len(codes)} bureaus, {rows:,} validated rows, loaded and validated in {time.perf_counter() - start:.1f} s"
        )
        ledgers.save(Path(tmp) / "ledgers.pkl")  # as the batch does, before anything is cached on the object
        spec = RunSpec(data, params, YEAR, Path(tmp) / "out").resolved()
        (spec.year_dir / ".zongjie").mkdir(parents=True)

        print("in the batch's main process, once per batch:")
        fresh = Ledgers.read(Path(tmp) / "ledgers.pkl")
        _timed("group rows by bureau (shared with the notebooks' lookups)", lambda: fresh._columns)
        _timed("canonical values (dates, decimals tagged)", lambda: fresh._canonical)
        _digests, seconds = _timed(f"row digests of {len(codes)} bureaus", fresh.digests)
        print(f"    = {seconds / len(codes) * 1e6:.0f} µs CPU a bureau")
        _timed("notices digest", fresh.notices_digest)
        _timed("whole-ledger digest for the overview (row digests reused)", fresh.digest)
        fresh = Ledgers.read(Path(tmp) / "ledgers.pkl")
        _, seconds = _timed(
            f"fingerprints of {len(codes)} bureaus, every input, rows included",
            lambda: inputs.fingerprints(spec, known, fresh),
        )
        print(f"    = {seconds / len(codes) * 1e6:.0f} µs CPU a bureau (most of it parsing its parameter file)")
        _, seconds = _timed(
            f"each bureau's own copy written ({len(codes)} files)",
            lambda: [batch.own_rows(spec.for_bureau(c), fresh) for c in codes],
        )
        print(f"    = {seconds / len(codes) * 1e3:.2f} ms CPU a bureau")

        print("in one notebook, the whole copy against the bureau's own rows:")
        InteractiveShell.instance()
        code = codes[len(codes) // 2]
        own_copy = batch.own_rows(spec.for_bureau(code), fresh).ledger_cache
        assert own_copy is not None
        own = Ledgers.read(own_copy)
        _timed("read the whole copy", lambda: Ledgers.read(Path(tmp) / "ledgers.pkl"))
        _timed("read its own copy", lambda: Ledgers.read(own_copy), 20)
        _timed("ledger summary, whole copy", lambda: present.ledger_summary(fresh), 3)
        _timed("ledger summary, own rows", lambda: present.ledger_summary(own), 20)
        _timed(
            "review panel built, whole copy",
            lambda: ReviewPanel(fresh, params, spec.out_dir, bureau=code, year=YEAR),
            2,
        )
        _timed(
            "review panel built, own rows", lambda: ReviewPanel(own, params, spec.out_dir, bureau=code, year=YEAR), 5
        )


if __name__ == "__main__":
    main()
