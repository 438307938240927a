"""How soon a page of ``zongjie review`` is usable, once the server is warm, in Chromium.

Runs the end-to-end test that opens two pages of the review app on the sample data, each
served by a kernel that ran the review notebook ahead (``tests/e2e/test_apps.py``), a few
times, and prints the seconds from asking for each page to a panel one can use (figures
listed, controls shown), which the test records.

Run: .venv/bin/python benchmarks/review_app.py [--repeat 3]
Goal: usable within 3 s of being asked for, once warm. Needs Chromium (``make system``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/e2e/test_apps.py::test_review_app_pages_are_served_by_preheated_kernels"
TIMING = ROOT / "tests" / "artifacts" / "e2e" / "test_review_app_pages_are_served_by_preheated_kernels" / "timing.txt"

sys.path.insert(0, str(Path(__file__).parent))
from batch import machine_speed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine_speed())
    first, second = [], []
    for _ in range(args.repeat):
        TIMING.unlink(missing_ok=True)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST], cwd=ROOT)
        if run.returncode != 0 or not TIMING.is_file():
            sys.exit("the review app's test did not pass (is Chromium installed? make system)")
        found = re.findall(r"(\d+\.\d+) s", TIMING.read_text(encoding="utf-8"))
        first.append(float(found[0]))
        second.append(float(found[1]))
    print(f"first page  (runs: {' '.join(f'{t:.2f}' for t in first)})  median {statistics.median(first):.2f} s")
    print(f"second page (runs: {' '.join(f'{t:.2f}' for t in second)})  median {statistics.median(second):.2f} s")
    print("goal: usable within 3 s of being asked for, once warm")
    print(machine_speed())


if __name__ == "__main__":
    main()
