"""Where the files shipped with zongjie live: the default template and notebooks.

In a source checkout they sit at the top level (``templates/``, ``notebooks/``); a
wheel carries copies inside the package.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def _shipped(folder: str, name: str) -> Path:
    for base in (CHECKOUT / folder, PACKAGE / folder):
        if (base / name).is_file():
            return base / name
    return CHECKOUT / folder / name


def default_template() -> Path:
    return _shipped("templates", "report.docx")


def notebook(name: str = "report.ipynb") -> Path:
    return _shipped("notebooks", name)


def summary_table_template() -> Path:
    return _shipped("templates", "summary_table/template.docx")
