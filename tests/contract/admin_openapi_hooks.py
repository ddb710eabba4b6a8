"""Schemathesis hooks for test_admin_openapi.py, loaded by the schemathesis command line (`hooks` in its
configuration). ADMIN_IDS_VARIABLE carries, as JSON, what the test created through the API: the seeded store
and a segment, campaign, automation and member of it."""

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

ADMIN_IDS_VARIABLE = "NUDGE_ADMIN_IDS"
KNOWN: dict[str, str] = json.loads(os.environ.get(ADMIN_IDS_VARIABLE, "{}"))
# A delete of these would leave the other operations of the run nothing to read.
DELETED_ONLY_WHEN_GENERATED = {"campaign_id", "automation_id"}


@schemathesis.hook
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    """Three in four valid cases name what exists (the store, its segment, campaign, automation, member), so
    the checks run the code behind each route and not only its 404. Invalid cases stay as generated (the
    request is refused before anything is read), and so does PUT /admin/stores/{store_id}: a new store is
    what it is for."""
    parameters = dict(case.path_parameters or {})
    if (
        not parameters
        or case.meta is None
        or case.meta.generation.mode.is_negative
        or (case.method.upper(), case.path) == ("PUT", "/admin/stores/{store_id}")
    ):
        return st.just(case)
    known = dict(KNOWN)
    if "source_id" in parameters:  # a report's subject: the campaign or the automation, by `kind`
        known["source_id"] = KNOWN.get(f"{parameters.get('kind')}_id", "")
    if case.method.upper() == "DELETE":
        known = {k: v for k, v in known.items() if k not in DELETED_ONLY_WHEN_GENERATED}
    replaced = {name: known[name] for name in parameters if known.get(name)}

    def named(existing: bool) -> schemathesis.Case:
        if existing:
            case.path_parameters = {**parameters, **replaced}
        return case

    return st.sampled_from([True, True, True, False]).map(named)
