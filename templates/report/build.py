"""Build this report's template.docx from source.txt: python templates/report/build.py."""

from __future__ import annotations

import sys
from pathlib import Path

from toolkit.report import builder as template_builder

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE / "source.txt"
DEFAULT_OUT = HERE / "template.docx"


def build_bytes(source: Path = DEFAULT_SOURCE) -> bytes:
    return template_builder.build_bytes(source)


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT) -> Path:
    return template_builder.build(source, out)


if __name__ == "__main__":
    sys.exit(template_builder.main(folder=HERE))
