"""The command line and the API stay one to one, and the README shows both (as sqlite-utils'
tests/test_docs.py does): every command has an API function of the same name that takes its
options, a --help, a shell example in the README; the README's Python examples run.
"""

from __future__ import annotations

import inspect
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from geotrace import api
from geotrace.cli import app
from tests.casekit import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = get_command(app).commands  # type: ignore[attr-defined]

#: Options that choose how the command prints what its API function returns, rather than
#: what is computed; each is named with where the API has it instead.
PRINTING = {
    ("inspect", "json"): "api.inspect_json",
    ("accounts", "json"): "the rows api.accounts returns, as JSON Lines",
    ("copies", "format"): "the groups api.copies returns, as text or JSON Lines",
    ("report", "pdf"): "api.report_pdf",
    ("audit", "format"): "the findings api.audit yields, as text or JSON Lines",
    ("scrub", "format"): "the Scrubbed records api.scrub returns, as text or JSON Lines",
}


def option_name(param: Any) -> str:
    """How a parameter reads on the command line: ``--control-date`` is ``control_date``,
    ``-o/--output`` is ``output``, an argument its own name."""
    if param.param_type_name == "option":
        long = next(o for o in param.opts if o.startswith("--"))
        return str(long[2:].replace("-", "_"))
    return str(param.name)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_the_api_function_of_its_name(name: str) -> None:
    function = getattr(api, name, None)
    assert callable(function), f"geotrace {name} has no api.{name}"
    taken = set(inspect.signature(function).parameters)
    options = {option_name(p) for p in COMMANDS[name].params}
    missing = {o for o in options - taken if (name, o) not in PRINTING}
    assert not missing, f"api.{name} lacks the options of geotrace {name}: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_has_help(name: str) -> None:
    command = COMMANDS[name]
    assert (command.help or "").strip(), f"geotrace {name} has no help"
    for param in command.params:
        assert (getattr(param, "help", None) or "").strip(), f"{name} {param.name}: no help"
    shown = CliRunner().invoke(app, [name, "--help"])
    assert shown.exit_code == 0 and "Usage" in shown.stdout


def shell_examples() -> set[str]:
    """The commands the README's fenced shell blocks run (``geotrace NAME``, ``$`` or not)."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    return {
        m.group(1)
        for block in blocks
        for m in re.finditer(r"^(?:\$ )?geotrace ([a-z]+)", block, flags=re.MULTILINE)
    }


def test_every_command_has_a_readme_example_and_every_example_a_command() -> None:
    shown, commands = shell_examples(), set(COMMANDS)
    assert not commands - shown, f"no README example of {sorted(commands - shown)}"
    assert not shown - commands, f"README runs unknown commands {sorted(shown - commands)}"


PYTHON = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a copy of ``demo/`` and ``inv.case`` built from it, where the README's
    examples are run."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "demo", folder / "demo")
    api.ingest([folder / "demo" / "photos", folder / "demo" / "exports"], folder / "inv.case")
    return folder


@pytest.mark.parametrize("number", range(len(PYTHON)))
def test_readme_python_examples_run_on_the_demo(
    number: int, demo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo_folder)
    code = compile(PYTHON[number], f"README.md, python example {number + 1}", "exec")
    exec(code, {"__name__": "readme"})
