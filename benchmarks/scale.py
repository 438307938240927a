"""A province-sized batch: N fictional bureau-years of one year, against a plain papermill loop.

Builds N bureaus (default 1,000) from the sample ledgers under new codes and names, runs
``zongjie batch`` over them (overview and index included), then a sequential loop of
``papermill`` command-line calls over the first ``--sequential`` of them, and prints:

- batch wall time, CPU per report (the whole process tree: batch, workers, kernels);
- peak resident memory of a worker and of its kernel, and the kernel's peak after the
  first tenth of the bureaus against the end (flat memory across notebooks in one kernel);
- the same per-report figures for the papermill loop, and the ratio between them.

Run: .venv/bin/python benchmarks/scale.py [--bureaus 1000] [--sequential 100] [--jobs N] [--layout bureaus]
Goals (issue 11, 2 cores): 1,000 bureau-years in under 5 minutes, ≤ 0.6 s CPU a report,
< 300 MB a worker and its kernel, ≥ 10× the papermill loop per report.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
YEAR = 2021

sys.path.insert(0, str(Path(__file__).parent))
from batch import children_cpu, machine_speed, papermill_run, timed  # noqa: E402  (the same process-tree timing as the batch benchmark)


def timed_with_peak(cmd: list[str]) -> tuple[float, float, int, float]:
    """Like ``timed``, and the peak resident memory (VmHWM, MB) of the command's own process."""
    cpu, wall = children_cpu(), time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            found = re.search(r"VmHWM:\s+(\d+) kB", status)
            peak = max(peak, int(found.group(1)) if found else 0)
        except OSError:
            pass
        time.sleep(0.1)
    return time.perf_counter() - wall, children_cpu() - cpu, process.returncode, peak / 1024


def per_bureau_books(frames: dict[str, object], codes: list[str], data: Path) -> None:
    """One workbook a bureau, as a province collects them: its rows of every table, a sheet each."""
    from openpyxl import Workbook

    from toolkit.data.contract import BASE

    groups = {name: dict(tuple(frame.groupby("bureau"))) for name, frame in frames.items()}
    for code in codes:
        book = Workbook(write_only=True)
        for name in frames:
            table = BASE.by_name[name]
            sheet = book.create_sheet(table.zh)
            columns = list(frames[name].columns)
            sheet.append([table.column(c).zh for c in columns])
            rows = groups[name].get(code)
            for row in [] if rows is None else rows.itertuples(index=False, name=None):
                sheet.append([None if v != v else v for v in row])
        book.save(data / f"{code}台账.xlsx")


def build(n: int, target: Path, layout: str = "tables") -> tuple[Path, Path, list[str]]:
    """``n`` bureaus cycling through the sample bureaus' ledgers: one CSV per table, or
    (``layout="bureaus"``) one workbook per bureau."""
    import pandas as pd

    from toolkit.data.load import load_tables

    data, params = target / "data", target / "params"
    (params / "bureaus").mkdir(parents=True)
    data.mkdir()
    raw = load_tables(ROOT / "data" / "sample")
    samples = sorted(p.stem for p in (ROOT / "parameters" / "bureaus").glob("*.yaml"))
    codes = [f"b{i:04d}" for i in range(n)]
    source_of = {code: samples[i % len(samples)] for i, code in enumerate(codes)}
    frames = {}
    for name, table in raw.items():
        frame = table.frame.drop(columns=[c for c in ("_file", "_sheet", "_row") if c in table.frame.columns])
        groups = {code: rows for code, rows in frame.groupby("bureau")}
        parts = []
        for code in codes:
            rows = groups.get(source_of[code])
            if rows is not None:
                parts.append(rows.assign(bureau=code))
        frames[name] = pd.concat(parts)
    if layout == "bureaus":
        per_bureau_books(frames, codes, data)
    else:
        for name, frame in frames.items():
            frame.to_csv(data / f"{name}.csv", index=False)
    for i, code in enumerate(codes):
        text = (ROOT / "parameters" / "bureaus" / f"{source_of[code]}.yaml").read_text(encoding="utf-8")
        lines = [f"name: 第{i + 1}县财政局" if line.startswith("name:") else line for line in text.splitlines()]
        (params / "bureaus" / f"{code}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, params, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bureaus", type=int, default=1000, help="bureau-years to build (one year)")
    parser.add_argument("--sequential", type=int, default=100, help="papermill CLI calls in the comparison loop")
    parser.add_argument("--jobs", type=int, default=None, help="batch workers (default: one per core)")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    parser.add_argument(
        "--layout",
        choices=("tables", "bureaus"),
        default="tables",
        help="one CSV per table (default), or one workbook per bureau (the files read in the workers)",
    )
    args = parser.parse_args()

    print(machine_speed())
    tmp = Path(tempfile.mkdtemp(prefix="zongjie-scale-")) if args.keep is None else args.keep
    try:
        start = time.perf_counter()
        data, params, codes = build(args.bureaus, tmp, args.layout)
        files = len(list(data.iterdir()))
        print(f"built {len(codes)} bureau-years of {YEAR} in {files} files in {time.perf_counter() - start:.1f} s")
        out = tmp / "batch"
        batch = [str(BIN / "zongjie"), "batch", "--data", str(data), "--params", str(params)]
        batch += ["--year", str(YEAR), "--out", str(out), "--force"]
        if args.jobs:
            batch += ["--jobs", str(args.jobs)]
        wall, cpu, code, main_peak = timed_with_peak(batch)
        from toolkit.run.batch import read_summary

        rows = read_summary(out / str(YEAR) / "summary.csv")
        ok = sum(r["status"] == "ok" for r in rows)
        paths = [out / str(YEAR) / c / "result.json" for c in codes]
        paths = sorted((p for p in paths if p.is_file()), key=lambda p: p.stat().st_mtime)  # in finishing order
        records = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
        seconds = sorted(r["seconds"] for r in records)
        memory = [r.get("memory_mb", {}) for r in records]
        n = len(codes)

        loop = codes[: args.sequential]
        seq_wall = seq_cpu = 0.0
        (tmp / "seq").mkdir(exist_ok=True)
        for c in loop:
            w, u, rc = timed(papermill_run(c, YEAR, data, params, tmp / "seq" / f"{c}.ipynb", tmp / "seq"))
            if rc != 0:
                sys.exit(f"papermill failed for {c}")
            seq_wall, seq_cpu = seq_wall + w, seq_cpu + u
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)

    worker = max((m.get("worker", 0) for m in memory), default=0)
    kernel = max((m.get("kernel", 0) for m in memory), default=0)
    tenth = max(1, len(memory) // 10)
    print(f"batch exit code {code}; {ok}/{n} ok; jobs {args.jobs or 'one per core'}")
    print(
        f"batch ({n} bureau-years, overview and index included)  wall {wall:7.1f} s   cpu {cpu:7.1f} s   "
        f"per report: wall {wall / n:5.2f} s, cpu {cpu / n:5.2f} s"
    )
    if seconds:
        print(f"  inside a worker: median {seconds[len(seconds) // 2]:.2f} s a notebook, max {seconds[-1]:.2f} s")
    print(f"  peak memory: main process {main_peak:.0f} MB, worker {worker:.0f} MB, kernel {kernel:.0f} MB")
    if memory:
        early = max(m.get("kernel", 0) for m in memory[:tenth])
        print(f"  kernel peak after the first {tenth} reports {early:.0f} MB, after all {kernel:.0f} MB")
    m = len(loop)
    if not m:
        print(machine_speed())
        return
    print(
        f"sequential papermill CLI loop ({m} reports)       wall {seq_wall:7.1f} s   cpu {seq_cpu:7.1f} s   "
        f"per report: wall {seq_wall / m:5.2f} s, cpu {seq_cpu / m:5.2f} s"
    )
    print(
        f"per-report speed-up of batch over the loop: wall {seq_wall / m / (wall / n):5.1f}×, "
        f"cpu {seq_cpu / m / (cpu / n):5.1f}×   (goal ≥ 10×)"
    )
    print(f"projected for 1,000 bureau-years at this rate: {wall / n * 1000 / 60:.1f} min (goal < 5 min)")
    print(machine_speed())


if __name__ == "__main__":
    main()
