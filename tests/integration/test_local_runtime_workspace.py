"""What an attempt finds: brief, skills in Agent Skills layout, configs and files with their
modes and env variables, a directory no other attempt can enter, and clear refusals."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest
from support.local_runtime import make_runtime, python_spec, run_to_end, wait_for_log
from support.skill_bundles import as_zip, raw_zip, realistic_files

from workers.runtimes.interface import Exited
from workers.runtimes.local.workdir import leftovers
from workers.runtimes.spec import LaunchFile, LaunchSpec, SkillBundle, UnknownImage
from workers.runtimes.workspace import BadLaunchContent

REPORT_AND_WAIT = """
import json, os, sys, time
env = {k: v for k, v in os.environ.items() if k.startswith("SIGNALYARD_")}
report = {
    "env": env,
    "cwd": os.getcwd(),
    "uid": os.getuid(),
    "brief": open(env["SIGNALYARD_BRIEF"]).read(),
    "llm": open(env["SIGNALYARD_CONFIG_LLM"]).read(),
    "skill": open(os.path.join(env["SIGNALYARD_SKILLS_DIR"], "pdf-forms/SKILL.md")).read()[:3],
    "secret": open("secrets/api-key").read(),
}
print(json.dumps(report), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.02)
"""

TRY_TO_READ = """
import sys
for path in sys.argv[1:]:
    try:
        open(path).read() if not path.endswith("/") else __import__("os").listdir(path)
        print("READ", path)
    except PermissionError:
        print("DENIED", path)
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_brief_skills_configs_and_files_are_laid_out_with_their_modes(service_dir: Path) -> None:
    go = service_dir / "go"
    skill = SkillBundle("pdf-forms", 3, as_zip(realistic_files(), prefix="pdf-forms/"))
    spec = python_spec(
        REPORT_AND_WAIT,
        str(go),
        brief="Fill in the form.",
        skills=(skill,),
        configs={"llm": '{"model": "small"}'},
        files=(LaunchFile("secrets/api-key", b"s3cret"),),
        agent_token="agent-token-1",
        api_url="http://127.0.0.1:8000",
        env={"SIGNALYARD_TASK_ID": "spoofed", "EXTRA": "1"},
    )

    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        handle = await runtime.start(spec)
        report = json.loads(await wait_for_log(runtime, handle, b"}\n"))
        workdir = runtime.root / handle.name
        assert report["cwd"] == str(workdir)
        assert report["brief"] == "Fill in the form."
        assert report["llm"] == '{"model": "small"}'
        assert report["skill"] == "---" and report["secret"] == "s3cret"
        env = report["env"]
        assert env["SIGNALYARD_TASK_ID"] == spec.task_id  # ours win over the spec's env
        assert env["SIGNALYARD_ATTEMPT"] == "1"
        assert env["SIGNALYARD_CONFIG_LLM"] == f"{workdir}/configs/llm"
        assert env["SIGNALYARD_AGENT_TOKEN"] == "agent-token-1"
        assert env["SIGNALYARD_API_URL"] == "http://127.0.0.1:8000"
        skill_dir = workdir / "skills" / "pdf-forms"
        unpacked = {
            p.relative_to(skill_dir).as_posix() for p in skill_dir.rglob("*") if p.is_file()
        }
        assert unpacked == set(realistic_files())  # the wrapping folder is unwrapped
        assert (skill_dir / "assets" / "logo.png").read_bytes() == realistic_files()[
            "assets/logo.png"
        ]
        assert _mode(workdir) == 0o700
        assert _mode(workdir / "brief.md") == 0o400
        assert _mode(workdir / "configs" / "llm") == 0o400
        assert _mode(workdir / "secrets" / "api-key") == 0o400
        assert _mode(skill_dir / "SKILL.md") == 0o400
        assert _mode(skill_dir / "scripts" / "fill.sh") == 0o500
        if runtime.isolation.namespaced:
            assert report["uid"] == (workdir / "brief.md").stat().st_uid != os.geteuid()
        go.touch()
        assert (await run_to_end(runtime, handle))[-1] == Exited(0)
        assert not workdir.exists()

    asyncio.run(scenario())


@pytest.mark.skipif(os.geteuid() != 0, reason="a user per attempt needs root")
def test_an_attempt_cannot_read_or_list_another_attempts_directory(service_dir: Path) -> None:
    go = service_dir / "go"
    wait = "import os, sys, time\nprint('up', flush=True)\n" + (
        "while not os.path.exists(sys.argv[1]): time.sleep(0.02)"
    )

    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        assert runtime.isolation.namespaced
        first = await runtime.start(python_spec(wait, str(go), brief="first's secret brief"))
        await wait_for_log(runtime, first, b"up")
        theirs = runtime.root / first.name
        targets = [f"{theirs}/brief.md", f"{theirs}/", f"{runtime.root}/"]
        second = await runtime.start(python_spec(TRY_TO_READ, *targets))
        assert (await run_to_end(runtime, second))[-1] == Exited(0)
        assert (await runtime.logs(second)).decode().splitlines() == [
            f"DENIED {target}" for target in targets
        ]
        go.touch()
        assert (await run_to_end(runtime, first))[-1] == Exited(0)

    asyncio.run(scenario())


def test_the_command_comes_from_the_image_mapping_unless_overridden(service_dir: Path) -> None:
    async def scenario() -> None:
        runtime = make_runtime(
            service_dir, image_commands={"acme/agent:1": ("/bin/sh", "-c", "echo mapped")}
        )
        by_image = LaunchSpec("org-1", "project-1", "task-a", 1, "acme/agent:1")
        handle = await runtime.start(by_image)
        assert (await run_to_end(runtime, handle))[-1] == Exited(0)
        assert await runtime.logs(handle) == b"mapped\n"
        with pytest.raises(UnknownImage, match="acme/other:2"):
            await runtime.start(LaunchSpec("org-1", "project-1", "task-b", 1, "acme/other:2"))

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("skills", "files", "message"),
    [
        ((SkillBundle("evil", 1, raw_zip([("../escape.sh", b"x")])),), (), "traversal"),
        ((SkillBundle("broken", 1, b"not a zip"),), (), "not a valid zip"),
        ((), (LaunchFile("/etc/passwd", b"x"),), "absolute"),
        ((), (LaunchFile("brief.md", b"x"),), "own layout"),
    ],
)
def test_unsafe_content_is_refused_before_anything_runs(
    service_dir: Path, skills: tuple[SkillBundle, ...], files: tuple[LaunchFile, ...], message: str
) -> None:
    async def scenario() -> None:
        runtime = make_runtime(service_dir)
        with pytest.raises(BadLaunchContent, match=message):
            await runtime.start(python_spec("print(1)", skills=skills, files=files))
        assert leftovers(runtime.root) == []

    asyncio.run(scenario())
