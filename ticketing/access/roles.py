"""Roles, what each may do, and the principal a request runs as.

Authorisation has two layers: a role grants permissions (checked by the web layer before
a service runs), and a principal's scope limits which tickets exist for it at all
(applied inside every ticket query, see ``ticketing.scope``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"
    PARTNER = "partner"  # works for an organisation; sees only that organisation's tickets
    CUSTOMER = "customer"  # sees only their own tickets, never internal notes


class Permission(StrEnum):
    CALLS_READ = "calls:read"
    TICKETS_READ = "tickets:read"
    TICKETS_CREATE = "tickets:create"
    TICKETS_UPDATE = "tickets:update"  # fields, status, assignees, addresses, attachments
    TICKETS_REOPEN = "tickets:reopen"
    TICKETS_MERGE = "tickets:merge"
    TICKETS_EXPORT = "tickets:export"
    ENTRIES_WRITE = "entries:write"
    INTERNAL_NOTES = "entries:internal"  # read and write internal notes
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    CONTACTS_MERGE = "contacts:merge"
    CATALOG_READ = "catalog:read"  # teams and categories
    CATALOG_MANAGE = "catalog:manage"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    TOKENS_MANAGE = "tokens:manage"
    AUDIT_READ = "audit:read"
    SLA_READ = "sla:read"  # calendars, policies, extension requests
    SLA_MANAGE = "sla:manage"
    SLA_APPROVE = "sla:approve"  # decide deadline extensions
    AUTOMATION_MANAGE = "automation:manage"  # rules and webhooks


_STAFF = {
    Permission.CALLS_READ,
    Permission.TICKETS_READ,
    Permission.TICKETS_CREATE,
    Permission.TICKETS_UPDATE,
    Permission.TICKETS_REOPEN,
    Permission.ENTRIES_WRITE,
    Permission.INTERNAL_NOTES,
    Permission.CONTACTS_READ,
    Permission.CONTACTS_WRITE,
    Permission.CATALOG_READ,
    Permission.USERS_READ,
    Permission.SLA_READ,
}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SUPERVISOR: frozenset(
        _STAFF
        | {
            Permission.TICKETS_MERGE,
            Permission.TICKETS_EXPORT,
            Permission.CONTACTS_MERGE,
            Permission.CATALOG_MANAGE,
            Permission.AUDIT_READ,
            Permission.SLA_MANAGE,
            Permission.SLA_APPROVE,
            Permission.AUTOMATION_MANAGE,
        }
    ),
    Role.AGENT: frozenset(_STAFF),
    Role.PARTNER: frozenset(
        {
            Permission.TICKETS_READ,
            Permission.TICKETS_UPDATE,
            Permission.ENTRIES_WRITE,
            Permission.INTERNAL_NOTES,
            Permission.CATALOG_READ,
            Permission.SLA_READ,
        }
    ),
    Role.CUSTOMER: frozenset(
        {
            Permission.TICKETS_READ,
            Permission.TICKETS_CREATE,
            Permission.TICKETS_REOPEN,
            Permission.ENTRIES_WRITE,
            Permission.CATALOG_READ,
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    """The caller of one request: a user, or the built-in system principal (API token)."""

    user_id: int | None
    name: str
    role: Role
    organisation_id: int | None = None  # partners: the organisation whose tickets they see
    contact_id: int | None = None  # customers: the contact whose tickets they see

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)


SYSTEM = Principal(user_id=None, name="system", role=Role.ADMIN)
