"""Analysts' corrections of figures, with an audit trail.

``<params>/overrides/<bureau>-<year>.yaml`` holds, per figure key, the value the data
gave, the value to print instead, why, who and when. Every render, run and batch
applies it; deleting an entry removes the correction.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from .errors import ParameterError, Problem
from .figures import Figures
from .outputs import atomic_write

HEADER = "# 人工修改记录：由审核面板写入。删除某一项即撤销该项修改。\n"


def overrides_path(params_dir: Path, bureau: str, year: int) -> Path:
    return Path(params_dir) / "overrides" / f"{bureau}-{year}.yaml"


def load_overrides(params_dir: Path, bureau: str, year: int) -> dict[str, dict]:
    """Figure key → entry; an absent file means no overrides."""
    path = overrides_path(params_dir, bureau, year)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        raise ParameterError([Problem(path.as_posix(), "无法读取修改记录", expected="UTF-8编码的合法YAML")]) from None
    entries = data.get("overrides") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise ParameterError(
            [Problem(path.as_posix(), "修改记录格式不对", expected="“overrides:”下按数据代码列出各项修改")]
        )
    return {str(k): v for k, v in entries.items()}


def _write(params_dir: Path, bureau: str, year: int, entries: dict[str, dict]) -> None:
    path = overrides_path(params_dir, bureau, year)
    if not entries:
        path.unlink(missing_ok=True)
        return
    body = yaml.safe_dump({"overrides": entries}, allow_unicode=True, sort_keys=False)
    atomic_write(path, (HEADER + body).encode("utf-8"))


def save_override(
    params_dir: Path, figures: Figures, key: str, new: str, reason: str, by: str, *, now: datetime | None = None
) -> dict:
    """Record that ``key`` prints ``new`` instead of what the data gives; return the entry."""
    where = overrides_path(params_dir, figures.bureau, figures.year).as_posix()
    problems = []
    if key not in figures:
        problems.append(Problem(where, "没有这个数据项", column=key, value=key))
    if not str(new).strip():
        problems.append(Problem(where, "修改后的值不能为空", column=key))
    if not str(reason).strip():
        problems.append(Problem(where, "请填写修改原因", column=key))
    if not str(by).strip():
        problems.append(Problem(where, "请填写修改人", column=key))
    if problems:
        raise ParameterError(problems)
    figure = figures[key]
    computed = figure.override["computed"] if figure.override else figure.text
    entry = {
        "label": figure.label,
        "old": computed,
        "new": str(new).strip(),
        "reason": str(reason).strip(),
        "by": str(by).strip(),
        "at": (now or datetime.now()).isoformat(timespec="seconds"),
    }
    entries = load_overrides(params_dir, figures.bureau, figures.year)
    entries[key] = entry
    _write(params_dir, figures.bureau, figures.year, entries)
    return entry


def remove_override(params_dir: Path, bureau: str, year: int, key: str) -> bool:
    entries = load_overrides(params_dir, bureau, year)
    if entries.pop(key, None) is None:
        return False
    _write(params_dir, bureau, year, entries)
    return True


def apply_overrides(figures: Figures, entries: dict[str, dict], source: Path) -> None:
    """Print each override's value, keep what the data gave, and flag stale corrections."""
    unknown = [k for k in entries if k not in figures]
    if unknown:
        raise ParameterError(
            [Problem(source.as_posix(), "修改记录中有未知的数据项", column=k, value=k) for k in unknown]
        )
    for key, entry in entries.items():
        figure = figures[key]
        computed = figure.text
        figure.override = {**entry, "computed": computed}
        figure.text = str(entry.get("new", "")).strip() or computed
        if isinstance(figure.value, int) and figure.text.isdigit():
            figure.value = int(figure.text)
        figure.missing = None if figure.text is not None else figure.missing
        if entry.get("old") != computed:
            now = computed if computed is not None else "缺失"
            figure.warnings.append(f"修改时台账计算值为“{entry.get('old')}”，现为“{now}”，请确认修改是否仍然适用")
