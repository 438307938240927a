"""Bureau codes: what may name a folder under ``--out`` and a file under ``--params``."""

from __future__ import annotations

import re

from toolkit.errors import ZongjieError

#: A bureau code: what may become a folder name under ``--out`` and a file name under ``--params``.
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
CODE_RULE = "以字母或数字开头、只由字母、数字、“-”“_”组成"


class InvalidCodeError(ZongjieError, ValueError):
    """A bureau code that cannot safely name a file or folder (``..``, ``a/b``, empty)."""

    def __init__(self, code: object, where: str = ""):
        self.code = code
        place = f"（{where}）" if where else ""
        super().__init__(f"单位代码“{code}”不合法{place}：单位代码应{CODE_RULE}。")


def check_code(code: object, where: str = "") -> str:
    """``code`` itself when it is a valid bureau code; raise before any path is made from it."""
    if not isinstance(code, str) or not CODE.fullmatch(code):
        raise InvalidCodeError(code, where)
    return code
