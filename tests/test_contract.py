"""The outside contract (DESIGN.md §1) checked against outside oracles: the health check, the
Slack app manifest and Slack's own published schemas, and how `python -m bot` refuses to start."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.app.web import wsgi_app
from slack_standin import SlackEventsClient
from storage.db import Database
from tests.conftest import SIGNING_SECRET

REPO = Path(__file__).resolve().parents[1]
SLACK_SPECS = Path(__file__).resolve().parents[2] / "shared" / "slack"


def slack_spec(name):
    path = SLACK_SPECS / name
    if not path.is_file():
        pytest.skip(f"Slack's published specs are not here ({path} is missing; see DESIGN.md §5)")
    return json.loads(path.read_text(encoding="utf-8"))


# ---- GET /healthz --------------------------------------------------------------------------------


def test_healthz_answers_200_when_the_database_is_reachable(bot):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(bot.url + "/healthz", timeout=10) as response:
        assert response.status == 200
        assert response.read().strip() == b"ok"


def test_healthz_answers_503_when_the_database_is_unreachable(bot):
    unreachable = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        application = wsgi_app(bot.app, unreachable)
        started = []
        body = b"".join(
            application(
                {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "wsgi.input": None},
                lambda status, headers, *_: started.append((status, dict(headers))),
            )
        )
    finally:
        unreachable.dispose()
    assert started[0][0].startswith("503")
    assert b"database unreachable" in body


# ---- manifest.yml ----------------------------------------------------------------------------------


def test_manifest_is_valid_and_declares_what_the_code_needs():
    schema = slack_spec("manifest.schema.1.0.0.json")
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(manifest)

    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert "/case" in commands
    assert commands["/case"]["should_escape"] is True, "mentions must arrive as <@U…> ids"
    assert commands["/case"]["url"].endswith("/slack/events")

    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    # message.im: people answer the bot in its DM (tests/test_direct_messages.py).
    assert {"message.channels", "message.groups", "message.im"} <= set(events["bot_events"])
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert events["request_url"].endswith("/slack/events")
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")

    needed = {
        "chat:write",
        "reactions:write",
        "users:read",
        "im:write",
        "im:history",
        "channels:history",
        "groups:history",
        "commands",
        "channels:join",
    }
    declared = set(manifest["oauth_config"]["scopes"]["bot"])
    assert needed <= declared, f"missing scopes: {sorted(needed - declared)}"


# ---- every Web API call against Slack's OpenAPI spec ------------------------------------------------


def required_parameters(operation):
    return {
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("required") and p.get("in") in ("query", "formData") and p["name"] != "token"
    }


def test_every_web_api_call_in_a_whole_case_is_a_real_method_with_its_required_arguments(
    agent, manager, signer, slack, bot, clock
):
    spec = slack_spec("slack_web_openapi_v2_without_examples.json")
    slack.set_channel("C2", member=False)

    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    agent.reply(case, "Called the customer, left a voicemail")
    agent.reply(case, "promise in 1 hour: email the tracking number")
    agent.reply(case, "promise whenever: something")  # unreadable: an ephemeral in the thread
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    agent.command("open")  # the modal
    agent.open_case("Globex: widget broken", channel="C2")  # the bot joins C2 first
    slack.go_down()  # the reminder's first attempt may have reached Slack…
    clock.advance(minutes=15)
    bot.tick()
    slack.come_back()  # …so the next attempt looks for it first
    clock.advance(minutes=16)
    bot.tick()
    agent.command(f"done {case.ref}")
    agent.command(f"show {case.ref}")
    bot.tick()

    calls = slack.calls()
    made = {c.method for c in calls}
    expected = {
        "chat.postMessage",
        "chat.postEphemeral",
        "reactions.add",
        "users.info",
        "views.open",
        "conversations.join",
        "conversations.open",
        "conversations.history",
    }
    assert expected <= made, f"the scenario did not exercise {sorted(expected - made)}"
    assert any("missed a promise" in m.all_text() for m in manager.dms()), "the escalation went out"

    problems = []
    for call in calls:
        operations = spec["paths"].get(f"/{call.method}")
        if operations is None:
            problems.append(f"{call.method}: no such Web API method")
            continue
        required = set().union(*(required_parameters(op) for op in operations.values()))
        missing = sorted(name for name in required if call.params.get(name) in (None, ""))
        if missing:
            problems.append(f"{call.method}: missing required {missing}")
    assert problems == [], sorted(set(problems))


# ---- event payloads against Slack's event wrapper schema -------------------------------------------


class RecordingEventsClient(SlackEventsClient):
    """The signer, keeping every JSON body it sends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent = []

    def post(self, body, content_type, **kwargs):
        if content_type == "application/json":
            self.sent.append(json.loads(body))
        return super().post(body, content_type, **kwargs)


def test_thread_reply_events_we_send_match_slacks_event_wrapper(agent, slack, bot):
    schema = slack_spec("slack_common_event_wrapper_schema.json")
    case = agent.open_case("Acme: refund")
    recording = RecordingEventsClient(bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    assert recording.thread_reply("Called back", thread_ts=case.card_ts).status == 200
    ts = recording.last_ts
    recording.edit_reply(channel="C1", ts=ts, thread_ts=case.card_ts, new_text="Called back twice")
    recording.delete_reply(channel="C1", ts=ts, thread_ts=case.card_ts)
    bot.settle()
    assert len(recording.sent) == 3

    validator = jsonschema.Draft7Validator(schema)
    problems = [
        f"{payload['event'].get('subtype', 'reply')}: {error.message}"
        for payload in recording.sent
        for error in validator.iter_errors(payload)
    ]
    assert problems == []


# ---- python -m bot refuses to start ------------------------------------------------------------------


def start_bot(tmp_path, command="web", **settings):
    """`python -m bot <command>` in an empty folder (its own empty .env, so no stray .env from
    anywhere else is read) with only `settings` in the environment."""
    (tmp_path / ".env").write_text("")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **settings}
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REMINDER_LEAD", "soon"),
        ("ESCALATION_GRACE", "-5m"),
        ("ESCALATION_REPEAT", "half an hour"),
        ("PORT", "http"),
        ("DATABASE_URL", "mysql://root@localhost/casekeeper"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path, name, value):
    settings = {
        "SLACK_BOT_TOKEN": "xoxb-x",
        "SLACK_SIGNING_SECRET": "s",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        name: value,
    }
    started = start_bot(tmp_path, **settings)
    assert started.returncode == 2, started.stderr
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert name in lines[0] and "Traceback" not in started.stderr


def test_without_slack_credentials_it_says_which_where_to_get_them_and_how_to_try_it(tmp_path):
    started = start_bot(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert started.returncode == 2, started.stderr
    said = started.stderr
    assert "SLACK_BOT_TOKEN" in said and "SLACK_SIGNING_SECRET" in said
    assert "api.slack.com/apps" in said and "OAuth & Permissions" in said and "Signing Secret" in said
    assert "make demo" in said
    assert "Traceback" not in said


def test_a_worker_needs_only_the_bot_token(tmp_path):
    started = start_bot(tmp_path, "worker", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert started.returncode == 2, started.stderr
    assert "SLACK_BOT_TOKEN" in started.stderr and "SLACK_SIGNING_SECRET" not in started.stderr


# ---- every setting documented ------------------------------------------------------------------


def test_every_setting_the_bot_reads_is_in_env_example_and_the_readme():
    import re

    settings_source = (REPO / "bot" / "app" / "settings.py").read_text()
    read = set(re.findall(r'(?:text|given|duration)\("([A-Z_]+)"', settings_source))
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "ADMIN_USERS"} <= read  # the pattern still finds them
    example = set(re.findall(r"^([A-Z_]+)=", (REPO / ".env.example").read_text(), re.MULTILINE))
    readme = set(re.findall(r"^\| `([A-Z_]+)` \|", (REPO / "README.md").read_text(), re.MULTILINE))
    assert read - example == set(), "settings missing from .env.example"
    assert read - readme == set(), "settings missing from README's configuration table"
