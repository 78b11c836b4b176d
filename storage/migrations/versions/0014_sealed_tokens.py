"""OAuth tokens stored encrypted: their columns widened to text

With TOKEN_ENCRYPTION_KEYS set, each workspace's tokens are stored sealed with Fernet
(bot/app/token_keys.py), which makes a token about three times as long as Slack's: the 200
characters slack_sdk's tables allow hold a sealed bot token, but not a sealed refresh token.
Existing rows are unchanged (`python -m bot keys rotate` seals tokens stored in the clear).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def upgrade() -> None:
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=sa.String(length=200), type_=sa.Text())


def downgrade() -> None:
    for table, columns in TOKENS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=sa.Text(), type_=sa.String(length=200))
