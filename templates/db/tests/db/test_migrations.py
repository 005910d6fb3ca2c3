"""The migrations build exactly the schema the models describe, and undo it."""

import pytest
from blockbuster import BlockBuster

from app.db.base import Base
from tests import database


@pytest.fixture(autouse=True)
def alembic_may_block(blockbuster: BlockBuster) -> None:
    # Alembic reads its scripts on the event loop it runs migrations on: that is the
    # migration tool's own loop, never the app's.
    blockbuster.deactivate()


def test_upgrade_to_head_matches_the_models(empty_database_url: str) -> None:
    database.upgrade(empty_database_url)
    assert database.differences(empty_database_url) == []


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    database.upgrade(empty_database_url)
    database.downgrade(empty_database_url)
    missing = database.differences(empty_database_url)
    added = sorted(diff[1].name for diff in missing if diff[0] == "add_table")
    assert added == sorted(Base.metadata.tables)
    database.upgrade(empty_database_url)
    assert database.differences(empty_database_url) == []
