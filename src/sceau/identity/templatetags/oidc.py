"""The OpenID Connect pieces of the login pages and of the parties' pages.

``{% oidc_login_button %}`` on /acces/ and /connexion/, ``{% oidc_link_section %}`` on a party's
page; both render nothing when SCEAU_OIDC_ISSUER is empty.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("identity/_oidc_login_button.html")
def oidc_login_button() -> dict[str, Any]:
    from sceau.identity.views_oidc import login_button_context

    return {"oidc": login_button_context()}


@register.inclusion_tag("identity/_oidc_link_section.html", takes_context=True)
def oidc_link_section(context: template.Context) -> dict[str, Any]:
    from sceau.identity.views_oidc import link_section_context

    request = context.get("request")
    return {"oidc": link_section_context(request) if request is not None else None}
