"""Query parameters of the review pages, validated by pydantic: a malformed value is a 422
naming the parameter, never a 500 from deeper down."""

from __future__ import annotations

from datetime import date
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from callqa.store.queries import CallFilter
from nlp.vocabulary import DISCLOSURE_ITEMS, DISCLOSURE_STATUSES, FLAG_CODES

FLAG_CODE = r"^[A-Z][A-Z0-9_]{1,63}$"
LABEL = r"^[a-z][a-z0-9_]{0,63}$"
Sort = Literal["-date", "date", "score", "-score", "flags", "-flags", "call_id"]


class Filters(BaseModel):
    """The call filter every page shares (list, disclosure audit, exports, agent summary)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    flag: str | None = Field(None, pattern=FLAG_CODE)
    agent: str | None = Field(None, max_length=255)
    team: str | None = Field(None, max_length=255)
    queue: str | None = Field(None, max_length=255)
    date_from: date | None = None
    date_to: date | None = None
    need: str | None = Field(None, pattern=LABEL)
    score_min: float | None = Field(None, ge=0, le=100)
    score_max: float | None = Field(None, ge=0, le=100)
    status: Literal["scored", "failed"] | None = None
    needs_review: bool | None = None  # calls with flags too unsure to count, or a poor transcript

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # An empty form field means "any", not an invalid value.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _ranges(self) -> Filters:
        # The store's own checks (date and score ranges), here so a bad range is a 422 like any
        # other bad parameter; QueryError is a ValueError, which pydantic reports.
        self.call_filter()
        return self

    def call_filter(self) -> CallFilter:
        return CallFilter(**{name: getattr(self, name) for name in Filters.model_fields})

    def query(self, **changes: object) -> str:
        """This filter (with changes) as a query string, for links and pager."""
        values = {**self.model_dump(), **changes}
        return urlencode({k: v for k, v in values.items() if v is not None and v != ""})


class ListParams(Filters):
    sort: Sort = "-date"
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(50, ge=1, le=500)


class DisclosureParams(Filters):
    item: Literal[DISCLOSURE_ITEMS] | None = None  # type: ignore[valid-type]
    disclosure_status: Literal[DISCLOSURE_STATUSES] | None = None  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=1_000_000)  # the exports ignore paging: every row
    per_page: int = Field(250, ge=1, le=2000)

KNOWN_FLAGS = FLAG_CODES
