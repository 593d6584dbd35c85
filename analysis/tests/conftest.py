# pytest set-up for the analysis tests: analysis/ on the import path, the fixture folders, and
# the gooselab binary when it has been built (tests that need it skip without it).
import os
import sys

import matplotlib
import pytest

matplotlib.use("Agg")
HERE = os.path.dirname(os.path.abspath(__file__))
ANALYSIS = os.path.dirname(HERE)
ROOT = os.path.dirname(ANALYSIS)
sys.path.insert(0, ANALYSIS)
FIXTURES = os.path.join(HERE, "fixtures")
STUDIES = ["ladder", "min-layers", "length-generalisation", "knobs"]


@pytest.fixture
def fixture_dir():
    return lambda name: os.path.join(FIXTURES, name)


@pytest.fixture
def frames():
    import common
    return {name: common.load_results(os.path.join(FIXTURES, name)) for name in STUDIES}


@pytest.fixture
def gooselab():
    path = os.environ.get("GOOSELAB", os.path.join(ROOT, "build", "experiments", "gooselab"))
    if not os.access(path, os.X_OK):
        pytest.skip("gooselab is not built (scripts/build gooselab)")
    return path
