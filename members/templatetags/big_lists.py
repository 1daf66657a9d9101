"""`{% big_result_list cl %}`: Django's `{% result_list cl %}` with each row rendered as one piece of HTML by
members.admin_lists.result_rows (the same markup, without items_for_result's per-cell work).
`{% big_pagination cl %}`: Django's, saying "about" before an estimated count."""

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    pagination,
    result_headers,
    result_list,
)
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.views.main import ChangeList

from members.admin_lists import result_rows

register = template.Library()


def big_result_list(cl: ChangeList) -> dict:
    rows = result_rows(cl)
    if rows is None:
        return result_list(cl)
    headers = list(result_headers(cl))
    return {"cl": cl, "result_hidden_fields": [], "result_headers": headers,  # no hidden fields: not editable
            "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
            "results": [ResultList(None, [row]) for row in rows]}


@register.tag(name="big_result_list")
def big_result_list_tag(parser: template.base.Parser, token: template.base.Token) -> InclusionAdminNode:
    return InclusionAdminNode(parser, token, func=big_result_list, template_name="change_list_results.html",
                              takes_context=False)


@register.tag(name="big_pagination")
def big_pagination_tag(parser: template.base.Parser, token: template.base.Token) -> InclusionAdminNode:
    return InclusionAdminNode(parser, token, func=pagination, template_name="big_pagination.html",
                              takes_context=False)
