"""First contact through ``make``: a quiet install and the name of the command."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make_commands(target: str) -> list[str]:
    """The commands ``make TARGET`` runs, every prerequisite remade, none run (``-n -B``)."""
    proc = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    return proc.stdout.splitlines()


@needs_make
def test_make_serve_first_says_which_command_is_ragqa():
    commands = make_commands("serve")
    served = commands.index(".venv/bin/ragqa serve")
    said = [i for i, line in enumerate(commands)
            if line.startswith("echo ") and ".venv/bin/ragqa" in line and "activate" in line]
    assert said and said[0] == served - 1, commands


@needs_make
def test_editable_installs_silence_only_setuptools_information_note():
    installs = [line for line in make_commands("setup-test") if " -e " in line]
    assert len(installs) == 2, installs
    assert all(line.startswith('PYTHONWARNINGS="ignore:Editable installation" ')
               for line in installs), installs


def _folder(package: str, package_dir: dict[str, str]) -> Path:
    top = max((k for k in package_dir if package == k or package.startswith(k + ".")), key=len)
    return ROOT / package_dir[top] / Path(*package.removeprefix(top).split(".")[1:])


def test_packaging_lists_every_folder_it_ships():
    """setuptools warns (on every install) about a data folder that is no listed package."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    packages, package_dir = set(config["packages"]), config["package-dir"]
    for top, root in package_dir.items():
        for module in (ROOT / root).rglob("*.py"):
            relative = module.parent.relative_to(ROOT / root)
            assert ".".join((top, *relative.parts)) in packages, module
    for package, patterns in config["package-data"].items():
        assert package in packages
        folder = _folder(package, package_dir)
        shipped = [f for p in patterns for f in folder.glob(p) if f.is_file()]
        assert shipped and all(f.parent == folder for f in shipped), (package, shipped)
    assert (_folder("ragqa.service.static", package_dir) / "widget.js").is_file()
