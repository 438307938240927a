"""Exceptions of zongjie: one root, specific ones under it, messages in Chinese.

Errors about the ledgers themselves (:class:`~toolkit.data.problems.DataError` and the
problems it carries) live with the data stage, in :mod:`toolkit.data.problems`.
"""

from __future__ import annotations


class ZongjieError(Exception):
    """Root of every error zongjie raises on purpose; ``str()`` is a Chinese message."""


class TemplateError(ZongjieError, ValueError):
    """The Word template cannot be used: bad Jinja syntax or a tag that is no figure."""

    def __init__(self, template: str, message: str):
        self.template = template
        super().__init__(f"模板“{template}”有误：{message}")


class FinalRefusedError(ZongjieError, ValueError):
    """A final report was asked for while something it depends on is unresolved (see ``report.gate``).

    ``sections`` are (heading, items): what blocks it, grouped, each item located.
    """

    def __init__(self, what: str, sections: list[tuple[str, list[str]]]):
        self.what, self.sections = what, [(head, list(items)) for head, items in sections]
        lines = [f"{what}不能生成正式稿（未写出任何文件）："]
        for head, items in self.sections:
            lines.append(head)
            lines += [f"- {item}" for item in items]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[object, ...]:
        return (FinalRefusedError, (self.what, self.sections))


class MissingValuesError(ZongjieError, ValueError):
    """A final report was asked for but the data lacks some values."""

    def __init__(self, bureau: str, year: int, missing: list[str]):
        self.bureau, self.year, self.missing = bureau, year, list(missing)
        items = "\n".join(f"- {m}" for m in self.missing)
        super().__init__(
            f"单位“{bureau}”{year}年的报告缺少{len(self.missing)}项数据，不能生成正式稿（未写出任何文件）：\n{items}"
        )


class NotFoundError(ZongjieError, FileNotFoundError):
    """A folder, file, bureau or year the user named does not exist."""


class PdfError(ZongjieError, RuntimeError):
    """A report could not be converted to PDF (the .docx beside it is unaffected)."""

    def __init__(self, message: str, *, document: str | None = None):
        self.document = document
        super().__init__(f"“{document}”无法转换为PDF：{message}" if document else message)


class WriteFailed(ZongjieError, OSError):
    """An output file could not be written (a full disk, no permission); names the file."""

    def __init__(self, path: object, cause: OSError):
        self.path = str(path)
        reason = "磁盘空间不足" if cause.errno == 28 else (cause.strerror or str(cause))
        super().__init__(cause.errno, f"无法写出文件“{self.path}”：{reason}。")
        self.filename = self.path

    def __str__(self) -> str:
        return self.strerror or ""


class FileBusy(ZongjieError, TimeoutError):
    """A shared file (a correction, a narrative, a sign-off) stayed locked by another writer too long."""

    def __init__(self, path: object, seconds: float):
        self.path, self.seconds = str(path), seconds
        super().__init__(f"文件“{self.path}”正由他人写入，等待{seconds:g}秒后仍未完成，请稍后再试（未作任何修改）。")

    def __reduce__(self) -> tuple[object, ...]:
        return type(self), (self.path, self.seconds)


class NotebookError(ZongjieError):
    """A notebook run that did not complete; ``str()`` says why in Chinese."""

    #: the executed notebook as far as it ran, when there is one
    notebook: object = None


class CellFailed(NotebookError):
    """A cell raised: ``ename``/``evalue`` as the kernel reported them."""

    def __init__(self, ename: str, evalue: str, message: str):
        self.ename, self.evalue = ename, evalue
        super().__init__(message)


class ExecutionTimeout(NotebookError, TimeoutError):
    """The notebook took longer than its time budget."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"笔记本执行超过{seconds}秒，已停止。")


class KernelDied(NotebookError):
    """The kernel process ended in the middle of a notebook."""

    def __init__(self, detail: str = ""):
        super().__init__("笔记本的内核意外退出" + (f"（{detail}）" if detail else "") + "。")


class IncompleteOutputs(NotebookError):
    """A bureau's outputs are missing or do not match its ``result.json``: it must be redone."""
