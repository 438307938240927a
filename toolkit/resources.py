"""Where the files shipped with zongjie live: report definitions, templates and notebooks.

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


#: The seed report's definition (``templates/report/``): the report rendered when none is named.
DEFAULT_REPORT = "report"


def templates_dir() -> Path:
    """The folder holding every report definition (``templates/<name>/``)."""
    for base in (CHECKOUT / "templates", PACKAGE / "templates"):
        if (base / DEFAULT_REPORT / "figures.yaml").is_file():
            return base
    return CHECKOUT / "templates"


def default_template() -> Path:
    """The seed report's Word template."""
    return _shipped("templates", f"{DEFAULT_REPORT}/template.docx")


def notebook(name: str = "report.ipynb") -> Path:
    return _shipped("notebooks", name)


def summary_table_template() -> Path:
    return _shipped("templates", "summary_table/template.docx")
