"""What Intercom's rules mean for each resource on each API version (facts from the pinned specs).

* ``search``: the resource is walked by its search endpoint (contacts, conversations, tickets; companies only
  on Preview, which has ``POST /companies/search``); otherwise by ``GET /companies/scroll`` (one open scroll
  per workspace, restarted from the beginning after a 500).
* ``sortable``: the version's search request has ``sort`` (2.16 and Preview contact search, Preview company
  search). Elsewhere the order of results is unspecified.
* ``day_granular``: on every version but Preview, contact search compares dates by calendar day in the
  workspace's time zone (``>`` from the next day, ``<`` before the day; ``>=``/``<=`` are errors). Preview
  contact search and every conversation, ticket and company search compare by the second.
* feeds: ``GET /conversations/deleted`` (2.16, Unstable, Preview) lists deleted conversations; Preview's
  ``GET /contacts/activities`` lists contact creations, merges and deletions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._errors import InvalidRequestError
from ._errors import UnknownResourceError

__all__ = ["RESOURCES", "Rules", "check_enrich", "rules_for"]

RESOURCES = ("contacts", "conversations", "tickets", "companies")

_SORTED = {("contacts", "2.16"), ("contacts", "Preview"), ("companies", "Preview")}
_COMPANY_SEARCH = {"Preview"}
_DELETED_FEED = {"2.16", "Unstable", "Preview"}
_ACTIVITIES_FEED = {"Preview"}
_ENRICHABLE = ("conversations", "tickets")  # GET /<resource>/{id} has the parts search leaves out


@dataclass(frozen=True)
class Rules:
    """The facts one walk needs about ``resource`` on ``version``."""

    resource: str
    version: str
    method: str  # "search" | "scroll"
    sortable: bool
    day_granular: bool
    deleted_feed: bool  # GET /conversations/deleted
    activities_feed: bool  # GET /contacts/activities
    enrichable: bool  # conversations and tickets: GET /<resource>/{id} has the parts search leaves out


def check_resource(resource: Any) -> str:
    if not isinstance(resource, str) or resource not in RESOURCES:
        raise UnknownResourceError(f"unknown resource {resource!r}: expected one of {', '.join(RESOURCES)}")
    return resource


def check_enrich(resource: str, enrich: bool) -> None:
    """``InvalidRequestError`` when ``enrich=True`` is asked of a resource that cannot be fetched in full."""
    if enrich and resource not in _ENRICHABLE:
        raise InvalidRequestError(f"enrich=True fetches conversations or tickets in full, not {resource}")


def rules_for(version: str, resource: str) -> Rules:
    """The ``Rules`` of ``resource`` on API ``version`` (``client.VERSION``)."""
    resource = check_resource(resource)
    method = "scroll" if resource == "companies" and version not in _COMPANY_SEARCH else "search"
    return Rules(
        resource=resource,
        version=version,
        method=method,
        sortable=(resource, version) in _SORTED,
        day_granular=resource == "contacts" and version != "Preview",
        deleted_feed=resource == "conversations" and version in _DELETED_FEED,
        activities_feed=resource == "contacts" and version in _ACTIVITIES_FEED,
        enrichable=resource in _ENRICHABLE,
    )
