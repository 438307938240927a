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


#: Environment variables that carry the review app's folders and report into its kernels.
ENV_DATA, ENV_PARAMS, ENV_OUT, ENV_REPORT = "ZONGJIE_DATA", "ZONGJIE_PARAMS", "ZONGJIE_OUT", "ZONGJIE_REPORT"

#: The seed report's definition (``templates/report/``): the report rendered when none is named.
DEFAULT_REPORT = "report"


def templates_dir() -> Path:
    """The folder holding every report definition (``templates/<name>/``)."""
    for base in (CHECKOUT / "templates", PACKAGE / "templates"):
        if (base / DEFAULT_REPORT / "figures.yaml").is_file():
            return base
    return CHECKOUT / "templates"


def report_roots() -> list[Path]:
    """Where report definitions are looked for: ``./templates/`` of the folder a command runs
    in (where ``zongjie new-report`` writes), then the shipped ones."""
    roots: list[Path] = []
    for root in (Path.cwd() / "templates", templates_dir()):
        if root.resolve() not in [r.resolve() for r in roots] and (root.is_dir() or not roots):
            roots.append(root)
    return roots or [templates_dir()]


#: The files of a report's definition folder: its figures and its Word template.
FIGURES_FILE = "figures.yaml"
TEMPLATE_FILE = "template.docx"


def report_root(name: str) -> Path:
    """The folder holding the definition ``name`` (the first of :func:`report_roots` that has it)."""
    for root in report_roots():
        if (root / name / FIGURES_FILE).is_file():
            return root
    return templates_dir()


def definition_folder(name: str | Path = DEFAULT_REPORT) -> Path:
    """Where a report's definition lives (not loaded: for listing its files as inputs)."""
    if len(Path(name).parts) > 1 or Path(name).is_absolute():
        return Path(name)
    return report_root(str(name)) / str(name)


def definition_name(name: str | Path = DEFAULT_REPORT) -> str:
    """A report definition's name, the name of its folder (:func:`definition_folder`), known
    without looking: a batch asks it thousands of times."""
    return Path(name).name


def definition_files(name: str | Path = DEFAULT_REPORT) -> list[Path]:
    """The files a report's definition consists of: figures.yaml and the Word template."""
    folder = definition_folder(name)
    return [folder / FIGURES_FILE, folder / TEMPLATE_FILE]


def default_template() -> Path:
    """The seed report's Word template."""
    return _shipped("templates", f"{DEFAULT_REPORT}/template.docx")


def notebook(name: str = "report.ipynb") -> Path:
    return _shipped("notebooks", name)


def summary_table_template() -> Path:
    return _shipped("templates", "summary_table/template.docx")
