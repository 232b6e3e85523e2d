"""The process user programs run in: jq transforms and CEL filters, one request per line
on stdin, one JSON answer per line on stdout.

It is started by `sandbox.py` with a clean environment (jq's `env` sees nothing), an empty
working directory, an address-space limit and a CPU-time limit renewed per request; the
parent kills it on its wall-clock deadline. Before each stage it writes the stage's name on
a line of its own, so that a kill or a crash can be blamed on the right field.
"""

from __future__ import annotations

import json
import re
import resource
import sys
from collections import OrderedDict
from typing import Any

# jq reads modules and JSON data files from disk: a user's program gets neither.
MODULES = re.compile(r"(?<![.$\w])(?:import|include)\s*\"")
MAX_OUTPUT_BYTES = 1024 * 1024
CACHE_SIZE = 512


def _limit_memory(megabytes: int) -> None:
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _renew_cpu_budget(seconds: int) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = spent + seconds
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard < 0 else min(soft, hard), hard))


class Programs:
    """Compiled filters and transforms, per route version (drafts are compiled each time)."""

    def __init__(self) -> None:
        import cel
        import jq

        self._cel, self._jq = cel, jq
        self._cache: OrderedDict[str, tuple[Any, Any]] = OrderedDict()

    def compile(self, key: str | None, filter: str | None, transform: str | None):
        if key is not None and key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        compiled_filter = _compiled("filter", self._cel.compile, filter)
        compiled_transform = _compiled("transform", self._jq.compile, transform)
        if key is not None:
            self._cache[key] = (compiled_filter, compiled_transform)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return compiled_filter, compiled_transform


class CompileError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _compiled(field: str, compile_: Any, source: str | None) -> Any:
    if not source:
        return None
    _stage(field)
    if field == "transform" and MODULES.search(source):
        raise CompileError(field, "jq modules (import, include) are not available")
    try:
        return compile_(source)
    except (ValueError, TypeError, RuntimeError) as exc:
        raise CompileError(field, str(exc)) from None


def _stage(name: str) -> None:
    sys.stdout.write(name + "\n")
    sys.stdout.flush()


def _error(field: str, message: str) -> dict[str, Any]:
    return {"error": {"field": field, "message": message[:2000]}}


def _check(programs: Programs, request: dict[str, Any]) -> dict[str, Any]:
    errors = []
    for field, compile_ in (("filter", programs._cel.compile), ("transform", programs._jq.compile)):
        try:
            _compiled(field, compile_, request.get(field))
        except CompileError as exc:
            errors.append([field, str(exc)])
    return {"errors": errors}


def _run_transform(program: Any, event: dict[str, Any]) -> Any:
    outputs = []
    for value in program.input_value(event):
        outputs.append(value)
        if len(outputs) > 1:
            raise ValueError("the transform must produce one value, it produced several")
    if not outputs:
        raise ValueError("the transform produced no value")
    return outputs[0]


def _evaluate(programs: Programs, request: dict[str, Any]) -> dict[str, Any]:
    try:
        cel_filter, transform = programs.compile(
            request.get("key"), request.get("filter"), request.get("transform")
        )
    except CompileError as exc:
        return _error(exc.field, str(exc))
    event = request["event"]
    answer: dict[str, Any] = {"filter_result": None, "output": None}
    if cel_filter is not None:
        _stage("filter")
        try:
            result = cel_filter.execute(event)
        except (ValueError, TypeError, RuntimeError, KeyError) as exc:
            return _error("filter", str(exc))
        if not isinstance(result, bool):
            return _error(
                "filter", f"the filter must be a boolean, it gave {type(result).__name__}"
            )
        answer["filter_result"] = result
        if not result:
            return answer
    if transform is None:
        answer["output"] = event.get("data")
        return answer
    _stage("transform")
    try:
        answer["output"] = _run_transform(transform, event)
    except (ValueError, TypeError, RuntimeError) as exc:
        return {**answer, **_error("transform", str(exc))}
    return answer


def _answer(answer: dict[str, Any]) -> str:
    text = json.dumps(answer, separators=(",", ":"), allow_nan=False)
    if len(text) > MAX_OUTPUT_BYTES:
        text = json.dumps(_error("transform", f"the output is over {MAX_OUTPUT_BYTES} bytes"))
    return text


def main() -> None:
    memory_mb, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    programs = Programs()  # imported before the limit: loading them is not the user's cost
    _limit_memory(memory_mb)
    _stage("ready")  # the parent's deadlines count from here, not from a slow start
    for line in sys.stdin:
        request = json.loads(line)
        _renew_cpu_budget(cpu_seconds)
        try:
            if request["op"] == "check":
                answer = _check(programs, request)
            else:
                answer = _evaluate(programs, request)
            text = _answer(answer)
        except MemoryError:
            text = json.dumps(_error("transform", "out of memory"))
        except (ValueError, TypeError, OverflowError) as exc:
            text = json.dumps(_error("transform", f"the output is not JSON: {exc}"))
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
