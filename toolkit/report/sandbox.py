"""A Jinja sandbox with bounds: a hostile template fails fast with a Chinese message.

Jinja's ``SandboxedEnvironment`` stops attribute tricks but not work: ``10**(10**10)``
runs for ever, ``'a'*10**9`` allocates a gigabyte, nested loops spin. A report
template is a user's file, so rendering it must end quickly whatever it holds.
:class:`BoundedEnvironment` adds, through Jinja's public seams (``call_binop``,
``call``, a code generator subclass and the ``concat`` hook):

- arithmetic that would build a huge number or sequence is refused before it runs
  (``**`` with a big result, ``*`` and ``%`` producing long text or lists);
- every value a filter, call, ``~`` concatenation or operator produces is measured
  (length of text and sequences, size of integers);
- every loop iteration counts against a budget, and rendering has a deadline;
- the rendered output has a maximum size.

Exceeding any bound raises :class:`TemplateLimitError` (a ``jinja2`` security error),
which the render layer turns into a :class:`~toolkit.errors.TemplateError`.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections.abc import Iterable, Iterator
from types import CodeType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

#: Longest text, list or output a template may build (characters or items).
MAX_LENGTH = 2_000_000
#: Largest integer a template may build, in bits (about 3000 decimal digits).
MAX_INT_BITS = 10_000
#: Loop iterations over one whole render.
MAX_ITERATIONS = 1_000_000
#: Seconds one render may take.
MAX_SECONDS = 10.0
#: Largest integer argument a filter or function accepts (widths, counts, precisions).
MAX_ARGUMENT = 100_000

_WIDTH = re.compile(r"%[-+ #0]*(\d+)|\{[^{}]*?:[^{}]*?(\d{6,})")


class TemplateLimitError(SecurityError):
    """The template asked for more work or memory than a report can need."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(f"模板中的运算超出限制（{what}），请删除或改写相应的标签")


class _Budget:
    """Work left for the current render."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.iterations = 0

    def tick(self, n: int = 1) -> None:
        self.iterations += n
        if self.iterations > MAX_ITERATIONS:
            raise TemplateLimitError(f"循环次数超过{MAX_ITERATIONS}次")
        if self.iterations % 1000 == 0:
            self.clock()

    def clock(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"渲染时间超过{MAX_SECONDS:g}秒")


def _size(value: object) -> None:
    """Refuse a value too large to be part of a report."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError("数字过大")
    elif isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) > MAX_LENGTH:
        raise TemplateLimitError(f"文字或列表长度超过{MAX_LENGTH}")


def _argument(value: object) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ARGUMENT:
        raise TemplateLimitError(f"参数{value}过大")
    if isinstance(value, str) and _WIDTH.search(value):
        widths = [int(w) for pair in _WIDTH.findall(value) for w in pair if w]
        if any(w > MAX_ARGUMENT for w in widths):
            raise TemplateLimitError("格式宽度过大")
    _size(value)


def _length(value: object) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles loops, ``~`` and filters so that each passes through the environment's checks."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        bounded = nodes.For(
            node.target,
            nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None, lineno=node.lineno),
            node.body,
            node.else_,
            node.test,
            node.recursive,
            lineno=node.lineno,
        )
        bounded.environment = node.environment
        super().visit_For(bounded, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(")")

    def visit_Filter(self, node: nodes.Filter, frame: Frame) -> None:
        self.write("environment.checked(")
        super().visit_Filter(node, frame)
        self.write(")")


#: Compiled template sources (a report's template has a few parts), most recently used last.
_COMPILED: dict[tuple[type[BoundedEnvironment], str, str, bool], CodeType] = {}
_COMPILED_KEPT = 64


class BoundedEnvironment(SandboxedEnvironment):
    """``SandboxedEnvironment`` with bounds on time, loop work, value sizes and output size."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset(["**", "*", "%", "+", "//", "/", "-"])
    intercepted_unops = frozenset(["-", "+"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._budget = _Budget()
        self._options = repr((args, sorted(kwargs.items())))
        self.globals["range"] = self._range
        self.filters = {name: _guard_filter(f) for name, f in self.filters.items()}

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:  # CodeType, or the source text when ``raw`` (Jinja's overloads)
        """Jinja's compile, remembered per source text for environments built alike.

        docxtpl compiles each part of a template on every render; the report's template
        is the same for a whole batch, so its code is generated once per process. The
        code object holds no environment: each render still runs in its own environment,
        with its own budget.
        """
        if raw or name is not None or filename is not None or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        key = (type(self), self._options, source, defer_init)
        code = _COMPILED.pop(key, None)
        if code is None:
            code = super().compile(source, defer_init=defer_init)
        _COMPILED[key] = code  # most recent last
        while len(_COMPILED) > _COMPILED_KEPT:
            _COMPILED.pop(next(iter(_COMPILED)))
        return code

    # -- the budget of one render ------------------------------------------------

    def start(self) -> None:
        """Begin a new render: fresh deadline and loop budget."""
        self._budget = _Budget()

    def concat(self, pieces: Iterable[str]) -> str:
        """Join the rendered output, bounded in size and time."""
        out: list[str] = []
        total = 0
        for n, piece in enumerate(pieces):
            total += len(piece)
            if total > MAX_LENGTH * 10:
                raise TemplateLimitError("生成的文档过大")
            if n % 256 == 0:
                self._budget.clock()
            out.append(piece)
        return "".join(out)

    def bounded_iter(self, iterable: Any) -> Iterator[Any]:
        _size(iterable) if not isinstance(iterable, (dict, set, frozenset)) else None
        for item in iterable:
            self._budget.tick()
            yield item

    def checked(self, value: Any) -> Any:
        _size(value)
        self._budget.clock()
        return value

    # -- operators and calls -----------------------------------------------------

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        self._budget.clock()
        if operator == "**":
            _power(left, right)
        elif operator == "*":
            _repeat(left, right)
        elif operator == "%" and isinstance(left, str):
            _argument(left)
        try:
            result = super().call_binop(context, operator, left, right)
        except (OverflowError, MemoryError):
            raise TemplateLimitError("数字过大") from None
        _size(result)
        return result

    def call(self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._budget.clock()
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)  # str.format is wrapped
        for value in (owner, *args, *kwargs.values()):
            _argument(value)
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        except (OverflowError, MemoryError):
            raise TemplateLimitError("运算结果过大") from None
        _size(result)
        return result

    def _range(self, *args: int) -> range:
        for value in args:
            _argument(value)
        return range(*args)


@functools.cache  # one wrapper per filter for the process, not per render's environment
def _guard_filter(func: Any) -> Any:
    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            if isinstance(value, (int, str)):
                _argument(value)
        try:
            return func(*args, **kwargs)
        except (OverflowError, MemoryError):
            raise TemplateLimitError("运算结果过大") from None

    return guarded


def _power(base: Any, exponent: Any) -> None:
    if isinstance(base, bool) or isinstance(exponent, bool):
        return
    if isinstance(base, int) and isinstance(exponent, int):
        if exponent > 0 and abs(base) > 1 and exponent * math.log2(abs(base)) > MAX_INT_BITS:
            raise TemplateLimitError("乘方结果过大")
    elif isinstance(base, (int, float)) and isinstance(exponent, (int, float)) and abs(exponent) > MAX_ARGUMENT:
        raise TemplateLimitError("乘方的指数过大")


def _repeat(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        n = _length(seq)
        if n is not None and isinstance(times, int) and n * max(times, 0) > MAX_LENGTH:
            raise TemplateLimitError(f"重复后的长度超过{MAX_LENGTH}")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError("乘积过大")


def environment(**options: Any) -> BoundedEnvironment:
    """A bounded sandbox for report templates: autoescaped, undefined names are errors."""
    return BoundedEnvironment(autoescape=True, undefined=jinja2.StrictUndefined, **options)
