"""GitLab: ``POST {hostname}/api/v4/projects/{project_id}/issues`` (``PRIVATE-TOKEN``);
integration config ``{"hostname"?, "project_id", "project_path"}``, secrets ``{"token"}``;
issue config ``{title, body}`` -> context ``{"issue_id"}`` (the project's issue iid)."""

from __future__ import annotations

from typing import Any

from .base import ProviderHttp, issue_fields, need, raise_for, text

HOSTNAME = "https://gitlab.com"
PUBLIC_HOSTS = ("gitlab.com",)


class GitLab:
    kind = "gitlab"
    name = "GitLab"

    def check_integration(self, config: dict, secrets: dict) -> dict:
        text(secrets, "token", limit=1000)
        project_id = config.get("project_id")
        if isinstance(project_id, int) and not isinstance(project_id, bool):
            project_id = str(project_id)
        return {"hostname": (config.get("hostname") or HOSTNAME).rstrip("/"),
                "project_id": text({"project_id": project_id}, "project_id"),
                "project_path": text(config, "project_path").strip("/")}

    def check_issue_config(self, config: Any) -> dict:
        return issue_fields(config, "body")

    async def create_issue(self, http: ProviderHttp, integration: dict, secrets: dict, issue: dict) -> dict:
        base = http.check_url(integration["hostname"], PUBLIC_HOSTS)
        url = base / "api" / "v4" / "projects" / integration["project_id"] / "issues"
        answer = await http.request(self.name, "POST", url, headers={"PRIVATE-TOKEN": secrets["token"]},
                                    json={"title": issue["title"], "description": issue["body"]})
        if answer.status != 201:
            raise_for(self.name, answer, _message(answer.body))
        return {"issue_id": need(answer, "iid")}

    def external_url(self, integration: dict, context: dict) -> str:
        if "issue_id" not in context:
            raise ValueError("Missing required external context fields")
        return f"{integration['hostname']}/{integration['project_path']}/issues/{context['issue_id']}"


def _message(body: Any) -> str | None:
    """GitLab's ``{"message": str | {field: [..]}}`` or ``{"error": str}``."""
    if not isinstance(body, dict):
        return None
    message = body.get("message", body.get("error"))
    if isinstance(message, dict):
        return "; ".join(f"{k} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in message.items())
    return str(message) if message else None
