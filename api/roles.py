"""What one API server serves: the command app (writes), the query app (reads) or both,
so queries can be served apart (from read replicas)."""

from typing import Literal, get_args

Role = Literal["all", "commands", "queries"]
ROLES: tuple[str, ...] = get_args(Role)
