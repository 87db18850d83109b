"""Property-based fuzzing of the whole API from its OpenAPI schema: whatever
schemathesis generates, the server never answers with a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from labelwell.server import create_app
from labelwell.settings import Settings
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from world import build_world


def test_no_server_errors_for_any_generated_request(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fuzz.db'}")
    upgrade(db)
    world = build_world(db, n_items=20, gold={0: {"sentiment": "positive"}})
    headers = {"Authorization": f"Bearer {world.token(world.manager)}"}
    app = create_app(Settings(database_url=db.url, home=tmp_path), database=db, migrate=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} "
                                f"{response.text[:300]}")

        check()
    db.dispose()
    assert not failures, failures[:5]
