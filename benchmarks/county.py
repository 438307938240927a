"""A county's batch against one plain papermill run, and ``zongjie render`` of one bureau.

In one run, a few repetitions each (medians printed):

- ``zongjie batch`` of the five sample bureaus of one year (notebooks, overview, 汇总表,
  index), a fresh ``--out`` each time with ``--force``, so nothing is reused;
- one ``papermill`` command-line run of the report notebook for one bureau;
- ``zongjie render`` of one bureau;

and the ratio of the batch to the single papermill run.

Run: .venv/bin/python benchmarks/county.py [--repeat 5] [--year 2021]
Goals (2 cores): the batch in at most 0.6× one papermill run (and under 5 s); render under 3 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA, PARAMS = ROOT / "data" / "sample", ROOT / "parameters"
BUREAU = "qingshan"

sys.path.insert(0, str(Path(__file__).parent))
from batch import machine_speed, papermill_run, timed  # noqa: E402  (wall and CPU of the whole process tree)


def batch(out: Path, year: int) -> list[str]:
    common = ["--data", str(DATA), "--params", str(PARAMS), "--year", str(year), "--out", str(out)]
    return [str(BIN / "zongjie"), "batch", *common, "--force"]


def papermill(out: Path, year: int) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    return papermill_run(BUREAU, year, DATA, PARAMS, out / "out.ipynb", out)


def render(out: Path, year: int) -> list[str]:
    common = ["--data", str(DATA), "--params", str(PARAMS), "--year", str(year), "--out", str(out)]
    return [str(BIN / "zongjie"), "render", *common, "--bureau", BUREAU]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--year", type=int, default=2021)
    args = parser.parse_args()

    print(machine_speed())
    tmp = Path(tempfile.mkdtemp(prefix="zongjie-county-"))
    runs: dict[str, list[tuple[float, float]]] = {"batch": [], "papermill": [], "render": []}
    try:
        for i in range(args.repeat):  # interleaved, so a change in the machine's load hits all three alike
            for name, command in (("batch", batch), ("papermill", papermill), ("render", render)):
                wall, cpu, code = timed(command(tmp / f"{name}-{i}", args.year))
                if code != 0:
                    sys.exit(f"{name} failed (exit {code})")
                runs[name].append((wall, cpu))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    median = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
    for name, label in (
        ("batch", "zongjie batch, 5 bureaus (+overview, 汇总表, index)"),
        ("papermill", "papermill CLI, one report"),
        ("render", "zongjie render, one bureau"),
    ):
        walls = " ".join(f"{w:.2f}" for w, _ in runs[name])
        print(f"{label:52s} wall median {median[name]:5.2f} s  cpu {cpu[name]:5.2f} s  (runs: {walls})")
    ratio = median["batch"] / median["papermill"]
    print(f"batch / papermill (wall medians): {ratio:.2f}   (goal ≤ 0.6; batch < 5 s; render < 3 s)")
    print(machine_speed())


if __name__ == "__main__":
    main()
