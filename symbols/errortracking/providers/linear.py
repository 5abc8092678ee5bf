"""Linear: the GraphQL ``issueCreate`` mutation at ``{api_url}`` (an API key in
``Authorization``); integration config ``{"url_key", "api_url"?}``, secrets ``{"token"}``;
issue config ``{team_id, title, description}`` -> context ``{"id"}`` (the identifier,
``ENG-123``). Linear answers errors, rate limits included (``RATELIMITED``), in
``errors`` with status 200 or 400."""

from __future__ import annotations

from typing import Any

from ...errors import UpstreamBusy, UpstreamRefused
from .base import Answer, ProviderHttp, issue_fields, name, need, raise_for, retry_after, text

API_URL = "https://api.linear.app/graphql"
PUBLIC_HOSTS = ("api.linear.app",)
MUTATION = """mutation IssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { id identifier url } }
}"""


class Linear:
    kind = "linear"
    name = "Linear"

    def check_integration(self, config: dict, secrets: dict) -> dict:
        text(secrets, "token", limit=1000)
        return {"url_key": name(config, "url_key"), "api_url": config.get("api_url") or API_URL}

    def check_issue_config(self, config: Any) -> dict:
        fields = issue_fields(config, "description")
        return {"team_id": text(config, "team_id", limit=100), **fields}

    async def create_issue(self, http: ProviderHttp, integration: dict, secrets: dict, issue: dict) -> dict:
        url = http.check_url(integration["api_url"], PUBLIC_HOSTS)
        variables = {"input": {"teamId": issue["team_id"], "title": issue["title"],
                               "description": issue["description"]}}
        answer = await http.request(self.name, "POST", url, headers={"Authorization": secrets["token"]},
                                    json={"query": MUTATION, "variables": variables})
        _raise_for_errors(answer)
        if answer.status != 200:
            raise_for(self.name, answer, None)
        if need(answer, "data", "issueCreate", "success") is not True:
            raise UpstreamRefused("provider_error", "Linear did not create the issue.")
        return {"id": need(answer, "data", "issueCreate", "issue", "identifier")}

    def external_url(self, integration: dict, context: dict) -> str:
        if "id" not in context:
            raise ValueError("Missing required external context fields")
        return f"https://linear.app/{integration['url_key']}/issue/{context['id']}"


def _raise_for_errors(answer: Answer) -> None:
    errors = answer.body.get("errors") if isinstance(answer.body, dict) else None
    if not errors or not isinstance(errors, list) or not isinstance(errors[0], dict):
        return
    first = errors[0]
    message = str(first.get("message") or "error")
    extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
    if extensions.get("code") == "RATELIMITED" or answer.status == 429:
        raise UpstreamBusy("provider_rate_limited", f"Linear answered {answer.status}: {message[:500]}",
                           retry_after(answer.headers) or _reset(answer.headers))
    if answer.status >= 500:
        raise_for("Linear", answer, message)
    raise UpstreamRefused("provider_error", f"Linear answered {answer.status}: {message[:500]}")


def _reset(headers) -> int | None:
    """``X-RateLimit-Requests-Reset``: when the window resets, in epoch milliseconds."""
    raw = headers.get("x-ratelimit-requests-reset", "")
    return retry_after({"x-ratelimit-reset": str(int(raw) // 1000)}) if raw.isdigit() else None
