"""Time the 汇总表 for 10, 100 and 1,000 fictional bureaus: compute the table, render the docx, write.

Run: .venv/bin/python benchmarks/summary_table.py [--sizes 10 100 1000]
Goal: a city (tens of bureaus) well under a second; 1,000 bureaus in a few seconds.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

KINDS = ("部署会", "宣讲", "参观学习", "文明交通志愿服务", "入户走访", "演练", "开放日", "调研", "其他")
UNITS = ("元", "万元", "亿元")


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def make_bureaus(root: Path, n: int, year: int = 2023) -> tuple[Path, Path]:
    """``n`` invented bureaus, about 30 activities and 10 problems each, in one folder of CSVs."""
    rnd = random.Random(n)
    data, params = root / "data", root / "params"
    (params / "bureaus").mkdir(parents=True)
    acts, probs, fin = [], [], []
    for i in range(n):
        code = f"b{i:04d}"
        (params / "bureaus" / f"{code}.yaml").write_text(f"name: 第{i + 1}虚构区财政局\n", encoding="utf-8")
        for _ in range(30):
            day = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            acts.append({"单位代码": code, "日期": day, "活动类型": rnd.choice(KINDS)})
        for j in range(10):
            probs.append(
                {
                    "单位代码": code,
                    "问题编号": f"{code}-{j}",
                    "来源": rnd.choice(("大调研", "开放日")),
                    "收集日期": f"{year}-05-{j + 1:02d}",
                    "办理状态": rnd.choice(("已解决", "长期坚持", "办理中")),
                    "问题描述": "虚构问题",
                }
            )
        for indicator in ("财政总收入", "税收收入", "一般公共预算收入"):
            value = rnd.randint(10**7, 5 * 10**9)
            unit = rnd.choice(UNITS)
            shown = value if unit == "元" else value / (10_000 if unit == "万元" else 100_000_000)
            fin.append({"单位代码": code, "年度": year, "指标": indicator, "数值": shown, "计量单位": unit})
    _write(data / "活动台账.csv", acts)
    _write(data / "问题台账.csv", probs)
    _write(data / "财政指标.csv", fin)
    return data, params


def sizes_from_args(description: str | None) -> list[int]:
    """The ``--sizes`` given on the command line (default 10, 100 and 1,000 bureaus)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    return parser.parse_args().sizes


def bureau_sets(sizes: list[int]) -> Iterator[tuple[int, Path, Path, Path]]:
    """Per size ``n``: (n, a fresh temporary folder, its data and parameters folders of ``n`` invented bureaus)."""
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            data, params = make_bureaus(Path(tmp), n)
            yield n, Path(tmp), data, params


def main() -> None:
    sizes = sizes_from_args(__doc__)

    from toolkit.data.validate import load_ledgers
    from toolkit.publish.summary_docx import render_summary_docx, write_summary_table
    from toolkit.publish.summary_table import build_table, table_json
    from toolkit.resources import summary_table_template

    print(f"{'bureaus':>8} {'load s':>8} {'table s':>8} {'docx s':>8} {'json s':>8} {'write s':>8} {'docx KB':>8}")
    for n, tmp, data, params in bureau_sets(sizes):
        start = time.perf_counter()
        ledgers = load_ledgers(data)
        loaded = time.perf_counter()
        table = build_table(ledgers, params, 2023)
        built = time.perf_counter()
        docx = render_summary_docx(table, summary_table_template())
        rendered = time.perf_counter()
        table_json(table)
        dumped = time.perf_counter()
        write_summary_table(ledgers, params, 2023, tmp / "out")
        written = time.perf_counter()
        print(
            f"{n:>8} {loaded - start:>8.2f} {built - loaded:>8.2f} {rendered - built:>8.2f} "
            f"{dumped - rendered:>8.2f} {written - dumped:>8.2f} {len(docx) / 1024:>8.0f}"
        )


if __name__ == "__main__":
    main()
