"""Entry point run with the Argilla server venv's Python, where bucle is not installed
(``ServerLayout.launch`` runs it as ``bucle.annotation.embedded.launch``, this checkout standing
in for the ``bucle`` namespace).

It imports bucle's SQLite search engine, which registers itself with argilla-server's
``SearchEngine.register``, and then hands over to argilla-server unchanged:

- ``serve HOST PORT``: the API and web UI under uvicorn;
- ``create-owner``: creates the owner from a JSON object on stdin (``username``, ``password``,
  ``api_key``), so that no secret appears in a process listing or a log;
- anything else: argilla-server's own CLI (``database migrate``, ``worker``,
  ``search-engine reindex``…).

Only this venv's packages are imported here: never the app's (``argilla`` SDK, torch…).
"""

from __future__ import annotations

import asyncio
import json
import sys

from bucle.annotation.embedded.sqlite_search import engine  # noqa: F401  (registers the engine)


def _serve(host: str, port: str) -> None:
    import uvicorn

    uvicorn.run("argilla_server:app", host=host, port=int(port), access_log=False, log_level="info")


async def _create_owner(username: str, password: str, api_key: str) -> str:
    from argilla_server.contexts import accounts
    from argilla_server.database import AsyncSessionLocal
    from argilla_server.models import User, UserRole

    async with AsyncSessionLocal() as session:
        if await accounts.get_user_by_username(session, username):
            return "exists"
        await User.create(
            session,
            first_name=username,
            username=username,
            role=UserRole.owner,
            password_hash=accounts.hash_password(password),
            api_key=api_key,
        )
    return "created"


def main(argv: list[str]) -> None:
    if argv[:1] == ["serve"]:
        _serve(*argv[1:3])
    elif argv[:1] == ["create-owner"]:
        owner = json.load(sys.stdin)
        print(asyncio.run(_create_owner(owner["username"], owner["password"], owner["api_key"])))
    else:
        from argilla_server.cli import app

        app(args=argv, prog_name="argilla_server")


if __name__ == "__main__":
    main(sys.argv[1:])
