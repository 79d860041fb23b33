"""Fixtures shared by all tests."""
import pytest

import helpers
from tf_contrib_bayesflow._internal import deprecation


@pytest.fixture(params=helpers.REGIMES)
def regime(request):
    """Each test using it runs eagerly, in `tf.function`, and in a v1 graph + Session."""
    return helpers.Regime(request.param)


@pytest.fixture
def fresh_deprecations():
    """Forgets which legacy symbols already warned, so a test can observe the first warning."""
    deprecation.reset()
    yield
    deprecation.reset()
