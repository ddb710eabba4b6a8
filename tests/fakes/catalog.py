"""The catalog (nudge.ports.Catalog and the areas' narrower readers) and its campaign runs
(nudge.campaigns.runs.RunLedger), with DynamoCatalog's semantics: conditional writes, a copy on every read."""

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nudge.catalog import CatalogItems
from nudge.ports import Catalog

if TYPE_CHECKING:
    from nudge.automations.runs import AutomationCatalog
    from nudge.campaigns.runs import RunLedger
    from nudge.reports.sources import CatalogReader


@dataclass
class InMemoryCatalog:
    # (store_id, kind, item_id) -> the saved document; a test may file one here directly.
    items: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    # (store_id, campaign_id, occurrence) -> the run record, as DynamoCatalog.runs answers it.
    run_records: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)

    def put(self, store_id: str, kind: str, item_id: str, document: dict[str, Any], *, create: bool) -> bool:
        key = (store_id, kind, item_id)
        if (key in self.items) == create:
            return False
        self.items[key] = copy.deepcopy(document)
        return True

    def get(self, store_id: str, kind: str, item_id: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.items.get((store_id, kind, item_id)))

    def documents(self, store_id: str, kind: str) -> list[dict[str, Any]]:
        # In sort key order, as DynamoDB's Query answers.
        return [copy.deepcopy(d) for (s, k, _), d in sorted(self.items.items()) if (s, k) == (store_id, kind)]

    def delete(self, store_id: str, kind: str, item_id: str) -> bool:
        return self.items.pop((store_id, kind, item_id), None) is not None

    def begin_run(self, store_id: str, campaign_id: str, occurrence: str, now: datetime) -> bool:
        key = (store_id, campaign_id, occurrence)
        if self.run_records.get(key, {}).get("state") == "done":
            return False
        self.run_records[key] = {
            "occurrence": occurrence,
            "state": "running",
            "started_at": now.isoformat(),
            "finished_at": None,
            "targeted": None,
            "left_out": {},
        }
        return True

    def finish_run(
        self,
        store_id: str,
        campaign_id: str,
        occurrence: str,
        targeted: int,
        left_out: Mapping[str, int],
        now: datetime,
    ) -> None:
        self.run_records[(store_id, campaign_id, occurrence)].update(
            state="done", targeted=targeted, left_out=dict(left_out), finished_at=now.isoformat()
        )

    def runs(self, store_id: str, campaign_id: str) -> list[dict[str, Any]]:
        return [
            copy.deepcopy(r)
            for (s, c, _), r in sorted(self.run_records.items())
            if (s, c) == (store_id, campaign_id)
        ]


if TYPE_CHECKING:  # mypy holds each fake to the Protocols it stands in for
    _catalog: Catalog = InMemoryCatalog()
    _items: CatalogItems = InMemoryCatalog()
    _automations: AutomationCatalog = InMemoryCatalog()
    _reports: CatalogReader = InMemoryCatalog()
    _runs: RunLedger = InMemoryCatalog()
