"""The same batch through the local process pool and through a local Dask cluster of the same size.

Builds N bureaus (default 24) from the sample ledgers under new codes, starts a
``distributed.LocalCluster`` with 2 worker processes of one thread each (as
``dask worker --nworkers 2 --nthreads 1`` would), then runs ``zongjie batch --force``
over all of them: first once on the new cluster (its workers import zongjie with their
first batch: reported apart), then ``--repeat`` times ``--jobs 2`` (the pool) and
``--cluster ADDRESS`` in turn. Prints each wall time (start, validation, notebooks,
overview, summary and index included), the medians and their ratio, and checks that every
bureau's ``figures.json`` is byte-identical between the two.

The cluster's own start is timed apart: a real cluster is running before a batch starts.
On one machine the cluster run pays what a cluster pays everywhere (each task's files
packed, sent, laid out and its outputs sent back and written here) and gains nothing a
second machine would bring, so the ratio is the overhead of going through Dask.

Run: .venv/bin/python benchmarks/cluster.py [--bureaus 24] [--workers 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from batch import children_cpu, machine_speed  # (the same process-tree timing as the batch benchmark)
from scale import BIN, YEAR, build  # (the same invented bureaus as the scale benchmark)


def timed(what: str, cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds of the whole process tree; a failed batch ends the benchmark with its message."""
    cpu, wall = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"{what} batch exited {done.returncode}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - wall, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bureaus", type=int, default=24, help="bureau-years to build (one year)")
    parser.add_argument("--workers", type=int, default=2, help="pool processes, and Dask worker processes")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, in turn (medians are compared)")
    parser.add_argument("--keep", type=Path, default=None, help="build in this folder and keep it")
    args = parser.parse_args()

    from distributed import Client, LocalCluster

    print(machine_speed())
    tmp = Path(tempfile.mkdtemp(prefix="zongjie-cluster-")) if args.keep is None else args.keep
    try:
        data, params, codes = build(args.bureaus, tmp)
        print(f"built {len(codes)} bureau-years of {YEAR}")
        batch = [str(BIN / "zongjie"), "batch", "--data", str(data), "--params", str(params), "--year", str(YEAR)]
        batch.append("--force")

        pool = [*batch, "--out", str(tmp / "pool"), "--jobs", str(args.workers)]
        walls: dict[str, list[float]] = {"pool": [], "cluster": []}
        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(args.workers)
            print(f"cluster of {args.workers} workers started in {time.perf_counter() - start:.1f} s (not counted)")
            on_cluster = [*batch, "--out", str(tmp / "cluster"), "--cluster", cluster.scheduler_address]
            first, first_cpu = timed("cluster", on_cluster)
            print(f"cluster, its workers' first batch: {first:.1f} s wall, {first_cpu:.1f} s CPU on this side")
            for _ in range(args.repeat):
                for name, cmd in (("pool", pool), ("cluster", on_cluster)):
                    wall, cpu = timed(name, cmd)
                    walls[name].append(wall)
                    where = f"{args.workers} processes, whole tree" if name == "pool" else "this side"
                    print(f"{name}: {wall:.1f} s wall, {cpu:.1f} s CPU ({where})")
        pool_wall, dask_wall = statistics.median(walls["pool"]), statistics.median(walls["cluster"])
        same = sum(
            (tmp / "pool" / str(YEAR) / c / "figures.json").read_bytes()
            == (tmp / "cluster" / str(YEAR) / c / "figures.json").read_bytes()
            for c in codes
        )
        print(f"figures.json byte-identical: {same}/{len(codes)}")
        print(
            f"medians of {args.repeat}: pool {pool_wall:.1f} s, cluster {dask_wall:.1f} s "
            f"({pool_wall / len(codes):.3f} / {dask_wall / len(codes):.3f} s a report); "
            f"cluster / pool = {dask_wall / pool_wall:.2f} (first batch on new workers: {first / pool_wall:.2f})"
        )
        print(machine_speed())
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
