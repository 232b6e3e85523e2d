"""The benchmark's storage floor (bench/floor_app.py) must write what a real create writes:
its project is projected by the real read model and read back through the real API, and
its slug claim makes the real API refuse the same slug in that workspace."""

from __future__ import annotations

from fastapi.testclient import TestClient
from support.api import assert_problem, read_after, unique


def test_the_floor_writes_a_real_project_and_slug_claim(admin, stack, monkeypatch):
    org = admin.post("/v1/orgs", json={"name": unique("Floor")}).json()
    team = admin.post(f"/v1/orgs/{org['slug']}/teams", json={"name": "Team"}).json()
    base = f"/v1/orgs/{org['slug']}/teams/{team['slug']}/workspaces"
    ws = admin.post(base, json={"name": "Main"}).json()
    projects = f"{base}/{ws['slug']}/projects"
    monkeypatch.setenv("DATABASE_URL", stack.settings.database_url)
    monkeypatch.setenv("BENCH_ORG_ID", org["guid"])
    monkeypatch.setenv("BENCH_TEAM_ID", team["guid"])
    monkeypatch.setenv("BENCH_WS_ID", ws["guid"])
    from bench.floor_app import app

    body = {"name": "floor-one", "settings": {"max_parallel": 4}}
    with TestClient(app) as floor:
        written = floor.post(projects, json=body)
    assert written.status_code == 201, written.text

    read = admin.get(f"{projects}/floor-one", params=read_after(written))
    assert read.status_code == 200, read.text
    project = read.json()
    assert project["guid"] == written.json()["guid"]
    assert project["settings"] == {"max_parallel": 4}
    assert project["version"] == 1

    assert_problem(admin.post(projects, json={"name": "floor-one"}), 409, "slug")
