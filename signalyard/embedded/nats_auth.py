"""The embedded NATS's decentralized auth (operator mode): made once in the data dir, then
reused. An operator, the system account, one application account (JetStream, a signing key
that issues tenants' users), the control plane's creds and a system user's creds; the server
config uses the full resolver, so revocations pushed at run time survive a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from workers.adapters import nats_jwt as jwt

AUTH_DIR = "nats-auth"
APP_ACCOUNT = "SIGNALYARD"


@dataclass(frozen=True)
class BusAuth:
    """Where the embedded bus's auth material lives, and the keys that issue and revoke."""

    directory: Path
    operator_seed: str
    account_public_key: str
    account_signing_seed: str

    @property
    def creds_path(self) -> Path:
        return self.directory / "signalyard.creds"

    @property
    def system_creds_path(self) -> Path:
        return self.directory / "system.creds"

    @property
    def config_path(self) -> Path:
        return self.directory / "server.conf"

    @property
    def resolver_dir(self) -> Path:
        return self.directory / "jwt"


def _write_secret(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.touch(mode=0o600)
    tmp.chmod(0o600)
    tmp.write_text(text)
    tmp.replace(path)


def load_bus_auth(data_dir: Path) -> BusAuth | None:
    """The auth an embedded NATS made in this data dir, if it ever started there."""
    directory = Path(data_dir).expanduser().absolute() / AUTH_DIR
    try:
        keys = json.loads((directory / "keys.json").read_text())
    except (OSError, ValueError):
        return None
    return BusAuth(directory, keys["operator"], keys["account"], keys["account_signing"])


def prepare_bus_auth(data_dir: Path) -> BusAuth:
    """Create the keys and creds on first start; on every start write the server config."""
    directory = data_dir / AUTH_DIR
    directory.mkdir(mode=0o700, exist_ok=True)
    directory.chmod(0o700)
    keys_path = directory / "keys.json"
    if not keys_path.exists():
        _write_secret(keys_path, json.dumps(_new_keys(directory)))
    keys = json.loads(keys_path.read_text())
    auth = BusAuth(directory, keys["operator"], keys["account"], keys["account_signing"])
    auth.resolver_dir.mkdir(mode=0o700, exist_ok=True)
    _write_config(auth, keys)
    return auth


def _new_keys(directory: Path) -> dict[str, str]:
    operator, system, account = (
        jwt.new_key("operator"),
        jwt.new_key("account"),
        jwt.new_key("account"),
    )
    signing = jwt.new_key("account")
    control, sys_user = jwt.new_key("user"), jwt.new_key("user")
    keys = {
        "operator": operator.seed,
        "system": system.public_key,
        "account": account.public_key,
        "account_signing": signing.seed,
        "operator_jwt": jwt.operator_jwt(operator, "signalyard-embedded", system.public_key),
        "system_jwt": jwt.account_jwt(operator, system.public_key, "SYS", jetstream=False),
        "account_jwt": jwt.account_jwt(
            operator,
            account.public_key,
            APP_ACCOUNT,
            jetstream=True,
            signing_keys=[signing.public_key],
        ),
    }
    control_jwt = jwt.user_jwt(signing, account.public_key, control.public_key, "control-plane")
    sys_jwt = jwt.user_jwt(system, system.public_key, sys_user.public_key, "system")
    _write_secret(directory / "signalyard.creds", jwt.creds_file(control_jwt, control.seed))
    _write_secret(directory / "system.creds", jwt.creds_file(sys_jwt, sys_user.seed))
    return keys


def _write_config(auth: BusAuth, keys: dict[str, str]) -> None:
    # Preload each account's JWT as the resolver dir last stored it: a JWT pushed at run time
    # (revocations) must win over the one made on first start.
    preload = {}
    for name in ("system", "account"):
        stored = auth.resolver_dir / f"{keys[name]}.jwt"
        preload[keys[name]] = stored.read_text().strip() if stored.exists() else keys[f"{name}_jwt"]
    lines = [
        f'operator: "{keys["operator_jwt"]}"',
        f'system_account: "{keys["system"]}"',
        "resolver: {",
        "  type: full",
        f"  dir: {json.dumps(str(auth.resolver_dir))}",
        "  allow_delete: false",
        '  interval: "2m"',
        "}",
        "resolver_preload: {",
        *(f'  {key}: "{token}"' for key, token in preload.items()),
        "}",
    ]
    _write_secret(auth.config_path, "\n".join(lines) + "\n")
