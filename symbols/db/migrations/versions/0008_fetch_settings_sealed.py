"""Projects' fetch settings: an on/off switch that keeps the domains, and the auth
header's value sealed (symbols.sealing) instead of stored in plain text; existing values
are sealed with the service's secret key.

Revision ID: 0008_fetch_settings_sealed
Revises: 0007_reference_pending
"""

import sqlalchemy as sa
from alembic import context, op

from symbols.db.engine import DatabaseUnavailable
from symbols.sealing import FETCH_HEADERS, SecretBox

revision = "0008_fetch_settings_sealed"
down_revision = "0007_reference_pending"
branch_labels = None
depends_on = None

_settings = sa.table(
    "project_fetch_settings",
    sa.column("team_id", sa.Integer),
    sa.column("auth_header_value", sa.Text),
    sa.column("auth_header_sealed", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("project_fetch_settings") as batch:
        batch.add_column(sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("auth_header_sealed", sa.Text, nullable=True))
    bind = op.get_bind()
    plain = bind.execute(sa.select(_settings.c.team_id, _settings.c.auth_header_value)
                         .where(_settings.c.auth_header_value.is_not(None))).all()
    if plain:
        secret_key = context.config.attributes.get("secret_key")
        if not secret_key:
            raise DatabaseUnavailable("fetch auth headers are stored in plain text and this migration seals them with "
                               "the service's secret key: run `symbols migrate` (or `symbols serve`)")
        box = SecretBox(secret_key, FETCH_HEADERS)
        for team_id, value in plain:
            bind.execute(_settings.update().where(_settings.c.team_id == team_id)
                         .values(auth_header_sealed=box.seal(value)))
    with op.batch_alter_table("project_fetch_settings") as batch:
        batch.drop_column("auth_header_value")


def downgrade() -> None:
    # The sealed values cannot be opened here (no key): the headers are dropped.
    with op.batch_alter_table("project_fetch_settings") as batch:
        batch.add_column(sa.Column("auth_header_value", sa.Text, nullable=True))
        batch.drop_column("auth_header_sealed")
        batch.drop_column("enabled")
    op.execute(sa.text("UPDATE project_fetch_settings SET auth_header_name = NULL"))
