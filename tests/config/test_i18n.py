"""Korean first, English second: every string in the code has a Korean translation, compiled and in use."""

import subprocess
from pathlib import Path

from django.utils import translation

from members.models import Member

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale/ko/LC_MESSAGES/django.po"
APPS = ("config", "members", "consents", "retention", "disclosures")
SOURCES = [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def test_every_translatable_string_in_the_code_has_a_korean_translation(tmp_path):
    pot = tmp_path / "django.pot"
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=_", "--keyword=gettext_lazy",
                    "--keyword=gettext", "--keyword=pgettext_lazy:1c,2", "-o", str(pot), *map(str, SOURCES)],
                   check=True)
    compared = subprocess.run(["msgcmp", str(PO), str(pot)], capture_output=True, text=True)
    assert compared.returncode == 0, compared.stderr
    statistics = subprocess.run(["msgfmt", "--statistics", "-o", "/dev/null", str(PO)], capture_output=True,
                                text=True)
    assert "untranslated" not in statistics.stderr
    assert "fuzzy" not in statistics.stderr


def test_the_compiled_catalogue_matches_the_translations(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes()


def test_labels_read_korean_by_default_and_english_on_request():
    with translation.override("ko"):
        assert str(Member._meta.get_field("mobile").verbose_name) == "휴대전화번호"
    with translation.override("en"):
        assert str(Member._meta.get_field("mobile").verbose_name) == "mobile phone"


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def test_every_translatable_string_in_the_templates_reads_korean(tmp_path):
    """Templates are extracted the way makemessages does (templatize, then xgettext); each msgid must read
    differently in Korean, from our catalogue or Django's own (the admin's strings)."""
    from django.utils.translation.template import templatize

    sources = []
    for template in TEMPLATES:
        source = tmp_path / (template.relative_to(ROOT).as_posix().replace("/", "__") + ".py")
        source.write_text(templatize(template.read_text(), origin=str(template)))
        sources.append(str(source))
    pot = tmp_path / "templates.pot"
    subprocess.run(["xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=gettext", "--keyword=_",
                    "--keyword=pgettext:1c,2", "--no-wrap", "-o", str(pot), *sources], check=True)
    msgids = [line[len('msgid "'):-1].replace('\\"', '"') for line in pot.read_text().splitlines()
              if line.startswith('msgid "') and line != 'msgid ""']
    assert len(msgids) > 50
    with translation.override("ko"):
        untranslated = [msgid for msgid in msgids if translation.gettext(msgid) == msgid and msgid != "SHA-256"]
    assert untranslated == []


def test_a_word_two_apps_share_reads_as_each_app_means_it():
    # one catalogue holds one translation per msgid: a word with two meanings gets a context
    from disclosures.models import ProcessingRestriction
    from members.staff_access import PERMISSION_ACTIONS
    from retention.models import ArchiveAccess

    with translation.override("ko"):
        assert str(ArchiveAccess._meta.get_field("opened_by").verbose_name) == "열람자"
        assert str(ProcessingRestriction._meta.get_field("opened_at").verbose_name) == "접수 일시"
        assert str(PERMISSION_ACTIONS["delete"]) == "삭제"
