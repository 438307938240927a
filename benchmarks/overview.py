"""Time the overview notebook and index.html for 10, 100 and 1,000 fictional bureaus.

Run: .venv/bin/python benchmarks/overview.py [--sizes 10 100 1000]
Prints, per size: computing every bureau's figures in process (prepare_all), the whole
overview notebook through papermill (kernel start included), the size of its HTML, and
writing index.html. Goal: a thousand bureaus in well under a minute, an HTML a person
can scroll.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from summary_table import bureau_sets, sizes_from_args


def main() -> None:
    sizes = sizes_from_args(__doc__)

    from toolkit.data.params import list_bureaus
    from toolkit.data.validate import load_ledgers
    from toolkit.publish.index_page import write_index
    from toolkit.report.prepare import prepare_all
    from toolkit.run.batch import BatchSummary
    from toolkit.run.execute import RunResult, run_overview
    from toolkit.run.spec import RunSpec

    print(f"{'bureaus':>8} {'prepare s':>10} {'notebook s':>11} {'html KB':>8} {'index s':>8} {'index KB':>9}")
    for n, tmp, data, params in bureau_sets(sizes):
        ledgers = load_ledgers(data)
        cache = tmp / "ledgers.pkl"
        ledgers.save(cache)
        codes = list_bureaus(params)
        start = time.perf_counter()
        prepare_all(ledgers, params, 2023, codes)
        prepared = time.perf_counter() - start
        spec = RunSpec(data, params, 2023, tmp / "out", ledger_cache=cache).resolved()
        result = run_overview(spec)
        if not result.ok:
            raise SystemExit(f"overview failed: {result.error}")
        html = spec.year_dir / "overview.html"
        size = html.stat().st_size / 1024 if html.is_file() else float("nan")

        results = [RunResult(c, 2023, ok=True, seconds=1.0) for c in codes]
        summary = BatchSummary(2023, results, spec.year_dir)
        start = time.perf_counter()
        index = write_index(summary, {c: c for c in codes})
        indexed = time.perf_counter() - start
        print(
            f"{n:>8} {prepared:>10.2f} {result.seconds:>11.2f} {size:>8.0f} {indexed:>8.2f}"
            f" {index.stat().st_size / 1024:>9.0f}"
        )


if __name__ == "__main__":
    main()
