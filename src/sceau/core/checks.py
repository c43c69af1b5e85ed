"""`sceau check --deploy`: Sceau's own production checks, beside Django's.

Each unsafe setting of ``sceau.core.config.deploy_problems`` becomes an error, so the command exits
non-zero and names every variable to fix. Production mode refuses to start on the same list
(settings import), so what this command reports is exactly what would stop a production start.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

from sceau.core.config import deploy_problems


@register(Tags.security, deploy=True)
def sceau_deploy_settings(app_configs, **kwargs) -> list[Error]:
    return [
        Error(problem, hint="See the configuration table of the README.", id="sceau.E001")
        for problem in deploy_problems(settings.CONFIG)
    ]
