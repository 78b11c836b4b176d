"""What every handler and job needs, built once by bot.app.build_services."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.settings import Settings
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    # For interactive calls (users.info, responses): retries on rate limits and 5xx.
    client: WebClient
    dispatcher: Dispatcher
