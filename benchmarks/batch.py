"""Batch throughput against what a user would write without zongjie.

Multiplies the sample bureaus up to at least 40 bureau-years, then prints, in one run:
- the wall and CPU time of `zongjie batch` over all of them (one call per year);
- a plain sequential loop of `papermill` command-line calls on the same notebook;
- `papermill` on an empty notebook (the per-kernel floor);
- the ratios, and the peak memory of each batch worker and its kernels.

Run: .venv/bin/python benchmarks/batch.py [--copies 4] [--sequential N]
Goals (2 cores): batch ≥ 3× faster than the loop; a report ≤ 1.5× the floor's CPU; < 300 MB a worker.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
YEARS = (2021, 2022)


def machine_speed() -> str:
    """This machine's speed now, to read a run's figures against another's: the seconds a fixed
    pure-Python loop takes (the best of three; ~0.5 s on a quiet modern core). A shared
    machine's speed drifts by half within minutes, so each benchmark prints it at its start
    and end, and compares only what it measured in between."""
    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return f"machine speed: a 5-million-step Python loop in {best:.2f} s"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of the whole process tree, exit code."""
    cpu, wall = children_cpu(), time.perf_counter()
    code = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    return time.perf_counter() - wall, children_cpu() - cpu, code


def multiply(copies: int, target: Path) -> tuple[Path, Path, list[str]]:
    """Sample ledgers and parameters repeated under new bureau codes, as CSV files."""
    from toolkit.data.load import load_tables

    data, params = target / "data", target / "params"
    (params / "bureaus").mkdir(parents=True)
    raw = load_tables(ROOT / "data" / "sample")
    codes = []
    for name, table in raw.items():
        frame = table.frame.drop(columns=["_file", "_sheet", "_row"])
        for k in range(copies):
            copy = frame.copy()
            copy["bureau"] = copy["bureau"].map(lambda c, k=k: f"{c}-{k}")
            (data / f"{name}-{k}.csv").parent.mkdir(parents=True, exist_ok=True)
            copy.to_csv(data / f"{name}-{k}.csv", index=False)
    for source in sorted((ROOT / "parameters" / "bureaus").glob("*.yaml")):
        for k in range(copies):
            shutil.copy(source, params / "bureaus" / f"{source.stem}-{k}.yaml")
            codes.append(f"{source.stem}-{k}")
    return data, params, sorted(codes)


def papermill_run(code: str, year: int, data: Path, params: Path, output: Path, out_dir: Path) -> list[str]:
    """One plain ``papermill`` command-line run of the report notebook for one bureau-year."""
    parameters = {"bureau": code, "year": str(year), "data_dir": str(data), "params_dir": str(params)}
    parameters["out_dir"] = str(out_dir)
    command = [str(BIN / "papermill"), "--no-progress-bar", str(ROOT / "notebooks" / "report.ipynb"), str(output)]
    for name, value in parameters.items():
        command += ["-p", name, value]
    return command


def empty_notebook(path: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("", metadata={"tags": ["parameters"]})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="copies of the 5 sample bureaus (4 → 40 bureau-years)")
    parser.add_argument(
        "--sequential", type=int, default=0, help="time only this many sequential calls and extrapolate (0: all)"
    )
    parser.add_argument("--floor-runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="zongjie-bench-") as tmp:
        tmp = Path(tmp)
        data, params, codes = multiply(args.copies, tmp)
        jobs = [(c, y) for y in YEARS for c in codes]
        print(f"{len(codes)} bureaus × {len(YEARS)} years = {len(jobs)} bureau-years")

        wall = cpu = 0.0
        for year in YEARS:
            w, c, code = timed(
                [
                    str(BIN / "zongjie"),
                    "batch",
                    "--data",
                    str(data),
                    "--params",
                    str(params),
                    "--year",
                    str(year),
                    "--out",
                    str(tmp / "batch"),
                    "--force",
                ]
            )
            wall, cpu = wall + w, cpu + c
            if code != 0:
                print(f"batch for {year} exited {code}", file=sys.stderr)
        memory = []
        for year in YEARS:
            for code in codes:
                record = json.loads((tmp / "batch" / str(year) / code / "result.json").read_text(encoding="utf-8"))
                memory.append(record.get("memory_mb", {}))
        from toolkit.run.batch import read_summary

        ok = sum(r["status"] == "ok" for r in read_summary(tmp / "batch" / "2021" / "summary.csv"))

        sample = jobs[: args.sequential] if args.sequential else jobs
        seq_wall = seq_cpu = 0.0
        for code, year in sample:
            w, c, rc = timed(papermill_run(code, year, data, params, tmp / f"seq-{code}-{year}.ipynb", tmp / "seq"))
            if rc != 0:
                sys.exit(f"papermill failed for {code} {year}")
            seq_wall, seq_cpu = seq_wall + w, seq_cpu + c
        scale = len(jobs) / len(sample)
        seq_wall, seq_cpu = seq_wall * scale, seq_cpu * scale

        empty = empty_notebook(tmp / "empty.ipynb")
        floor_wall = floor_cpu = 0.0
        for i in range(args.floor_runs):
            w, c, rc = timed([str(BIN / "papermill"), "--no-progress-bar", str(empty), str(tmp / f"empty-{i}.ipynb")])
            if rc != 0:
                sys.exit("papermill failed on the empty notebook")
            floor_wall, floor_cpu = floor_wall + w, floor_cpu + c
        floor_wall, floor_cpu = floor_wall / args.floor_runs, floor_cpu / args.floor_runs

    n = len(jobs)
    worker = max(m.get("worker", 0) for m in memory)
    kernel = max(m.get("kernel", 0) for m in memory)
    print(
        f"batch (zongjie batch, {YEARS[0]} and {YEARS[1]})   wall {wall:7.1f} s   cpu {cpu:7.1f} s   "
        f"per report: wall {wall / n:5.2f} s, cpu {cpu / n:5.2f} s   ({ok}/{len(codes)} ok in 2021)"
    )
    extrapolated = f" (extrapolated from {len(sample)})" if scale != 1 else ""
    print(
        f"sequential papermill CLI loop        wall {seq_wall:7.1f} s   cpu {seq_cpu:7.1f} s   "
        f"per report: wall {seq_wall / n:5.2f} s, cpu {seq_cpu / n:5.2f} s{extrapolated}"
    )
    print(
        f"empty notebook via papermill (floor) wall {floor_wall:7.2f} s   cpu {floor_cpu:7.2f} s   (mean of {args.floor_runs})"
    )
    print(f"speed-up of batch over loop          {seq_wall / wall:5.2f}×   (goal ≥ 3×)")
    print(f"report CPU / floor CPU               {cpu / n / floor_cpu:5.2f}×   (goal ≤ 1.5×)")
    print(f"peak memory: worker {worker:.0f} MB, its kernels {kernel:.0f} MB   (goal < 300 MB a worker)")


if __name__ == "__main__":
    main()
