"""Fixtures for the loop tests."""

from __future__ import annotations

import pytest
from loop_objectives import VALLEY, LineFit

from descend.expr import function


@pytest.fixture
def valley():
    return function(VALLEY)


@pytest.fixture
def line_fit():
    return LineFit()
