"""Issue trackers an issue can be linked to, behind one interface (``base.Provider``):
GitHub, GitLab, Linear and Jira, one module each, all talking HTTP through
``base.ProviderHttp``."""

from .base import Provider, ProviderHttp
from .github import GitHub
from .gitlab import GitLab
from .jira import Jira
from .linear import Linear

PROVIDERS: dict[str, Provider] = {p.kind: p for p in (GitHub(), GitLab(), Linear(), Jira())}


def external_url(kind: str, integration: dict, context: dict) -> str:
    """PostHog's ``build_external_issue_url``; ValueError as it raises them."""
    provider = PROVIDERS.get(kind)
    if provider is None:
        raise ValueError("Provider not supported")
    return provider.external_url(integration, context)


__all__ = ["PROVIDERS", "Provider", "ProviderHttp", "external_url"]
