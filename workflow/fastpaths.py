"""Hand-written SQL of the workflow app, each statement beside the ORM query it replaces.

The only SQL text in the workflow app (migrations aside): a guardian's facts in one round
trip, the queue page's statement kept once built, and two of raising's writes (the year's
next reference, a new concern's links).
tests/workflow/test_fastpaths.py and test_selectors.py hold each to its ORM twin (same
answers, on SQLite and PostgreSQL, over role x membership x filter matrices). Only our own
table and column names are ever in the text; every value is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import F, QuerySet

from concerns import fastpaths as concern_fastpaths
from concerns.fastpaths import column
from concerns.models import Category, Concern, Membership, ReferenceCounter
from workflow.models import Case

if TYPE_CHECKING:
    from workflow.policies import StaffScope
    from workflow.selectors import QueueFilters

StaffFacts = tuple[frozenset[str], frozenset[int], bool]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _staff_sql() -> str:
    """Rows of (group name, NULL, 0), (NULL, organisation id, 0) and, when the user is
    assigned a case outside the organisations they serve, one (NULL, NULL, 1). Parameters:
    the user's id four times."""
    groups = get_user_model().groups
    through = groups.through
    m_org, m_user = column(Membership, "organisation"), column(Membership, "user")
    memberships = _q(Membership._meta.db_table)
    return (
        f"SELECT g.{_q('name')}, NULL, 0 FROM {_q(Group._meta.db_table)} g "  # noqa: S608
        f"JOIN {_q(through._meta.db_table)} ug "
        f"ON ug.{column(through, groups.field.m2m_reverse_field_name())} = g.id "
        f"WHERE ug.{column(through, groups.field.m2m_field_name())} = %s "
        f"UNION ALL SELECT NULL, m.{m_org}, 0 FROM {memberships} m WHERE m.{m_user} = %s "
        f"UNION ALL SELECT NULL, NULL, 1 WHERE EXISTS ("
        f"SELECT 1 FROM {_q(Case._meta.db_table)} c "
        f"WHERE c.{column(Case, 'assigned_guardian')} = %s "
        f"AND c.{column(Case, 'organisation')} NOT IN ("
        f"SELECT m.{m_org} FROM {memberships} m WHERE m.{m_user} = %s))"
    )


def staff_facts(*, user_id: int) -> StaffFacts:
    """A member of staff's group names, organisations, and whether they keep a case
    elsewhere, in one round trip: the queue's scope needs all three on every load, and
    ``staff_facts_orm``'s three queries cost more to build than to answer."""
    roles: set[str] = set()
    organisations: set[int] = set()
    keeps = False
    with connection.cursor() as cursor:
        cursor.execute(_staff_sql(), [user_id] * 4)
        for role, organisation_id, flag in cursor.fetchall():
            if flag:
                keeps = True
            elif role is None:
                organisations.add(organisation_id)
            else:
                roles.add(role)
    return frozenset(roles), frozenset(organisations), keeps


def keeps_cases_elsewhere_orm(*, user_id: int, organisation_ids: frozenset[int]) -> bool:
    """Assigned a case outside the organisations they serve: they keep it after leaving
    its organisation."""
    elsewhere = Case.objects.filter(assigned_guardian_id=user_id).exclude(
        organisation_id__in=organisation_ids
    )
    return bool(elsewhere.exists())


def staff_facts_orm(*, user_id: int) -> StaffFacts:
    """What ``staff_facts`` answers, as the ORM would read it."""
    roles, organisations = concern_fastpaths.principal_facts_orm(user_id=user_id)
    keeps = keeps_cases_elsewhere_orm(user_id=user_id, organisation_ids=organisations)
    return roles, organisations, keeps


# --- the queue's page: the ORM's own statement, built once per distinct input -------------


@dataclass(frozen=True)
class _CompiledPage:
    sql: str
    params: tuple[Any, ...]
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]  # (position, functions, column)


def _page_queryset(
    scope: StaffScope, filters: QueueFilters, fields: tuple[str, ...], offset: int, limit: int
) -> QuerySet[Case, tuple[Any, ...]]:
    from workflow.selectors import case_queue_queryset

    return case_queue_queryset(scope, filters).values_list(*fields)[offset : offset + limit]


@lru_cache(maxsize=512)
def _compiled(
    vendor: str,
    scope: StaffScope,
    filters: QueueFilters,
    fields: tuple[str, ...],
    offset: int,
    limit: int,
) -> _CompiledPage | None:
    """The SQL of one queue page, built by the ORM once per distinct input. Every input is
    in the key (the scope is a value, not the user), so a kept statement can only ever be
    the one the ORM would build again; None when the ORM knows the page is empty."""
    qs = _page_queryset(scope, filters, fields, offset, limit)
    compiler = qs.query.get_compiler(using=qs.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    selected = [column for column, _, _ in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(selected).items()
    )
    return _CompiledPage(sql=sql, params=tuple(params), converters=converters)


def queue_page_values(
    *, scope: StaffScope, filters: QueueFilters, fields: tuple[str, ...], offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """``queue_page_values_orm``'s rows, from the kept statement: building the ORM query
    was about half the cost of a queue page (1.2 ms against 2.2-3.3 ms on PostgreSQL for a
    50-row page, /tmp measure of 2026-12-02). The time-dependent "due" filters are never
    kept (their statement holds the time it was built)."""
    if filters.due:
        return queue_page_values_orm(
            scope=scope, filters=filters, fields=fields, offset=offset, limit=limit
        )
    page = _compiled(connection.vendor, scope, filters, fields, offset, limit)
    if page is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(page.sql, page.params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    if not page.converters:
        return rows
    return [_converted(row, page.converters) for row in rows]


def _converted(
    row: tuple[Any, ...], converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
) -> tuple[Any, ...]:
    values = list(row)
    for position, functions, expression in converters:
        for function in functions:
            values[position] = function(values[position], expression, connection)
    return tuple(values)


def queue_page_values_orm(
    *, scope: StaffScope, filters: QueueFilters, fields: tuple[str, ...], offset: int, limit: int
) -> list[tuple[Any, ...]]:
    """What ``queue_page_values`` answers, as the ORM reads it."""
    return list(_page_queryset(scope, filters, fields, offset, limit))


# --- raising: the year's next reference, and a new concern's links ------------------------
# benchmarks/README.md ("Issue 16, before and after in one sitting"): with the ORM twins
# below (five statements: a transaction, an UPDATE and a SELECT for the counter; a SELECT
# and two INSERTs for the links) a signed-in raise cost 10.3-11.4 ms CPU against 7.9-9.0
# before issue 16; these three statements brought it back to within 10% of before.


def reference_next(*, year: int) -> int:
    """The year's counter, incremented, in one upsert (its row lock lasts until the
    enclosing transaction ends, so concurrent raises take their numbers one after another)."""
    table = _q(ReferenceCounter._meta.db_table)
    year_, last = column(ReferenceCounter, "year"), column(ReferenceCounter, "last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({year_}, {last}) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT ({year_}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [year],
        )
        (value,) = cursor.fetchone()
    return int(value)


def reference_next_orm(*, year: int) -> int:
    counter = ReferenceCounter.objects.filter(year=year)
    with transaction.atomic():
        if not counter.update(last=F("last") + 1):
            # The year's first raise (or two at once: the loser's insert does nothing).
            ReferenceCounter.objects.bulk_create(
                [ReferenceCounter(year=year, last=0)], ignore_conflicts=True
            )
            counter.update(last=F("last") + 1)
        return int(counter.values_list("last", flat=True).get())


def concern_links_insert(
    *, concern_id: int, category_ids: Sequence[int], standard_ids: Sequence[int]
) -> None:
    """A new concern's category links, then its standard links: those its categories imply
    (read by the database itself) and any chosen. The concern is new: no links to read."""
    to_category, to_standard = Concern.categories.through, Concern.standards.through
    implied = Category.standards.through
    sources = [
        *(
            [
                f"SELECT {column(implied, 'qualitystandard')} AS s "  # noqa: S608
                f"FROM {_q(implied._meta.db_table)} "
                f"WHERE {column(implied, 'category')} IN ({', '.join(['%s'] * len(category_ids))})"
            ]
            if category_ids
            else []
        ),
        *["SELECT CAST(%s AS bigint) AS s"] * len(standard_ids),
    ]
    with connection.cursor() as cursor:
        if category_ids:
            cursor.execute(
                f"INSERT INTO {_q(to_category._meta.db_table)} "  # noqa: S608
                f"({column(to_category, 'concern')}, {column(to_category, 'category')}) "
                f"VALUES {', '.join(['(%s, %s)'] * len(category_ids))}",
                [value for pk in category_ids for value in (concern_id, pk)],
            )
        if sources:  # DISTINCT: a standard implied twice, or implied and chosen, links once
            cursor.execute(
                f"INSERT INTO {_q(to_standard._meta.db_table)} "  # noqa: S608
                f"({column(to_standard, 'concern')}, {column(to_standard, 'qualitystandard')}) "
                f"SELECT DISTINCT CAST(%s AS bigint), s FROM ({' UNION '.join(sources)}) AS linked",
                [concern_id, *category_ids, *standard_ids],
            )


def concern_links_insert_orm(
    *, concern_id: int, category_ids: Sequence[int], standard_ids: Sequence[int]
) -> None:
    implied = Category.standards.through.objects.filter(category_id__in=category_ids)
    linked = sorted({*implied.values_list("qualitystandard_id", flat=True), *standard_ids})
    to_category, to_standard = Concern.categories.through, Concern.standards.through
    to_category.objects.bulk_create(
        to_category(concern_id=concern_id, category_id=pk) for pk in category_ids
    )
    to_standard.objects.bulk_create(
        to_standard(concern_id=concern_id, qualitystandard_id=pk) for pk in linked
    )
