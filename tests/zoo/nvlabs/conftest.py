"""Paths of NVIDIA's reference fixtures (`../shared/fixtures/nvlabs/`, beside the repo).

Tests ask for `nvlabs_file("sg2ada_A.pkl")`. A missing fixture skips the test
locally and FAILS it when `CI` is set (CI always has the fixtures, so a
missing one there is a broken checkout, not a reason to pass).
"""

import os
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
NVLABS_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "nvlabs"


def _require(name):
    path = NVLABS_FIXTURES / name
    if not path.is_file():
        message = (
            f"NVIDIA reference fixture {path} is missing; place ../shared/fixtures/nvlabs/ "
            "beside the repository (see its README)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def nvlabs_dir():
    """The fixtures directory (`pathlib.Path`); fails under CI when it is missing."""
    _require("README.md")
    return NVLABS_FIXTURES


@pytest.fixture(scope="session")
def nvlabs_file():
    """`nvlabs_file(name) -> pathlib.Path` of one fixture; fails under CI when it is missing."""
    return _require
