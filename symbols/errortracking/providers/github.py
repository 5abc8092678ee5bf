"""GitHub: ``POST {api_url}/repos/{org}/{repository}/issues`` (REST v3, a token with the
issues scope); integration config ``{"org", "api_url"?}``, secrets ``{"token"}``; issue
config ``{repository, title, body}`` -> context ``{"number", "repository"}``."""

from __future__ import annotations

from typing import Any

from .base import ProviderHttp, issue_fields, name, need, raise_for, text

API_URL = "https://api.github.com"
PUBLIC_HOSTS = ("api.github.com",)


class GitHub:
    kind = "github"
    name = "GitHub"

    def check_integration(self, config: dict, secrets: dict) -> dict:
        text(secrets, "token", limit=1000)
        return {"org": name(config, "org"), "api_url": (config.get("api_url") or API_URL).rstrip("/")}

    def check_issue_config(self, config: Any) -> dict:
        fields = issue_fields(config, "body")
        return {"repository": name(config, "repository"), **fields}

    async def create_issue(self, http: ProviderHttp, integration: dict, secrets: dict, issue: dict) -> dict:
        base = http.check_url(integration["api_url"], PUBLIC_HOSTS)
        url = base / "repos" / integration["org"] / issue["repository"] / "issues"
        headers = {"Authorization": f"Bearer {secrets['token']}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "symbols"}
        answer = await http.request(self.name, "POST", url, headers=headers,
                                    json={"title": issue["title"], "body": issue["body"]})
        if answer.status != 201:
            raise_for(self.name, answer, _message(answer.body))
        return {"number": need(answer, "number"), "repository": issue["repository"]}

    def external_url(self, integration: dict, context: dict) -> str:
        if "number" not in context or "repository" not in context:
            raise ValueError("Missing required external context fields")
        return f"https://github.com/{integration['org']}/{context['repository']}/issues/{context['number']}"


def _message(body: Any) -> str | None:
    """GitHub's ``{"message", "errors": [{"message"|"code", "field"}]}``."""
    if not isinstance(body, dict):
        return None
    parts = [str(body.get("message") or "")]
    for error in body.get("errors") or []:
        if isinstance(error, dict):
            parts.append(str(error.get("message") or f"{error.get('field')} {error.get('code')}"))
    return "; ".join(p for p in parts if p) or None
