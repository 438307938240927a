"""Time PDF conversion: LibreOffice's cold start, a warm converter per report, the first-page PNG.

Run: .venv/bin/python benchmarks/pdf.py [--repeat N]
Goal: under 0.5 s a report with a warm converter (what --pdf adds to each report of a batch).
Wall times on a shared machine vary with its load, so LibreOffice's own CPU time per
report is printed too (from /proc, for soffice and its helpers).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUREAUS = ["fengling", "hedong", "meiling", "qingshan", "yunshui"]


def _descendants(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(c) for c in (task / "children").read_text().split()]
    return children + [d for c in children for d in _descendants(c)]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid``'s descendants (LibreOffice under the bridge)."""
    ticks = 0
    for child in _descendants(pid):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2, help="rounds over the ten sample reports")
    args = parser.parse_args()

    from toolkit.data.validate import load_ledgers
    from toolkit.publish import pdf
    from toolkit.report import prepare as report
    from toolkit.resources import default_template

    if not pdf.available():
        print(pdf.unavailable_reason(), file=sys.stderr)
        return 1
    ledgers = load_ledgers(ROOT / "data" / "sample")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        docs = []
        for bureau in BUREAUS:
            for year in (2021, 2022):
                rep = report.prepare(ledgers, ROOT / "parameters", bureau, year, date(2022, 1, 10))
                docs.append(report.write(rep, out, default_template()) / "report.docx")

        start = time.perf_counter()
        pdf.convert(docs[0], out / "one-shot.pdf")
        one_shot = time.perf_counter() - start

        with pdf.Converter() as converter:
            start = time.perf_counter()
            converter.start()
            cold_start = time.perf_counter() - start
            start = time.perf_counter()
            converter.convert(docs[0], docs[0].with_suffix(".pdf"))
            first = time.perf_counter() - start
            walls, cpus = [], []
            for _ in range(args.repeat):
                for docx in docs:
                    cpu = _cpu_seconds(converter._bridge.pid)
                    start = time.perf_counter()
                    converter.convert(docx, docx.with_suffix(".pdf"))
                    walls.append(time.perf_counter() - start)
                    cpus.append(_cpu_seconds(converter._bridge.pid) - cpu)

        pngs = []
        for docx in docs:
            start = time.perf_counter()
            pdf.first_page_png(docx.with_suffix(".pdf"), docx.with_name("page1.png"))
            pngs.append(time.perf_counter() - start)

    print(f"one-shot convert (start + convert + quit)  {one_shot:7.2f} s")
    print(f"converter cold start                       {cold_start:7.2f} s")
    print(f"first report after start                   {first:7.2f} s")
    print(
        f"warm convert per report, median            {statistics.median(walls):7.3f} s"
        f"  (min {min(walls):.3f}, max {max(walls):.3f}; {len(walls)} reports; goal < 0.5 s)"
    )
    print(f"  LibreOffice CPU per report, median       {statistics.median(cpus):7.3f} s")
    print(f"first page PNG per report, median          {statistics.median(pngs):7.3f} s  (min {min(pngs):.3f})")
    print(f"load average (1 min)                       {os.getloadavg()[0]:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
