"""Everything Slack-shaped: what Slack sends in and what the bot sends out.

- handlers/listeners/: Bolt listeners and middleware: parse, call a flow, render, answer;
- handlers/views/: Block Kit builders on one set of primitives (views/blocks.py);
- handlers/outbound/: the Slack sender for outbox rows, Slack clients, the people directory;
- ids.py: stable action/callback/block ids; parse.py: `/case` text to typed requests;
  clients.py: the Slack clients per workspace; services.py: what listeners work with.

Only the composition root (bot/app/build.py) imports this package; it imports the domain and
the flows, never the other way round. No SQL here: storage/ has it."""
