from __future__ import annotations

from support.api import read_after, unique


def test_create_org_team_workspace_project_and_read_back(admin):
    org = admin.post("/v1/orgs", json={"name": unique("Acme")})
    assert org.status_code == 201, org.text
    slug = org.json()["slug"]
    team = admin.post(f"/v1/orgs/{slug}/teams", json={"name": "Platform"})
    assert team.status_code == 201, team.text
    ws = admin.post(f"/v1/orgs/{slug}/teams/platform/workspaces", json={"name": "Main"})
    assert ws.status_code == 201, ws.text
    project = admin.post(
        f"/v1/orgs/{slug}/teams/platform/workspaces/main/projects",
        json={"name": "Agents", "settings": {"max_parallel": 4}},
    )
    assert project.status_code == 201, project.text
    read = admin.get(project.headers["Location"], params=read_after(project))
    assert read.status_code == 200, read.text
    assert read.json()["settings"] == {"max_parallel": 4}
    assert read.headers["ETag"] == '"1"'
