"""casekeeper's domain: cases, contacts, promises, escalation, reports, as plain Python.

The modules here hold the rules (who may change a case, when a promise is reminded and to whom
it escalates, what counts as kept) and work on a SQLAlchemy session through storage/; they
know nothing of Slack (no slack_sdk, no Block Kit) and raise CaseError with a message a person
can read. Around them, one package per role:

- bot/flows/: one function per user intent, each one unit of work (the use-cases);
- bot/delivery/: the outbox engine (dispatcher, catch-up) that sends what the domain recorded;
- bot/app/: the composition root and the process (settings, build, web, worker, serve, CLI);
- bot/ops/: operator tools (report, export).

Not here: anything Slack-shaped (handlers/), SQL (storage/), test doubles (slack_standin/)."""
