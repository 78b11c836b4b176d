"""Every action_id / callback_id, as stable strings: renaming a Python name must never break a
button or modal on a message Slack still shows."""

from enum import StrEnum


class CallbackId(StrEnum):
    OPEN_CASE = "casekeeper.open_case"


class BlockId(StrEnum):
    CUSTOMER = "customer"
    SUMMARY = "summary"


class ActionId(StrEnum):
    CUSTOMER = "customer_input"
    SUMMARY = "summary_input"
