"""The layout keeps its rules (README → "Where things are"): checked from the code's own imports
by tests/architecture.py, which `python -m tests.architecture` also prints."""

from __future__ import annotations

import pytest

from tests.architecture import circles, long_functions, module_graph, package_graph, product_modules

pytestmark = pytest.mark.backend_independent

MODULES = product_modules()
# The domain and what runs it: plain Python, no Slack.
DOMAIN = ("bot", "bot.flows", "bot.delivery")
SLACK_LIBRARIES = {"slack_sdk", "slack_bolt"}
# Declarative tables are long by nature; migrations are excluded from the scan altogether.
LONG_BY_NATURE = {"storage.models"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def test_no_module_imports_itself_round_a_circle():
    assert circles(module_graph(MODULES)) == []


def test_no_package_imports_itself_round_a_circle():
    assert circles(package_graph(MODULES)) == []


def test_only_the_composition_root_imports_handlers():
    importers = {
        module.name
        for module in MODULES.values()
        if "handlers" in module.packages and not module.name.startswith(("handlers", "bot.app."))
    }
    assert importers == set()


def test_the_domain_knows_nothing_of_slack():
    slack_aware = {
        module.name: sorted(module.packages & (SLACK_LIBRARIES | {"handlers"}))
        for module in MODULES.values()
        if module.package in DOMAIN and module.packages & (SLACK_LIBRARIES | {"handlers"})
    }
    assert slack_aware == {}


def test_the_domain_knows_nothing_of_monitoring():
    # It tells a hook (Dispatcher.on_recorded); bot/app/metrics.py does the counting.
    counting = {
        module.name
        for module in MODULES.values()
        if module.package in DOMAIN and "prometheus_client" in module.packages
    }
    assert counting == set()


def test_storage_imports_nothing_of_the_bot():
    reaching_up = {
        module.name
        for module in MODULES.values()
        if module.name.startswith("storage") and module.packages & {"bot", "handlers"}
    }
    assert reaching_up == set()


def test_no_test_double_ships_in_the_product():
    doubles = {name for name in MODULES if any(word in name for word in ("standin", "fake", "stub", "mock"))}
    assert doubles == set()
    assert not any("slack_standin" in module.packages for module in MODULES.values())


def test_modules_and_functions_stay_short():
    long_modules = {
        name: module.lines
        for name, module in MODULES.items()
        if module.lines > MAX_MODULE_LINES and name not in LONG_BY_NATURE
    }
    long = {
        name: length
        for module in MODULES.values()
        for name, length in long_functions(module, MAX_FUNCTION_LINES)
    }
    assert (long_modules, long) == ({}, {})


def test_the_checks_see_what_they_are_about():
    # A check that found nothing to look at would pass for the wrong reason.
    assert {"bot.flows.cases", "handlers.listeners.commands", "bot.app.build", "storage.outbox"} <= set(
        MODULES
    )
    assert "handlers.listeners" in MODULES["bot.app.build"].imports | {
        MODULES[other].package for other in MODULES["bot.app.build"].imports
    }
    assert "slack_bolt" in MODULES["handlers.listeners.commands"].packages
