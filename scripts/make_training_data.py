"""Write the fictional 培训台账 (training ledger) of the sample bureaus, and what it should give.

The second shipped report, 年度干部教育培训工作总结 (``templates/training/``), reads this
table, which the base contract does not have: ``parameters/contract.yaml`` adds it. Like
``make_sample_data.py`` this involves no randomness; every file is the same on every run.

    .venv/bin/python scripts/make_training_data.py

Writes ``data/sample/培训台账.csv`` (UTF-8 with BOM, Chinese headers, a bracketed unit
note in one header) and ``tests/data/expected/training/<code>-<year>.json``: the text of
every figure of the training report, computed here from the plan with ``decimal``, not by
reading the CSV back.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSV = ROOT / "data" / "sample" / "培训台账.csv"
EXPECTED = ROOT / "tests" / "data" / "expected" / "training"
HEADERS = ["单位代码", "日期", "培训名称", "类别", "形式", "学时", "参训人次", "经费（万元）", "备注"]
CODES = ("qingshan", "hedong", "meiling", "yunshui", "fengling")
YEARS = (2020, 2021, 2022)
TITLES = {
    "党性教育": ("党史专题培训班", "党章党规专题学习", "廉政警示教育", "理想信念教育"),
    "业务能力": ("预算绩效管理培训", "政府采购实务培训", "国库集中支付培训", "会计基础工作规范培训"),
    "综合素质": ("公文写作培训", "应急管理知识讲座", "保密知识培训", "心理健康讲座"),
}
CATEGORIES = tuple(TITLES)


@dataclass(frozen=True)
class Session:
    code: str
    day: date
    title: str
    category: str
    form: str
    hours: Decimal
    trainees: int
    budget_wan: Decimal | None  # 万元; None: no money spent, cell left blank

    def row(self) -> list[str]:
        budget = "" if self.budget_wan is None else format(self.budget_wan, "f")
        return [
            self.code,
            self.day.isoformat(),
            self.title,
            self.category,
            self.form,
            format(self.hours, "f"),
            str(self.trainees),
            budget,
            "",
        ]


def sessions(code: str, year: int) -> list[Session]:
    """A bureau's trainings of one year: a count, dates and amounts that differ by bureau and year."""
    b = CODES.index(code)
    n = 4 + (b + year) % 4  # 4–7 sessions
    out = []
    for i in range(n):
        category = CATEGORIES[(i + b) % 3]
        month = 2 + (i * 10) // n
        day = date(year, month, 3 + (i * 7 + b * 3) % 24)
        hours = Decimal(4 + (i * 3 + b) % 9) + (Decimal("0.5") if (i + year) % 3 == 0 else Decimal(0))
        trainees = 12 + (i * 11 + b * 7 + year) % 40
        budget = None if (i + b) % 4 == 3 else (Decimal(15 + (i * 13 + b * 5 + year) % 60) / 10)
        form = "线上" if (i + b + year) % 3 == 0 else "线下"
        title = TITLES[category][(i + year) % 4]
        out.append(Session(code, day, title, category, form, hours, trainees, budget))
    return sorted(out, key=lambda s: s.day)


def plain(value: Decimal) -> str:
    """A number written without trailing zeros, at most two decimals (half-up)."""
    text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def change(now: Decimal, before: Decimal) -> str:
    percent = ((now - before) * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if percent == 0:
        return "持平"
    return f"{'增长' if percent > 0 else '下降'}{format(abs(percent), 'f')}%"


def expected(code: str, year: int) -> dict[str, str]:
    rows = sessions(code, year)
    last = sessions(code, year - 1) if year - 1 in YEARS else []
    first = rows[0]
    party = [s for s in rows if s.category == "党性教育"]
    figures = {
        "sessions": str(len(rows)),
        "hours": plain(sum((s.hours for s in rows), Decimal(0))),
        "trainees": str(sum(s.trainees for s in rows)),
        "online": str(sum(s.form == "线上" for s in rows)),
        "offline": str(sum(s.form == "线下" for s in rows)),
        "party_sessions": str(len(party)),
        "party_hours": plain(sum((s.hours for s in party), Decimal(0))),
        "first_date": f"{first.day.month}月{first.day.day}日",
        "first_title": first.title,
        "budget": plain(sum((s.budget_wan or Decimal(0) for s in rows), Decimal(0))),
    }
    if last:
        figures["sessions_change"] = change(Decimal(len(rows)), Decimal(len(last)))
        hours_now = sum((s.hours for s in rows), Decimal(0))
        figures["hours_change"] = change(hours_now, sum((s.hours for s in last), Decimal(0)))
    return figures


def main() -> None:
    CSV.parent.mkdir(parents=True, exist_ok=True)
    with CSV.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for code in CODES:
            for year in YEARS:
                for session in sessions(code, year):
                    writer.writerow(session.row())
    EXPECTED.mkdir(parents=True, exist_ok=True)
    for code in CODES:
        for year in YEARS[1:]:
            text = json.dumps(expected(code, year), ensure_ascii=False, indent=2) + "\n"
            (EXPECTED / f"{code}-{year}.json").write_text(text, encoding="utf-8")
    print(f"wrote {CSV.relative_to(ROOT)} and {len(CODES) * (len(YEARS) - 1)} expected-figure files")


if __name__ == "__main__":
    main()
