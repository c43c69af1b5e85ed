from __future__ import annotations

import pytest
from tests.identity.conftest import oidc, oidc_provider  # noqa: F401 (fixtures)
from tests.security.checks import *  # noqa: F403 (the fixtures below use them)
from tests.security.matrix import FOREIGN, build_world, fill  # noqa: F401


@pytest.fixture
def matrix_world(db, request):
    """The world, with the real test OpenID Connect provider configured (its pages answer)."""
    request.getfixturevalue("oidc")
    return build_world()
