"""Hostile templates end fast with a Chinese message: no hang, no MemoryError."""

from __future__ import annotations

import time
import zipfile
from datetime import date

import jinja2
import pytest
from conftest import PARAMS

from toolkit.errors import TemplateError
from toolkit.report import prepare as report
from toolkit.report.render import render_docx
from toolkit.report.sandbox import TemplateLimitError, environment
from toolkit.resources import default_template

HOSTILE = [
    "{{ 10**(10**10) }}",
    "{{ (2**9999)**9 }}",
    "{{ range(10**9)|list|length }}",
    "{{ 'a'*10**9 }}",
    "{{ 10**9*'a' }}",
    "{{ [0]*10**9 }}",
    "{{ 'x'|center(10**9) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "{% set s = 'a'*1000 %}{% for c in s %}{% for d in s %}{% for e in s %}{% endfor %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_expression_fails_fast(source):
    start = time.monotonic()
    with pytest.raises((TemplateLimitError, RecursionError, jinja2.TemplateError)):
        environment().from_string(source).render()
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("source", ["{{ 2**10 }}|1024", "{{ 'ab'*3 }}|ababab", "{{ range(3)|list|length }}|3"])
def test_ordinary_expressions_still_work(source):
    template, expected = source.rsplit("|", 1)
    assert environment().from_string(template).render() == expected


@pytest.mark.parametrize("source", ["{{ 10**(10**10) }}", "{{ range(10**9)|list }}", "{{ 'a'*10**9 }}"])
def test_hostile_report_template_is_a_chinese_template_error(sample_ledgers, tmp_path, source):
    target = tmp_path / "hostile.docx"
    with zipfile.ZipFile(default_template()) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.decode().replace("{{ tax_revenue }}", source, 1).encode()
            zout.writestr(item, data)
    rep = report.prepare(sample_ledgers, PARAMS, "hedong", 2021, date(2022, 1, 10))
    start = time.monotonic()
    with pytest.raises(TemplateError) as err:
        render_docx(rep.figures, rep.story, target)
    assert time.monotonic() - start < 10
    assert "超出限制" in str(err.value) and "hostile.docx" in str(err.value)


def test_compiled_code_is_shared_budgets_are_not():
    """A template's code is compiled once per process; each environment keeps its own limits."""
    from toolkit.report import sandbox as template_sandbox

    source = "{% for i in range(n) %}x{% endfor %}"
    first, second = environment(), environment()
    assert first.from_string(source).render(n=3) == "xxx"
    cached = len(template_sandbox._COMPILED)
    assert second.from_string(source).render(n=2) == "xx"
    assert len(template_sandbox._COMPILED) == cached  # the second environment reused the code
    with pytest.raises(TemplateLimitError):  # the shared code still counts against its own budget
        second.from_string(source).render(n=10**7)
    assert first.from_string(source).render(n=1) == "x"
    assert environment(trim_blocks=True).from_string("{% if 1 %}\na{% endif %}").render() == "a"
    assert environment().from_string("{% if 1 %}\na{% endif %}").render() == "\na"  # options keep codes apart


def test_compiled_cache_is_bounded():
    from toolkit.report import sandbox as template_sandbox

    env = environment()
    for n in range(template_sandbox._COMPILED_KEPT + 20):
        assert env.from_string(f"{{{{ {n} }}}}").render() == str(n)
    assert len(template_sandbox._COMPILED) <= template_sandbox._COMPILED_KEPT
