"""Automations, as the admin API keeps them: saved per store (validated before anything is written), the
ready-made ones (templates) and the repurchase cycles the repurchase reminder reads. Saving one is all it
takes: journeys start with the next matching event (nudge.automations.runs)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from nudge.alimtalk.service import Paused, ProblemOf, TemplateDependencies, save_problems, template_fields
from nudge.automations.definitions import (
    AUTOMATION,
    REPURCHASE_CYCLES,
    Automation,
    cycles_document,
    new_automation_id,
    validate_automation,
)
from nudge.automations.templates import TEMPLATES, template_definition
from nudge.catalog import document_or_404, unknown
from nudge.errors import FieldError, InvalidPayload, NotFound
from nudge.images import ImageStore
from nudge.ports import Catalog, StoreDirectory
from nudge.profiles.profile import Profile
from nudge.segments.repurchase import learn_cycles, purchases
from nudge.store_settings import get_store
from nudge.stores import Store


class StoreProfiles(Protocol):
    def store_profiles(self, store_id: str) -> Iterable[Profile]:
        """Every profile of a store (a whole-store read, for an occasional learning job)."""
        ...


@dataclass(frozen=True, slots=True)
class AutomationSetupDependencies:
    """What setting automations up needs (running them: nudge.automations.runs.AutomationDependencies)."""

    stores: StoreDirectory
    catalog: Catalog
    profiles: StoreProfiles
    templates: TemplateDependencies  # an active automation's AlimTalk templates must be approved
    images: ImageStore | None = None  # the images a message names must be the store's (none: no image)


def _check_templates(
    deps: AutomationSetupDependencies, automation: Automation, store: Store, now: datetime
) -> None:
    """An active automation is saved only with AlimTalk templates its store's gateway has approved; a
    paused one may wait for a template still under review (activating it checks again)."""
    if not automation.active:
        return
    steps = [(f"steps[{i}].message", step.message) for i, step in enumerate(automation.steps)]
    problems = save_problems(deps.templates, store, template_fields(steps), now)
    if problems:
        raise InvalidPayload("automation is not valid", problems)


def pause_for_templates(catalog: Catalog, store: Store, problem_of: ProblemOf, now: datetime) -> list[Paused]:
    """Pause each active automation with a step whose AlimTalk template may no longer be sent (`problem_of`
    says why): its due steps stop, the reason is on its document, until the marketer resumes it."""
    out = []
    for document in catalog.documents(store.store_id, AUTOMATION):
        automation = Automation.from_document(document)
        if not automation.active:
            continue
        steps = [(f"steps[{i}].message", step.message) for i, step in enumerate(automation.steps)]
        reasons = [
            f"{where}: {reason}" for where, code in template_fields(steps) if (reason := problem_of(code))
        ]
        if not reasons:
            continue
        paused = {**document, "status": "paused", "paused_reason": "; ".join(reasons)}
        paused["paused_at"] = now.isoformat()
        if catalog.put(store.store_id, AUTOMATION, automation.automation_id, paused, create=False):
            out.append(Paused(AUTOMATION, automation.automation_id, automation.name, paused["paused_reason"]))
    return out


def list_automations(deps: AutomationSetupDependencies, store_id: str) -> list[dict[str, Any]]:
    get_store(deps.stores, store_id)
    return deps.catalog.documents(store_id, AUTOMATION)


def create_automation(
    deps: AutomationSetupDependencies, store_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Validate and save an automation; it starts journeys with the next matching event."""
    store = get_store(deps.stores, store_id)
    automation_id = new_automation_id()
    automation, document = validate_automation(payload, store, now, automation_id, images=deps.images)
    _check_templates(deps, automation, store, now)
    deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=True)
    return document


def get_automation(deps: AutomationSetupDependencies, store_id: str, automation_id: str) -> dict[str, Any]:
    get_store(deps.stores, store_id)
    return document_or_404(deps.catalog, store_id, Automation, automation_id)


def update_automation(
    deps: AutomationSetupDependencies, store_id: str, automation_id: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Replace an automation (re-validated). Steps already due fire with the new definition, checked then;
    `"status": "paused"` stops them all."""
    store = get_store(deps.stores, store_id)
    current = get_automation(deps, store_id, automation_id)
    created_at = datetime.fromisoformat(current["created_at"])
    automation, document = validate_automation(
        payload, store, now, automation_id, created_at, images=deps.images
    )
    _check_templates(deps, automation, store, now)  # saved again: no longer paused by a sync
    if not deps.catalog.put(store_id, AUTOMATION, automation_id, document, create=False):
        raise unknown(Automation, automation_id)
    return document


def delete_automation(deps: AutomationSetupDependencies, store_id: str, automation_id: str) -> None:
    """Delete an automation: its due steps stop when their slots fire (no schedule needs deleting)."""
    get_store(deps.stores, store_id)
    if not deps.catalog.delete(store_id, AUTOMATION, automation_id):
        raise unknown(Automation, automation_id)


def automation_templates(deps: AutomationSetupDependencies, store_id: str) -> dict[str, dict[str, Any]]:
    """The ready-made automations, written for this store with their default parameters."""
    store = get_store(deps.stores, store_id)
    return {name: template_definition(name, store, {}) for name in TEMPLATES}


def install_automation_template(
    deps: AutomationSetupDependencies, store_id: str, template: str, payload: Any, now: datetime
) -> dict[str, Any]:
    """Create an automation from a ready-made one; `params` adjust it, `status` may start it paused."""
    store = get_store(deps.stores, store_id)
    if template not in TEMPLATES:
        raise NotFound(f"unknown automation template {template!r}; one of {sorted(TEMPLATES)}")
    body = payload if isinstance(payload, dict) else {}
    unknown = sorted(set(body) - {"params", "status"})
    if unknown:
        raise InvalidPayload("request is not valid", [FieldError(k, "unknown field") for k in unknown])
    definition = template_definition(template, store, body.get("params"))
    if "status" in body:
        definition["status"] = body["status"]
    return create_automation(deps, store_id, definition, now)


def learn_repurchase_cycles(
    deps: AutomationSetupDependencies, store_id: str, now: datetime
) -> dict[str, Any]:
    """Learn the store's repurchase cycles from its order history and keep them for the automations."""
    get_store(deps.stores, store_id)
    document = cycles_document(learn_cycles(purchases(deps.profiles.store_profiles(store_id))), now)
    if not deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=False):
        deps.catalog.put(store_id, REPURCHASE_CYCLES, "learned", document, create=True)
    return document
