"""The ready-made automations: each one is a valid automation for every store and channel choice."""

from datetime import datetime
from typing import Any

import pytest

from nudge.automations.definitions import validate_automation
from nudge.automations.templates import TEMPLATES, template_definition
from nudge.errors import InvalidPayload
from nudge_local.runtime.stores import DOGDAY, MAPLE
from tests.unit.automations.helpers import KST

NOW = datetime(2026, 3, 18, 9, 0, tzinfo=KST)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("params", [{}, {"channel": "sms", "link": "https://shop.example/cart"}])
def test_every_template_is_a_valid_automation_for_every_store(name: str, params: dict[str, Any]) -> None:
    for local in (DOGDAY, MAPLE):
        definition = template_definition(name, local.store, params)
        automation, document = validate_automation(definition, local.store, NOW, "a1")
        assert document["template"] == name and automation.steps


def test_review_request_parameters_change_its_delay() -> None:
    params = {"days": 2, "at": "17:00", "business_days": True}
    definition = template_definition("review_request", DOGDAY.store, params)
    assert definition["steps"][0]["delay"] == {"days": 2, "at": "17:00", "business_days": True}


def test_an_unknown_template_parameter_is_refused_naming_it() -> None:
    with pytest.raises(InvalidPayload) as refused:
        template_definition("cart_reminder", DOGDAY.store, {"hourz": 3})
    assert [f.field for f in refused.value.fields] == ["params.hourz"]
