"""A person submitting or closing a modal."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from slack_standin.events_client.interactions import InteractionsMixin, view_with_state
from slack_standin.events_client.wire import Reply
from slack_standin.records import StoredView
from slack_standin.view_state import entry_for, state_values, stateful_elements, submission_problems

if TYPE_CHECKING:
    from slack_standin.web_api.server import FakeSlackAPI


class ModalsMixin(InteractionsMixin):
    """view_submission and view_closed, part of SlackEventsClient."""

    api: FakeSlackAPI | None

    def view_submission(
        self,
        view: StoredView,
        values: dict[str, Any] | None = None,
        *,
        user: str | None = None,
        check_inputs: bool = True,
    ) -> Reply:
        """A person pressing Submit; afterwards the stand-in does with the view what the bot's
        answer says (close it, show errors, update, push, clear). See view_submission_payload."""
        payload = self.view_submission_payload(view, values, user=user, check_inputs=check_inputs)
        reply = self.interactive(payload)
        if self.api is not None:
            self.api.view_submission_answered(payload["view"]["id"], reply.status, reply.json)
        return reply

    def view_submission_payload(
        self,
        view: StoredView,
        values: dict[str, Any] | None = None,
        *,
        user: str | None = None,
        check_inputs: bool = True,
    ) -> dict[str, Any]:
        """The view_submission payload for the current version of `view`, with `values`
        ({block_id: python value}, or {block_id: {action_id: value}} for a block of several
        elements; see entry_for) over whatever was entered before and the initial values.

        Slack's client refuses to submit a modal with a required input empty or text outside
        min_length/max_length; so does this, unless check_inputs=False (what a forged request
        could send)."""
        stored = self._current_view(view)
        actor = user or stored.user
        if actor != stored.user:
            raise AssertionError(f"{actor} cannot submit {stored.user}'s view {stored.id}")
        if stored.type != "modal":
            raise AssertionError(f"view {stored.id} is a {stored.type} view; only modals are submitted")
        entered = _entered(stored, values)
        full = state_values(stored.blocks, entered)
        if check_inputs:
            problems = submission_problems(stored.view, full)
            if problems:
                raise AssertionError(f"Slack would not let {actor} submit {stored.id}: {'; '.join(problems)}")
        if self.api is not None:
            for block_id, actions in entered.items():
                for action_id, entry in actions.items():
                    self.api.remember_entry(stored.id, block_id, action_id, entry)
        submitted = copy.deepcopy(stored.view)
        submitted["state"] = {"values": full}
        payload = self._interaction_base("view_submission", actor, view_id=stored.id)
        payload["view"] = submitted
        payload["response_urls"] = []
        return payload

    def view_closed(self, view: StoredView, *, user: str | None = None, is_cleared: bool = False) -> Reply:
        """A person closing a modal (Cancel, or the X: is_cleared closes the whole stack).
        Slack tells the app only when the view asked with notify_on_close; this always sends."""
        stored = self._current_view(view)
        actor = user or stored.user
        payload = self._interaction_base("view_closed", actor)
        payload.pop("trigger_id")
        payload["view"] = view_with_state(stored)
        payload["is_cleared"] = is_cleared
        if self.api is not None:
            self.api.close_view(stored.id, is_cleared=is_cleared)
        return self.interactive(payload)


def _entered(stored: StoredView, values: dict[str, Any] | None) -> dict[str, Any]:
    """What was entered in the view before, keyed like state.values, with `values` (as
    view_submission_payload takes them) over it."""
    entered = stored.state
    by_block: dict[str, list[dict[str, Any]]] = {}
    for block_id, element in stateful_elements(stored.blocks):
        by_block.setdefault(block_id, []).append(element)
    for block_id, given in (values or {}).items():
        elements = by_block.get(block_id)
        if not elements:
            raise AssertionError(
                f"view {stored.id} has no input block {block_id!r}; it has {sorted(by_block)}"
            )
        action_ids = {str(e.get("action_id")) for e in elements}
        if isinstance(given, dict) and given and set(given) <= action_ids:
            chosen = given
        elif len(elements) == 1:
            chosen = {str(elements[0].get("action_id")): given}
        else:
            raise AssertionError(f"block {block_id!r} holds {sorted(action_ids)}: give {{action_id: value}}")
        for element in elements:
            action_id = str(element.get("action_id"))
            if action_id in chosen:
                entered.setdefault(block_id, {})[action_id] = entry_for(element, chosen[action_id])
    return entered
