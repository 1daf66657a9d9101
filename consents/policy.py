"""The privacy policy page: its twelve sections in the policy's order, tables filled from the live registries
(consent items, the personal-data declaration, officer contacts), prose from templates/consents/policy_body.html."""

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from consents.models import ComplaintBody, ConsentItem, PolicyContact, PolicyVersion
from consents.selectors import items_in_force
from members.registry import Retention, registry

# The policy's sections (개인정보처리방침 01-12), in its own order; the headings are the policy's words.
SECTIONS = [
    ("s1", _("Personal data collected and the purposes of use")),
    ("s2", _("Retention and use period, and the right to refuse consent")),
    ("s3", _("Procedure and method of destruction")),
    ("s4", _("Measures to ensure the safety of personal data")),
    ("s5", _("Use for the purpose, and consent to provision and sharing with third parties")),
    ("s6", _("Entrustment of personal data processing")),
    ("s7", _("How to view and correct personal data")),
    ("s8", _("How to withdraw consent (leave membership)")),
    ("s9", _("Personal data collected by cookies")),
    ("s10", _("Technical and administrative protection measures")),
    ("s11", _("Advice and reporting on privacy infringement")),
    ("s12", _("Duty to announce changes to the policy")),
]

# Apps that own a table of the page (disclosures: recipients and processors) add it here, so that consents
# imports none of them: each provider takes the version (None: the live page) and returns context entries.
CONTEXT_PROVIDERS: list[Callable[[PolicyVersion | None], dict]] = []


def policy_context_provider(provider: Callable[[PolicyVersion | None], dict]) -> None:
    if provider not in CONTEXT_PROVIDERS:
        CONTEXT_PROVIDERS.append(provider)


@dataclass
class RetentionRow:
    code: str
    label: str
    fields: list[str]


def retention_rows() -> list[RetentionRow]:
    """Policy §2 from the declaration: each retention rule and the declared fields it keeps."""
    rows = []
    for code, label in Retention.choices:
        fields = [str(item.export_label) for item in registry if code in item.retention]
        rows.append(RetentionRow(code=code, label=str(label), fields=fields))
    return rows


def collected_items() -> list[str]:
    """Policy §1 collection items, as the declaration names them (each field once)."""
    seen: list[str] = []
    for item in registry:
        label = str(item.export_label)
        if label not in seen:
            seen.append(label)
    return seen


def policy_context(version: PolicyVersion | None = None) -> dict:
    if version is None:
        items = list(items_in_force())
    else:
        # The items in force on the version's date, and those it introduces itself (it may still be a draft).
        items = list(ConsentItem.objects.filter(
            Q(introduced_in__published_at__isnull=False, introduced_in__effective_at__lte=version.effective_at)
            | Q(introduced_in=version)))
    current = version or PolicyVersion.objects.current()
    context = {
        "sections": SECTIONS,
        "consent_items": items,
        "collection_items": [i for i in items if i.kind != ConsentItem.Kind.THIRD_PARTY],
        "third_party_items": [i for i in items if i.kind == ConsentItem.Kind.THIRD_PARTY],
        "collected": collected_items(),
        "retention_rows": retention_rows(),
        "recipients": [],
        "processors": [],
        "contacts": list(PolicyContact.objects.all()),
        "complaint_bodies": list(ComplaintBody.objects.all()),
        "version": current,
    }
    for provider in CONTEXT_PROVIDERS:
        context.update(provider(version))
    return context


def policy_text(version: PolicyVersion) -> str:
    """The policy as plain Korean text, frozen into a version when it is published."""
    with translation.override("ko"):
        html = render_to_string("consents/policy_body.html", policy_context(version))
    html = re.sub(r"</(li|tr|p|h[1-6]|ul|ol|table)>", "\n", html)
    html = re.sub(r"</t[dh]>", " | ", html)
    text = unescape(strip_tags(html))
    lines = [re.sub(r"\s+", " ", line).strip().removesuffix(" |") for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


@dataclass
class DiffLine:
    kind: str  # "added", "removed" or "same"
    text: str


def version_diff(older: PolicyVersion | None, newer: PolicyVersion) -> list[DiffLine]:
    """A readable line diff of two versions' frozen texts, with a few lines of context around each change."""
    before = older.text.splitlines() if older else []
    lines = []
    for line in difflib.unified_diff(before, newer.text.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", "…"))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines
