"""Every endpoint classified; every role refused on objects of other parties (see matrix.py)."""

from __future__ import annotations

import re

import pytest
from tests.security.checks import check_role
from tests.security.matrix import (
    API,
    ROLES,
    WEB,
    api_endpoints,
    api_routes_served,
    web_endpoints,
)


def test_every_page_is_classified():
    found = web_endpoints()
    unclassified = sorted(set(found) - set(WEB))
    stale = sorted(set(WEB) - set(found))
    assert not unclassified, (
        f"classify these URL patterns in tests/security/matrix.py: {unclassified}"
    )
    assert not stale, f"these entries of WEB match no URL pattern any more: {stale}"


def test_every_api_operation_is_classified():
    found = api_endpoints()
    unclassified = sorted(set(found) - set(API))
    stale = sorted(set(API) - set(found))
    assert not unclassified, (
        f"classify these API operations in tests/security/matrix.py: {unclassified}"
    )
    assert not stale, f"these entries of API match no operation any more: {stale}"


def test_the_api_enumeration_covers_every_api_route():
    """A route served under /api/v1/ outside ninja's routers would escape the matrix."""
    templates = {re.sub(r"\{(\w+)(?::\w+)?\}", r"<\1>", p) for p in api_endpoints().values()}
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", r) for r in api_routes_served()}
    documented = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/"}
    assert served - templates - documented == set()


@pytest.mark.parametrize("role", ROLES)
def test_pages(matrix_world, role):
    problems = check_role(matrix_world, role, WEB, web_endpoints(), matrix_world.web, api=False)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_api(matrix_world, role):
    problems = check_role(matrix_world, role, API, api_endpoints(), matrix_world.api, api=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_api_refuses_the_session_cookies_of_other_roles(matrix_world, role):
    """The API authenticates by Bearer token: a browser session (which a forged cross-site
    request would carry) must never open an operation the role may not use."""
    problems = check_role(
        matrix_world,
        role,
        API,
        api_endpoints(),
        matrix_world.web,
        api=True,
        allowed_must_pass=False,
    )
    assert not problems, "\n".join(problems)
