"""private cases (cases.private, the channels table); stored text as people typed it

Cases opened in a private channel are readable only by its members, the owner's manager chain
and admins: `cases.private` records it, and `channels` keeps what Slack last said about a
channel (private or not, who is in it), so that reading a case asks Slack at most once in a
while. Existing cases are not known to be private: they stay readable as before until a reply
in their thread (whose event says the channel is private) or the channel's conversion marks
them.

Text is now stored as people typed it, and escaped only when shown (handlers/slack_text.py).
Until now a command or a thread reply was stored as Slack sends it: escaped (`Acme &amp; Co`),
with tokens for what was picked (`<@U123|alex>`, `<!channel>`). Those texts are decoded here the
way the code now decodes what arrives, or they would show as `Acme &amp; Co`. Text that came
from a form was plain already; it only changes if it held one of those sequences literally.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables and their columns holding what people typed.
TYPED = [
    ("cases", ["customer", "summary", "close_note", "category", "account_ref", "order_ref", "tracking_ref"]),
    ("contacts", ["text"]),
    ("contact_revisions", ["previous_text"]),
    ("promises", ["description", "reschedule_note"]),
    ("recurring_flags", ["category"]),
]


def upgrade() -> None:
    op.add_column("cases", sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        "ix_cases_private_channel",
        "cases",
        ["team_id", "channel_id"],
        sqlite_where=sa.text("private"),
        postgresql_where=sa.text("private"),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=True),
        sa.Column("private_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("members", sa.JSON(), nullable=True),
        sa.Column("members_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("team_id", "channel_id", name=op.f("uq_channels_team_id_channel_id")),
    )
    connection = op.get_bind()
    for table_name, columns in TYPED:
        _decode_table(connection, table_name, columns)


def downgrade() -> None:
    op.drop_table("channels")
    op.drop_index(
        "ix_cases_private_channel",
        table_name="cases",
        sqlite_where=sa.text("private"),
        postgresql_where=sa.text("private"),
    )
    # Not batch mode: rebuilding `cases` on SQLite would drop the search triggers of 0005.
    op.execute("ALTER TABLE cases DROP COLUMN private")


def _decode_table(connection: sa.Connection, table_name: str, columns: list[str]) -> None:
    table = sa.table(
        table_name,
        sa.column("id", sa.Integer),
        *(sa.column(c, sa.Text) for c in columns),
        *([sa.column("category_key", sa.String)] if table_name == "cases" else []),
    )
    markup = sa.or_(*(table.c[c].contains(sign) for c in columns for sign in ("&", "<")))
    for row in connection.execute(sa.select(table).where(markup)).all():
        values = row._mapping
        changed = {c: _as_typed(values[c]) for c in columns if values[c]}
        changed = {c: text for c, text in changed.items() if text != values[c]}
        if not changed:
            continue
        if table_name == "cases" and "category" in changed:
            # As bot/cases.category_key folds it.
            changed["category_key"] = " ".join(changed["category"].split()).casefold()
        connection.execute(table.update().where(table.c.id == values["id"]).values(**changed))


# handlers/slack_text.py's as_text(typed(…)), written out: a migration must not change when the
# code does.
_TOKEN = re.compile(r"<((?:[@#!]|[A-Za-z][A-Za-z0-9+.-]*:)[^<>]*)>")
_PERSON = re.compile(r"^@([UW][A-Z0-9]+)(?:\|(.*))?$", re.S)


def _as_typed(text: str) -> str:
    typed = _TOKEN.sub(_readable, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _TOKEN.sub(lambda m: _person(m.group(1)) or m.group(0), typed)


def _person(inside: str) -> str | None:
    person = _PERSON.match(inside)
    return "@" + (person.group(2) or person.group(1)) if person else None


def _readable(match: re.Match[str]) -> str:
    inside = match.group(1)
    if _PERSON.match(inside):
        return match.group(0)
    target, _, label = inside.partition("|")
    if target.startswith("#"):
        return "#" + (label or target[1:])
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        return "@" + name if name in ("here", "channel", "everyone") or not label else label
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    return f"{label} ({target})" if label and label != target else target
