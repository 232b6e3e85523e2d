"""CPU and memory as Kubernetes quantities ("500m", "2", "512Mi", "1G"), compared as
millicores and bytes, so a definition's limits mean the same to both runtimes."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from domain.core.errors import InvalidInput

_CPU = re.compile(r"^([0-9]+(?:\.[0-9]{1,3})?)(m?)$")
_MEMORY = re.compile(r"^([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_MEMORY_UNITS = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
MAX_CPU_MILLIS = 1024 * 1000
MAX_MEMORY_BYTES = 2**50


def cpu_millis(value: object, field: str) -> int:
    match = _CPU.match(value) if isinstance(value, str) and len(value) <= 20 else None
    if match is None:
        raise InvalidInput(f"{field} must be a CPU quantity like '500m' or '2'", field=field)
    number, milli = match.groups()
    try:
        millis = Decimal(number) if milli else Decimal(number) * 1000
    except InvalidOperation:
        raise InvalidInput(f"{field} is not a number", field=field) from None
    if millis != millis.to_integral_value() or not 0 < millis <= MAX_CPU_MILLIS:
        raise InvalidInput(f"{field} must be between 1m and {MAX_CPU_MILLIS // 1000}", field=field)
    return int(millis)


def memory_bytes(value: object, field: str) -> int:
    match = _MEMORY.match(value) if isinstance(value, str) and len(value) <= 20 else None
    if match is None:
        raise InvalidInput(f"{field} must be a memory quantity like '512Mi' or '1G'", field=field)
    size = int(match.group(1)) * _MEMORY_UNITS[match.group(2)]
    if not 0 < size <= MAX_MEMORY_BYTES:
        raise InvalidInput(f"{field} must be between 1 byte and 1Pi", field=field)
    return size
