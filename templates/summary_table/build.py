"""Build the seed report's 汇总表 template (template.docx) from templates/report/summary.yaml.

Usage: python templates/summary_table/build.py [--report NAME] [--out PATH]

The 汇总表 of every report is laid out from that report's ``summary.yaml`` when a batch
writes it (``toolkit/publish/summary_layout.py``: GB/T 9704 attachment table, landscape
A4, header rows repeated on every page, header lines kept whole, columns as wide as
their headers and numbers need). This script writes that template to a file, to look at
in Word or WPS; a test checks that the committed file is the build of the definition.
The output is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.publish.summary_definition import load_summary
from toolkit.publish.summary_layout import template_bytes
from toolkit.resources import DEFAULT_REPORT

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "template.docx"


def build_bytes(report: str = DEFAULT_REPORT) -> bytes:
    """The 汇总表 template of ``report``."""
    return template_bytes(load_summary(report))


def build(report: str = DEFAULT_REPORT, out: Path = DEFAULT_OUT) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(build_bytes(report))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", default=DEFAULT_REPORT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    print(build(args.report, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
