"""pyproject.toml and environment.yml list the same dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d): d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip")}
    pip = {_name(d): d for d in project["dependencies"]}
    assert set(conda) == set(pip)
    for name, requirement in pip.items():  # the same lower bounds
        assert requirement.replace(" ", "") == conda[name].replace(" ", ""), name
    python = next(d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python")
    assert python.replace("python", "") == project["requires-python"]


def test_wheel_carries_every_file_resources_finds():
    """Templates and notebooks found in a checkout are force-included where the package looks for them."""
    from pathlib import Path

    from toolkit import resources

    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    force = wheel["targets"]["wheel"]["force-include"]
    assert force["templates/summary_table"] == "toolkit/templates/summary_table"
    for path in (resources.default_template(), resources.summary_table_template(), resources.notebook()):
        relative = path.relative_to(ROOT)
        source = next(Path(s) for s in force if Path(s) == relative or Path(s) in relative.parents)
        packaged = Path(force[source.as_posix()]) / relative.relative_to(source)
        assert packaged == Path("toolkit") / relative, relative
