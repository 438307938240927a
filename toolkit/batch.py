"""Run the report notebook for many bureaus: parallel, isolated, resumable.

The ledgers are loaded and validated once per batch and handed to every notebook as a
cached copy. Each bureau runs in a worker process and its own kernel (IPC sockets, no
ports); a failure is a value in the summary, never the end of the batch. A bureau whose
inputs have not changed since its last successful run is skipped unless forced.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import __version__, worker
from .errors import NotFoundError
from .execute import RunResult
from .load import find_sources
from .outputs import atomic_write, report_dir
from .overrides import overrides_path
from .params import bureau_dir, list_bureaus, load_all
from .resources import PACKAGE, default_template, notebook

SUMMARY_COLUMNS = ["bureau", "name", "status", "missing", "warnings", "overrides", "error", "seconds", "reused"]
STATUS_ZH = {"ok": "成功", "failed": "失败"}


@dataclass
class BatchSummary:
    year: int
    results: list[RunResult] = field(default_factory=list)
    folder: Path | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def _files_digest(paths: list[Path], base: Path) -> bytes:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(base)).encode())
        h.update(path.read_bytes())
    return h.digest()


def fingerprints(
    data: Path, params: Path, year: int, codes: list[str], template: Path, options: dict
) -> dict[str, str]:
    """A digest per bureau of everything its report depends on."""
    shared = _digest(
        _files_digest(find_sources(data), data),
        template.read_bytes(),
        notebook().read_bytes(),
        _files_digest(list(PACKAGE.rglob("*.py")), PACKAGE),
        json.dumps({**options, "year": year, "version": __version__}, sort_keys=True, default=str).encode(),
    )
    out = {}
    for code in codes:
        own = [bureau_dir(params) / f"{code}.yaml", overrides_path(params, code, year)]
        out[code] = _digest(shared.encode(), *(p.read_bytes() if p.is_file() else b"" for p in own))
    return out


def _recorded(folder: Path) -> RunResult | None:
    """The result a bureau's last run left in its folder, if any."""
    try:
        record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    known = {k: v for k, v in record.items() if k in RunResult.__dataclass_fields__}
    return RunResult(**{**known, "skipped": True})


def _previous(folder: Path, fingerprint: str) -> RunResult | None:
    """The last result when it succeeded with exactly these inputs, so the run can be skipped."""
    result = _recorded(folder)
    if result is None or result.fingerprint != fingerprint or not result.ok:
        return None
    if not all((folder / name).is_file() for name in ("report.docx", "report.html", "report.ipynb")):
        return None
    return result


def run_batch(
    data,
    params,
    year: int,
    out,
    *,
    bureaus: list[str] | None = None,
    jobs: int | None = None,
    final: bool = False,
    force: bool = False,
    timeout: int = 600,
    template=None,
    signed_on: date | None = None,
    progress: bool = True,
) -> BatchSummary:
    """Run every bureau (or those named) for one year; write summary.csv and index.html."""
    from .validate import load_ledgers

    data, params, out = Path(data).resolve(), Path(params).resolve(), Path(out).resolve()
    template = Path(template).resolve() if template else default_template()
    known = list_bureaus(params)
    codes = list(dict.fromkeys(bureaus or known))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFoundError(f"参数目录中没有这些单位：{'、'.join(unknown)}。已有的单位：{'、'.join(known)}。")
    start = time.monotonic()
    ledgers = load_ledgers(data)  # once per batch; raises with every problem in the ledgers
    year_dir = out / str(year)
    cache = year_dir / ".zongjie" / "ledgers.pkl"
    cache.parent.mkdir(parents=True, exist_ok=True)
    ledgers.save(cache)
    options = {"final": final, "signed_on": signed_on, "timeout": timeout}
    prints = fingerprints(data, params, year, codes, template, options)

    results: dict[str, RunResult] = {}
    pending = []
    for code in codes:
        previous = None if force else _previous(report_dir(out, year, code), prints[code])
        if previous is not None:
            results[code] = previous
        else:
            pending.append(
                {
                    "data": data,
                    "params": params,
                    "bureau": code,
                    "year": year,
                    "out": out,
                    "final": final,
                    "template": template,
                    "signed_on": signed_on,
                    "ledger_cache": cache,
                    "timeout": timeout,
                    "fingerprint": prints[code],
                }
            )
    if results:
        print(f"跳过{len(results)}个未改动的单位：{'、'.join(results)}（加 --force 可重新生成）", file=sys.stderr)
    overview_print = _digest(*(prints[c].encode() for c in sorted(prints)))
    stamp = year_dir / ".zongjie" / "overview.fingerprint"
    overview = None
    if (
        force
        or not (year_dir / "overview.html").is_file()
        or not stamp.is_file()
        or stamp.read_text() != overview_print
    ):
        overview = {"data": data, "params": params, "year": year, "out": out, "ledger_cache": cache, "timeout": timeout}
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pending) + (overview is not None)))
    if pending or overview:
        done = _run_parallel(pending, workers, progress, overview)
        overview_result = done.pop("overview", None)
        results.update(done)
        if overview_result is not None and overview_result.ok:
            atomic_write(stamp, overview_print.encode())
        elif overview_result is not None:
            stamp.unlink(missing_ok=True)
            print(f"汇总笔记本执行失败：{overview_result.error}", file=sys.stderr)
    summary = BatchSummary(year, [results[c] for c in codes], year_dir)
    names = {code: p.name for code, p in load_all(params)[0].items()}
    # the year's summary lists every bureau run so far, not only those of this run
    earlier = [r for c in known if c not in results and (r := _recorded(report_dir(out, year, c)))]
    write_summary(BatchSummary(year, sorted(summary.results + earlier, key=lambda r: r.bureau), year_dir), names)
    _print_summary(summary, time.monotonic() - start)
    return summary


def _run_parallel(pending: list[dict], workers: int, progress: bool, overview: dict | None) -> dict[str, RunResult]:
    """Run the bureaus' notebooks (and the overview) in worker processes; results by bureau."""
    from tqdm import tqdm

    results = {}
    context = multiprocessing.get_context("spawn")  # no forked ZMQ or thread state in workers
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(worker.run_bureau, dict(job)): job["bureau"] for job in pending}
        if overview is not None:
            futures[pool.submit(worker.run_overview, overview)] = "overview"
        with tqdm(total=len(futures), desc="生成报告", unit="个单位", disable=not progress, file=sys.stderr) as bar:
            for future in as_completed(futures):
                code = futures[future]
                try:
                    results[code] = future.result()
                except Exception as exc:  # the worker process itself died
                    year = next((j["year"] for j in pending if j["bureau"] == code), overview and overview["year"])
                    results[code] = RunResult(
                        code, year, ok=False, error=f"工作进程异常退出（{type(exc).__name__}: {exc}）"
                    )
                shown = "各单位汇总" if code == "overview" else code
                bar.set_postfix_str(f"{shown}：{'成功' if results[code].ok else '失败'}")
                bar.update()
    return results


def _status(result: RunResult) -> str:
    return "ok" if result.ok else "failed"


def write_summary(summary: BatchSummary, names: dict[str, str]) -> None:
    """``summary.csv`` (UTF-8 with BOM so Excel shows Chinese) and ``index.html``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(SUMMARY_COLUMNS)
    for r in summary.results:
        writer.writerow(
            [
                r.bureau,
                names.get(r.bureau, ""),
                _status(r),
                "；".join(r.missing),
                "；".join(r.warnings),
                "；".join(r.overrides),
                r.error,
                f"{r.seconds:.1f}",
                "是" if r.skipped else "",
            ]
        )
    atomic_write(summary.folder / "summary.csv", buffer.getvalue().encode("utf-8-sig"))
    atomic_write(summary.folder / "index.html", index_html(summary, names).encode("utf-8"))


def index_html(summary: BatchSummary, names: dict[str, str]) -> str:
    rows = []
    for r in summary.results:
        e = html.escape
        links = [f'<a href="{e(r.bureau)}/report.html">核对笔记本</a>']
        if r.ok:
            links.append(f'<a href="{e(r.bureau)}/report.docx">Word 报告</a>')
        status = STATUS_ZH[_status(r)] + ("（未改动，沿用上次结果）" if r.skipped else "")
        rows.append(
            f'<tr class="{_status(r)}"><td>{e(r.bureau)}</td><td>{e(names.get(r.bureau, ""))}</td><td>{status}</td>'
            f"<td>{len(r.missing)}</td><td>{len(r.warnings)}</td><td>{len(r.overrides)}</td>"
            f"<td>{' | '.join(links)}</td><td>{e(r.error)}</td></tr>"
        )
    overview = summary.folder / "overview.html"
    extra = '<p><a href="overview.html">全部单位汇总对比</a></p>' if overview.is_file() else ""
    ok = sum(r.ok for r in summary.results)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{summary.year}年工作总结生成情况</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
th {{ background: #f3f3f3; }} tr.failed td {{ background: #fdecea; }}
</style></head><body>
<h1>{summary.year}年工作总结生成情况</h1>
<p>共{len(summary.results)}个单位，成功{ok}个，失败{len(summary.results) - ok}个。明细见 <a href="summary.csv">summary.csv</a>。</p>
{extra}
<table><thead><tr><th>单位代码</th><th>单位名称</th><th>状态</th><th>待补充</th><th>提示</th><th>已修改</th><th>文件</th><th>错误</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""


def _print_summary(summary: BatchSummary, seconds: float) -> None:
    ok = sum(r.ok for r in summary.results)
    print(
        f"{summary.year}年：{len(summary.results)}个单位，成功{ok}个，失败{len(summary.results) - ok}个，用时{seconds:.1f}秒。"
    )
    for r in summary.results:
        if not r.ok:
            print(f"- {r.bureau} 失败：{r.error}")
    print(f"汇总：{summary.folder / 'summary.csv'}")
    print(f"索引：{summary.folder / 'index.html'}")
