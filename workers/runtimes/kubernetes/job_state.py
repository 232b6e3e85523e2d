"""What a Job's status says about its attempt, in the runtime interface's states."""

from __future__ import annotations

from kubernetes import client

from workers.runtimes.interface import Exited, KillCause, Killed, Running, StateChange
from workers.runtimes.kubernetes.manifests import AGENT


def conditions(job: client.V1Job) -> dict[str, client.V1JobCondition]:
    found = (job.status.conditions if job.status else None) or []
    return {c.type: c for c in found if c.status == "True"}


def needs_pod(job: client.V1Job) -> bool:
    """A failure other than the deadline: only the pod knows the exit code and why."""
    failed = conditions(job).get("Failed")
    return failed is not None and failed.reason != "DeadlineExceeded"


def state_of(job: client.V1Job, pods: list[client.V1Pod] | None = None) -> StateChange | None:
    done = conditions(job)
    if "Complete" in done:
        return Exited(0)
    failed = done.get("Failed")
    if failed is not None and failed.reason == "DeadlineExceeded":
        deadline = job.spec.active_deadline_seconds if job.spec else None
        return Killed(KillCause.TIMEOUT, f"timed out after {deadline} s (activeDeadlineSeconds)")
    if failed is not None:
        return _from_pods(job, pods or []) or Exited(
            1, f"the Job failed: {failed.reason}: {failed.message or ''}".rstrip(": ")
        )
    if job.status and ((job.status.active or 0) > 0 or (job.status.ready or 0) > 0):
        return Running()
    return None


def _from_pods(job: client.V1Job, pods: list[client.V1Pod]) -> Exited | None:
    for pod in pods:
        for status in (pod.status.container_statuses if pod.status else None) or []:
            terminated = status.state.terminated if status.state else None
            if status.name != AGENT or terminated is None:
                continue
            if terminated.reason == "OOMKilled":
                limit = job.spec.template.spec.containers[0].resources.limits["memory"]
                return Exited(terminated.exit_code, f"memory limit exceeded: OOMKilled at {limit}")
            return Exited(terminated.exit_code)
    return None
