"""Reports as data: a folder under ``templates/`` with a Word template and ``figures.yaml``.

A report definition names every blank of its template as a figure: a key (the tag
``{{ key }}``), a label, and a rule from a closed vocabulary (:data:`RULES`) with its
arguments. The toolkit implements each rule once (``toolkit/report/rules.py``); an analyst
writes a new report with YAML and Word only. Loading a definition checks it and names
every problem with file and line: an unknown rule, a wrong or missing argument, a
template tag with no figure, a figure no tag uses. See ``docs/report-definitions.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from toolkit.data.contract import BASE, Contract
from toolkit.data.contract_file import load_contract
from toolkit.data.params import BureauParams, load_all, load_bureau
from toolkit.data.problems import DataError, Problem
from toolkit.data.yamlfile import Mapping, read_yaml
from toolkit.errors import NotFoundError, TemplateError
from toolkit.report.builder import build_text
from toolkit.report.figures import Spec
from toolkit.report.rules import CHANGEABLE, MONEY_WRITTEN, RULES, Argument, Rule
from toolkit.report.template import template_names
from toolkit.resources import (
    DEFAULT_REPORT,
    FIGURES_FILE,
    TEMPLATE_FILE,
    definition_name,
    report_root,
    report_roots,
)

#: Names a template may use besides the figures: the bureau's own paragraphs.
EXTRA_NAMES = frozenset({"narrative"})
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class DefinitionError(DataError):
    """A report definition cannot be used: every problem, with file and line."""

    @property
    def unavailable(self) -> bool:
        """Only the ledgers' contract lacks what the definition reads (see :class:`ContractMismatch`)."""
        return all(isinstance(p, ContractMismatch) for p in self.problems)


@dataclass(frozen=True)
class ContractMismatch(Problem):
    """A figure names a table, column or word the ledgers' contract does not have.

    Not a mistake in the definition as such: the report is for ledgers this office does
    not keep in that form (``validate`` says so as a notice for reports other than the seed).
    """


# --- definitions ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDefinition:
    """A report: its name, folder, Word template and figures (in the order declared)."""

    name: str
    folder: Path
    title: str
    specs: tuple[Spec, ...]
    lines: dict[str, int] = field(default_factory=dict)  # figure key → line in figures.yaml

    @property
    def template(self) -> Path:
        return self.folder / TEMPLATE_FILE

    @property
    def figures_file(self) -> Path:
        return self.folder / FIGURES_FILE

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.specs)

    @property
    def names(self) -> frozenset[str]:
        """Every name the template may use."""
        return frozenset(self.keys) | EXTRA_NAMES


def _shown(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root.parent).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _argument_value(
    rule_name: str, name: str, arg: Argument, value: object, shown: str, row: int | None, key: str, contract: Contract
) -> tuple[object, Problem | None]:
    choices = arg.choices_in(contract)
    expected = "以下之一：" + "、".join(str(c) for c in choices) if choices else arg.doc
    if isinstance(value, bool) or not isinstance(value, arg.kind) or (isinstance(value, str) and not value.strip()):
        return None, Problem(
            shown, f"规则“{rule_name}”的参数“{name}”类型不对", row=row, column=key, value=value, expected=expected
        )
    if choices and value not in choices:
        kind = ContractMismatch if arg.vocabulary else Problem
        return None, kind(
            shown, f"规则“{rule_name}”的参数“{name}”取值不对", row=row, column=key, value=value, expected=expected
        )
    return value, None


def parse_figures(
    data: object, shown: str, contract: Contract = BASE
) -> tuple[str, list[Spec], dict[str, int], list[Problem]]:
    """Specs from a parsed ``figures.yaml`` (checked against the ledgers' ``contract``), and every problem found in it."""
    problems: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("figures"), list):
        expected = "“figures:”下逐项列出 key、label、rule 及规则的参数"
        return "", [], {}, [Problem(shown, "报告定义格式不对", expected=expected)]
    title = str(data.get("title") or "")
    specs: list[Spec] = []
    lines: dict[str, int] = {}
    for n, entry in enumerate(data["figures"], 1):
        if not isinstance(entry, dict):
            problems.append(
                Problem(shown, f"第{n}项不是“键: 值”的形式", value=entry, expected="含 key、label、rule 的映射")
            )
            continue
        spec, found = _parse_entry(entry, shown, lines, contract)
        problems += found
        if spec is not None:
            specs.append(spec)
            lines[str(entry.get("key"))] = _line(entry, "key") or 0
    problems += _reference_problems(data["figures"], specs, shown)
    return title, specs, lines, problems


def _reference_problems(entries: list[Any], specs: list[Spec], shown: str) -> list[Problem]:
    """A ``change`` naming a figure that is not in the report, is not a number, or is a change itself."""
    kinds = {spec.key: spec for spec in specs}
    named = {e.get("key") for e in entries if isinstance(e, dict)}
    problems = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("rule") != "change" or entry.get("key") not in kinds:
            continue
        target = kinds.get(str(entry.get("figure")))
        if target is None and entry.get("figure") in named:
            continue  # a figure defined with a problem of its own, reported there
        if target is None or target.kind not in CHANGEABLE or target.derive is not None:
            problems.append(
                Problem(
                    shown,
                    "规则“change”的参数“figure”应为本报告中数字类的数据项（计数、金额或数字）",
                    row=_line(entry, "figure"),
                    column=str(entry.get("key")),
                    value=entry.get("figure"),
                    expected="以下之一："
                    + "、".join(k for k, s in kinds.items() if s.kind in CHANGEABLE and s.derive is None),
                )
            )
    return problems


def _line(entry: dict[Any, Any], name: object) -> int | None:
    """The line of ``name`` in a figure's entry, else the entry's first line (None for a plain dict)."""
    if not isinstance(entry, Mapping):
        return None
    return entry.line(name) or (min(entry.lines.values()) if entry.lines else None)


def _parse_entry(
    entry: dict[Any, Any], shown: str, lines: dict[str, int], contract: Contract
) -> tuple[Spec | None, list[Problem]]:
    """The spec of one figure's entry, or every problem that stops it (``lines``: the keys defined before)."""
    key, label, rule_name = entry.get("key"), entry.get("label"), entry.get("rule")
    shown_key = str(key) if key is not None else None
    problems = _key_and_label_problems(entry, shown, lines)
    rule = RULES.get(rule_name) if isinstance(rule_name, str) else None
    if rule is None:
        problems.append(
            Problem(
                shown,
                "未知的规则" if rule_name is not None else "缺少规则（rule）",
                row=_line(entry, "rule"),
                column=shown_key,
                value=rule_name,
                expected="以下之一：" + "、".join(RULES),
            )
        )
        return None, problems
    rule_name = str(rule_name)
    kwargs, found = _arguments(entry, rule, rule_name, shown, shown_key, contract)
    problems += found
    if rule_name == "indicator" and not problems:
        problems += _indicator_problems(entry, kwargs, shown, shown_key, contract)
    if rule.resolve is not None and not problems:
        kwargs, faults = rule.resolve(kwargs, contract)
        problems += [
            ContractMismatch(
                shown,
                f"规则“{rule_name}”的参数“{name}”：{message}",
                row=_line(entry, name if name in entry else "rule"),
                column=shown_key,
                value=value,
                expected=expected,
            )
            for name, message, value, expected in faults
        ]
    if problems:
        return None, problems
    return rule.build(str(key), str(label).strip(), **kwargs), []


def _key_and_label_problems(entry: dict[Any, Any], shown: str, lines: dict[str, int]) -> list[Problem]:
    """A figure's key that is no name or is defined twice, and a missing label."""
    key, label = entry.get("key"), entry.get("label")
    problems: list[Problem] = []
    if not isinstance(key, str) or not _KEY.match(key) or key in EXTRA_NAMES:
        problems.append(
            Problem(
                shown,
                "数据项代码不对",
                row=_line(entry, "key"),
                value=key,
                expected="以字母开头、由字母、数字和“_”组成，且不是 narrative",
            )
        )
    elif key in lines:
        problems.append(
            Problem(shown, f"数据项“{key}”重复定义（另见第{lines[key]}行）", row=_line(entry, "key"), column=key)
        )
    if not isinstance(label, str) or not label.strip():
        problems.append(
            Problem(
                shown,
                "缺少数据项名称（label）",
                row=_line(entry, "label"),
                column=str(key) if key is not None else None,
                expected="中文名称，如“部署会日期”",
            )
        )
    return problems


def _arguments(
    entry: dict[Any, Any], rule: Rule, rule_name: str, shown: str, shown_key: str | None, contract: Contract
) -> tuple[dict[str, object], list[Problem]]:
    """The rule's arguments from a figure's entry, by the builder's parameter names, and every problem with them."""
    kwargs: dict[str, object] = {}
    problems: list[Problem] = []
    for name, value in entry.items():
        if name in ("key", "label", "rule"):
            continue
        arg = rule.arguments.get(name)
        if arg is None:
            known = "、".join(rule.arguments) or "无参数"
            problems.append(
                Problem(
                    shown,
                    f"规则“{rule_name}”没有参数“{name}”",
                    row=_line(entry, name),
                    column=shown_key,
                    expected=f"参数：{known}",
                )
            )
            continue
        value, problem = _argument_value(
            rule_name, name, arg, value, shown, _line(entry, name), shown_key or "", contract
        )
        if problem:
            problems.append(problem)
        else:
            kwargs[arg.to or name] = value
    for name, arg in rule.arguments.items():
        if arg.required and name not in entry:
            problems.append(
                Problem(
                    shown, f"规则“{rule_name}”缺少参数“{name}”（{arg.doc}）", row=_line(entry, "rule"), column=shown_key
                )
            )
    return kwargs, problems


def _indicator_problems(
    entry: dict[Any, Any], kwargs: dict[str, object], shown: str, shown_key: str | None, contract: Contract
) -> list[Problem]:
    """An indicator written in a unit that does not fit it (a count in 元, an amount in 人次)."""
    counted = contract.counted_in(str(kwargs["name"]))
    if (counted is None and kwargs["unit"] in MONEY_WRITTEN) or kwargs["unit"] == counted:
        return []
    expected = counted or "、".join(MONEY_WRITTEN)
    return [
        Problem(
            shown,
            f"指标“{kwargs['name']}”不能写成“{kwargs['unit']}”",
            row=_line(entry, "unit"),
            column=shown_key,
            expected=expected,
        )
    ]


def template_tags(template: Path) -> set[str]:
    """The names a Word template uses (undeclared Jinja variables), or raise TemplateError."""
    return template_names(template)


def check_template(definition: ReportDefinition, template: Path, *, all_used: bool = True) -> list[Problem]:
    """A tag with no figure (and, for the definition's own template, a figure no tag uses)."""

    root = definition.folder.parent
    try:
        names = template_tags(template)
    except TemplateError as err:
        return [Problem(_shown(template, root), str(err))]
    problems = [
        Problem(
            _shown(template, root),
            f"模板中的标签“{{{{ {name} }}}}”没有对应的数据项",
            value=name,
            expected=f"在 {FIGURES_FILE} 中定义该数据项，或改用已有的：{'、'.join(definition.keys)}",
        )
        for name in sorted(names - definition.names)
    ]
    if all_used:
        problems += [
            Problem(
                _shown(definition.figures_file, root),
                f"数据项“{key}”没有被模板使用",
                row=definition.lines.get(key),
                column=key,
                expected=f"在模板中加入“{{{{ {key} }}}}”，或删除该数据项",
            )
            for key in definition.keys
            if key not in names
        ]
    return problems


def list_reports(root: Path | None = None) -> list[str]:
    """Names of every report definition (folders holding a figures.yaml), sorted.

    Without ``root``: those of ``./templates/`` and the shipped ones.
    """
    roots = [Path(root)] if root else report_roots()
    return sorted({p.parent.name for r in roots for p in r.glob(f"*/{FIGURES_FILE}")})


def load_definition(
    name: str | Path = DEFAULT_REPORT, root: Path | None = None, contract: Contract = BASE
) -> ReportDefinition:
    """The checked definition ``<root>/<name>/`` (or a definition folder's path); raise DefinitionError naming every problem."""
    if (
        root is None
        and (Path(name) / FIGURES_FILE).is_file()
        and (len(Path(name).parts) > 1 or Path(name).is_absolute())
    ):
        folder = Path(name)
        name, root = folder.name, folder.parent
    name = str(name)
    root = Path(root) if root else report_root(name)
    folder = root / name
    files = [folder / FIGURES_FILE, folder / TEMPLATE_FILE]
    if not _NAME.match(name) or not files[0].is_file():
        known = "、".join(list_reports(root)) or "无"
        raise NotFoundError(f"找不到报告定义“{name}”（应为 {root}/{name}/{FIGURES_FILE}）。已有的报告：{known}。")
    stamps = tuple((f.stat().st_mtime_ns, f.stat().st_size) if f.is_file() else None for f in files)
    return _load(str(folder.resolve()), str(root.resolve()), stamps, contract)


@lru_cache(maxsize=32)
def _load(folder: str, root: str, stamps: tuple[tuple[int, int] | None, ...], contract: Contract) -> ReportDefinition:
    path, base = Path(folder), Path(root)
    shown = _shown(path / FIGURES_FILE, base)
    data, problems = read_yaml(path / FIGURES_FILE, shown)
    title, specs, lines, found = parse_figures(data, shown, contract) if not problems else ("", [], {}, [])
    problems += found
    definition = ReportDefinition(path.name, path, title or path.name, tuple(specs), lines)
    if not (path / TEMPLATE_FILE).is_file():
        problems.append(Problem(_shown(path, base), f"缺少模板文件“{TEMPLATE_FILE}”", expected="Word 模板（.docx）"))
    elif not problems:
        problems += check_template(definition, path / TEMPLATE_FILE)
    if problems:
        raise DefinitionError(problems)
    return definition


# --- a new definition -----------------------------------------------------------------

_NEW_FIGURES = """\
# 报告定义：每个数据项一个条目（key 即模板中的标签 {{{{ key }}}}），规则见 docs/report-definitions.md。
title: {title}
figures:
  - key: bureau_name
    label: 单位全称
    rule: parameter
    field: name
  - key: year
    label: 报告年度
    rule: report_year
  - key: signed_on
    label: 落款日期
    rule: signature_date
"""
_NEW_SOURCE = """\
# 报告模板的可读源文件：python -m toolkit.report.builder --source source.txt --out template.docx
# 每行一个段落，写作“类型: 文字”；类型见 templates/report/source.txt 的说明。
title: {{{{ bureau_name }}}}{{{{ year }}}}年{title}
blank:
body: {{{{ year }}}}年，{{{{ bureau_name }}}}……（在此写正文，用双花括号括起数据项代码，引用 figures.yaml 中的数据项）
blank:
signature-name: {{{{ bureau_name }}}}
signature-date: {{{{ signed_on }}}}
"""


def new_report(name: str, root: Path | None = None, title: str = "工作总结") -> Path:
    """Create ``<root>/<name>/`` with figures.yaml, source.txt and template.docx that render at once.

    ``root`` defaults to ``./templates/`` of the folder the command runs in, never the
    installed package's.
    """

    root = Path(root) if root else Path.cwd() / "templates"
    if not title.strip() or "\n" in title:
        raise DefinitionError([Problem(name, "报告标题不合法", value=title, expected="一行文字，如“主题教育工作总结”")])
    if not _NAME.match(name):
        raise DefinitionError(
            [Problem(name, "报告名称不合法", value=name, expected="以字母或数字开头、由字母、数字、“-”“_”组成")]
        )
    folder = root / name
    if folder.exists():
        raise DefinitionError([Problem(_shown(folder, root), "该报告已存在", value=name, expected="一个新的名称")])
    # the title is text in the Word template: a brace in it must not open a tag there
    source = _NEW_SOURCE.format(title=re.sub(r"\{", '{{ "{" }}', title.strip()))
    figures = _NEW_FIGURES.format(title=json.dumps(title.strip(), ensure_ascii=False))  # a YAML string, quoted
    docx = build_text(source)
    folder.mkdir(parents=True)
    (folder / FIGURES_FILE).write_text(figures, encoding="utf-8")
    (folder / "source.txt").write_text(source, encoding="utf-8")
    (folder / TEMPLATE_FILE).write_bytes(docx)
    load_definition(name, root)  # it must load and check clean
    return folder


def describe(definition: ReportDefinition) -> str:
    """A readable listing of a definition's figures (for ``zongjie reports``)."""
    lines = [f"{definition.name}（{definition.title}）：{len(definition.specs)}个数据项"]
    lines += [f"  {spec.key}：{spec.label}——{spec.rule}" for spec in definition.specs]
    return "\n".join(lines)


def bureau_template_file(params_dir: Path, bureau: str, report: str | Path = DEFAULT_REPORT) -> list[Path]:
    """The bureau's own template for ``report`` when its parameter file names one (an input of its runs)."""

    try:
        params = load_bureau(params_dir, bureau)
    except (DataError, NotFoundError):
        return []
    own = params.values.get("templates")
    name = definition_name(report)
    return [Path(params_dir) / str(own[name])] if isinstance(own, dict) and own.get(name) else []


def bureau_template(params: BureauParams, definition: ReportDefinition) -> Path | None:
    """The bureau's own template for this report (``templates: {name: file}`` in its parameter file)."""
    own = params.values.get("templates") if isinstance(params.values, dict) else None
    if not isinstance(own, dict) or not own.get(definition.name):
        return None
    return params.path.parent.parent / str(own[definition.name])


__all__ = [
    "RULES",
    "DefinitionError",
    "ReportDefinition",
    "bureau_template",
    "check_template",
    "describe",
    "list_reports",
    "load_definition",
    "new_report",
    "parse_figures",
]


def check_all(params_dir: Path | None = None, unavailable: dict[str, list[str]] | None = None) -> list[Problem]:
    """Every problem of every report definition, and of every bureau's own template (for ``validate``).

    A definition other than the seed report whose only problems are that the contract lacks
    what it reads (tables, columns, words) is no problem of these ledgers: it goes into
    ``unavailable`` (name → why, in Chinese) when a dict is given.
    """
    problems: list[Problem] = []
    loaded: dict[str, ReportDefinition] = {}
    try:
        contract = load_contract(params_dir)
    except DataError as err:  # contract.yaml itself: its problems, and the definitions against the base
        problems += err.problems
        contract = BASE
    for name in list_reports():
        try:
            loaded[name] = load_definition(name, contract=contract)
        except DefinitionError as err:
            if name == DEFAULT_REPORT or not err.unavailable:
                problems += err.problems
            elif unavailable is not None:
                unavailable[name] = [str(p) for p in err.problems]
    if params_dir is None or not (Path(params_dir) / "bureaus").is_dir():
        return problems
    return problems + _own_template_problems(Path(params_dir), loaded)


def _own_template_problems(params_dir: Path, loaded: dict[str, ReportDefinition]) -> list[Problem]:
    """A bureau's own template for a report: a report that does not exist, a tag with no figure."""
    problems: list[Problem] = []
    bureaus, _ = load_all(Path(params_dir))  # their own problems are reported by params
    for params in bureaus.values():
        own = params.values.get("templates")
        if own is None:
            continue
        shown = params.path.relative_to(Path(params_dir)).as_posix()
        if not isinstance(own, dict):
            problems.append(
                Problem(
                    shown,
                    "“templates”格式不对",
                    column="templates",
                    expected="按报告名称写模板文件，如“report: bureaus/x.docx”",
                )
            )
            continue
        for name in own:
            if name not in loaded:
                known = "、".join(loaded) or "无"
                problems.append(
                    Problem(
                        shown, "没有这个报告", column=f"templates.{name}", value=name, expected=f"以下之一：{known}"
                    )
                )
                continue
            template = bureau_template(params, loaded[name])
            if template is not None:
                problems += check_template(loaded[name], template, all_used=False)
    return problems
