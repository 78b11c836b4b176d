"""Modals and Home tabs: triggers, views.open / push / update / publish, and what Slack does
with the bot's answer to a view_submission."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from slack_standin.blockkit import problem, view_problems, with_slack_ids
from slack_standin.records import Call, StoredView
from slack_standin.view_state import stateful_elements
from slack_standin.web_api.state import ApiError, Rejected, StandinState, Trigger


class ViewsMixin(StandinState):
    """Triggers and views, part of FakeSlackAPI."""

    # ---- interactivity: triggers and views -------------------------------------------------

    def issue_trigger(self, user: str, *, view_id: str | None = None) -> str:
        """A fresh trigger_id for an interaction by `user` (from inside view `view_id`, if any):
        views.open / views.push take it once, within trigger_ttl seconds, as Slack does."""
        trigger_id = f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        with self._lock:
            self._triggers[trigger_id] = Trigger(user=user, issued=time.monotonic(), view_id=view_id)
        return trigger_id

    @property
    def views(self) -> list[Call]:
        with self._lock:
            return [copy.deepcopy(v) for v in self._views]

    def view(self, view_id: str) -> StoredView | None:
        with self._lock:
            stored = self._stored_views.get(view_id)
            return copy.deepcopy(stored) if stored is not None else None

    def all_views(self, user: str | None = None) -> list[StoredView]:
        """Every modal and Home tab ever shown (to `user`), oldest first, closed ones too."""
        with self._lock:
            return [copy.deepcopy(v) for v in self._stored_views.values() if user is None or v.user == user]

    def open_views(self, user: str | None = None) -> list[StoredView]:
        """The modals still open (for `user`), oldest first: a pushed view after its parent."""
        return [v for v in self.all_views(user) if v.type == "modal" and not v.closed]

    def last_view(self, user: str | None = None, *, callback_id: str | None = None) -> StoredView | None:
        """The modal (for `user`, with `callback_id`) that appeared or changed last, open or closed."""
        with self._lock:
            found = [
                v
                for v in self._stored_views.values()
                if v.type == "modal"
                and (user is None or v.user == user)
                and (callback_id is None or v.callback_id == callback_id)
            ]
            # Sorted by when each last changed: views.update can change an older view.
            found.sort(key=lambda v: v.changed)
            return copy.deepcopy(found[-1]) if found else None

    def home_of(self, user: str) -> StoredView | None:
        """The Home tab last published for `user`."""
        with self._lock:
            view_id = self._homes.get(user)
            return copy.deepcopy(self._stored_views[view_id]) if view_id else None

    def remember_entry(self, view_id: str, block_id: str, action_id: str, entry: dict[str, Any]) -> None:
        """What a person entered in an open view, kept for later payloads (state.values)."""
        with self._lock:
            stored = self._stored_views[view_id]
            values = stored.view.setdefault("state", {}).setdefault("values", {})
            values.setdefault(block_id, {})[action_id] = copy.deepcopy(entry)

    def view_submission_answered(self, view_id: str, status: int, answer: dict[str, Any] | None) -> None:
        """Do what Slack does with the bot's answer to a view_submission: close the view (an
        empty 200), show errors, update it, push another, or clear the whole stack."""
        if status != 200:
            return  # Slack shows its own error in the modal, which stays open
        action = (answer or {}).get("response_action")
        with self._lock:
            stored = self._stored_views[view_id]
            if action is None:
                stored.closed = True
            elif action == "clear":
                for other in self._stored_views.values():
                    if other.view.get("root_view_id") == stored.view.get("root_view_id"):
                        other.closed = True
            elif action == "errors":
                self._check_errors(stored, (answer or {}).get("errors"))
            elif action in ("update", "push"):
                view = (answer or {}).get("view")
                problems = view_problems(view)
                if not problems and view.get("type") != "modal":
                    problems = [problem("response_action views must be modals", "/view/type")]
                if problems:
                    self.reject(f"response_action={action}", "invalid_arguments", "; ".join(problems), answer)
                elif action == "update":
                    self._replace_view(stored, view)
                else:
                    self._push_view(stored, view, method="response_action")
            else:
                self.reject("view_submission", "invalid_response_action", f"unknown {action!r}", answer)

    def close_view(self, view_id: str, *, is_cleared: bool = False) -> None:
        """The person closed the modal (with is_cleared, the whole stack)."""
        with self._lock:
            stored = self._stored_views[view_id]
            stored.closed = True
            if is_cleared:
                for other in self._stored_views.values():
                    if other.view.get("root_view_id") == stored.view.get("root_view_id"):
                        other.closed = True

    def _check_errors(self, stored: StoredView, errors: Any) -> None:
        # Slack shows each error under its input block; a key naming anything else makes the
        # whole submission fail in the person's face ("We had some trouble connecting").
        inputs = {
            b.get("block_id") for b in stored.blocks if isinstance(b, dict) and b.get("type") == "input"
        }
        if not isinstance(errors, dict) or not errors:
            self.reject("view_submission", "invalid_errors", "response_action=errors needs errors", {})
            return
        unknown = sorted(str(k) for k in errors if k not in inputs)
        if unknown:
            reason = (
                f"errors for {unknown}, which are not input blocks of the view (inputs: {sorted(inputs)})"
            )
            self.reject("view_submission", "invalid_errors", reason, {"errors": errors})

    # Views. Slack keeps each one by id with a hash that changes on every update; a stale hash
    # is refused (hash_conflict), so two updates racing cannot silently overwrite each other.

    def _view_param(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        if not isinstance(view, dict):
            raise Rejected("invalid_arguments", [problem("view must be a JSON object", "/view")])
        return view

    def _valid_view(self, view: dict[str, Any], kind: str) -> None:
        problems = view_problems(view)
        if not problems and view.get("type") != kind:
            problems = [problem(f"this method takes a {kind} view, not {view.get('type')!r}", "/view/type")]
        if problems:
            raise Rejected("invalid_arguments", problems)

    def _take_trigger(self, params: dict[str, Any]) -> Trigger:
        trigger_id = str(params.get("trigger_id") or params.get("interactivity_pointer") or "")
        if not trigger_id:
            raise Rejected("invalid_arguments", [problem("trigger_id is required", "/trigger_id")])
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise Rejected("invalid_trigger_id", [f"trigger_id {trigger_id!r} was never issued"])
        if trigger.used:
            raise Rejected("exchanged_trigger_id", [f"trigger_id {trigger_id!r} was already used"])
        age = time.monotonic() - trigger.issued
        if self.trigger_ttl is not None and age > self.trigger_ttl:
            raise Rejected(
                "expired_trigger_id", [f"trigger_id used {age:.1f}s after the interaction; Slack allows 3s"]
            )
        return trigger

    def _check_external_id(self, view: dict[str, Any], keep: str | None = None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self._stored_views.values():
            if other.id != keep and other.view.get("external_id") == external_id:
                raise ApiError("duplicate_external_id")

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{uuid.uuid4().hex[:8]}"

    def _build_view(
        self, view: dict[str, Any], view_id: str, *, root: str, previous: str | None
    ) -> dict[str, Any]:
        """A view as Slack answers and stores it: the app's fields plus Slack's own."""
        view_hash = self._new_hash()
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": with_slack_ids(view.get("blocks"), f"{view_id}:{view_hash}"),
            "private_metadata": view.get("private_metadata") or "",
            "callback_id": view.get("callback_id") or "",
            "state": {"values": {}},
            "hash": view_hash,
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": previous,
            "root_view_id": root,
            "app_id": "A1",
            "external_id": view.get("external_id") or "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _store_view(
        self, view: dict[str, Any], user: str, method: str, *, parent: StoredView | None = None
    ) -> StoredView:
        self._counter += 1
        view_id = f"V{self._counter:08d}"
        root = parent.view["root_view_id"] if parent is not None else view_id
        built = self._build_view(view, view_id, root=root, previous=parent.id if parent else None)
        stored = StoredView(id=view_id, user=user, view=built, method=method, changed=self._counter)
        self._stored_views[view_id] = stored
        return stored

    def _replace_view(self, stored: StoredView, view: dict[str, Any]) -> None:
        self._check_external_id(view, keep=stored.id)
        stored.history.append(copy.deepcopy(stored.view))
        built = self._build_view(
            view, stored.id, root=stored.view["root_view_id"], previous=stored.view["previous_view_id"]
        )
        # Slack keeps what was entered in elements whose block_id and action_id survive the
        # update (generated ids change with every version, so those are lost, as in Slack).
        surviving = {(block_id, e.get("action_id")) for block_id, e in stateful_elements(built["blocks"])}
        kept: dict[str, Any] = {}
        for block_id, actions in stored.state.items():
            for action_id, entry in actions.items():
                if (block_id, action_id) in surviving:
                    kept.setdefault(block_id, {})[action_id] = entry
        built["state"] = {"values": kept}
        stored.view = built
        self._counter += 1
        stored.changed = self._counter

    def _push_view(self, parent: StoredView, view: dict[str, Any], method: str) -> StoredView:
        stack = [
            v for v in self._stored_views.values() if v.view["root_view_id"] == parent.view["root_view_id"]
        ]
        if len([v for v in stack if not v.closed]) >= 3:
            raise Rejected("push_limit_reached", ["a modal stack holds at most 3 views"])
        self._check_external_id(view)
        return self._store_view(view, parent.user, method, parent=parent)

    def _record_view_call(self, method: str, params: dict[str, Any]) -> None:
        self._views.append(Call(method, copy.deepcopy(params), time.time(), 200))

    def _m_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        trigger = self._take_trigger(params)
        self._valid_view(view, "modal")
        self._check_external_id(view)
        trigger.used = True
        stored = self._store_view(view, trigger.user, "views.open")
        self._record_view_call("views.open", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        trigger = self._take_trigger(params)
        self._valid_view(view, "modal")
        parent = self._stored_views.get(trigger.view_id or "")
        if parent is None or parent.closed or parent.type != "modal":
            # Our reading: only an interaction inside an open modal gives a stack to push onto.
            raise Rejected("not_found", ["views.push needs a trigger_id from inside an open modal"])
        trigger.used = True
        stored = self._push_view(parent, view, "views.push")
        self._record_view_call("views.push", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise Rejected("invalid_arguments", [problem("view_id or external_id is required", "/view_id")])
        if view_id:
            stored = self._stored_views.get(str(view_id))
        else:
            stored = next(
                (v for v in self._stored_views.values() if v.view.get("external_id") == external_id), None
            )
        if stored is None or stored.closed:
            raise ApiError("not_found")
        if params.get("hash") and params["hash"] != stored.hash:
            raise ApiError("hash_conflict")
        self._valid_view(view, stored.type)
        self._replace_view(stored, view)
        self._record_view_call("views.update", params)
        return {"view": copy.deepcopy(stored.view)}

    def _m_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = self._view_param(params)
        user = str(params.get("user_id") or "")
        if not user:
            raise Rejected("invalid_arguments", [problem("user_id is required", "/user_id")])
        if not user.startswith(("U", "W")):
            raise ApiError("user_not_found")
        self._valid_view(view, "home")
        current = self._stored_views.get(self._homes.get(user, ""))
        if current is not None and params.get("hash") and params["hash"] != current.hash:
            raise ApiError("hash_conflict")
        if current is None:
            self._check_external_id(view)
            current = self._store_view(view, user, "views.publish")
            self._homes[user] = current.id
        else:
            self._replace_view(current, view)
        self._record_view_call("views.publish", params)
        return {"view": copy.deepcopy(current.view)}
