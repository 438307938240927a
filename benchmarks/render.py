"""Time loading + validating the sample ledgers, and rendering one report in process.

Run: .venv/bin/python benchmarks/render.py [--repeat N]
Goal: under 0.1 s a report once the data is loaded.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    from toolkit.data.validate import load_ledgers
    from toolkit.report import prepare as report
    from toolkit.report.render import render_docx
    from toolkit.resources import default_template

    imports = time.perf_counter() - start
    data, params = ROOT / "data" / "sample", ROOT / "parameters"
    first = time.perf_counter()
    ledgers = load_ledgers(data)
    cold = time.perf_counter() - first
    load_med, load_min = timed(lambda: load_ledgers(data), args.repeat)
    rows = len(ledgers.activities) + len(ledgers.problems) + len(ledgers.finance)

    def one_report():
        rep = report.prepare(ledgers, params, "qingshan", 2021, date(2022, 1, 10))
        return render_docx(rep.figures, rep.story, default_template())

    one_report()  # template check is cached per template version
    figures_med, _ = timed(lambda: report.prepare(ledgers, params, "qingshan", 2021, date(2022, 1, 10)), args.repeat)
    render_med, render_min = timed(one_report, args.repeat)

    print(f"imports                       {imports:8.3f} s")
    print(f"load+validate, first call     {cold:8.3f} s  ({rows} rows)")
    print(f"load+validate, median         {load_med:8.3f} s  (min {load_min:.3f})")
    print(f"figures+checks, median        {figures_med:8.4f} s")
    print(f"figures+render docx, median   {render_med:8.4f} s  (min {render_min:.4f}; goal < 0.1 s)")


if __name__ == "__main__":
    main()
