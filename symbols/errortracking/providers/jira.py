"""Jira Cloud: ``POST {site_url}/rest/api/3/issue`` (basic auth with an account email and
API token, or a bearer token); integration config ``{"site_url", "issue_type"?}``,
secrets ``{"email", "api_token"}`` or ``{"token"}``; issue config ``{project_key,
title, description}`` -> context ``{"key"}``."""

from __future__ import annotations

import base64
import re
from typing import Any

from ...errors import InvalidInput
from .base import ProviderHttp, issue_fields, need, raise_for, text

PUBLIC_HOSTS = ("*.atlassian.net",)
_PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,99}")


class Jira:
    kind = "jira"
    name = "Jira"

    def check_integration(self, config: dict, secrets: dict) -> dict:
        if "token" in secrets:
            text(secrets, "token", limit=1000)
        else:
            text(secrets, "email", limit=254)
            text(secrets, "api_token", limit=1000)
        return {"site_url": text(config, "site_url", limit=400).rstrip("/"),
                "issue_type": text(config, "issue_type", required=False, limit=100) or "Bug"}

    def check_issue_config(self, config: Any) -> dict:
        fields = issue_fields(config, "description")
        key = text(config, "project_key", limit=100)
        if not _PROJECT_KEY.fullmatch(key or ""):
            raise InvalidInput("invalid", "config.project_key is not a Jira project key.", "config")
        return {"project_key": key, **fields}

    async def create_issue(self, http: ProviderHttp, integration: dict, secrets: dict, issue: dict) -> dict:
        url = http.check_url(integration["site_url"], PUBLIC_HOSTS) / "rest" / "api" / "3" / "issue"
        fields = {"project": {"key": issue["project_key"]}, "summary": issue["title"],
                  "issuetype": {"name": integration["issue_type"]}}
        if issue["description"]:
            fields["description"] = _document(issue["description"])
        answer = await http.request(self.name, "POST", url, headers={"Authorization": _auth(secrets),
                                                                     "Accept": "application/json"},
                                    json={"fields": fields})
        if answer.status != 201:
            raise_for(self.name, answer, _message(answer.body))
        return {"key": need(answer, "key")}

    def external_url(self, integration: dict, context: dict) -> str:
        if "key" not in context:
            raise ValueError("Missing required external context fields")
        return f"{integration['site_url']}/browse/{context['key']}"


def _auth(secrets: dict) -> str:
    if "token" in secrets:
        return f"Bearer {secrets['token']}"
    pair = f"{secrets['email']}:{secrets['api_token']}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _document(text_: str) -> dict:
    """Plain text as an Atlassian document (API v3 takes no plain strings)."""
    paragraphs = [p for p in text_.split("\n\n") if p.strip()]
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": p}]} for p in paragraphs]}


def _message(body: Any) -> str | None:
    """Jira's ``{"errorMessages": [...], "errors": {field: message}}``."""
    if not isinstance(body, dict):
        return None
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{k}: {v}" for k, v in errors.items()]
    return "; ".join(parts) or None
