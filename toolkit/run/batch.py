"""Run the report notebook for many bureaus: parallel, isolated, resumable, interruptible.

Three stages: :func:`plan` (which bureaus, with which inputs, which can be reused),
:func:`run` (the notebooks in worker processes, each keeping one kernel) and
:func:`summarise` (``summary.csv`` and ``index.html``). Nothing here prints: the command
line shows progress through the ``on_result`` callback.

The ledgers are loaded and validated once per batch; each bureau's notebook is handed a
copy of its own rows (:func:`own_rows`), the overview and 汇总表 the whole. A failure is a value in the summary, never the end of the batch. A bureau
is reused only when its inputs are unchanged *and* its ``result.json`` verifies every
output file; anything less is redone. Workers and kernels die with the batch, however it
ends; Ctrl-C stops the running notebooks, and the summary marks them 已中断.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import json
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.codes import check_code
from toolkit.data.contract_file import load_contract
from toolkit.data.ledgers import Ledgers, Shelf
from toolkit.data.params import list_bureaus, load_all
from toolkit.data.problems import CellProblem, Notice, Problem
from toolkit.data.validate import check_codes, load_ledgers_per_bureau, read_ledgers
from toolkit.errors import NotFoundError, ZongjieError
from toolkit.outputs import (
    OVERVIEW_PAGE,
    PROBLEM_LIST,
    SUMMARY_CSV,
    SUMMARY_TABLE_DOCX,
    SUMMARY_TABLE_JSON,
    atomic_write,
    remove_leftovers,
    report_dir,
    report_files,
)
from toolkit.publish import index_page
from toolkit.publish import pdf as pdf_copies
from toolkit.publish.summary_definition import NoSummaryTable
from toolkit.publish.summary_docx import write_summary_table
from toolkit.publish.summary_table import SummaryMissingError
from toolkit.report import signoff
from toolkit.report.gate import FinalGate, ledger_gate
from toolkit.report.prepare import prepare
from toolkit.resources import DEFAULT_REPORT, definition_name
from toolkit.run import lifetime, slot
from toolkit.run.inputs import fingerprints
from toolkit.run.kernels import IPC_PREFIX
from toolkit.run.lifetime import born_deaf_to_ctrl_c, remove_orphans
from toolkit.run.pool import Workers, early_pool, pool_size
from toolkit.run.result import RunResult, clear, complete, record, recorded
from toolkit.run.spec import RunSpec

if TYPE_CHECKING:  # Dask is imported only by a batch that runs on a cluster
    from toolkit.run.cluster import Cluster

#: summary.csv's columns: each field's key and the Chinese header Excel shows.
SUMMARY_COLUMNS = {
    "bureau": "单位代码",
    "name": "单位名称",
    "status": "状态",
    "signoff": "核对状态",
    "missing": "待补充",
    "warnings": "提示",
    "overrides": "已修改",
    "changed_since_last_run": "与上次相比变化",
    "changed_from_last_year": "与上年相比变化",
    "error": "错误",
    "seconds": "用时（秒）",
    "reused": "沿用上次结果",
}
#: How a run ended, as summary.csv writes it.
STATUS_ZH = {"ok": "成功", "failed": "失败", "interrupted": "已中断", "held": "未生成（未核对）"}
OVERVIEW = "overview"

OnResult = Callable[[str, RunResult], None]


@dataclass(frozen=True)
class Job:
    spec: RunSpec
    fingerprint: str


@dataclass
class Plan:
    """What a batch will do: the bureaus to run, those whose last results stand, the overview."""

    spec: RunSpec
    codes: list[str]
    known: list[str]
    jobs: list[Job] = field(default_factory=list)
    reused: dict[str, RunResult] = field(default_factory=dict)
    #: bureaus held back on purpose (a final report only once reviewed), with their result
    held: dict[str, RunResult] = field(default_factory=dict)
    overview: bool = True
    overview_print: str = ""
    # --- ledger problems: a bureau with bad rows fails alone; codes without parameters are named
    failed: dict[str, list[CellProblem]] = field(default_factory=dict)
    data_problems: list[CellProblem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    #: every bureau's rows, validated (the 汇总表 reads them)
    ledgers: Ledgers | None = field(default=None, repr=False)

    @property
    def year_dir(self) -> Path:
        return self.spec.year_dir

    @property
    def stamp(self) -> Path:
        return self.year_dir / ".zongjie" / "overview.fingerprint"

    @property
    def reserve(self) -> Path:
        """Disk space held from the plan to the summary (see :func:`reserve_space`)."""
        return self.year_dir / ".zongjie" / "summary.reserve"


@dataclass
class BatchSummary:
    year: int
    results: list[RunResult] = field(default_factory=list)
    folder: Path | None = None
    interrupted: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every bureau done (or held back on purpose), nothing stopped, nothing else wrong."""
        return all(r.ok or r.held for r in self.results) and not self.interrupted and not self.problems


def reusable(folder: Path, fingerprint: str) -> RunResult | None:
    """The last result when it succeeded with exactly these inputs and all its files verify."""
    result = recorded(folder)
    if result is None or not result.ok or result.fingerprint != fingerprint or not complete(folder, result):
        return None
    result.skipped = True
    return result


def plan(
    spec: RunSpec,
    *,
    bureaus: list[str] | None = None,
    force: bool = False,
    reviewed_only: bool = False,
    pool: Workers | None = None,
) -> Plan:
    """Validate the ledgers once, cache them for the notebooks, and decide what to run.

    Problems in rows of one bureau fail that bureau only (its rows are left out of the
    cache); problems that concern a whole file still raise before anything runs. With
    ``reviewed_only`` (and a final report) a bureau whose current figures are not marked
    已核对 or 已定稿 is held back, not rendered. ``pool``: workers started ahead, which
    read the files of a large data folder while their kernels wait for the plan.
    """

    spec = spec.resolved()
    known = list_bureaus(spec.params_dir)
    codes = list(dict.fromkeys(check_code(c, "--bureau") for c in bureaus or known))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFoundError(f"参数目录中没有这些单位：{'、'.join(unknown)}。已有的单位：{'、'.join(known)}。")
    contract = load_contract(spec.params_dir)
    mapper = pool.map if pool is not None else map
    split = load_ledgers_per_bureau(spec.data_dir, known, contract, mapper)  # once a batch; whole-file problems raise
    ledgers = split.ledgers
    if not split.failed:
        ledgers.require_year(spec.year)  # a year without any data stops the batch before it starts
    if spec.final:  # a blocking problem anywhere in the folder stops every final report of the year
        year_gate(ledgers, known, spec.year, split.failed).refuse()
    cache = spec.year_dir / ".zongjie" / "ledgers.pkl"
    cache.parent.mkdir(parents=True, exist_ok=True)
    for folder in (spec.year_dir, cache.parent):  # a killed batch's half-written summary, index, 汇总表…
        remove_leftovers(folder)
    remove_orphans(IPC_PREFIX)  # …and its kernels' socket folders, even when nothing is to be run
    shelf = ledgers.shelve()  # the overview reads it bureau by bureau; each notebook, its bureau's part
    shelf.save(cache)
    reserve_space(cache.parent / "summary.reserve", len(known))
    spec = spec.with_(ledger_cache=cache)  # no template: each bureau's own or the report's (inputs lists both)
    prints = fingerprints(spec, known, ledgers)  # every bureau's: the overview shows them all
    result = Plan(spec, codes, known, notices=ledgers.notices, ledgers=ledgers)
    result.failed = {c: split.failed[c] for c in codes if c in split.failed}
    result.data_problems = [p for p in check_codes(ledgers, known) if p.bureau not in split.failed]
    result.data_problems += [p for c, ps in split.failed.items() if c not in known for p in ps]
    held = _not_reviewed(spec, ledgers, codes, result.failed) if reviewed_only and spec.final else {}
    result.held = {c: RunResult(c, spec.year, held=why) for c, why in held.items()}
    for code in codes:
        if code in result.failed or code in held:
            continue
        previous = None if force else reusable(report_dir(spec.out_dir, spec.year, code), prints[code])
        if previous is not None:
            result.reused[code] = previous
        else:
            result.jobs.append(Job(own_rows(spec.for_bureau(code), ledgers, shelf), prints[code]))
    everything = ledgers.digest() + "".join(prints[c] for c in sorted(prints))  # the overview reads every row
    result.overview_print = hashlib.sha256(everything.encode()).hexdigest()
    stamp, page = result.stamp, spec.year_dir / OVERVIEW_PAGE
    result.overview = force or not page.is_file() or not stamp.is_file() or stamp.read_text() != result.overview_print
    return result


def year_gate(ledgers: Ledgers, known: list[str], year: int, failed: dict[str, list[CellProblem]]) -> FinalGate:
    """What in the whole data folder blocks the year's final reports (:mod:`toolkit.report.gate`).

    Rows of a code without a parameter file belong to no bureau: they hold every bureau of
    the year, not one. Such rows that were also broken (left out of ``ledgers``) count too.
    """
    gate = ledger_gate(ledgers, known, year)
    gate.codes += [p for code, problems in failed.items() if code not in known for p in problems]
    return gate


def _not_reviewed(
    spec: RunSpec, ledgers: Ledgers, codes: list[str], failed: dict[str, list[CellProblem]]
) -> dict[str, str]:
    """The bureaus whose report, as the data give it now, is not marked 已核对 or 已定稿, with why."""
    out: dict[str, str] = {}
    for code in codes:
        if code in failed:
            continue
        try:
            rep = prepare(ledgers, spec.params_dir, code, spec.year, spec.signed_on, report=spec.report)
            now = signoff.state(spec.params_dir, rep.figures)
        except ZongjieError as err:
            out[code] = f"无法确认核对状态，未生成正式稿：{err}"
            continue
        if not now.signed:
            out[code] = f"{now}，未生成正式稿（核对后再生成）"
    return out


# --- a bureau's notebook reads its own rows only: all of the ledgers its fingerprint digests
def own_rows(spec: RunSpec, ledgers: Ledgers, shelf: Shelf | None = None) -> RunSpec:
    """The bureau's run reading a copy of the ledgers with its own rows (every table and year) and the notices.

    A bureau without any row keeps the whole copy: its notebook fails naming the codes
    the ledgers do hold (and a failed bureau is never reused).
    """
    if spec.bureau not in ledgers.bureaus:
        return spec
    path = spec.year_dir / ".zongjie" / "ledgers" / f"{spec.bureau}.pkl"
    path.parent.mkdir(exist_ok=True)
    if shelf is None:
        ledgers.of(spec.bureau).save(path)
    else:  # the bytes already made for the shelf; written anew by every batch, so not synced
        atomic_write(path, shelf.parts[spec.bureau], durable=False)
    return spec.with_(ledger_cache=path)


# ---


@dataclass
class Outcome:
    """What :func:`run` got back: results by bureau (and ``overview``), and whether it was stopped."""

    results: dict[str, RunResult] = field(default_factory=dict)
    interrupted: bool = False
    #: the 汇总表's docx, written by a thread while the notebooks run (see :func:`_summary_docx`)
    table: Future[tuple[str, bool, Path | None]] | None = None
    #: what ended the run early other than Ctrl-C (a cluster's scheduler that went away)
    problems: list[str] = field(default_factory=list)


def run(
    plan: Plan,
    *,
    jobs: int | None = None,
    on_result: OnResult | None = None,
    cluster: Cluster | None = None,
    pool: Workers | None = None,
) -> Outcome:
    """Run the planned notebooks in worker processes, or on ``cluster``; Ctrl-C ends them and returns what finished.

    ``pool`` is the workers :func:`run_all` started before planning (closed here); without
    it a pool is started now.
    """
    outcome = Outcome()
    count = len(plan.jobs) + plan.overview
    if not count:
        if pool is not None:
            pool.close(stop=True)  # started ahead for nothing: every bureau's last result stands
        return outcome
    # the 汇总表 needs only the ledgers and parameters: a thread of this (otherwise waiting)
    # process writes it while the workers run the notebooks; summarise collects it
    side = ThreadPoolExecutor(1, thread_name_prefix="zongjie-summary-table")
    outcome.table = side.submit(_summary_docx, plan)
    side.shutdown(wait=False)
    if cluster is not None:
        _on_cluster(plan, outcome, cluster, on_result)
    else:
        if pool is not None and pool.broken:  # a worker died reading the ledgers: the others go too
            pool.close(stop=True)
            pool = None
        _in_pool(plan, outcome, pool or Workers(pool_size(jobs, count)), on_result)
    return outcome


def _on_cluster(plan: Plan, outcome: Outcome, cluster: Cluster, on_result: OnResult | None) -> None:
    """The bureaus' notebooks on a Dask cluster (see :mod:`toolkit.run.cluster`), the overview on this machine."""
    overview = (OVERVIEW, plan.spec) if plan.overview else None
    ran = cluster.run([(job.spec, job.fingerprint) for job in plan.jobs], overview=overview, on_result=on_result)
    outcome.results.update(ran.results)
    outcome.interrupted = ran.interrupted
    if ran.problem:
        outcome.problems.append(ran.problem)


def _in_pool(plan: Plan, outcome: Outcome, workers: Workers, on_result: OnResult | None) -> None:
    """The notebooks in a local process pool, each worker keeping one kernel."""
    pool = workers.executor
    futures: dict[Future[RunResult], tuple[str, int]] = {}
    try:
        with born_deaf_to_ctrl_c():  # the first submissions start the workers
            if plan.overview:  # first: the longest notebook, run beside the bureaus', not after them
                futures[pool.submit(slot.run_overview, plan.spec)] = (OVERVIEW, plan.spec.year)
            for job in plan.jobs:
                futures[pool.submit(slot.run_bureau, job.spec, job.fingerprint)] = (job.spec.bureau, plan.spec.year)
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                code, year = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker process itself died
                    result = RunResult(code, year, error=f"工作进程异常退出（{type(exc).__name__}: {exc}）")
                outcome.results[code] = result
                if on_result is not None:
                    on_result(code, result)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM
        outcome.interrupted = True
    finally:
        # the workers leave, their kernels with them; another Ctrl-C meanwhile must not lose what finished
        workers.close(stop=True)  # all came back (or Ctrl-C): nothing left for them to do


def summarise(plan: Plan, outcome: Outcome, seconds: float = 0.0) -> BatchSummary:
    """Merge this run's results with those reused and earlier ones; write summary.csv and index.html.

    Bureaus the run did not finish (Ctrl-C) are listed as 已中断. A summary that cannot be
    written is reported in ``problems``, not raised, so the results are still shown.
    """
    results = {**write_problem_lists(plan), **plan.held, **outcome.results}
    overview = results.pop(OVERVIEW, None)
    if overview is not None and overview.ok:
        _try(lambda: atomic_write(plan.stamp, plan.overview_print.encode()))
    elif plan.overview:
        plan.stamp.unlink(missing_ok=True)
    for code in plan.codes:
        if code not in results and code not in plan.reused:  # held bureaus are in results
            results[code] = RunResult(code, plan.spec.year, error="已中断，未完成。", interrupted=True)
            remove_leftovers(report_dir(plan.spec.out_dir, plan.spec.year, code))  # what its stopped worker was writing
    summary = BatchSummary(
        plan.spec.year,
        [results.get(c) or plan.reused[c] for c in plan.codes],
        plan.year_dir,
        interrupted=outcome.interrupted,
        seconds=seconds,
    )
    if overview is not None and not overview.ok:
        summary.problems.append(f"汇总笔记本执行失败：{overview.error}")
    summary.problems += outcome.problems
    summary.problems += [str(p) for p in plan.data_problems]
    names = {code: p.name for code, p in load_all(plan.spec.params_dir)[0].items()}
    # the year's summary lists every bureau run so far, not only those of this run
    earlier = [
        r
        for c in plan.known
        if c not in plan.codes and (r := recorded(report_dir(plan.spec.out_dir, plan.spec.year, c)))
    ]
    for r in earlier:
        r.skipped = True
    listed = BatchSummary(plan.spec.year, sorted(summary.results + earlier, key=lambda r: r.bureau), plan.year_dir)
    _signoff_states(plan.spec, listed.results)
    # --- 汇总表: the city's table of every bureau, before the index that links it
    # stopped (Ctrl-C, SIGTERM): no LibreOffice now for the 汇总表's PDF
    written = outcome.table.result() if outcome.table is not None else None  # the docx written during the run
    table_problem, ours = _summary_table(plan, pdf=not outcome.interrupted, written=written)
    if table_problem:
        listed.problems.append(table_problem)  # shown on the index page
        if ours:
            summary.problems.append(table_problem)
    # ---
    plan.reserve.unlink(missing_ok=True)  # its space is for these two files
    problem = _try(lambda: write_summary(listed, names, definition_name(plan.spec.report)))
    if problem:
        summary.problems.append(problem)
    return summary


def _summary_table(
    plan: Plan, *, pdf: bool = True, written: tuple[str, bool, Path | None] | None = None
) -> tuple[str, bool]:
    """Write ``汇总表.docx``/``.json`` (and ``.pdf`` with ``--pdf``) for every bureau of the parameter folder.

    ``written`` is what :func:`_summary_docx` already did during the run (else it is done
    here). A stopped batch (``pdf=False``) writes the docx but not the PDF, so Ctrl-C does
    not wait for LibreOffice. Returns what went wrong (``""`` when nothing did) and whether
    it concerns this run: a final table refused only for bureaus the run did not touch
    (``--bureau``) is shown on the index page but does not fail the run.
    """

    problem, ours, docx = written if written is not None else _summary_docx(plan)
    if problem or docx is None:
        return problem, ours
    if plan.spec.pdf and not pdf:
        return "汇总表 PDF 未生成：批处理已中断，下次运行时生成。", True
    if plan.spec.pdf:
        try:
            pdf_copies.write_beside(docx)
        except ZongjieError as err:  # the docx stands; only its PDF is missing
            return f"汇总表 PDF 未生成：{err}", True
    return "", False


def _summary_docx(plan: Plan) -> tuple[str, bool, Path | None]:
    """The 汇总表's docx and JSON: (what went wrong, whether it concerns this run, the docx).

    A refused table's old files are removed, so no table that disagrees with the ledgers stays linked.
    """

    spec = plan.spec
    try:
        ledgers = plan.ledgers or read_ledgers(spec.data_dir, spec.params_dir)
        broken = {c: f"台账中本单位的数据有{len(ps)}处问题，见{c}/{PROBLEM_LIST}" for c, ps in plan.failed.items()}
        docx = write_summary_table(
            ledgers,
            spec.params_dir,
            spec.year,
            spec.out_dir,
            bureaus=plan.known,
            final=spec.final,
            broken=broken,
            report=spec.report,  # a name, or a definition folder's path
        )
    except NoSummaryTable as err:  # a report without a 汇总表: said on the index page, no failure
        return f"本报告没有汇总表：{err}", False, None
    except SummaryMissingError as err:
        for name in (SUMMARY_TABLE_DOCX, SUMMARY_TABLE_JSON):
            (plan.year_dir / name).unlink(missing_ok=True)
        return str(err), bool(err.bureaus & set(plan.codes)), None
    except ZongjieError as err:
        return f"汇总表未生成：{err}", True, None
    return "", False, docx


def write_problem_workbook(problems: Sequence[Problem], data_dir: Path | None, out: Path) -> Path:
    """:func:`toolkit.data.problem_workbook.write_problem_workbook`, imported when there is
    something to list: openpyxl is a tenth of a second of every batch's start, on its
    critical path, and most batches list nothing."""
    written: Path = importlib.import_module("toolkit.data.problem_workbook").write_problem_workbook(
        problems, data_dir, out
    )
    return written


def write_problem_lists(plan: Plan) -> dict[str, RunResult]:
    """A failed result and ``问题清单.xlsx`` for each bureau whose rows are broken; the year's list.

    The bureau's earlier outputs are removed first, so no old report stands beside the failure.
    """

    results = {}
    for code, problems in plan.failed.items():
        folder = report_dir(plan.spec.out_dir, plan.spec.year, code)
        folder.mkdir(parents=True, exist_ok=True)
        clear(folder)
        write_problem_workbook(problems, plan.spec.data_dir, folder / PROBLEM_LIST)
        listed = " ".join(f"{n}. {p}" for n, p in enumerate(problems, 1))  # each ends with 。
        result = RunResult(
            code,
            plan.spec.year,
            error=f"台账中本单位的数据有{len(problems)}处问题，未生成报告（问题单元格已在{PROBLEM_LIST}中标红）：{listed}",
            folder=str(folder),
        )
        record(result, folder)
        results[code] = result
    year_list = plan.year_dir / PROBLEM_LIST
    if plan.data_problems:
        write_problem_workbook(plan.data_problems, plan.spec.data_dir, year_list)
    else:
        year_list.unlink(missing_ok=True)
    return results


#: Bytes held for ``summary.csv`` and ``index.html``: a fixed part and a generous line per bureau.
RESERVE_BASE, RESERVE_PER_BUREAU = 256 * 1024, 4 * 1024


def reserve_space(path: Path, bureaus: int) -> None:
    """Hold room on the output disk for the summary, released just before it is written.

    A disk that fills while the notebooks run then fails the bureaus it hits, and
    ``summary.csv`` and ``index.html`` are still written for every bureau. Without room
    even for this, nothing is held and the failures are reported as they come.
    """
    size = RESERVE_BASE + RESERVE_PER_BUREAU * bureaus
    try:
        with open(path, "wb") as handle:
            try:
                os.posix_fallocate(handle.fileno(), 0, size)
            except (AttributeError, OSError):  # a file system without fallocate: write it
                handle.write(bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
    except OSError:
        path.unlink(missing_ok=True)


def _try(write: Callable[[], None]) -> str:
    try:
        write()
    except ZongjieError as err:
        return str(err)
    return ""


def run_all(
    spec: RunSpec,
    *,
    bureaus: list[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    on_plan: Callable[[Plan], None] | None = None,
    on_result: OnResult | None = None,
    cluster: str | None = None,
    reviewed_only: bool = False,
    pool: Workers | None = None,
) -> BatchSummary:
    """One year's batch from plan to summary: the one way a batch is run (the command line's).

    ``on_plan`` sees the plan before any notebook starts, ``on_result`` each result as it
    comes. Ctrl-C or SIGTERM stops the notebooks; from then on the process only writes the
    summary (:func:`toolkit.run.lifetime.finishing`), which marks the rest 已中断. With
    ``cluster`` (a Dask scheduler's address) the bureaus' notebooks run there; the
    scheduler is reached before the ledgers are read, so a wrong address is said at once.
    ``pool`` is the workers :func:`toolkit.run.pool.early_pool` started even before this
    module was imported (the command line does, so that they start while it imports);
    without it they are started here, before planning.
    """
    start = time.monotonic()
    executor: Cluster | None = importlib.import_module("toolkit.run.cluster").Cluster(cluster) if cluster else None
    if pool is None and executor is None:  # started now, so its kernels start while the ledgers are validated
        pool = early_pool(spec, bureaus, jobs, force)
    try:
        planned = plan(spec, bureaus=bureaus, force=force, reviewed_only=reviewed_only, pool=pool)
        if on_plan is not None:
            on_plan(planned)
        outcome = run(planned, jobs=jobs, on_result=on_result, cluster=executor, pool=pool)
        pool = None  # run closed it
    finally:
        if executor is not None:
            executor.close()
        if pool is not None:  # planning failed or was stopped: the workers started ahead go now
            pool.close(stop=True)
    lifetime.finishing()  # the summary is written whole, and no later Ctrl-C turns the exit into a traceback
    return summarise(planned, outcome, time.monotonic() - start)


def _signoff_states(spec: RunSpec, results: list[RunResult]) -> None:
    """Each result's sign-off state, read against the figures its report was written with."""
    name = definition_name(spec.report)
    json_name = report_files(name).figures
    for result in results:
        written = report_dir(spec.out_dir, spec.year, result.bureau) / json_name
        if result.held or not written.is_file():
            continue
        try:
            now = signoff.state(spec.params_dir, json.loads(written.read_text(encoding="utf-8")), report=name)
        except (ZongjieError, OSError, ValueError) as err:
            result.signoff, result.signoff_detail = "无法读取", f"核对记录无法读取：{err}"
            continue
        result.signoff, result.signoff_detail = now.status, str(now)


def write_summary(summary: BatchSummary, names: dict[str, str], report: str = DEFAULT_REPORT) -> None:
    """``summary.csv`` (UTF-8 with BOM so Excel shows Chinese; Chinese headers) and ``index.html``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SUMMARY_COLUMNS.values())
    for r in summary.results:
        writer.writerow(
            [
                r.bureau,
                names.get(r.bureau, ""),
                STATUS_ZH.get(r.status, r.status),
                r.signoff_detail,
                "；".join(r.missing),
                "；".join(r.warnings),
                "；".join(r.overrides),
                "；".join(r.changes),
                "；".join(r.year_changes),
                r.held or r.error or (f"PDF 未生成：{r.pdf_error}" if r.pdf_error else ""),
                f"{r.seconds:.1f}",
                "是" if r.skipped else "",
            ]
        )
    assert summary.folder is not None
    atomic_write(summary.folder / SUMMARY_CSV, buffer.getvalue().encode("utf-8-sig"))
    index_page.write_index(summary, names, report)


def read_summary(path: Path) -> list[dict[str, str]]:
    """The rows of a ``summary.csv`` by field key (``bureau``, ``status`` …), statuses as codes (``ok``)."""
    keys = {zh: key for key, zh in SUMMARY_COLUMNS.items()}
    codes = {zh: code for code, zh in STATUS_ZH.items()}
    rows = csv.DictReader(Path(path).read_text(encoding="utf-8-sig").splitlines())
    out = []
    for row in rows:
        record = {keys.get(k, k): v for k, v in row.items()}
        record["status"] = codes.get(record.get("status", ""), record.get("status", ""))
        out.append(record)
    return out
