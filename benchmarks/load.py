"""Time and peak memory of reading ledgers: the sample, a large ledger, and hostile workbooks.

Run: .venv/bin/python benchmarks/load.py [--rows N]
Each case runs in a fresh process, so its peak memory (VmHWM) is its own.
Goal: hostile files refused within a second or two and well under 500 MB; a
20,000-row ledger loaded and validated in a few seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

_CHILD = """
import sys, time
from pathlib import Path
start = time.perf_counter()
from toolkit.errors import DataError
from toolkit.data.validate import load_ledgers
try:
    ledgers = load_ledgers(Path(sys.argv[1]))
    outcome = f"{len(ledgers.activities)} activities"
except DataError as err:
    outcome = "refused: " + err.problems[0].message[:60]
seconds = time.perf_counter() - start
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(f"{seconds:.2f}\\t{int(peak) // 1024}\\t{outcome}")
"""


def big_ledger(folder: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("活动台账")
    sheet.append(["单位代码", "日期", "结束日期", "活动类型", "活动名称", "参加对象", "地点", "人数", "备注"])
    start = date(2022, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i % 365)
        end = day + timedelta(days=1) if i % 3 == 0 else None
        sheet.append([f"b{i % 50}", day, end, "宣讲", f"活动{i}", f"第{i % 9}党支部", "会议室", i % 40, None])
    problems = book.create_sheet("问题台账")
    problems.append(["单位代码", "问题编号", "来源", "收集日期", "办理状态", "问题描述"])
    problems.append(["b0", "P1", "大调研", date(2022, 3, 1), "办理中", "示例"])
    finance = book.create_sheet("财政指标")
    finance.append(["单位代码", "年度", "指标", "数值", "计量单位"])
    finance.append(["b0", 2022, "财政总收入", 1, "亿元"])
    book.save(folder / "台账.xlsx")


def bomb(folder: Path, megabytes: int = 200) -> None:
    """A ~1000:1 zip part named .xlsx beside the sample ledgers."""
    chunk = b"<c>0</c>" * (1024 * 128)
    with (
        zipfile.ZipFile(folder / "活动台账-炸弹.xlsx", "w", zipfile.ZIP_DEFLATED) as z,
        z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(megabytes):
            part.write(chunk)


def far_cell(folder: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "活动台账"
    sheet.append(["单位代码", "日期", "活动类型"])
    sheet.append(["b0", date(2022, 1, 1), "宣讲"])
    sheet["XFD1048576"] = 1
    book.save(folder / "活动台账-远处.xlsx")


def run(folder: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder)], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    return result.stdout.strip() or f"crashed (exit {result.returncode}): {result.stderr.strip()[-120:]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    import shutil

    print("case\tseconds\tpeak MB\toutcome")
    print(f"sample\t{run(SAMPLE)}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "big"
        folder.mkdir()
        start = time.perf_counter()
        big_ledger(folder, args.rows)
        made = time.perf_counter() - start
        print(f"{args.rows} rows (written in {made:.1f} s)\t{run(folder)}")
        for name, make in (("zip bomb 200 MB", bomb), ("cell at XFD1048576", far_cell)):
            folder = Path(tmp) / name.split()[0]
            shutil.copytree(SAMPLE, folder)
            make(folder)
            print(f"{name}\t{run(folder)}")


if __name__ == "__main__":
    main()
