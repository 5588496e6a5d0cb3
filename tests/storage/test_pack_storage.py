"""The prompt_packs table: the migration matches the model; one pack name per community."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.app import App
from bot.storage.tables import metadata


async def test_migration_creates_the_prompt_packs_table_as_modelled(app: App) -> None:
    def diff(conn: object) -> list[object]:
        ctx = MigrationContext.configure(conn)  # type: ignore[arg-type]
        return [d for d in compare_metadata(ctx, metadata) if "prompt_packs" in repr(d)]

    async with app.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
        tables = await conn.run_sync(lambda c: c.dialect.get_table_names(c))
    assert "prompt_packs" in tables
