"""CPU time of the charts, drawn and displayed as the report and overview notebooks show them.

Run: .venv/bin/python benchmarks/charts.py [--repeat N]
Times ``notebook.show_charts`` (a report's two charts) over every sample bureau-year and
``notebook.overview_charts`` over the sample bureaus, output discarded. To compare with
an earlier version, check it out elsewhere (``git worktree add DIR COMMIT``) and run this
script with ``PYTHONPATH=DIR``: the toolkit imported is then that version's.
Goal: a few milliseconds a report (matplotlib PNGs took about 0.6 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10, help="rounds over every sample bureau-year")
    args = parser.parse_args()

    from toolkit.data.validate import load_ledgers
    from toolkit.report.prepare import prepare, prepare_all
    from toolkit.ui import notebook

    data, params = ROOT / "data" / "sample", ROOT / "parameters"
    ledgers = load_ledgers(data)
    codes = sorted(p.stem for p in (params / "bureaus").glob("*.yaml"))
    reports = [prepare(ledgers, params, code, year) for year in (2021, 2022) for code in codes]
    overview = prepare_all(ledgers, params, 2022, codes)

    per_report, per_overview = [], []
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # display() prints outside a kernel
        notebook.show_charts(reports[0])  # imports and caches
        for _ in range(args.repeat):
            start = time.process_time()
            for rep in reports:
                notebook.show_charts(rep)
            per_report.append((time.process_time() - start) / len(reports))
            start = time.process_time()
            notebook.overview_charts(overview)
            per_overview.append(time.process_time() - start)

    print(f"toolkit from {Path(notebook.__file__).parent}")
    print(f"report charts, CPU per report, median    {statistics.median(per_report) * 1000:8.1f} ms")
    print(f"report charts, CPU per report, min       {min(per_report) * 1000:8.1f} ms  ({len(reports)} bureau-years)")
    print(f"overview charts ({len(codes)} bureaus), median     {statistics.median(per_overview) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
