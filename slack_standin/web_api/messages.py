"""Messages: chat.* and reactions.add, the messages a test seeds, and what it reads back."""

from __future__ import annotations

import copy
import time
from typing import Any

from slack_standin.blockkit import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT, block_problems, with_slack_ids
from slack_standin.records import Ephemeral, Message, Reaction, dm_id
from slack_standin.web_api.http import truthy
from slack_standin.web_api.state import ApiError, Rejected, StandinState


class MessagesMixin(StandinState):
    """chat.postMessage, chat.postEphemeral, chat.update, chat.delete, chat.getPermalink and
    reactions.add, part of FakeSlackAPI."""

    # ---- seeding ---------------------------------------------------------------------------

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message as if a person had posted it, so history/replies return it."""
        message = Message(
            channel=channel,
            ts=ts or self.ts_clock.next(),
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
            user=user,
        )
        with self._lock:
            self._messages.append(message)
        return copy.deepcopy(message)

    # ---- queries ---------------------------------------------------------------------------

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages if channel is None or m.channel == channel]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            found = self._find_message(channel, ts)
            return copy.deepcopy(found) if found else None

    def dm_channel(self, user_id: str) -> str:
        return dm_id(user_id)

    def dms_to(self, user_id: str) -> list[Message]:
        return self.messages(dm_id(user_id))

    def thread(self, channel: str, ts: str) -> list[Message]:
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._messages
                if m.channel == channel and m.thread_ts == ts and m.ts != ts
            ]

    @property
    def reactions(self) -> list[Reaction]:
        with self._lock:
            return [copy.deepcopy(r) for r in self._reactions]

    @property
    def ephemerals(self) -> list[Ephemeral]:
        with self._lock:
            return [copy.deepcopy(e) for e in self._ephemerals]

    def message_payload(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as Slack puts it in an interaction payload: as conversations.history
        would show it, with Slack's generated block_id / action_id filled in."""
        with self._lock:
            message = self._find_message(channel, ts)
            if message is None:
                return None
            out = self._message_dict(message)
            if message.blocks is not None:
                out["blocks"] = with_slack_ids(message.blocks, f"{channel}:{ts}:{len(message.history)}")
            return out

    def current_ephemeral(self, message_ts: str) -> Ephemeral | None:
        with self._lock:
            for ephemeral in self._ephemerals:
                if ephemeral.message_ts == message_ts:
                    return copy.deepcopy(ephemeral)
        return None

    # ---- methods (called with the lock held) -----------------------------------------------

    def _message_dict(self, message: Message, *, include_metadata: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "message", "ts": message.ts, "text": message.text}
        if message.user:
            out["user"] = message.user
        if message.bot_id:
            out["bot_id"] = message.bot_id
            out["app_id"] = "A1"
        out["team"] = self.team_id
        if message.username:
            out["username"] = message.username
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
            if message.is_reply:
                parent = self._find_message(message.channel, message.thread_ts)
                if parent is not None and parent.user:
                    out["parent_user_id"] = parent.user
                if message.reply_broadcast:
                    out["subtype"] = "thread_broadcast"
        replies = [
            m
            for m in self._messages
            if m.channel == message.channel and m.is_reply and m.thread_ts == message.ts
        ]
        if replies and not message.is_reply:
            out["thread_ts"] = message.ts
            out["reply_count"] = len(replies)
            out["reply_users"] = sorted({r.user for r in replies if r.user})
            out["latest_reply"] = replies[-1].ts
        if message.blocks is not None:
            out["blocks"] = copy.deepcopy(message.blocks)
        if message.attachments is not None:
            out["attachments"] = copy.deepcopy(message.attachments)
        if message.metadata is not None and include_metadata:
            out["metadata"] = copy.deepcopy(message.metadata)
        if message.history:
            out["edited"] = {"user": message.user, "ts": message.history[-1]["edited_ts"]}
        return out

    def _content(self, params: dict[str, Any]) -> tuple[str, list[Any] | None, list[Any] | None]:
        text = params.get("text")
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if blocks is not None:
            problems = block_problems(blocks, max_blocks=MAX_MESSAGE_BLOCKS)
            if problems:
                raise Rejected("invalid_blocks", problems)
        if attachments is not None and not isinstance(attachments, list):
            raise ApiError("invalid_attachments")
        text = text if isinstance(text, str) else ("" if text is None else str(text))
        if len(text) > MAX_MESSAGE_TEXT:
            raise Rejected(
                "msg_too_long", [f"text is {len(text):,} characters; Slack takes {MAX_MESSAGE_TEXT:,}"]
            )
        return text, blocks, attachments

    def _m_chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise ApiError("no_text")
        metadata = params.get("metadata")
        if metadata is not None and not (isinstance(metadata, dict) and "event_type" in metadata):
            raise ApiError("invalid_metadata_format")
        thread_ts = params.get("thread_ts") or None
        message = Message(
            channel=channel,
            ts=self.ts_clock.next(),
            text=text,
            blocks=copy.deepcopy(blocks),
            thread_ts=str(thread_ts) if thread_ts else None,
            metadata=copy.deepcopy(metadata),
            user=self.bot_user_id,
            bot_id=self.bot_id,
            reply_broadcast=truthy(params.get("reply_broadcast", False)),
            username=params.get("username"),
            icon_emoji=params.get("icon_emoji"),
            attachments=copy.deepcopy(attachments),
            params=copy.deepcopy(params),
        )
        self._messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_dict(message)}

    def _m_chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._require_member(channel)
        user = params.get("user")
        if not user:
            raise ApiError("user_not_in_channel")
        text, blocks, attachments = self._content(params)
        if not text and not blocks and not attachments:
            raise ApiError("no_text")
        message_ts = self.ts_clock.next()
        thread_ts = params.get("thread_ts") or None
        self._ephemerals.append(
            Ephemeral(
                channel,
                str(user),
                text,
                copy.deepcopy(blocks),
                str(thread_ts) if thread_ts else None,
                message_ts,
            )
        )
        return {"message_ts": message_ts}

    def _m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise ApiError("message_not_found")
        text, blocks, attachments = self._content(params)
        if "text" not in params and blocks is None and attachments is None and "metadata" not in params:
            raise ApiError("no_text")
        message.history.append(
            {
                "text": message.text,
                "blocks": copy.deepcopy(message.blocks),
                "metadata": copy.deepcopy(message.metadata),
                "at": time.time(),
                "edited_ts": self.ts_clock.next(),
            }
        )
        # Slack keeps whatever the update leaves out (blocks, metadata) and replaces what it names.
        if "text" in params:
            message.text = text
        if blocks is not None:
            message.blocks = copy.deepcopy(blocks)
        if attachments is not None:
            message.attachments = copy.deepcopy(attachments)
        if "metadata" in params:
            message.metadata = copy.deepcopy(params["metadata"])
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_dict(message),
        }

    def _m_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._find_message(channel, str(params.get("ts") or ""))
        if message is None:
            raise ApiError("message_not_found")
        self._messages.remove(message)
        return {"channel": channel, "ts": message.ts}

    def _m_chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        if not ts:
            raise ApiError("message_not_found")
        return {"channel": channel, "permalink": f"{self.root_url}/archives/{channel}/p{ts.replace('.', '')}"}

    def _m_reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        timestamp = str(params.get("timestamp") or "")
        name = str(params.get("name") or "")
        if not timestamp:
            raise ApiError("no_item_specified")
        if not name:
            raise ApiError("invalid_name")
        # The reacted-to message is often a person's reply the stand-in never saw, so it is not
        # required to exist here.
        reaction = Reaction(channel, timestamp, name)
        if reaction in self._reactions:
            raise ApiError("already_reacted")
        self._reactions.append(reaction)
        return {}
