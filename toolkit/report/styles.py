"""Word style ids of the report templates: one definition for the builder, the renderer and previews.

``toolkit/template_builder.py`` creates these styles; ``render`` applies the run-in heading
style; ``present`` recognises titles, headings and signatures by them.
"""

from __future__ import annotations

BODY = "Normal"  # body text, 仿宋_GB2312 16pt
TITLE = "ZJTitle"  # document title, 方正小标宋简体 22pt, centred
HEADING1 = "ZJHeading1"  # 一、… headings, 黑体 16pt
HEADING2 = "ZJHeading2"  # （一）… headings, 楷体_GB2312 16pt
RUN_IN_KAI = "ZJRunInKai"  # character style: run-in 楷体 heading inside a body paragraph
SIGNATURE_NAME = "ZJSignatureName"  # issuing bureau under the body
SIGNATURE_DATE = "ZJSignatureDate"  # date under the bureau name
PAGE_NUMBER = "ZJPageNumber"  # footer page number, 宋体 14pt

ALL = (BODY, TITLE, HEADING1, HEADING2, RUN_IN_KAI, SIGNATURE_NAME, SIGNATURE_DATE, PAGE_NUMBER)
HEADINGS = (HEADING1, HEADING2)
SIGNATURES = (SIGNATURE_NAME, SIGNATURE_DATE)
