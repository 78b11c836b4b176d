"""Finding cases by customer, number or words of their summary, through a full-text index that
each backend keeps in its own way (created by migration 0005, never by the models):

- SQLite: `cases_fts`, an FTS5 table whose content is the `cases` table itself (external
  content: nothing is stored twice), kept in step by triggers on insert, update and delete.
  The unicode61 tokenizer splits at anything that is not a letter or a digit, so "SO-10042"
  is the two terms `so` and `10042`; prefix indexes on 2 and 3 characters keep short prefix
  searches off a full scan of the term list.
- PostgreSQL: a GIN index on a tsvector expression over the same columns, with the `simple`
  configuration (no stemming, no stop words: names and numbers stay as typed, lower-cased).
  ASCII punctuation is turned into spaces first, so the parser splits "SO-10042" or
  "bob@example.com" into the same terms as SQLite does rather than keeping them whole.

Both are searched with the same terms, built here from plain words (`Terms`): each term is
quoted, never passed as query syntax, so nothing a person types can break the query. Each
term matches as a prefix ("acm" finds "Acme", "100" finds "10042"), and all terms must match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import CTE, ColumnElement, Integer, Select, column, func, literal_column, or_, select, table
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, selectinload

from storage.models import Case

# -- the index, as the migration creates it ---------------------------------------------------

FTS_TABLE = "cases_fts"
# The columns searched, in the FTS5 table's order (bm25 weights below follow it).
SEARCHED = ("customer", "summary", "account_ref", "order_ref", "tracking_ref")
PG_INDEX = "ix_cases_search"
# The FTS5 table in a FROM clause; its own name, as a column, is what MATCH and bm25() take.
_FTS = table(FTS_TABLE, column("rowid", Integer))
_FTS_ITSELF = literal_column(FTS_TABLE)

# ASCII punctuation, as explicit code-point ranges so no locale decides what it is: ! to /,
# : to @, [ to `, { to ~.
_PG_PUNCTUATION = "'[!-/:-@[-`{-~]+'"


def _pg_words(sql: str) -> str:
    return f"regexp_replace({sql}, {_PG_PUNCTUATION}, ' ', 'g')"


# Who the case is about (weight A) ranks above what it is about (weight C). The planner uses
# the GIN index only for this exact expression: the migration spells it the same way.
PG_VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, "
    + _pg_words(
        "coalesce(customer, '') || ' ' || coalesce(account_ref, '') || ' ' || coalesce(order_ref, '')"
        " || ' ' || coalesce(tracking_ref, '')"
    )
    + "), 'A') || setweight(to_tsvector('simple'::regconfig, "
    + _pg_words("coalesce(summary, '')")
    + "), 'C'))"
)


def is_search_object(name: str | None, type_: str) -> bool:
    """The index's tables (FTS5 and its shadow tables) and the expression index live outside
    the models: schema comparisons (tests/test_schema.py, autogenerate) leave them alone."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "index":
        return name == PG_INDEX
    return False


# -- queries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """Search terms: lower-cased runs of letters and digits, nothing else."""

    words: tuple[str, ...]
    # Each word matches as a prefix of an indexed term (True), or only as a whole term.
    prefix: bool = True

    def fts5(self, column: str | None = None) -> str:
        # Words hold only letters and digits, so double quotes make each a plain string to
        # FTS5: `AND`, `*`, `-`, `"` and `NEAR` typed by a person stay words.
        star = "*" if self.prefix else ""
        query = " AND ".join(f'"{word}"{star}' for word in self.words)
        return f"{column} : ({query})" if column else query

    def tsquery(self, weights: str = "") -> str:
        # Quoted lexemes: to_tsquery reads no operator inside quotes. `:*` is a prefix,
        # `:A` only the lexemes of weight A (the customer and the numbers).
        label = ("*" if self.prefix else "") + weights
        suffix = f":{label}" if label else ""
        return " & ".join(f"'{word}'{suffix}" for word in self.words)


@dataclass(frozen=True)
class Visible:
    """Which private cases a search may return (bot/authz.Readable, as plain values): those in
    these channels or owned by these people. Cases not private are always visible."""

    channels: frozenset[str]
    owners: frozenset[str]
    # Only cases owned by `owners`, private or not (the dashboard's scope: bot/flows/dashboard.py).
    owned_only: bool = False

    def clause(self) -> ColumnElement[bool]:
        if self.owned_only:
            return Case.owner_id.in_(sorted(self.owners))
        return or_(
            Case.private.is_(False),
            Case.channel_id.in_(sorted(self.channels)),
            Case.owner_id.in_(sorted(self.owners)),
        )


@dataclass(frozen=True)
class Hit:
    case: Case
    # The text was exactly one of the case's numbers (account, order, tracking).
    exact: bool


def _fts_matches(query: str, *extra: ColumnElement) -> CTE:
    """The FTS5 matches, computed first and once. Materialized, so SQLite never turns the plan
    round (walk the workspace's cases by team_id, asking the index about each one), and bm25()
    is read where FTS5 allows it (not past a window function)."""
    return (
        select(_FTS.c.rowid.label("case_id"), *extra)
        .where(_FTS_ITSELF.op("MATCH")(query))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )


def _exact_number(text: str) -> ColumnElement[bool]:
    wanted = func.lower(text.strip())
    return or_(
        *(func.lower(column) == wanted for column in (Case.account_ref, Case.order_ref, Case.tracking_ref))
    )


def find_statement(
    dialect: str, team_id: str, terms: Terms, text: str, limit: int, visible: Visible | None = None
) -> Select:
    """The search: the workspace's cases matching every term (and `visible`, when given: None is
    every case), exact number matches first, then by relevance (customer and numbers weigh more
    than the summary), then newest. Each row carries the number of matches in all, so one
    statement answers "and N more"."""
    exact = sql_case((_exact_number(text), 1), else_=0)
    total = func.count().over()
    if dialect == "sqlite":
        # bm25 is lower for better matches; weights follow SEARCHED.
        rank = func.bm25(_FTS_ITSELF, 10.0, 1.0, 10.0, 10.0, 10.0)
        matched = _fts_matches(terms.fts5(), rank.label("rank"))
        statement = (
            select(Case, exact.label("exact"), total.label("total"))
            .select_from(matched)
            .join(Case, Case.id == matched.c.case_id)
            .where(Case.team_id == team_id)
            .order_by(exact.desc(), matched.c.rank, Case.opened_at.desc(), Case.id.desc())
        )
    else:
        vector = literal_column(PG_VECTOR)
        query = func.to_tsquery(literal_column("'simple'::regconfig"), terms.tsquery())
        statement = (
            select(Case, exact.label("exact"), total.label("total"))
            .where(vector.op("@@")(query), Case.team_id == team_id)
            .order_by(exact.desc(), func.ts_rank(vector, query).desc(), Case.opened_at.desc(), Case.id.desc())
        )
    if visible is not None:
        statement = statement.where(visible.clause())
    return statement.limit(limit)


def find_cases(
    session: Session, team_id: str, terms: Terms, text: str, limit: int, visible: Visible | None = None
) -> tuple[int, list[Hit]]:
    """(how many cases match in all, the best `limit` of them)."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(find_statement(dialect, team_id, terms, text, limit, visible)).all()
    if not rows:
        return 0, []
    return rows[0].total, [Hit(case=row.Case, exact=bool(row.exact)) for row in rows]


@dataclass(frozen=True)
class Candidate:
    id: int
    customer: str | None
    account_ref: str | None
    # Where it is and whose: who may read it (bot/authz.py).
    private: bool
    channel_id: str
    owner_id: str


def earlier_statement(
    dialect: str, team_id: str, before_id: int, name: Terms | None, account: Terms | None, limit: int
) -> Select:
    """Cases opened before `before_id` whose customer name holds every word of `name`, or whose
    account number holds every part of `account` (whole words, not prefixes), newest first."""
    columns = (Case.id, Case.customer, Case.account_ref, Case.private, Case.channel_id, Case.owner_id)
    if dialect == "sqlite":
        parts = [t.fts5(column) for t, column in ((name, "customer"), (account, "account_ref")) if t]
        matched = _fts_matches(" OR ".join(f"({p})" for p in parts))
        statement = select(*columns).select_from(matched).join(Case, Case.id == matched.c.case_id)
    else:
        # Customer and numbers share weight A: close enough for a superset.
        parts = [f"({t.tsquery('A')})" for t in (name, account) if t]
        query = func.to_tsquery(literal_column("'simple'::regconfig"), " | ".join(parts))
        statement = select(*columns).where(literal_column(PG_VECTOR).op("@@")(query))
    return statement.where(Case.team_id == team_id, Case.id < before_id).order_by(Case.id.desc()).limit(limit)


def earlier_candidates(
    session: Session, team_id: str, before_id: int, name: Terms | None, account: Terms | None, limit: int
) -> list[Candidate]:
    """A superset of the customer's earlier cases, which the caller narrows to the very same
    customer: the index finds them, Python decides (bot/customers.py)."""
    if name is None and account is None:
        return []
    statement = earlier_statement(session.get_bind().dialect.name, team_id, before_id, name, account, limit)
    return [
        Candidate(
            id=r.id,
            customer=r.customer,
            account_ref=r.account_ref,
            private=bool(r.private),
            channel_id=r.channel_id,
            owner_id=r.owner_id,
        )
        for r in session.execute(statement)
    ]


def cases_with_promises(session: Session, case_ids: Sequence[int]) -> list[Case]:
    """These cases and their promises, in two statements whatever their number."""
    if not case_ids:
        return []
    found = session.execute(
        select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.promises))
    ).scalars()
    by_id = {case.id: case for case in found}
    return [by_id[i] for i in case_ids if i in by_id]
