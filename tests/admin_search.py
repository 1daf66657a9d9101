"""Searching an admin list the way a browser does: the term is POSTed, the list is read back by a token."""

import re
from html import unescape

from django.test import Client


def admin_search(client: Client, changelist: str, term: str):
    """The changelist response for `term`, after the POST and the redirect to its opaque token."""
    page = client.get(changelist).content.decode()
    form = re.search(r'<form id="changelist-search" method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the search box posts its term"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    fields["q"] = term
    posted = client.post(unescape(form.group(1)), fields)
    assert posted.status_code == 302, posted.status_code
    return client.get(posted["Location"])
