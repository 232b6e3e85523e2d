"""Use cases of workflow templates on the in-memory store and on Postgres: drafts, publish
validation (each fault names its stage and field), references resolved, versions immutable."""

from __future__ import annotations

import copy
import uuid
from pathlib import Path

import pytest
from support.skill_bundles import as_json_files, realistic_files

from domain.catalog.service import CatalogService
from domain.core.context import CommandContext
from domain.core.errors import InvalidInput, NotFound, PermissionDenied, StaleVersion
from domain.identity.service import IdentityService
from domain.infra.agent_definition_service import AgentDefinitionService
from domain.plumbing.store import EventStore
from domain.tenancy.service import TenancyService
from domain.workflows.template import WorkflowTemplate
from domain.workflows.template_service import WorkflowTemplateService
from workers.adapters.blobstore import FileBlobStore


class World:
    def __init__(self, store: EventStore, blob_dir: Path) -> None:
        self.store = store
        self.identity = IdentityService(store)
        self.tenancy = TenancyService(store)
        self.catalog = CatalogService(store, FileBlobStore(blob_dir), 256 * 1024)
        self.definitions = AgentDefinitionService(store)
        self.templates = WorkflowTemplateService(store)
        issued = self.identity.bootstrap_admin("Admin", None)
        assert issued is not None
        self.admin = self.identity.authenticate(issued.secret).context("corr-admin")

    def user(self, slug: str) -> CommandContext:
        self.identity.register_user(self.admin, name=slug.title(), slug=slug)
        issued = self.identity.issue_token(self.admin, slug, "t", None)
        return self.identity.authenticate(issued.secret).context(f"corr-{slug}")

    def member(self, org: str, slug: str, role: str) -> CommandContext:
        ctx = self.user(slug)
        self.tenancy.memberships.put_org_member(self.admin, org, slug, role)
        return ctx


@pytest.fixture
def world(store: EventStore, tmp_path: Path) -> World:
    return World(store, tmp_path / "blobs")


@pytest.fixture
def alice(world: World) -> CommandContext:
    ctx = world.user("alice")
    world.tenancy.hierarchy.create_organization(ctx, "Acme")
    world.definitions.create(ctx, "acme", "Coder", {"image": "acme/coder:1"})
    world.definitions.publish(ctx, "acme", "coder", {"image": "acme/coder:2"})
    world.catalog.configs.create(ctx, "acme", "LLM", "llm", {"model": "m"})
    world.catalog.skills.create(
        ctx, "acme", "docs", files=as_json_files(realistic_files()), slug="docs"
    )
    return ctx


def draft() -> dict:
    return {
        "input_schema": {
            "type": "object",
            "properties": {"repo": {"type": "string"}, "ticket": {"type": "object"}},
            "required": ["repo"],
        },
        "default_config": {"model": "fast"},
        "stages": [
            {
                "name": "review",
                "order": 20,
                "stage_type": "approval",
                "brief": "Approve {stages.plan.output.summary}?",
                "approval": {"roles": ["operator", "admin"]},
                "timeout_seconds": 600,
            },
            {
                "name": "plan",
                "order": 10,
                "stage_type": "agent_task",
                "agent_definition": {"ref": "coder", "version": 1},
                "brief": "Plan the change to {context.repo}",
                "skills": [{"ref": "docs"}],
                "configs": ["llm"],
                "inputs": {"ticket": "context.ticket.id"},
                "on_failure": {"action": "retry", "max_attempts": 3, "backoff_seconds": 1.5},
            },
            {
                "name": "merged",
                "order": 30,
                "stage_type": "wait_for_event",
                "event": {"signal": "pr-merged"},
                "inputs": {"summary": "stages.plan.output.summary"},
                "on_failure": {"action": "compensate", "compensation_stage": "plan"},
            },
        ],
    }


def create(world: World, ctx: CommandContext, body: dict | None = None):
    return world.templates.create(ctx, "acme", "Ship it", draft=body or draft())


def publish_fault(world: World, ctx: CommandContext, body: dict) -> InvalidInput:
    result = create(world, ctx, body) if body else None
    assert result is not None
    with pytest.raises(InvalidInput) as caught:
        world.templates.publish(ctx, "acme", str(result.guid))
    return caught.value


def test_a_new_template_is_an_unpublished_draft(world: World, alice):
    result = world.templates.create(alice, "acme", "Empty")
    template = result.entity
    assert not template.is_published and template.current_version == 0
    assert template.draft == {"input_schema": None, "default_config": {}, "stages": []}
    with pytest.raises(InvalidInput) as caught:
        world.templates.publish(alice, "acme", "empty")
    assert caught.value.field == "stages"


def test_publishing_resolves_refs_and_sorts_stages_by_order(world: World, alice):
    create(world, alice)
    published = world.templates.publish(alice, "acme", "ship-it")
    assert published.created and published.version["version_number"] == 1
    template = published.result.entity
    content = template.version_record(1)["content"]
    assert [s["name"] for s in content["stages"]] == ["plan", "review", "merged"]
    # The contract with the workflow worker: exactly these keys, in every stage.
    assert set(content) == {"input_schema", "default_config", "stages"}
    for stage in content["stages"]:
        assert set(stage) == {
            "name",
            "order",
            "stage_type",
            "agent_definition",
            "agent_image",
            "brief",
            "skills",
            "configs",
            "secrets",
            "inputs",
            "timeout_seconds",
            "on_failure",
            "approval",
            "event",
        }
    coder = world.definitions.find(alice, "read", "acme", "coder")
    plan = content["stages"][0]
    assert plan["agent_definition"] == {"guid": str(coder.id), "version": 1}
    assert plan["skills"][0]["version"] == "latest" and len(plan["skills"][0]["guid"]) == 36
    assert plan["configs"][0]["version"] == "latest"
    assert plan["on_failure"] == {
        "action": "retry",
        "max_attempts": 3,
        "backoff_seconds": 1.5,
        "compensation_stage": None,
    }
    assert plan["approval"] is None and plan["event"] is None and plan["timeout_seconds"] == 3600
    review = content["stages"][1]
    assert review["agent_definition"] is None and review["skills"] == []
    assert review["approval"] == {"roles": ["operator", "admin"]}
    assert content["stages"][2]["event"] == {"signal": "pr-merged"}
    assert content["default_config"] == {"model": "fast"}
    assert template.is_published and template.default_config == {"model": "fast"}


def test_publishing_the_same_draft_again_returns_the_existing_version(world: World, alice):
    create(world, alice)
    first = world.templates.publish(alice, "acme", "ship-it")
    again = world.templates.publish(alice, "acme", "ship-it")
    assert not again.created and again.version["version_number"] == 1
    assert again.result.position == 0 and first.result.entity.latest_version == 1


def test_published_versions_do_not_change_when_the_draft_or_refs_change(world: World, alice):
    create(world, alice)
    world.templates.publish(alice, "acme", "ship-it")
    before = copy.deepcopy(world.templates.find(alice, "read", "acme", "ship-it").version_record(1))
    changed = draft()
    changed["stages"][1]["brief"] = "Something else"
    template = world.templates.find(alice, "read", "acme", "ship-it")
    world.templates.replace_draft(alice, "acme", "ship-it", changed, template.version)
    world.definitions.publish(alice, "acme", "coder", {"image": "acme/coder:3"})
    second = world.templates.publish(alice, "acme", "ship-it")
    assert second.version["version_number"] == 2
    reread = EventStore.find(world.store, second.result.guid, WorkflowTemplate)
    assert reread is not None
    assert reread.version_record(1) == before
    assert reread.pinned(1) == (1, before["content"])
    assert reread.pinned("latest")[0] == 2


def test_the_draft_is_changed_under_optimistic_locking(world: World, alice):
    result = create(world, alice)
    with pytest.raises(StaleVersion):
        world.templates.replace_draft(alice, "acme", "ship-it", draft(), result.version - 1)
    patched = world.templates.patch_draft(
        alice,
        "acme",
        "ship-it",
        {"input_schema": None, "default_config": {"x": 1}},
        result.version,
    )
    template = patched.entity
    assert template.draft["input_schema"] is None
    assert template.draft["default_config"] == {"model": "fast", "x": 1}
    assert len(template.draft["stages"]) == 3
    same = world.templates.patch_draft(alice, "acme", "ship-it", {}, template.version)
    assert same.position == 0


def test_viewers_read_templates_and_only_catalog_writers_change_them(world: World, alice):
    create(world, alice)
    viewer = world.member("acme", "vic", "viewer")
    operator = world.member("acme", "otto", "operator")
    maintainer = world.member("acme", "mia", "maintainer")
    assert world.templates.find(viewer, "read", "acme", "ship-it").slug == "ship-it"
    for ctx in (viewer, operator):
        with pytest.raises(PermissionDenied):
            world.templates.publish(ctx, "acme", "ship-it")
    assert world.templates.publish(maintainer, "acme", "ship-it").created
    outsider = world.user("eve")
    with pytest.raises(NotFound):
        world.templates.find(outsider, "read", "acme", "ship-it")


def _with(change) -> dict:
    body = draft()
    change(body)
    return body


def _stage(i: int, **fields):
    def change(body: dict) -> None:
        body["stages"][i].update(fields)

    return change


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_stage(0, name="Review!"), "stages[0].name"),
        (_stage(0, name="plan"), "stages[1].name"),
        (_stage(0, order=10), "stages[1].order"),
        (_stage(0, order="1"), "stages[0].order"),
        (_stage(0, stage_type="sleep"), "stages[0].stage_type"),
        (_stage(0, colour="red"), "stages[0].colour"),
        (_stage(1, agent_definition=None), "stages[1].agent_definition"),
        (_stage(1, agent_definition="nobody"), "stages[1].agent_definition"),
        (
            _stage(1, agent_definition={"ref": "coder", "version": 9}),
            "stages[1].agent_definition.version",
        ),
        (
            _stage(1, agent_definition={"ref": "coder", "version": True}),
            "stages[1].agent_definition.version",
        ),
        (_stage(1, skills=[{"ref": "nope"}]), "stages[1].skills[0]"),
        (_stage(1, skills=["docs", "docs"]), "stages[1].skills[1]"),
        (_stage(1, configs=[{"ref": "llm", "version": 2}]), "stages[1].configs[0].version"),
        (_stage(1, agent_image="Not An Image"), "stages[1].agent_image"),
        (_stage(1, brief=""), "stages[1].brief"),
        (_stage(1, brief="Use {stages.review.output.x}"), "stages[1].brief"),
        (_stage(1, inputs={"ticket": "context.nothing"}), "stages[1].inputs.ticket"),
        (_stage(1, inputs={"ticket": "env.HOME"}), "stages[1].inputs.ticket"),
        (_stage(1, inputs={"ticket": "context."}), "stages[1].inputs.ticket"),
        (_stage(1, inputs={"bad key": "context.repo"}), "stages[1].inputs.bad key"),
        (_stage(2, inputs={"summary": "stages.merged.output.x"}), "stages[2].inputs.summary"),
        (_stage(2, inputs={"summary": "stages.ghost.output.x"}), "stages[2].inputs.summary"),
        (_stage(1, timeout_seconds=0), "stages[1].timeout_seconds"),
        (_stage(1, on_failure={"action": "pray"}), "stages[1].on_failure.action"),
        (
            _stage(1, on_failure={"action": "retry", "max_attempts": 0}),
            "stages[1].on_failure.max_attempts",
        ),
        (_stage(1, on_failure={"backoff_seconds": -1}), "stages[1].on_failure.backoff_seconds"),
        (_stage(2, on_failure={"action": "compensate"}), "stages[2].on_failure.compensation_stage"),
        (
            _stage(2, on_failure={"action": "compensate", "compensation_stage": "ghost"}),
            "stages[2].on_failure.compensation_stage",
        ),
        (
            _stage(2, on_failure={"action": "compensate", "compensation_stage": "merged"}),
            "stages[2].on_failure.compensation_stage",
        ),
        (
            _stage(1, on_failure={"action": "skip", "compensation_stage": "review"}),
            "stages[1].on_failure.compensation_stage",
        ),
        (_stage(0, approval=None), "stages[0].approval"),
        (_stage(0, approval={"roles": ["viewer"]}), "stages[0].approval.roles[0]"),
        (_stage(0, approval={"roles": []}), "stages[0].approval.roles"),
        (_stage(0, event={"signal": "x"}), "stages[0].event"),
        (_stage(0, skills=["docs"]), "stages[0].skills"),
        (_stage(0, agent_image="acme/coder:1"), "stages[0].agent_image"),
        (_stage(0, secrets=[{"name": "KEY", "as": "env", "env_var": "K"}]), "stages[0].secrets"),
        (_stage(1, secrets={"name": "KEY"}), "stages[1].secrets"),
        (
            _stage(1, secrets=[{"name": "KEY", "as": "env", "env_var": "SIGNALYARD_X"}]),
            "stages[1].secrets[0].env_var",
        ),
        (
            _stage(1, secrets=[{"name": "KEY", "as": "file", "path": "../escape"}]),
            "stages[1].secrets[0].path",
        ),
        (_stage(0, inputs=[]), "stages[0].inputs"),
        (_stage(2, event={"signal": ""}), "stages[2].event.signal"),
        (_stage(2, event=None), "stages[2].event"),
        (lambda b: b.update(input_schema={"type": "nonsense"}), "input_schema/type"),
    ],
)
def test_a_fault_at_publish_names_the_stage_and_field(world: World, alice, change, field):
    fault = publish_fault(world, alice, _with(change))
    assert fault.field == field, (fault.field, fault.message)


def test_a_task_stage_declares_secrets_that_its_task_will_declare(world: World, alice):
    from domain.workflows.instance_runs import _submission

    needs = [{"name": "OPENAI_KEY", "as": "env", "env_var": "OPENAI_API_KEY"}]
    create(world, alice, _with(_stage(1, secrets=needs)))
    content = world.templates.publish(alice, "acme", "ship-it").version["content"]
    stage = next(s for s in content["stages"] if s["stage_type"] == "agent_task")
    assert [(n["name"], n["as"], n["env_var"]) for n in stage["secrets"]] == [
        ("OPENAI_KEY", "env", "OPENAI_API_KEY")
    ]
    assert all(s["secrets"] == [] for s in content["stages"] if s is not stage)

    class Instance:  # what _submission reads of an instance
        input_context: dict = {"repo": "acme/app", "ticket": {"id": 7}}
        stage_results: dict = {}
        slug = "run-1"
        temporal_wf_id = "workflow-instance-x"

    submission = _submission(Instance(), stage, uuid.uuid4())  # type: ignore[arg-type]
    assert submission.secrets == stage["secrets"]


def test_a_deleted_reference_is_refused_at_publish(world: World, alice):
    create(world, alice)
    coder = world.definitions.find(alice, "read", "acme", "coder")
    world.definitions.set_deleted(alice, "acme", "coder", True, coder.version)
    with pytest.raises(InvalidInput) as caught:
        world.templates.publish(alice, "acme", "ship-it")
    assert caught.value.field == "stages[1].agent_definition"


def test_another_orgs_definitions_are_not_found(world: World, alice):
    bob = world.user("bob")
    world.tenancy.hierarchy.create_organization(bob, "Other")
    theirs = world.definitions.create(bob, "other", "Theirs", {"image": "o/a:1"}).result.guid
    body = _with(_stage(1, agent_definition={"guid": str(theirs), "version": 1}))
    fault = publish_fault(world, alice, body)
    assert fault.field == "stages[1].agent_definition"


def test_an_instance_pins_a_published_version(world: World, alice):
    from domain.workflows.template_service import pin_template

    org = world.tenancy.resolve.chain("acme").org
    create(world, alice)
    with pytest.raises(InvalidInput) as caught:
        pin_template(world.templates, org, "ship-it")
    assert caught.value.field == "template"  # not published yet
    first = world.templates.publish(alice, "acme", "ship-it")
    template = world.templates.find(alice, "read", "acme", "ship-it")
    world.templates.patch_draft(
        alice, "acme", "ship-it", {"default_config": {"model": "slow"}}, template.version
    )
    world.templates.publish(alice, "acme", "ship-it")
    found, number, content = pin_template(world.templates, org, str(first.result.guid), 1)
    assert number == 1 and content == first.version["content"] and found.latest_version == 2
    assert pin_template(world.templates, org, "ship-it")[1] == 2
    for ref, version, field in (
        ("nothing", "latest", "template"),
        ("ship-it", 3, "template_version"),
        ("ship-it", "2", "template_version"),
        (7, "latest", "template"),
    ):
        with pytest.raises(InvalidInput) as caught:
            pin_template(world.templates, org, ref, version)
        assert caught.value.field == field
