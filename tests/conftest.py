"""Shared fixtures: the project's paths, the sample ledgers, and a tiny ledger writer."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document

from toolkit.data.contract import INDICATORS
from toolkit.data.sources import read_source

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
PARAMS = ROOT / "parameters"
EXPECTED = ROOT / "tests" / "data" / "expected"
SEED = ROOT / "tests" / "data" / "reference" / "seed-report.txt"


@pytest.fixture(autouse=True, scope="session")
def _own_config_home(tmp_path_factory):
    """No test reads or writes the user's own settings (the reviewer's remembered name):
    every test, and every command it starts, sees a configuration folder of the session's own."""
    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    yield
    if before is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = before


def pytest_collection_modifyitems(items):
    """Mark each test with its tier (its folder) so a plain run shows what ran."""
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in ("integration", "e2e"):
            item.add_marker(getattr(pytest.mark, tier))


def zongjie(*args: object, timeout: float = 900, **env: str) -> subprocess.CompletedProcess:
    """Run the command line in a child process, ``env`` added to its environment, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )


@pytest.fixture(scope="session")
def sample_ledgers():
    from toolkit.data.validate import load_ledgers

    return load_ledgers(SAMPLE)


def expected_cases() -> list[tuple[str, int]]:
    cases = []
    for path in sorted(EXPECTED.glob("*.json")):
        bureau, year = path.stem.rsplit("-", 1)
        cases.append((bureau, int(year)))
    return cases


def expected_texts(bureau: str, year: int) -> dict[str, str]:
    return json.loads((EXPECTED / f"{bureau}-{year}.json").read_text(encoding="utf-8"))


# A minimal valid ledger set for one bureau, one table per CSV, Chinese headers.
ACTIVITIES = [
    {"单位代码": "demo", "日期": "2021-03-05", "活动类型": "部署会", "活动名称": "部署会"},
    {"单位代码": "demo", "日期": "2021-03-12", "活动类型": "方案审定"},
    {"单位代码": "demo", "日期": "2021-04-08", "活动类型": "宣讲", "参加对象": "第一党支部"},
    {
        "单位代码": "demo",
        "日期": "2021-04-20",
        "活动类型": "参观学习",
        "参加对象": "青年干部",
        "地点": "某县革命历史陈列馆",
    },
    {
        "单位代码": "demo",
        "日期": "2021-05-10",
        "结束日期": "2021-05-12",
        "活动类型": "参观学习",
        "参加对象": "全体党员",
        "地点": "某县烈士纪念馆",
    },
    {"单位代码": "demo", "日期": "2021-06-01", "活动类型": "文明交通志愿服务"},
    {"单位代码": "demo", "日期": "2021-06-02", "活动类型": "入户走访"},
    {"单位代码": "demo", "日期": "2021-06-03", "活动类型": "演练"},
    {"单位代码": "demo", "日期": "2021-07-01", "活动类型": "开放日", "人数": "30"},
]
PROBLEMS = [
    {
        "单位代码": "demo",
        "问题编号": "D1",
        "来源": "大调研",
        "收集日期": "2021-05-01",
        "办理状态": "已解决",
        "办结日期": "2021-06-01",
        "问题描述": "甲",
    },
    {
        "单位代码": "demo",
        "问题编号": "D2",
        "来源": "大调研",
        "收集日期": "2021-05-02",
        "办理状态": "长期坚持",
        "问题描述": "乙",
    },
    {
        "单位代码": "demo",
        "问题编号": "K1",
        "来源": "开放日",
        "收集日期": "2021-07-01",
        "办理状态": "已解决",
        "办结日期": "2021-07-05",
        "问题描述": "丙",
    },
]
FINANCE = [
    {
        "单位代码": "demo",
        "年度": "2021",
        "指标": name,
        "截至月份": "11" if name == "农林水事务支出" else "",
        "数值": "1000",
        "计量单位": "人次" if name == "资助贫困学生人次" else "万元",
    }
    for name in INDICATORS
]


def write_csv(path: Path, rows: list[dict], encoding: str = "utf-8") -> Path:
    headers = list(dict.fromkeys(k for r in rows for k in r))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, headers)
        writer.writeheader()
        writer.writerows(rows)
    return path


_LEDGERS = {"活动台账": ACTIVITIES, "问题台账": PROBLEMS, "财政指标": FINANCE}


def bureau_book(path: Path, code: str, *, title: bool = False, total: bool = False, hidden: bool = False) -> None:
    """One bureau's workbook as an office sends it: its three ledgers, one sheet each."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in _LEDGERS.items():
        sheet = book.create_sheet(name)
        headers = list(dict.fromkeys(k for r in rows for k in r))
        if title and name == "活动台账":
            sheet.append([f"{code}活动台账（2021年）"])
        sheet.append([*headers, "附件说明"] if name == "活动台账" else headers)
        for row in rows:
            sheet.append([code if h == "单位代码" else row.get(h) or None for h in headers])
        if total and name == "财政指标":
            sheet.append(["合计", None, None, None, "9999"])
    if hidden:
        book.create_sheet("旧活动台账").sheet_state = "hidden"
    book.save(path)


def office_folder(root: Path, n: int) -> Path:
    """``n`` bureaus' workbooks, and what else offices leave in such a folder."""
    data = root / "data"
    (data / "各县").mkdir(parents=True)
    for i in range(n):
        bureau_book(
            data / "各县" / f"b{i:03d}台账.xlsx", f"b{i:03d}", title=i % 3 == 0, total=i % 4 == 0, hidden=i == 5
        )
    write_csv(data / "活动台账-备份.csv", ACTIVITIES)  # a copy: listed, not read
    (data / "台账2021.et").write_bytes(b"\xd0\xcf\x11\xe0 not a table")  # WPS: listed as unread
    (data / "说明.txt").write_text("各县台账汇总", encoding="utf-8")
    return data


def dies_reading_b003(path, data_dir, tables):
    """``read_source``, as the workers of a batch call it, except that a worker process reading ``b003`` dies (as one killed for memory)."""
    if multiprocessing.parent_process() is not None and "b003" in path.name:
        os._exit(1)
    return read_source(path, data_dir, tables)


def minimal_folder(root: Path, year: int = 2021, signed_on: str = "") -> tuple[Path, Path]:
    """The minimal ledger set moved to ``year``, with parameters for bureau ``demo``
    (``signed_on`` a line or block of YAML, or none); returns (data, params)."""

    def moved(rows: list[dict]) -> list[dict]:
        return [{k: v.replace("2021", str(year)) for k, v in r.items()} for r in rows]

    data, params = root / "data", root / "params"
    write_csv(data / "活动台账.csv", moved(ACTIVITIES))
    write_csv(data / "问题台账.csv", moved(PROBLEMS))
    write_csv(data / "财政指标.csv", moved(FINANCE))
    (params / "bureaus").mkdir(parents=True)
    (params / "bureaus" / "demo.yaml").write_text(
        f"name: 某县财政局\noffice_director: 张三\nliaison: 李四\n{signed_on}", encoding="utf-8"
    )
    return data, params


@pytest.fixture
def minimal(tmp_path):
    """A folder with the minimal ledger set and parameters for bureau ``demo``; returns (data, params)."""
    return minimal_set(tmp_path)


def minimal_set(tmp_path: Path) -> tuple[Path, Path]:
    """The minimal ledger set and parameters for bureau ``demo`` under ``tmp_path``: (data, params)."""
    return minimal_folder(tmp_path, signed_on="signed_on: {2021: 2022-01-10}\n")


# (text in the reference, how it reads once filled); the three allowed corrections included.
_FILLS = [
    ("XX财政局紧紧围绕", "{bureau_name}紧紧围绕"),
    ("xx月xx日，局党委书记", "{kickoff_date}，局党委书记"),
    ("xx同志任办公室主任，xx同志为联络员", "{office_director}同志任办公室主任，{liaison}同志为联络员"),
    ("xx月xx日，经局党委会", "{plan_date}，经局党委会"),
    ("xx月，局党委宣讲团下沉到xx个党支部", "{lecture_months}，局党委宣讲团下沉到{lecture_branches}个党支部"),
    (
        "xx月xx日，组织局青年干部参观xx革命历史陈列馆，xx月xx日至xx日，组织全体党员先后参观xx纪念馆",
        "{youth_visit_date}，组织局青年干部参观{youth_visit_venue}，{members_visit_dates}，组织全体党员先后参观{members_visit_venue}",
    ),
    (
        "共收集问题xx条，已解决xx条，长期坚持解决xx条",
        "共收集问题{survey_collected}条，已解决{survey_resolved}条，长期坚持解决{survey_longterm}条",
    ),
    (
        "文明交通志愿服务xx次，“双提升”入户走访xx次，积极安排人员参与核算检测信息系统运用实战演练xx次",
        "文明交通志愿服务{traffic_volunteer_count}次，“双提升”入户走访{home_visit_count}次，积极安排人员参与核酸检测信息系统运用实战演练{drill_count}次",
    ),
    ("民生配套资金约xx元", "民生配套资金约{livelihood_funds}元"),
    ("寄宿生营养餐补助资金xx万元", "寄宿生营养餐补助资金{boarding_meal_funds}万元"),
    (
        "贫困学生资助金xx万元，资助贫困学生xx人次",
        "贫困学生资助金{student_aid_funds}万元，资助贫困学生{student_aid_persons}人次",
    ),
    (
        "年初支农支出预算xx万元，1-11月，农林水事务实际支出xx万元；发放各项惠农补贴资金xx万元，对项目类工程共拨付民生工程项目资金xx万元",
        "年初支农支出预算{agri_budget}万元，1-{through_month}月，农林水事务实际支出{agri_spending}万元；发放各项惠农补贴资金{farm_subsidy_funds}万元，对项目类工程共拨付民生工程项目资金{livelihood_project_funds}万元",
    ),
    (
        "客商等xx名，收集问题xx个，贸易税收奖励兑现不够及时、财政评审工程项目不够快、等xx个问题",
        "客商等{open_day_visitors}名，收集问题{open_day_problems}个，{open_day_examples}等{open_day_resolved}个问题",
    ),
    ("人们立场", "人民立场"),
    (
        "财政总收入xx亿元，税收收入xx亿元，一般公共预算收入xx亿元",
        "财政总收入{fiscal_revenue}亿元，税收收入{tax_revenue}亿元，一般公共预算收入{general_budget_revenue}亿元",
    ),
    ("2021年", "{year}年"),
]


def filled_reference(values: dict[str, str]) -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    for before, after in _FILLS:
        assert before in text, before
        text = text.replace(before, after)
    assert "xx" not in text.lower()
    text = text.format(**values)
    return [line.strip() for line in text.splitlines() if line.strip()]


def edited_template(template: Path, out: Path, old: str, new: str) -> Path:
    """Copy a .docx template to ``out`` with the first ``old`` in its body replaced by ``new``."""
    with zipfile.ZipFile(template) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.decode().replace(old, new, 1).encode()
            zout.writestr(item, data)
    return out


def own_template(params: Path, bureau: str, old: str, new: str, more: str = "") -> Path:
    """Give ``bureau`` its own report template (the seed's, edited) named in its yaml; ``more`` adds lines under ``templates:``."""
    from toolkit.report.definitions import load_definition

    own = edited_template(load_definition().template, params / "bureaus" / f"{bureau}-report.docx", old, new)
    path = params / "bureaus" / f"{bureau}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"templates:\n  report: bureaus/{own.name}\n{more}", encoding="utf-8")
    return own


def paragraphs(docx: bytes, tmp_path: Path) -> list:
    path = tmp_path / "r.docx"
    path.write_bytes(docx)
    return Document(str(path)).paragraphs


def body_of(paras) -> list[str]:
    """The body: after the title and its blank line, before the blank line and signature."""
    texts = [p.text for p in paras]
    assert texts[1] == "" and texts[-3] == ""
    return [t.strip() for t in texts[2:-3]]


# Invented bureaus in bulk, for the 汇总表 and the overview at scale.
MAIN_KINDS = ["宣讲", "参观学习", "文明交通志愿服务", "入户走访", "演练", "开放日"]
OTHER_KINDS = ["部署会", "方案审定", "交流会", "观影学习", "调研", "其他"]
REVENUE = ["财政总收入", "税收收入", "一般公共预算收入"]
TO_YUAN = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}


def fictional_bureaus(root: Path, n: int, seed: int) -> tuple[Path, Path, dict]:
    """``n`` invented bureaus with random 2023 ledgers (amounts in mixed units); returns (data, params, plan).

    The plan holds what each bureau's 汇总表 row must show, counted here, not by the toolkit."""
    rnd = random.Random(seed)
    data, params = root / "data", root / "params"
    (params / "bureaus").mkdir(parents=True)
    acts, probs, fin, plan = [], [], [], {}
    for i in range(n):
        code = f"b{i:03d}-{rnd.choice('xyz')}"
        name = f"第{i + 1}虚构区财政局"
        (params / "bureaus" / f"{code}.yaml").write_text(
            f"name: {name}\noffice_director: 甲{i}\nliaison: 乙{i}\n", encoding="utf-8"
        )
        counts = {k: rnd.randint(0, 6) for k in MAIN_KINDS + OTHER_KINDS}
        for kind, c in counts.items():
            for _ in range(c):
                day = f"2023-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
                acts.append({"单位代码": code, "日期": day, "活动类型": kind, "参加对象": "全体党员"})
        acts.append({"单位代码": code, "日期": "2022-12-30", "活动类型": "宣讲"})  # another year: not counted
        statuses = [rnd.choice(["已解决", "长期坚持", "办理中"]) for _ in range(rnd.randint(0, 12))]
        for j, status in enumerate(statuses):
            source = rnd.choice(["大调研", "大调研", "开放日", "其他"])
            probs.append(
                {
                    "单位代码": code,
                    "问题编号": f"{code}-{j}",
                    "来源": source,
                    "收集日期": f"2023-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                    "办理状态": status,
                    "问题描述": f"问题{j}",
                }
            )
            if source != "大调研":
                statuses[j] = None
        amounts = {}
        for indicator in REVENUE:
            unit = rnd.choice(list(TO_YUAN))
            yuan = Decimal(rnd.randint(10**7, 5 * 10**9))
            value = yuan / TO_YUAN[unit]
            fin.append({"单位代码": code, "年度": "2023", "指标": indicator, "数值": str(value), "计量单位": unit})
            amounts[indicator] = yuan
        survey = [s for s in statuses if s is not None]
        plan[code] = {
            "name": name,
            "counts": [counts[k] for k in MAIN_KINDS] + [sum(counts[k] for k in OTHER_KINDS)],
            "survey": [len(survey), survey.count("已解决"), survey.count("长期坚持")],
            "amounts": [amounts[i] for i in REVENUE],
        }
    write_csv(data / "活动台账.csv", acts)
    write_csv(data / "问题台账.csv", probs)
    write_csv(data / "财政指标.csv", fin)
    return data, params, plan


def assert_inline_charts(page: str, titles: list[str]) -> None:
    """The exported page holds exactly these charts, inline as SVG (not images), each well-formed XML."""
    assert not re.search(r"<img[^>]+src=\"data:image/(png|svg\+xml)", page)
    found = re.findall(r"<svg\b.*?</svg>", page, re.S)
    charts = [ET.fromstring(s) for s in found if 'role="img"' in s.split(">", 1)[0]]
    assert [c.findtext("{http://www.w3.org/2000/svg}title") for c in charts] == titles
    for chart in charts:
        # nbconvert re-serialises the page with an HTML parser that lowercases attribute names;
        # a browser's HTML parser gives SVG attributes their case back (viewbox → viewBox)
        assert chart.get("aria-label") in titles and (chart.get("viewBox") or chart.get("viewbox"))
        assert [e for e in chart.iter() if e.get("class") == "bar"] or [
            e for e in chart.iter() if e.get("class") == "note"
        ]


# --- processes, for tests that check nothing is left running ------------------------------


def children() -> dict[int, int]:
    """pid → parent pid of every process on the machine."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def wait_for(condition, seconds: float, what: str = "timed out", step: float = 0.1) -> None:
    """Poll ``condition`` every ``step`` seconds until it holds; fail naming ``what`` after ``seconds``.

    Tests wait on a condition, never on a fixed sleep, so a loaded machine only makes them slower.
    """
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds:.0f} s")
        time.sleep(step)


def add_bureaus(data: Path, params: Path, codes: list[str]) -> None:
    """Invented bureaus ``codes``, each with the minimal ledger rows (under ``data/extra``) and a parameter file."""
    for code in codes:
        write_csv(data / "extra" / f"activities-{code}.csv", [dict(r, 单位代码=code) for r in ACTIVITIES])
        write_csv(data / "extra" / f"problems-{code}.csv", [dict(r, 单位代码=code) for r in PROBLEMS])
        write_csv(data / "extra" / f"finance-{code}.csv", [dict(r, 单位代码=code) for r in FINANCE])
        (params / "bureaus" / f"{code}.yaml").write_text(
            f"name: {code}财政局\noffice_director: 甲\nliaison: 乙\n", encoding="utf-8"
        )


def cmdline(pid: int) -> bytes:
    """The process's command line as /proc holds it (NUL-separated); b"" once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie has ended; only its parent has not collected it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(root: int) -> set[int]:
    parents = children()
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in found:
                found.add(child)
                todo.append(child)
    return found
