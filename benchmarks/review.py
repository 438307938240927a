"""Latency of the review panel on the sample data: switching bureau, saving an override.

Run: .venv/bin/python benchmarks/review.py [--repeat N]
Goal: each action updates the panel in under 0.5 s. Runs in process (no browser): the
time is the Python side of the action, which is what the analyst waits for.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def measure(action, repeat: int) -> tuple[float, float]:
    runs = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), max(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from toolkit.data.validate import load_ledgers
    from toolkit.ui.review import ReviewPanel

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = tmp  # the remembered reviewer's name goes here, not in the user's folder
        params = Path(tmp) / "parameters"
        shutil.copytree(ROOT / "parameters", params)
        ledgers = load_ledgers(ROOT / "data" / "sample")
        start = time.perf_counter()
        panel = ReviewPanel(ledgers, params, Path(tmp) / "out", bureau="qingshan", year=2021, user="基准")
        built = time.perf_counter() - start
        codes = [code for _, code in panel.bureau.options]

        def switch(i: int) -> None:
            panel.bureau.value = codes[(codes.index(panel.bureau.value) + 1) % len(codes)]

        def override(i: int) -> None:
            panel.filter.value = "全部"  # the panel opens on 需关注; revenue is listed under 全部
            panel.figures.value = "fiscal_revenue"
            panel.value.value = f"{20 + i / 100:.2f}"
            panel.reason.value = "基准测试"
            panel.save.click()

        def year(i: int) -> None:
            panel.year.value = 2022 if panel.year.value == 2021 else 2021

        switch_med, switch_max = measure(switch, args.repeat)
        year_med, year_max = measure(year, args.repeat)
        save_med, save_max = measure(override, args.repeat)
        with contextlib.redirect_stdout(io.StringIO()):  # outside a kernel, Output widgets print to stdout
            render_med, render_max = measure(lambda i: panel.generate.click(), max(3, args.repeat // 4))

    print(f"panel built                     {built:6.3f} s")
    print(f"switch bureau    median {switch_med:6.3f} s   max {switch_max:6.3f} s   (goal < 0.5 s)")
    print(f"switch year      median {year_med:6.3f} s   max {year_max:6.3f} s   (goal < 0.5 s)")
    print(f"save override    median {save_med:6.3f} s   max {save_max:6.3f} s   (goal < 0.5 s)")
    print(f"生成报告 (render) median {render_med:6.3f} s   max {render_max:6.3f} s")


if __name__ == "__main__":
    main()
