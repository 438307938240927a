"""A batch on a Dask cluster (``--cluster``): the same reports as the local pool, a worker killed
mid-run, a scheduler that goes away, and an address where no scheduler answers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import (
    PARAMS,
    SAMPLE,
    add_bureaus,
    cmdline,
    descendants,
    free_port,
    own_template,
    wait_for,
    zongjie,
)

from toolkit.run.batch import read_summary
from toolkit.run.result import complete, recorded

pytestmark = [pytest.mark.integration, pytest.mark.slow]

YEAR = "2021"
#: Columns of summary.csv that differ between two runs of the same inputs.
TIMING = {"seconds"}
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def cluster():
    """Two Dask worker processes, one thread each, as ``dask worker --nworkers 2 --nthreads 1`` starts them."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as local,
        Client(local) as client,
    ):
        yield local.scheduler_address, client


def world(root: Path, extra: int = 0) -> tuple[Path, Path, list[str]]:
    """The sample ledgers and parameters, a correction for qingshan, and ``extra`` invented bureaus."""
    data, params = root / "data", root / "params"
    shutil.copytree(SAMPLE, data)
    shutil.copytree(PARAMS, params)
    correct(params, "王五")
    codes = [f"extra-{n}" for n in range(extra)]
    add_bureaus(data, params, codes)
    return data, params, sorted([p.stem for p in (PARAMS / "bureaus").glob("*.yaml")] + codes)


def correct(params: Path, liaison: str) -> None:
    """qingshan's liaison corrected by a reviewer (a file the cluster's workers do not have)."""
    path = params / "overrides" / f"qingshan-{YEAR}.yaml"
    path.parent.mkdir(exist_ok=True)
    entry = f"{{old: 陈晓敏, new: {liaison}, reason: 核实, by: 张三, at: '2022-01-05T10:00:00'}}"
    path.write_text(f"overrides:\n  liaison: {entry}\n", encoding="utf-8")


def batch_args(data: Path, params: Path, out: Path, *extra: str) -> list[str]:
    return ["batch", "--data", data, "--params", params, "--year", YEAR, "--out", out, *extra]


def summary_rows(out: Path) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k not in TIMING} for row in read_summary(out / YEAR / "summary.csv")]


def assert_same_reports(pool: Path, on_cluster: Path, codes: list[str]) -> None:
    for code in codes:
        mine, theirs = pool / YEAR / code, on_cluster / YEAR / code
        assert (mine / "figures.json").read_bytes() == (theirs / "figures.json").read_bytes(), code
        result = recorded(theirs)
        assert result is not None and result.ok and complete(theirs, result), code
        assert result.folder == str(theirs)
        assert sorted(result.files) == sorted(recorded(mine).files), code
    assert summary_rows(pool) == summary_rows(on_cluster)


def test_the_cluster_writes_what_the_pool_writes(tmp_path, cluster):
    """Same figures.json bytes and summary.csv rows, a first run and a second after a correction changed."""
    address, _ = cluster
    data, params, codes = world(tmp_path)
    pool, on_cluster = tmp_path / "pool", tmp_path / "cluster"
    for out, extra in ((pool, ()), (on_cluster, ("--cluster", address))):
        done = zongjie(*batch_args(data, params, out, *extra))
        assert done.returncode == 0, done.stderr[-3000:]
    assert_same_reports(pool, on_cluster, codes)
    assert (on_cluster / YEAR / "overview.html").is_file() and (on_cluster / YEAR / "index.html").is_file()

    correct(params, "赵六")  # qingshan reruns, reading the figures its last run left ("changed since")
    for out, extra in ((pool, ()), (on_cluster, ("--cluster", address))):
        done = zongjie(*batch_args(data, params, out, "--bureau", "qingshan", *extra))
        assert done.returncode == 0, done.stderr[-3000:]
    assert_same_reports(pool, on_cluster, codes)
    rows = {row["bureau"]: row for row in summary_rows(on_cluster)}
    assert rows["qingshan"]["changed_since_last_run"] == "联络员：王五→赵六（人工修改）"
    assert rows["qingshan"]["reused"] == ""


def test_a_report_definition_and_a_bureaus_own_template_travel_with_the_task(tmp_path, cluster):
    """The workers have neither the chosen definition (``--report FOLDER``) nor hedong's own template."""
    from docx import Document

    from toolkit.report.definitions import new_report

    address, _ = cluster
    data, params, _ = world(tmp_path)
    own_template(params, "hedong", "党史学习教育开展以来，", "本局党史学习教育开展以来，")
    brief = new_report("brief", tmp_path / "templates", title="工作简报")
    runs = {"pool": (), "cluster": ("--cluster", address)}
    for report, figures in (((), "figures.json"), (("--report", brief), "brief.figures.json")):
        for name, extra in runs.items():
            args = batch_args(data, params, tmp_path / name, "--bureau", "hedong", "--bureau", "qingshan", *report)
            done = zongjie(*args, *extra)
            assert done.returncode == 0, done.stderr[-3000:]
        for code in ("hedong", "qingshan"):
            mine, theirs = tmp_path / "pool" / YEAR / code, tmp_path / "cluster" / YEAR / code
            assert (mine / figures).read_bytes() == (theirs / figures).read_bytes(), (code, figures)
        if not report:
            hedong = Document(str(tmp_path / "cluster" / YEAR / "hedong" / "report.docx")).paragraphs
            assert any(p.text.startswith("本局党史学习教育开展以来") for p in hedong)
    texts = [p.text for p in Document(str(tmp_path / "cluster" / YEAR / "qingshan" / "brief.docx")).paragraphs]
    assert texts[0].endswith("2021年工作简报")


def test_a_task_carries_every_file_its_notebook_reads(tmp_path):
    """What a task packs here is laid out on a worker with the batch's own relative layout."""
    from toolkit.run.cluster import pack
    from toolkit.run.remote import unpack
    from toolkit.run.spec import RunSpec

    data, params, _ = world(tmp_path)
    (params / "contract.yaml").write_text("# 台账约定\n", encoding="utf-8")
    (params / "overrides" / f"qingshan-{int(YEAR) - 1}.yaml").write_text("overrides: {}\n", encoding="utf-8")
    out = tmp_path / "out"
    rows = out / YEAR / ".zongjie" / "ledgers" / "qingshan.pkl"
    rows.parent.mkdir(parents=True)
    rows.write_bytes(b"rows")
    folder = out / YEAR / "qingshan"
    folder.mkdir()
    (folder / ".previous.figures.json").write_text("kept aside", encoding="utf-8")  # no figures.json shown
    (folder / "report.docx").write_bytes(b"an old output, not an input")
    template = tmp_path / "模板.docx"
    template.write_bytes(b"docx")
    spec = RunSpec(data, params, int(YEAR), out, "qingshan", template=template, ledger_cache=rows).resolved()

    task = pack(spec, "fingerprint", "plugin", {"params/contract.yaml": (params / "contract.yaml").read_bytes()})
    assert sorted(task.files) == [
        "out/2021/.zongjie/ledgers/qingshan.pkl",
        "out/2021/qingshan/figures.json",  # the worker's run keeps it aside itself
        "params/bureaus/qingshan.yaml",
        "params/contract.yaml",
        "params/overrides/qingshan-2020.yaml",
        "params/overrides/qingshan-2021.yaml",
        "template/模板.docx",
    ]
    assert task.files["out/2021/qingshan/figures.json"] == b"kept aside"

    there = unpack(task, tmp_path / "worker")
    assert there.params_dir == tmp_path / "worker" / "params" and there.out_dir == tmp_path / "worker" / "out"
    assert there.ledger_cache is not None and there.ledger_cache.read_bytes() == b"rows"
    assert there.template is not None and there.template.read_bytes() == b"docx"
    assert there.folder == tmp_path / "worker" / "out" / YEAR / "qingshan"
    assert (there.params_dir / "bureaus" / "qingshan.yaml").read_bytes() == (
        params / "bureaus" / "qingshan.yaml"
    ).read_bytes()


def kernels_under(pids: list[int]) -> set[int]:
    found = set()
    for pid in pids:
        for child in descendants(pid):
            if b"ipykernel" in cmdline(child):
                found.add(child)
    return found


def test_a_worker_killed_mid_run_still_yields_every_report(tmp_path, cluster):
    address, client = cluster
    client.wait_for_workers(2, timeout=120)
    data, params, codes = world(tmp_path, extra=40)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit.cli", *map(str, batch_args(data, params, out, "--cluster", address))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: any(out.glob(f"{YEAR}/*/result.json")) or process.poll() is not None, seconds=600)
        assert process.poll() is None, "the batch ended before a worker could be killed"
        busy = [w for w, keys in client.processing().items() if keys]  # a worker in the middle of a notebook
        assert busy, "no worker had work left"
        os.kill(client.run(os.getpid)[busy[0]], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr[-3000:]
    for code in codes:
        result = recorded(out / YEAR / code)
        assert result is not None and result.ok and complete(out / YEAR / code, result), code
    assert f"成功{len(codes)}个" in stdout
    # the batch's kernels went with its end, on the worker that took over as on the other
    client.wait_for_workers(2, timeout=120)
    workers = list(client.run(os.getpid).values())
    wait_for(lambda: not kernels_under(workers), seconds=60)


def test_a_scheduler_that_goes_away_ends_the_batch_with_its_summary(tmp_path):
    """The batch ends with what finished and 已中断 for the rest; the worker, left without its
    scheduler, ends its kernel; neither leaves a folder behind."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    temporary = Path(tempfile.mkdtemp(prefix="zj-"))  # short: kernels' socket paths must fit
    env = {**os.environ, "TMPDIR": str(temporary)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet
    )
    worker = subprocess.Popen(
        [DASK, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], **quiet
    )
    data, params, codes = world(tmp_path, extra=40)
    out = tmp_path / "out"
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.cli", *map(str, batch_args(data, params, out, "--cluster", address))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        wait_for(lambda: any(out.glob(f"{YEAR}/*/result.json")) or process.poll() is not None, seconds=600)
        assert process.poll() is None, "the batch ended before its scheduler could be stopped"
        scheduler.kill()
        stdout, stderr = process.communicate(timeout=300)
        worker.wait(120)  # a worker whose scheduler is gone closes itself
    finally:
        for child in (scheduler, worker):
            if child.poll() is None:
                child.kill()
            child.wait(60)
    assert process.returncode == 1, stderr[-3000:]
    assert f"与集群调度器“{address}”的连接已断开" in stderr and "Traceback" not in stderr
    rows = {row["bureau"]: row for row in summary_rows(out)}
    assert sorted(rows) == codes
    assert any(r["status"] == "ok" for r in rows.values())
    stopped = [c for c, r in rows.items() if r["status"] == "interrupted"]
    assert stopped and all(rows[c]["error"] == "已中断，未完成。" for c in stopped)
    assert "已中断" in stdout
    left = [p.name for p in temporary.iterdir() if p.name.startswith("zongjie-")]
    shutil.rmtree(temporary, ignore_errors=True)
    assert not left  # kernels' sockets, tasks' folders


def test_an_address_without_a_scheduler_is_a_clear_error(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    done = zongjie(*batch_args(SAMPLE, PARAMS, tmp_path / "out", "--cluster", address), timeout=120)
    assert done.returncode == 1
    assert f"无法连接集群调度器“{address}”" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()  # said before the ledgers were read

    done = zongjie(*batch_args(SAMPLE, PARAMS, tmp_path / "out", "--cluster", "127.0.0.1"), timeout=120)
    assert done.returncode == 1 and "集群地址“127.0.0.1”格式不对" in done.stderr
    assert "Traceback" not in done.stderr
