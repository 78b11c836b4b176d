"""One function per user intent: open a case, make, keep or reschedule a promise, acknowledge an
escalation, log a reply... Each runs one unit of work (context.py): a transaction, the domain's
calls, and the outbox keys it leaves to send once committed. Flows take and return plain values
and models; they render nothing (no Block Kit) and ask Slack for nothing directly (a Directory
answers time zones). Called by the listeners (handlers/listeners/) and the worker."""
