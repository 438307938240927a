"""Headers as offices write them: which row holds them, which columns they name, and which
unknown header is most likely a column of the table written another way.
"""

from __future__ import annotations

import re

from toolkit.data.contract import Column, Table, normalise_header

#: How far down a sheet the header row is looked for (title rows sit above it).
HEADER_SEARCH_ROWS = 10
#: A trailing note in brackets after a header: 人数（人）, 结束日期（选填）, 数值(元).
_HEADER_NOTE = re.compile(r"\s*[（(\[【][^（()）\[\]【】]*[)）\]】]\s*$")
#: Headers about the record's own bookkeeping (填报日期, 录入人): never taken for a column.
_BOOKKEEPING = re.compile(r"^(?:填报|填表|录入|登记|制表|更新|修改|创建|导入|审核|统计|序号)")


def blank(value: object) -> bool:
    return (
        value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and value != value)
    )


def header_key(header: object) -> str:
    """A header compared without blanks, case, invisible characters and a trailing note in brackets."""
    text = normalise_header(header)
    stripped = _HEADER_NOTE.sub("", text)
    return stripped if stripped else text


def recognised(table: Table, row: list[object]) -> dict[int, str]:
    """Position → canonical column, for each cell of ``row`` naming a column of ``table``."""
    aliases = table.aliases
    found = {}
    for pos, header in enumerate(row):
        if not blank(header) and isinstance(header, str):
            canonical = aliases.get(header_key(header))
            if canonical is not None:
                found[pos] = canonical
    return found


def filled_rows(rows: list[list[object]], limit: int) -> list[int]:
    return [i for i, r in enumerate(rows[:limit]) if not all(blank(v) for v in r)]


def header_row(table: Table, rows: list[list[object]]) -> int | None:
    """Index of the header row: the first of the top rows holding every required column.

    Failing that, the top row naming most columns (its missing columns are then
    reported on it), or the first non-empty row.
    """
    filled = filled_rows(rows, HEADER_SEARCH_ROWS + 20)
    if not filled:
        return None
    required = {c.name for c in table.columns if c.required}
    best, best_count = filled[0], 0
    for i in filled[:HEADER_SEARCH_ROWS]:
        names = set(recognised(table, rows[i]).values())
        if required <= names:
            return i
        if len(names) > best_count:
            best, best_count = i, len(names)
    return best


def holds_headers(table: Table, rows: list[list[object]]) -> int:
    """How many columns of ``table`` the best of the top rows names, when it looks like the
    table's header row; else 0. A header row names every required column, or at least two
    of them and as many of the table's columns as other headers (a training ledger's
    单位代码 and 日期 among its own columns do not make an activity ledger)."""
    required = {c.name for c in table.columns if c.required}
    best = 0
    for i in filled_rows(rows, HEADER_SEARCH_ROWS):
        names = set(recognised(table, rows[i]).values())
        headers = sum(not blank(v) for v in rows[i])
        if len(names) >= 2 and (required <= names or (len(names & required) >= 2 and 2 * len(names) >= headers)):
            best = max(best, len(names))
    return best


def table_of_headers(rows: list[list[object]], tables: tuple[Table, ...]) -> Table | None:
    """The table whose header row the top rows hold best, or None."""
    scores = [(holds_headers(t, rows), -n, t) for n, t in enumerate(tables)]
    score, _, table = max(scores, key=lambda s: (s[0], s[1]))
    return table if score else None


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (headers are short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _cjk(text: str) -> bool:
    return not text.isascii()


def _closeness(key: str, label: str, starts: set[str]) -> int | None:
    """How closely ``key`` resembles the column header ``label`` (lower is closer), or None."""
    if _distance(key, label) == 1 and len(label) >= (2 if _cjk(label) else 4):
        return 0  # one character different, added or removed: 日朗, 人数s, partcipants
    if not (_cjk(key) and _cjk(label)) or _BOOKKEEPING.match(key):
        return None
    if len(label) == 2 and (key.endswith(label) or key.startswith(label)) and len(key) <= 6:
        return 1  # 参加人数, 参与人数, 活动地点 for 人数/地点; 指标名称 for 指标
    if (len(label) >= 3 and label in key) or (len(key) >= 2 and key in label):
        return 2  # 活动类型名称, 单位 for 单位代码
    if len(key) == len(label) >= 3 and key[-2:] == label[-2:] and key[:2] not in starts:
        return 3  # 截止日期 for 结束日期, 整改状态 for 办理状态
    return None


def near_miss(table: Table, header: object, taken: set[str]) -> Column | None:
    """The column of ``table`` (not among ``taken``) that ``header`` most likely means, or None."""
    key = header_key(header)
    if len(key) < 2:
        return None
    starts = {normalise_header(c.zh)[:2] for c in table.columns}
    best: tuple[int, int, int] | None = None
    found = None
    for n, column in enumerate(table.columns):
        if column.name in taken:
            continue
        for label in (normalise_header(column.zh), normalise_header(column.name)):
            score = _closeness(key, label, starts - {label[:2]})
            if score is None:
                continue
            rank = (score, abs(len(key) - len(label)), n)
            if best is None or rank < best:
                best, found = rank, column
    return found
