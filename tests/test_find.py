"""`/case find`: the workspace's cases by customer, number or words of the summary, through
signed slash commands; and the index behind it, checked by its query plans on 20,000 cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, text, update

from bot import customers
from bot.authz import Readable
from handlers.ids import BlockId, CallbackId
from slack_standin import SlackEventsClient
from storage import search
from storage.db import MIGRATIONS, Database
from storage.models import Case
from tests.conftest import SIGNING_SECRET, START, Person


def open_with_numbers(person, customer: str, summary: str, **numbers: str) -> str:
    """The open-case form, with the customer's numbers (account=, order=, tracking=)."""
    person.command("open")
    fields = {BlockId.CUSTOMER.value: customer, BlockId.SUMMARY.value: summary}
    for name, value in numbers.items():
        fields[
            {"account": BlockId.ACCOUNT, "order": BlockId.ORDER, "tracking": BlockId.TRACKING}[name].value
        ] = value
    reply = person.submit(person.modal(CallbackId.OPEN_CASE.value), fields)
    assert not (reply.json or {}).get("errors"), reply.body
    card = [m for m in person.slack.messages("C1") if m.thread_ts is None][-1]
    return re.search(r"CASE-\d+", card.all_text()).group(0)


def refs_in(text: str) -> list[str]:
    return re.findall(r"CASE-\d+", text)


def test_find_by_partial_order_number_customer_prefix_and_summary_word(agent, slack):
    acme = open_with_numbers(agent, "Acme Corp", "Parcel lost in transit", order="SO-10042")
    globex = open_with_numbers(agent, "Globex", "Refund not received", order="SO-20001")
    initech = agent.open_case("Initech: printer on fire").ref
    posted = len(slack.messages("C1"))

    by_number = agent.command("find SO-100")
    assert by_number.ephemeral and set(refs_in(by_number.text)) == {acme}
    assert "Acme Corp" in by_number.text and "Parcel lost in transit" in by_number.text
    assert "open" in by_number.text and "<@UAGENT>" in by_number.text
    assert f"<!date^{int(START.timestamp())}^" in by_number.text

    assert set(refs_in(agent.command("find acm").text)) == {acme}
    assert set(refs_in(agent.command("find refund").text)) == {globex}
    assert set(refs_in(agent.command("find PRINTER").text)) == {initech}
    assert set(refs_in(agent.command("find SO").text)) == {acme, globex}
    # Every word must match: "acme refund" is no case.
    assert "Nothing found" in agent.command("find acme refund").text
    assert len(slack.messages("C1")) == posted, "searching posts nothing"


def test_an_exact_number_comes_first_then_the_newest(agent, clock):
    exact = open_with_numbers(agent, "Acme Corp", "First parcel", order="SO-10042")
    clock.advance(timedelta(hours=1))
    newer = open_with_numbers(agent, "Acme Corp", "Second parcel", order="SO-100420")
    clock.advance(timedelta(hours=1))
    by_tracking = open_with_numbers(agent, "Globex", "Tracked parcel", tracking="so-10042")

    found = agent.command("find so-10042").text
    lines = [line for line in found.splitlines() if line.startswith("•")]
    assert [refs_in(line)[0] for line in lines] == [by_tracking, exact, newer]
    assert "exact number" in lines[0] and "exact number" in lines[1] and "exact number" not in lines[2]

    # Without an exact number: the newest first (equal relevance).
    lines = [line for line in agent.command("find acme").text.splitlines() if line.startswith("•")]
    assert [refs_in(line)[0] for line in lines] == [newer, exact]


def test_more_than_ten_matches_show_the_best_ten_and_ask_to_narrow(agent):
    opened = [agent.open_case(f"Acme Corp: parcel {n}").ref for n in range(12)]
    found = agent.command("find acme").text
    lines = [line for line in found.splitlines() if line.startswith("•")]
    assert [refs_in(line)[0] for line in lines] == opened[::-1][:10]
    assert "12 cases found" in found and "2 more — narrow the search" in found


def test_empty_short_and_unmatched_searches_say_so_and_change_nothing(agent, slack):
    agent.open_case("Acme Corp: parcel lost")
    posted = len(slack.messages("C1"))
    empty = agent.command("find")
    assert empty.ephemeral and "What should I look for?" in empty.text and "/case find" in empty.text
    short = agent.command("find a")
    assert short.ephemeral and "too short" in short.text and "at least 2" in short.text
    nothing = agent.command("find globex")
    assert nothing.ephemeral and "Nothing found for “globex”" in nothing.text
    assert "account / order / tracking number" in nothing.text
    assert len(slack.messages("C1")) == posted


# What people might type, and whether it is a search for the case below: each word that is
# left once the punctuation is gone must start a word of the case.
HOSTILE = [
    ('acme"', True),
    ('"acme', True),
    ('ac"me', False),
    ("acm*", True),
    ("*acme*", True),
    ("acme AND", True),
    ("-acme", True),
    ("acme -corp", True),
    ("-SO-100", False),
    ("NEAR(acme corp)", False),
    ("customer: acme", False),
    ("{customer}: acme", False),
    ("^acme", True),
    ("o'brien", False),
    ("acme'); DROP TABLE cases;--", False),
    ("%_%", False),
    ("\\\\", False),
    ("acme 🙂", True),
    ("🙂🙂", False),
    ("AND OR NOT", True),
    ("'':*", False),
    ("!!", False),
    ("é" * 1500, False),
    ("acme\x00\x1b", True),
    ("\x00\x00", False),
]


@pytest.mark.parametrize(("typed", "finds"), HOSTILE)
def test_nothing_typed_breaks_the_search(agent, typed, finds):
    acme = agent.open_case("Acme Corp: order not received and no refund or reply").ref
    found = agent.command(f"find {typed}")
    assert found.ephemeral and "Something went wrong" not in found.text
    if finds:
        assert "1 case found" in found.text and acme in found.text, found.text
    else:
        assert "Nothing found" in found.text, found.text


def test_other_workspaces_cases_never_appear(agent, slack, bot):
    theirs = SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T2", api=slack)
    slack.set_user("UBEA", name="bea", tz="Europe/Paris")
    bea = Person("UBEA", theirs, slack, bot)
    bea.command("open Acme Corp: their parcel", channel="CT2")
    ours = agent.open_case("Acme Corp: our parcel").ref

    found = agent.command("find acme").text
    assert set(refs_in(found)) == {ours} and "their parcel" not in found
    assert "1 case found" in found
    assert "Nothing found" in agent.command("find their").text


def test_a_changed_customer_is_found_under_its_new_name(agent, bot):
    case = agent.open_case("Acme Corp: parcel lost")
    with bot.db.transaction() as session:
        session.execute(update(Case).where(Case.id == case.case_id).values(customer="Globex"))
    assert case.ref in agent.command("find globex").text
    assert "Nothing found" in agent.command("find acme").text


@pytest.mark.backend_independent
def test_terms_are_letters_and_digits_only():
    assert customers.terms_of("SO-100 “Acme” AND *x*").words == ("so", "100", "acme", "and", "x")
    assert customers.terms_of("🙂 -- \" ' *") is None
    assert customers.terms_of("Müller 注文").words == ("müller", "注文")
    terms = customers.terms_of('x"y')
    assert terms.fts5() == '"x"* AND "y"*' and terms.tsquery() == "'x':* & 'y':*"


# -- the index: existing rows, and the plans at scale ------------------------------------------


def seed(engine, count: int) -> None:
    """`count` cases over two workspaces, inserted with Core in one transaction."""
    rows = [
        {
            "team_id": "T1" if n % 4 else "T2",
            "channel_id": "C1",
            "owner_id": "UAGENT",
            "customer": f"Customer {n:05d}",
            "summary": f"parcel {n} lost in transit",
            "order_ref": f"SO-{n}",
            "state": "open",
            "opened_at": START - timedelta(minutes=count - n),
            "priority": "normal",
            "version": 0,
        }
        for n in range(1, count + 1)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Case), rows)
        if engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE cases"))


def plan(session, statement) -> str:
    dialect = session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    # As the driver's own SQL: the tsquery text holds `:A`, which text() would read as a parameter.
    return "\n".join(str(row[-1]) for row in session.connection().exec_driver_sql(explain + sql))


def assert_uses_the_index(dialect: str, shown: str) -> None:
    if dialect == "sqlite":
        assert re.search(r"SCAN cases_fts VIRTUAL TABLE INDEX \d+:M", shown), shown
        assert "SEARCH cases USING INTEGER PRIMARY KEY" in shown, shown
        assert not re.search(r"SCAN cases\b", shown) and "ix_cases" not in shown, shown
    else:
        assert f"Bitmap Index Scan on {search.PG_INDEX}" in shown, shown
        assert "Seq Scan on cases" not in shown, shown


def test_search_and_history_use_the_index_at_20k_cases(agent, bot):
    seed(bot.db.engine, 20_000)
    dialect = bot.db.dialect
    with bot.db.transaction() as session:
        for typed in ("SO-1234", "customer 0123", "lost"):
            statement = search.find_statement(dialect, "T1", customers.terms_of(typed), typed, 10)
            assert_uses_the_index(dialect, plan(session, statement))
        name = customers.terms_of("Customer 01234", prefix=False)
        account = customers.terms_of("ACC-1", prefix=False)
        statement = search.earlier_statement(dialect, "T1", 30_000, name, account, 500)
        assert_uses_the_index(dialect, plan(session, statement))

    # And the answers are right, through the command.
    found = agent.command("find SO-1234").text
    lines = [line for line in found.splitlines() if line.startswith("•")]
    # SO-1234 (exact) first, then SO-12341.. of T1 newest first; SO-12340 and SO-12344 are T2's.
    assert "Customer 01234" in lines[0] and "exact number" in lines[0]
    expected = [n for n in range(12349, 12340, -1) if n % 4]
    assert [re.search(r"Customer (\d+)", line).group(1) for line in lines[1:]] == [
        f"{n:05d}" for n in expected
    ]
    assert f"{1 + len(expected)} cases found" in found and "more" not in found


def test_the_migration_indexes_the_cases_that_exist_already(database_url):
    db = Database(database_url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0004")
        seed(db.engine, 50)
        db.migrate()
        with db.transaction() as session:
            everything = Readable(everything=True)
            found = customers.find(session, "T1", "SO-17", everything)
            assert [hit.case.order_ref for hit in found.hits] == ["SO-17"]
            assert customers.find(session, "T2", "customer 00004", everything).total == 1
            assert customers.find(session, "T2", "customer", everything).total == 12
    finally:
        db.dispose()


def test_help_names_find(agent):
    assert "/case find" in agent.command("help").text
