"""Changelists that stay fast at a million rows: no full COUNT(*), only the columns a page shows.

Django's changelist counts the whole table twice per page (the paginator and `show_full_result_count`) and
loads and decrypts every column of every row. Here the unfiltered count is PostgreSQL's estimate from
pg_class.reltuples (exact below ESTIMATE_FROM rows), a filtered count stops at ESTIMATE_FROM rows and
beyond that uses the planner's estimate, and a page loads only `list_columns`.
"""

import datetime
import json

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import _coerce_field_name
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    get_fields_from_path,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import IntegerField, Model, Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from members.encryption import seal_field_of

# Below this many rows an exact count is cheap enough.
ESTIMATE_FROM = 10_000
BIGINT_MAX = 2**63 - 1


def _is_integer_path(model: type[Model], path: str) -> bool:
    field = get_fields_from_path(model, path)[-1]
    return isinstance(getattr(field, "target_field", field), IntegerField)


class EstimatedCountPaginator(Paginator):
    """A paginator whose count never scans a big table. `estimated` says whether the count is an estimate, so
    that the page says "about" (templates/admin/big_pagination.html and big_search_form.html)."""

    estimated = False

    @cached_property
    def count(self) -> int:
        count, self.estimated = self._count()
        return count

    def _count(self) -> tuple[int, bool]:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count, False
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count, False
        if not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [connection.ops.quote_name(queryset.model._meta.db_table)])
                row = cursor.fetchone()
            if row and row[0] >= ESTIMATE_FROM:
                return int(row[0]), True
            # A table never analysed (-1) or analysed while it was small may be big now: counted up to the cap.
        capped = queryset.order_by()[: ESTIMATE_FROM + 1].count()
        if capped <= ESTIMATE_FROM:
            return capped, False
        sql, params = queryset.order_by().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return max(int(plan[0]["Plan"]["Plan Rows"]), capped), True


class ColumnsChangeList(ChangeList):
    def get_ordering_field(self, field_name):
        # Django takes any column's number from ?o=, sortable or not: only the orders an index serves are taken.
        if self.sortable_by is not None and field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)

    def get_queryset(self, request: HttpRequest, exclude_parameters=None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        columns = getattr(self.model_admin, "list_columns", None)
        if not columns:
            return queryset
        seal = seal_field_of(self.model)  # the row seal opens the encrypted columns (members/encryption.py)
        return queryset.only(*columns, *([seal.name] if seal else []))


class BigChangeListMixin:
    """For a ModelAdmin whose table grows with the members: set `list_columns` to what the page reads."""

    show_full_result_count = False
    # Django's "show counts" link (?_facets) counts every filter choice over the whole table, a scan per choice.
    show_facets = admin.ShowFacets.NEVER
    # Newest first by the primary key's index; sorting by another column would sort the whole table.
    sortable_by: tuple[str, ...] = ("id",)
    paginator = EstimatedCountPaginator
    # Django's change list, with the rows rendered by result_rows (templatetags/big_lists.py).
    change_list_template = "admin/big_change_list.html"
    list_columns: tuple[str, ...] = ()

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ColumnsChangeList

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """An exact search on numbers ("=member__id") compares integers, which an index serves. Django's own
        compares text (UPPER("member_id"::text) = UPPER('7')), which reads every row of the table."""
        fields = list(self.get_search_fields(request))
        numeric = [name[1:] for name in fields if name.startswith("=") and _is_integer_path(self.model, name[1:])]
        if not numeric or len(numeric) != len(fields):
            return super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term:
            return queryset, False
        # isdigit() alone accepts ², ① and other digits that int() refuses.
        if not (term.isascii() and term.isdigit()) or int(term) > BIGINT_MAX:
            return queryset.none(), False
        found = Q()
        for name in numeric:
            found |= Q(**{name: int(term)})
        return queryset.filter(found), False

    def action_checkbox(self, obj: Model) -> str:
        # Django's markup, without rendering a widget template for each row (a third of a list page's time).
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label)



# --- the rows of a page -----------------------------------------------------------------------------------

_PK_SLOT = "big-list-pk-slot"  # stands for the primary key in a change URL worked out once per page


class _Column:
    """One column of a page: what Django's items_for_result works out again for every cell (the field or
    callable behind the name, the empty value, the CSS classes, the link), worked out once."""

    def __init__(self, cl: ChangeList, index: int, name: object, link: bool, first_link: bool) -> None:
        self.name, self.link, self.tag = name, link, "th" if first_link else "td"
        self.empty = cl.model_admin.get_empty_value_display()
        self.field = self.attr = None
        self.boolean = False
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            if callable(name):
                self.attr = name
            elif isinstance(name, str) and name != "__str__" and hasattr(cl.model_admin, name):
                self.attr = getattr(cl.model_admin, name)
        if self.attr is not None:
            self.empty = getattr(self.attr, "empty_value_display", self.empty)
            self.boolean = getattr(self.attr, "boolean", False)
        classes = [f"field-{_coerce_field_name(name, index)}"]
        if name == "action_checkbox" and (self.field is None or self.field.auto_created):
            classes = ["action-checkbox"]
        self.classes = classes
        field = self.field
        if field is not None and not field.auto_created and isinstance(
                field, (models.DateField, models.TimeField, models.ForeignKey)):
            self.classes = [*classes, "nowrap"]
        # Booleans and choices have few values: each is shown once per page, then reused.
        self.memo: dict | None = {} if field is not None and not field.auto_created and not link and (
            isinstance(field, models.BooleanField) or field.flatchoices) else None

    def cell(self, cl: ChangeList, result: Model) -> tuple[object, list[str]]:
        """The shown value of one row and its CSS classes, as items_for_result has them."""
        if self.field is None and self.attr is None:  # a property or a path: Django's own lookup
            try:
                field, attr, value = lookup_field(self.name, result, cl.model_admin)
            except ObjectDoesNotExist:
                return self.empty, self.classes
            empty = getattr(attr, "empty_value_display", self.empty)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if field is None or field.auto_created:
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
                shown = display_for_value(value, empty, boolean)
                dated = isinstance(value, (datetime.date, datetime.time))
                return shown, [*self.classes, "nowrap"] if dated else self.classes
            return display_for_field(value, field, empty, avoid_link=self.link), self.classes
        try:
            value = self.attr(result) if self.attr is not None else getattr(result, self.name)
        except ObjectDoesNotExist:
            return cl.model_admin.get_empty_value_display(), self.classes
        if isinstance(value, str) and value.strip() == "":
            value = ""
        field = self.field
        if field is None or field.auto_created:
            shown = display_for_value(value, self.empty, self.boolean)
            dated = isinstance(value, (datetime.date, datetime.time))
            return shown, [*self.classes, "nowrap"] if dated else self.classes
        if isinstance(field.remote_field, models.ManyToOneRel):
            related = getattr(result, field.name)
            return (self.empty if related is None else related), self.classes
        if self.memo is None:
            return display_for_field(value, field, self.empty, avoid_link=self.link), self.classes
        key = (type(value), value)
        try:
            return self.memo[key], self.classes
        except KeyError:  # kept escaped: a choice's label is translated once, not once per row
            shown = self.memo[key] = conditional_escape(display_for_field(value, field, self.empty))
        except TypeError:  # a value that cannot be a key
            shown = display_for_field(value, field, self.empty)
        return shown, self.classes


def _change_url_parts(cl: ChangeList) -> tuple[str, str] | None:
    """The change URL of a row, with its preserved filters, as the text before and after the primary key."""
    try:
        url = reverse(f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change", args=(_PK_SLOT,),
                      current_app=cl.model_admin.admin_site.name)
    except NoReverseMatch:
        return None
    url = add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)
    parts = url.split(_PK_SLOT)
    return (parts[0], parts[1]) if len(parts) == 2 else None


def result_rows(cl: ChangeList) -> list[SafeString] | None:
    """Each row of the page as one piece of HTML, the same as Django's items_for_result joins (the test
    compares them), or None where Django's own must render it (editable lists, pop-ups)."""
    if getattr(cl, "formset", None) or cl.is_popup or cl.to_field or cl.list_display_links is None:
        return None
    columns = []
    first_link = True
    for index, name in enumerate(cl.list_display):
        link = (first_link and not cl.list_display_links) or name in cl.list_display_links
        columns.append(_Column(cl, index, name, link, first_link and link))
        first_link = first_link and not link
    url_parts = _change_url_parts(cl) if any(column.link for column in columns) else None
    rows = []
    for result in cl.result_list:
        pk = getattr(result, cl.pk_attname)
        if url_parts is not None and not isinstance(pk, int):
            return None
        cells = []
        for column in columns:
            shown, classes = column.cell(cl, result)
            shown = conditional_escape(shown)
            if column.link and url_parts is not None:
                url = escape(f"{url_parts[0]}{pk}{url_parts[1]}")
                shown = f'<a href="{url}">{shown}</a>'
            tag = column.tag if column.link else "td"
            cells.append(f'<{tag} class="{" ".join(classes)}">{shown}</{tag}>')
        rows.append(mark_safe("".join(cells)))
    return rows
