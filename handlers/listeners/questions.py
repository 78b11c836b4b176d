"""Asking before a promise changes: a new time or a cancellation asked for in words (the
`/case reschedule` and `/case cancel` commands, or `reschedule …` / `cancel: …` in a case
thread) is checked, then turned into a question with buttons (handlers/views/questions.py):
which promise, when several are open, and whether the customer knows. Nothing changes until
the person answers (handlers/listeners/promise_buttons.py)."""

from __future__ import annotations

from bot.flows import promises
from bot.promises import WhichPromise
from handlers.services import Services
from handlers.views import questions
from handlers.views.blocks import Message


def ask_reschedule(
    services: Services, team_id: str, actor_id: str, case_id: int, when: str, note: str
) -> Message:
    try:
        asked = promises.ask_reschedule(
            services, team_id=team_id, actor_id=actor_id, case_id=case_id, when=when, note=note
        )
    except WhichPromise as which:
        return questions.which_promise(
            which.choices,
            which.intent,
            case_id=which.case_id,
            case_ref=which.case_ref,
            due=which.due_at,
            note=note,
        )
    promise = asked.promise
    return questions.new_time_question(
        asked.case.id, asked.case.ref, promise.id, promise.description, promise.due_at, asked.due_at, note
    )


def ask_cancel(services: Services, team_id: str, actor_id: str, case_id: int, reason: str) -> Message:
    try:
        held = promises.ask_cancel(
            services, team_id=team_id, actor_id=actor_id, case_id=case_id, reason=reason
        )
    except WhichPromise as which:
        return questions.which_promise(
            which.choices, which.intent, case_id=which.case_id, case_ref=which.case_ref, note=reason
        )
    promise = held.promise
    return questions.cancel_question(
        held.case.id, held.case.ref, promise.id, promise.description, promise.due_at, reason
    )
