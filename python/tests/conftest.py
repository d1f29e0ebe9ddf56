import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
DATASETS = FIXTURES / "datasets"


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def rect():
    d = DATASETS / "rect_1000"
    return d / "tasks.json", d / "config.xml"


@pytest.fixture(scope="session")
def rect_tasks(rect):
    with open(rect[0], encoding="utf-8") as f:
        return json.load(f)


def cli_binary():
    """An exportkit CLI binary to compare messages with, when one is built."""
    env = os.environ.get("EXPORTKIT_BIN")
    if env:
        return env
    for profile in ("release", "debug"):
        p = ROOT / "target" / profile / "exportkit"
        if p.exists():
            return str(p)
    return shutil.which("exportkit")


def run_cli(*args):
    b = cli_binary()
    if not b:
        pytest.skip("no exportkit CLI binary built (cargo build) to compare with")
    return subprocess.run([b, *map(str, args)], capture_output=True, text=True)
