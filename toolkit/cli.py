"""The ``zongjie`` command: render, validate, run and batch, with Chinese messages.

Every error the toolkit raises on purpose becomes a message and a non-zero exit code;
nothing prints a traceback unless ``ZONGJIE_DEBUG`` is set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from toolkit import __version__
from toolkit.cliparser import ChineseArgumentParser
from toolkit.errors import NotFoundError, ZongjieError
from toolkit.outputs import INDEX, SUMMARY_CSV, report_files
from toolkit.run import lifetime
from toolkit.run.spec import RunSpec

if TYPE_CHECKING:
    from toolkit.run import batch
    from toolkit.run.result import RunResult
    from toolkit.ui import apps


def _year(text: str) -> int:
    if not text.isdigit() or not 1900 <= int(text) <= 2100:
        raise argparse.ArgumentTypeError(f"年度应为四位数字，收到“{text}”")
    return int(text)


def _day(text: str) -> date:
    from toolkit.data.dates import DATE_FORMS, UnreadableDate, read_date

    try:
        day = read_date(text)
    except UnreadableDate as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}“{text}”，日期应写作{DATE_FORMS}") from None
    if day is None:
        raise argparse.ArgumentTypeError(f"日期为空，应写作{DATE_FORMS}")
    return day


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"应为正整数，收到“{text}”")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为1到65535之间的整数，收到“{text}”")
    return int(text)


def _common(p: argparse.ArgumentParser, *, bureau: bool, out: bool = True) -> None:
    p.add_argument(
        "--data",
        type=Path,
        required=True,
        dest="data_dir",
        metavar="台账目录",
        help="台账所在目录（.xlsx、.xls、.ods 工作簿或 .csv）",
    )
    p.add_argument(
        "--params",
        type=Path,
        default=Path("parameters"),
        dest="params_dir",
        metavar="参数目录",
        help="参数目录（含 bureaus/<单位代码>.yaml），默认 parameters",
    )
    if bureau:
        p.add_argument("--bureau", required=True, metavar="单位代码", help="单位代码")
    if out:
        p.add_argument("--year", type=_year, required=True, metavar="年度", help="报告年度，如 2021")
        p.add_argument(
            "--out", type=Path, default=Path("output"), dest="out_dir", metavar="输出目录", help="输出目录，默认 output"
        )
        p.add_argument("--final", action="store_true", help="正式稿：缺少任何数据时拒绝生成")
        p.add_argument("--template", type=Path, default=None, metavar="模板.docx", help="Word 模板，默认使用内置模板")
        p.add_argument(
            "--date",
            type=_day,
            default=None,
            dest="signed_on",
            metavar="日期",
            help="落款日期，如 2022-01-10 或 2022年1月10日；默认取参数文件 signed_on，未填写时年度结束三个月内为当天",
        )
        p.add_argument(
            "--report",
            default="report",
            metavar="报告",
            help="报告定义的名称（templates/<名称>/）或其目录，默认 report；zongjie reports 列出全部",
        )
        p.add_argument("--pdf", action="store_true", help="同时用 LibreOffice 生成 report.pdf")


def parser() -> argparse.ArgumentParser:
    root = ChineseArgumentParser(prog="zongjie", description="根据台账数据生成单位年度工作总结。")
    root.add_argument("--version", action="version", version=f"zongjie {__version__}", help="显示版本号并退出")
    sub = root.add_subparsers(dest="command", required=True, metavar="命令")
    p = sub.add_parser("render", help="生成一个单位一个年度的报告（report.docx 与 figures.json）")
    _common(p, bureau=True)
    p = sub.add_parser("validate", help="检查台账和参数，列出全部问题")
    _common(p, bureau=False, out=False)
    p.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="问题清单.xlsx",
        help="有问题时写出问题清单（问题单元格标红并加批注）",
    )
    p = sub.add_parser("run", help="用 papermill 执行报告笔记本，生成笔记本、HTML 和报告")
    _common(p, bureau=True)
    p = sub.add_parser("batch", help="为所有单位并行执行报告笔记本")
    _common(p, bureau=False)
    p.add_argument("--bureau", action="append", dest="bureaus", metavar="单位代码", help="只处理这些单位（可重复）")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive, default=None, metavar="进程数", help="并行进程数，默认每个 CPU 核一个")
    where.add_argument(
        "--cluster",
        default=None,
        metavar="调度器地址",
        help="在 Dask 集群上执行各单位的笔记本，如 tcp://127.0.0.1:8786（dask scheduler 显示的地址）；"
        "校验、汇总与索引仍在本机",
    )
    p.add_argument("--force", action="store_true", help="重新生成未改动的单位")
    p.add_argument(
        "--reviewed-only",
        action="store_true",
        help="与 --final 同用：只为数据已核对（或已定稿）的单位生成正式稿，其余标为未核对",
    )
    p.add_argument("--timeout", type=_positive, default=600, metavar="秒数", help="每个笔记本的超时秒数，默认 600")
    p = sub.add_parser("reports", help="列出全部报告定义及其数据项")
    p.add_argument(
        "--params",
        dest="params_dir",
        type=Path,
        default=Path("parameters"),
        metavar="目录",
        help="参数目录（其中的 contract.yaml 扩充台账的词汇），默认 ./parameters",
    )
    p = sub.add_parser("new-report", help="新建一个报告定义（templates/<名称>/），可立即生成")
    p.add_argument("name", metavar="名称", help="报告名称：字母、数字、“-”“_”")
    p.add_argument(
        "--title", default="工作总结", metavar="标题", help="报告标题（单位名和年度之后的文字），默认“工作总结”"
    )
    p.add_argument(
        "--templates", type=Path, default=None, metavar="目录", help="报告定义所在目录，默认项目的 templates/"
    )
    _add_signoff_commands(sub)
    _add_correct_command(sub)
    _add_app_commands(sub)
    return root


def _add_signoff_commands(sub: Any) -> None:
    p = sub.add_parser("signoff", help="把一个单位一个年度的报告标记为已核对（加 --final 为已定稿）")
    _common(p, bureau=True)
    p.add_argument("--by", required=True, metavar="姓名", help="核对人（或定稿的办公室）")
    p = sub.add_parser("status", help="列出一个年度各单位报告的核对状态")
    _common(p, bureau=False)


def _add_correct_command(sub: Any) -> None:
    p = sub.add_parser(
        "correct", help="修改一个单位一个年度报告中的一项数据（同审核面板的“保存修改”），记录原因和修改人"
    )
    _common(p, bureau=True, out=False)
    p.add_argument("--year", type=_year, required=True, metavar="年度", help="报告年度，如 2021")
    p.add_argument(
        "--report", default="report", metavar="报告", help="修改哪一种报告的数据（templates/<名称>/），默认 report"
    )
    p.add_argument(
        "--figure", required=True, metavar="数据代码", help="数据项的代码，如 fiscal_revenue（zongjie reports 列出）"
    )
    p.add_argument("--value", default="", metavar="新值", help="修改后的值，如 20.5 或 20.5亿元")
    p.add_argument("--reason", default="", metavar="原因", help="修改原因（必填）")
    p.add_argument("--by", default=None, metavar="姓名", help="修改人，默认审核面板记住的姓名")
    p.add_argument("--remove", action="store_true", help="撤销这一项的修改（恢复台账计算值）")


# --- review app and JupyterLab (toolkit.ui.apps) ---------------------------------------


def _add_app_commands(sub: Any) -> None:
    def server_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--port", type=_port, default=None, metavar="端口", help="监听端口，默认自动选择")
        p.add_argument("--no-browser", action="store_true", help="不自动打开浏览器")

    p = sub.add_parser("review", help="打开数据核对页面（无需编写代码，浏览器中选择单位和年度）")
    p.add_argument(
        "--data", type=Path, required=True, metavar="台账目录", help="台账所在目录（.xlsx、.xls、.ods 工作簿或 .csv）"
    )
    p.add_argument("--params", type=Path, default=Path("parameters"), metavar="参数目录", help="默认 parameters")
    p.add_argument(
        "--out", type=Path, default=Path("output"), metavar="输出目录", help="生成的报告放在这里，默认 output"
    )
    p.add_argument(
        "--report", default="report", metavar="报告", help="核对哪一种报告（templates/<名称>/），默认 report"
    )
    server_options(p)
    p = sub.add_parser("lab", help="用中文界面的 JupyterLab 打开报告笔记本")
    p.add_argument(
        "--data", type=Path, default=Path("data/sample"), metavar="台账目录", help="默认示例数据 data/sample"
    )
    p.add_argument("--params", type=Path, default=Path("parameters"), metavar="参数目录", help="默认 parameters")
    p.add_argument("--bureau", default=None, metavar="单位代码", help="默认使用笔记本中的示例单位")
    p.add_argument("--year", type=_year, default=None, metavar="年度", help="默认使用笔记本中的示例年度")
    p.add_argument("--out", type=Path, default=Path("output"), metavar="输出目录", help="默认 output")
    server_options(p)


def _check_folder(path: Path, what: str) -> None:
    if not path.is_dir():
        raise NotFoundError(f"{what}“{path}”不存在或不是目录。")


def _free(port: int | None) -> int | None:
    from toolkit.ui.server import port_taken

    if port is not None and port_taken(port):
        raise ZongjieError(f"端口{port}已被其他程序占用，请换一个端口（--port），或不加 --port 自动选择。")
    return port


def _serve(launch: apps.Launch, args: argparse.Namespace, what: str) -> int:
    """Run a server until it exits or is stopped (Ctrl-C, SIGTERM); its kernels and temporary folder go with it."""
    try:
        served = launch.run(
            open_browser=not args.no_browser,
            child_setup=lifetime.child_setup(),
            on_ready=lambda: print(f"{what}已就绪：{launch.url}", flush=True),
        )
    finally:
        if launch.home is not None:  # also when the server could not be started
            shutil.rmtree(launch.home, ignore_errors=True)
    if served.stopped_by is not None:
        print(f"{what}已停止。", flush=True)
        return 0
    if served.status != 0:
        print(f"错误：{what}意外退出（退出码{served.status}），原因见上方的日志。", file=sys.stderr)
        return 1
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from toolkit.ui.apps import review_launch

    _check_folder(args.data, "台账目录")
    _check_folder(args.params, "参数目录")
    port = _free(args.port)
    home = lifetime.private_folder("zongjie-review-")  # one left by a killed command is removed here
    try:
        launch = review_launch(args.data, args.params, args.out, port=port, report=args.report, home=home)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    print("数据核对页面启动中，按 Ctrl+C 停止。")
    print(f"在浏览器中打开（已带登录口令，他人无法打开）：{launch.url}", flush=True)
    return _serve(launch, args, "数据核对页面")


def cmd_lab(args: argparse.Namespace) -> int:
    from toolkit.ui.apps import lab_launch, notebook_defaults

    _check_folder(args.data, "台账目录")
    _check_folder(args.params, "参数目录")
    port = _free(args.port)
    defaults = notebook_defaults()
    home = lifetime.private_folder("zongjie-lab-")
    try:
        launch = lab_launch(
            args.data,
            args.params,
            args.out,
            args.bureau or defaults["bureau"],
            args.year or defaults["year"],
            port=port,
            home=home,
        )
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    print(f"已写出笔记本：{launch.notebook}")
    print("JupyterLab 启动中（中文界面），按 Ctrl+C 停止。")
    print(f"在浏览器中打开（已带登录口令，直接打开报告笔记本）：{launch.url}", flush=True)
    return _serve(launch, args, "JupyterLab")


# --- end review app and JupyterLab --------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
    from toolkit.record import describe
    from toolkit.report import prepare as report

    spec = RunSpec.from_options(args)
    _check_out(spec.out_dir)
    _require_pdf(spec)
    rep = _prepared(spec)
    gate = rep.gate()  # what render, run and batch refuse a final report for
    if spec.final:
        gate.refuse()  # before anything is written
    folder = report.write(
        rep, spec.out_dir, spec.template, final=spec.final
    )  # no template: the bureau's or the report's
    files = report_files(rep.name)
    print(f"已生成：{folder / files.docx}")
    print(f"数据来源：{folder / files.figures}")
    found = rep.record()
    for line in describe(found.missing, found.warnings, [[head, *items] for head, items in gate.ledger_sections()]):
        print(line)
    _notices_hint(rep.scope.ledgers.notices, unread_listed=True)  # the ledgers the report was computed from
    return _write_pdf(folder / files.docx) if spec.pdf else 0


def _notices_hint(notices: list[Any], *, unread_listed: bool = False) -> None:
    """After what the command did: what the loader left out on purpose (a count; validate lists them),
    and in full what looks like ledger data but was not read (unless the command listed it already)."""
    unread = [n for n in notices if n.unread]
    if unread and not unread_listed:
        print(f"注意：台账中有{len(unread)}处内容像是数据但未读取，正式稿不会生成：", file=sys.stderr)
        for n, notice in enumerate(unread, 1):
            print(f"{n}. {notice}", file=sys.stderr)
    count = len(notices) - len(unread)
    if count:
        print(
            f"注：台账中有{count}处内容未作为数据读取（副本、隐藏工作表、标题行、合计行、多余的列或不是台账的文件），"
            "详见 zongjie validate。",
            file=sys.stderr,
        )


def _check_out(out: Path) -> None:
    """Before any work: ``--out`` must be a folder, or a path where one can be made."""
    for path in (out, *out.parents):
        if not path.exists():
            continue
        if path.is_dir():
            return
        if path == out:
            raise ZongjieError(f"输出目录“{out}”是一个文件，请指定一个目录")
        raise ZongjieError(f"输出目录“{out}”无法建立：“{path}”是一个文件，请指定一个目录")


# --------------------------------------------------------------------------- --pdf


def _require_pdf(spec: RunSpec) -> None:
    """With --pdf, stop before any work when this machine cannot convert (a clear message)."""
    if spec.pdf:
        from toolkit.publish import pdf

        pdf.require()


def _write_pdf(docx: Path) -> int:
    """The PDF beside the docx; a failed conversion leaves the docx and exits 1."""
    from toolkit.errors import PdfError
    from toolkit.publish import pdf

    try:
        path = pdf.write_beside(docx)
    except PdfError as err:
        print(f"错误：{err}（Word 报告已生成，不受影响。）", file=sys.stderr)
        return 1
    print(f"PDF：{path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from toolkit.data.contract import BASE
    from toolkit.data.contract_file import load_contract
    from toolkit.data.params import list_bureaus, load_all
    from toolkit.data.problems import DataError, Notice, Problem
    from toolkit.data.validate import check_codes, load_ledgers
    from toolkit.report.definitions import check_all as check_definitions
    from toolkit.report.overrides import check_all

    problems: list[Problem] = []
    notices: list[Notice] = []
    known = list_bureaus(args.params_dir)
    try:
        contract = load_contract(args.params_dir)
    except DataError as err:  # contract.yaml itself; the ledgers are still read against the base
        problems += err.problems
        contract = BASE
    try:
        ledgers = load_ledgers(args.data_dir, known, notices, contract)
    except DataError as err:
        problems += err.problems
        ledgers = None
    if ledgers is not None:
        problems += check_codes(ledgers, known)
    _, param_problems = load_all(args.params_dir)
    problems += param_problems + check_all(args.params_dir)  # overrides: structure and values
    unavailable: dict[str, list[str]] = {}
    problems += check_definitions(args.params_dir, unavailable)  # report definitions and bureaus' own templates
    for name, reasons in unavailable.items():
        shown = "；".join(reasons[:3]) + (f"（另有{len(reasons) - 3}处）" if len(reasons) > 3 else "")
        print(f"注：报告“{name}”读取的台账、列或词汇不在参数目录的台账约定（contract.yaml）中，暂不可用：{shown}")
    if problems or ledgers is None:
        print(DataError(problems), file=sys.stderr)
        if args.report:
            from toolkit.data.problem_workbook import write_problem_workbook

            write_problem_workbook(problems, args.data_dir, args.report)
            print(f"问题清单：{args.report}（问题单元格已标红并加批注）", file=sys.stderr)
        print_notices(notices)
        return 1
    print_notices(notices)
    added = "".join(f"，{t.zh}{len(ledgers.frame(t.name))}条" for t in contract.extra)
    print(
        f"检查通过：{len(ledgers.bureaus)}个单位，"
        f"活动{len(ledgers.activities)}条，问题{len(ledgers.problems)}条，财政指标{len(ledgers.finance)}条{added}。"
    )
    return 0


def print_notices(notices: list[Any], file: TextIO | None = None) -> None:
    """What the loader skipped on purpose (copies, hidden sheets, title and 合计 rows, extra columns)."""
    if notices:
        print(f"提示：读取台账时有{len(notices)}处内容未作为数据读取：", file=file)
        for n, notice in enumerate(notices, 1):
            print(f"{n}. {notice}", file=file)


def cmd_run(args: argparse.Namespace) -> int:
    from toolkit.run import single

    spec = RunSpec.from_options(args)
    _check_out(spec.out_dir)
    _require_pdf(spec)
    result = single.run(spec)
    print(result.describe())
    return 0 if result.ok and not result.pdf_error else 1


def cmd_batch(args: argparse.Namespace) -> int:
    lifetime.stop_on_terminate()  # `kill PID` stops a batch as Ctrl-C does (from its imports on)
    from toolkit.run import pool

    spec = RunSpec.from_options(args)
    if args.reviewed_only and not spec.final:
        print("错误：--reviewed-only 只用于正式稿，请同时加 --final。", file=sys.stderr)
        return 2
    _check_out(spec.out_dir)
    _require_pdf(spec)
    # the workers start their kernels first, while this process imports the batch (~1 s)
    early = None if args.cluster else pool.early_pool(spec, args.bureaus, args.jobs, args.force, fork=True)
    try:
        from tqdm import tqdm

        from toolkit.run import batch
    except BaseException:
        if early is not None:
            early.close(stop=True)
        raise
    progress = _Progress(tqdm, batch.OVERVIEW)
    try:
        summary = batch.run_all(
            spec,
            bureaus=args.bureaus,
            jobs=args.jobs,
            force=args.force,
            on_plan=progress.planned,
            on_result=progress.shown,
            cluster=args.cluster,
            reviewed_only=args.reviewed_only,
            pool=early,
        )
    finally:
        progress.close()
    _print_summary(summary)
    _notices_hint(progress.notices)
    if summary.interrupted:
        print("已中断：已完成的单位已写入汇总，其余标为“已中断”。", file=sys.stderr)
    ok = summary.ok and not any(r.pdf_error for r in summary.results)
    return lifetime.exit_status(ok=ok, interrupted=summary.interrupted)


class _Progress:
    """What a batch says while it runs: the plan's notices, then a bar of the bureaus done."""

    def __init__(self, bar_class: Any, overview: str) -> None:
        self.bar_class, self.overview, self.bar = bar_class, overview, None
        self.notices: list[Any] = []

    def planned(self, plan: batch.Plan) -> None:
        self.notices = plan.notices
        if plan.failed:
            failed = "、".join(plan.failed)
            print(f"台账中这些单位的数据有问题，不生成报告：{failed}（问题清单见各单位目录）", file=sys.stderr)
        if plan.reused:
            reused = "、".join(plan.reused)
            print(f"跳过{len(plan.reused)}个未改动的单位：{reused}（加 --force 可重新生成）", file=sys.stderr)
        jobs = len(plan.jobs)
        self.bar = self.bar_class(total=jobs, desc="生成报告", unit="个单位", disable=not jobs, file=sys.stderr)

    def shown(self, code: str, result: RunResult) -> None:
        state = "成功" if result.ok else "失败"
        if self.bar is None:
            return
        if code == self.overview:
            self.bar.write(f"各单位汇总：{state}", file=sys.stderr)
            return
        self.bar.set_postfix_str(f"{code}：{state}")
        self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _print_summary(summary: batch.BatchSummary) -> None:
    results = summary.results
    ok = sum(r.ok for r in results)
    stopped = sum(r.interrupted for r in results)
    held = [r for r in results if r.held]
    failed = len(results) - ok - stopped - len(held)
    counts = f"成功{ok}个，失败{failed}个" + (f"，已中断{stopped}个" if stopped else "")
    counts += f"，未核对{len(held)}个（未生成正式稿）" if held else ""
    print(f"{summary.year}年：{len(results)}个单位，{counts}，用时{summary.seconds:.1f}秒。")
    for r in results:
        if r.held:
            print(f"- {r.bureau} {r.held}")
        elif not r.ok and not r.interrupted:
            print(f"- {r.bureau} 失败：{r.error}")
        elif r.pdf_error:
            print(f"- {r.bureau} PDF 未生成：{r.pdf_error}")
    for problem in summary.problems:
        print(f"错误：{problem}", file=sys.stderr)
    print(f"汇总：{summary.folder / SUMMARY_CSV if summary.folder else ''}")
    print(f"索引：{summary.folder / INDEX if summary.folder else ''}")


def _prepared(spec: RunSpec) -> Any:
    """The bureau-year's report as the data give it now (corrections applied)."""
    from toolkit.data.validate import read_ledgers
    from toolkit.report.prepare import prepare

    ledgers = read_ledgers(spec.data_dir, spec.params_dir)
    return prepare(ledgers, spec.params_dir, spec.bureau, spec.year, spec.signed_on, report=spec.report)


def cmd_signoff(args: argparse.Namespace) -> int:
    """Mark a bureau-year's report 已核对 (or, with --final, 已定稿) against its current figures."""
    from toolkit.outputs import report_files
    from toolkit.report import signoff

    spec = RunSpec.from_options(args)
    rep = _prepared(spec)
    now = signoff.sign(spec.params_dir, rep.figures, args.by, final=spec.final, gate=rep.gate())
    print(f"{rep.params.name}（{rep.bureau}）{rep.year}年：{now}")
    written = spec.folder / report_files(rep.name).figures
    if not written.is_file():
        print(f"提示：输出目录中还没有这份报告（{written}），请运行 zongjie render 或 batch 生成。", file=sys.stderr)
    elif signoff.fingerprint(json.loads(written.read_text(encoding="utf-8"))) != now.fingerprint:
        print(f"提示：输出目录中的报告不是按当前数据生成的（{written}），请重新生成。", file=sys.stderr)
    return 0


def _correction_lines(figure: Any, entry: dict[str, Any]) -> list[str]:
    """What a saved correction says, line by line: what the ledgers gave, the new value, why, who and when."""
    from toolkit.report.formatting import figure_text
    from toolkit.report.overrides import read_new, shown_at
    from toolkit.report.signoff import unit_of

    unit = unit_of(figure)
    new = figure_text(read_new(entry["new"], figure.form), figure.form, label=figure.label)
    old = "缺失" if entry.get("old") is None else f"{entry['old']}{unit}"
    return [
        f"  台账计算值：{old}",
        f"  新值：{new}{unit}" if new is not None else f"  新值：{entry['new']}",
        f"  原因：{entry['reason']}",
        f"  修改人：{entry['by']}，时间：{shown_at(entry['at'])}",
    ]


def cmd_correct(args: argparse.Namespace) -> int:
    """Correct one figure of a bureau-year's report (the review panel's 保存修改), or undo it with --remove."""
    from toolkit.data.problems import ParameterError
    from toolkit.report import overrides, signoff

    spec = RunSpec.from_options(args)
    rep = _prepared(spec)
    path = overrides.overrides_path(spec.params_dir, rep.bureau, rep.year, rep.name)
    where = overrides.shown_path(spec.params_dir, path)
    whose = f"{rep.params.name}（{rep.bureau}）{rep.year}年"
    before = signoff.state(spec.params_dir, rep.figures)
    try:
        if args.remove:
            if unknown := overrides.unknown_key(rep.figures, args.figure, where):
                raise ParameterError([unknown])
            label = rep.figures[args.figure].label
            if not overrides.remove_override(spec.params_dir, rep.bureau, rep.year, args.figure, rep.name):
                raise ZongjieError(f"{whose}的“{label}”没有修改记录（{where}），无需撤销。")
            print(f"已撤销对{whose}“{label}”的修改，恢复台账计算值。")
        else:
            by = args.by if args.by is not None else _remembered_reviewer()
            figures = rep.figures
            entry = overrides.save_override(
                spec.params_dir, figures, args.figure, args.value, args.reason, by, refuse_same=True
            )
            figure = figures[args.figure]
            print(f"已保存对{whose}“{figure.label}”（{figure.key}）的修改：")
            print("\n".join(_correction_lines(figure, entry)))
    except ParameterError as err:
        print(f"错误：{err}", file=sys.stderr)
        hint = "" if args.remove else "新值用 --value、修改原因用 --reason、修改人用 --by 填写；"
        print(f"（{hint}未作任何修改。）", file=sys.stderr)
        return 1
    print(f"修改记录：{path}")
    if before.signed:
        print(f"提示：本报告原为{before}，数据修改后需重新核对（zongjie signoff）。", file=sys.stderr)
    return 0


def _remembered_reviewer() -> str:
    """The name the review panel remembers (given once there), for a correction without --by."""
    from toolkit.ui.review import remembered_reviewer

    return remembered_reviewer()


def cmd_status(args: argparse.Namespace) -> int:
    """Every bureau's sign-off state for a year: who checked it and when, or which figure moved since."""
    from toolkit.data.params import list_bureaus
    from toolkit.data.validate import read_ledgers
    from toolkit.report import signoff
    from toolkit.report.prepare import prepare_all

    spec = RunSpec.from_options(args)
    ledgers = read_ledgers(spec.data_dir, spec.params_dir)
    codes = list_bureaus(spec.params_dir)
    reports = prepare_all(ledgers, spec.params_dir, spec.year, codes, report=spec.report)
    counts: dict[str, int] = {}
    for code, rep in reports.items():
        if isinstance(rep, ZongjieError):
            print(f"{code}：无法计算（{rep}）")
            counts["无法计算"] = counts.get("无法计算", 0) + 1
            continue
        now = signoff.state(spec.params_dir, rep.figures)
        counts[now.status] = counts.get(now.status, 0) + 1
        print(f"{code} {rep.params.name}：{now}")
    summary = "，".join(f"{status}{n}个" for status, n in counts.items())
    print(f"{spec.year}年共{len(reports)}个单位：{summary}。")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    """List every report definition with its figures; a definition that does not load is listed with its problems."""
    from toolkit.data.contract_file import load_contract
    from toolkit.report.definitions import DefinitionError, describe, list_reports, load_definition

    contract = load_contract(args.params_dir)  # the base contract where the folder holds none
    status = 0
    for name in list_reports():
        try:
            print(describe(load_definition(name, contract=contract)))
        except DefinitionError as err:
            if err.unavailable:
                print(f"{name}：暂不可用，读取的台账、列或词汇不在参数目录的台账约定（contract.yaml）中")
                continue
            print(f"{name}：无法使用\n{err}", file=sys.stderr)
            status = 1
    return status


def cmd_new_report(args: argparse.Namespace) -> int:
    from toolkit.report.definitions import new_report

    folder = new_report(args.name, args.templates, title=args.title)
    print(f"已新建报告定义：{folder}（figures.yaml、template.docx、source.txt）")
    print(f"生成：zongjie render --report {args.name} --data … --bureau … --year …")
    return 0


COMMANDS = {
    "render": cmd_render,
    "validate": cmd_validate,
    "run": cmd_run,
    "batch": cmd_batch,
    "reports": cmd_reports,
    "signoff": cmd_signoff,
    "status": cmd_status,
    "new-report": cmd_new_report,
}
COMMANDS.update(review=cmd_review, lab=cmd_lab)
COMMANDS.update(correct=cmd_correct)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ZongjieError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"错误：无法读写文件“{err.filename or ''}”（{err.strerror or err}）。", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM during a batch (lifetime.Terminated)
        lifetime.finishing()  # a second Ctrl-C must not turn the exit into a traceback
        print("已中断。", file=sys.stderr)
        return lifetime.interrupted_status()
    except Exception as err:  # a bug: say so plainly, keep the traceback for developers
        if os.environ.get("ZONGJIE_DEBUG"):
            raise
        print(
            f"内部错误：{type(err).__name__}: {err}\n（设置环境变量 ZONGJIE_DEBUG=1 可查看详细信息）", file=sys.stderr
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
