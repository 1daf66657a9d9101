"""The exact text of a consent item as a member is shown it, and its SHA-256 (the evidence of what was agreed)."""

import hashlib

from django.utils import translation

from consents.models import ConsentItem

LANGUAGES = ("ko", "en")

_LABELS = {
    "ko": {"required": "필수", "optional": "선택", "recipient": "제공받는 자", "purpose": "이용 목적",
           "items": "항목", "retention": "보유·이용 기간", "refusal": "동의 거부 시",
           "right": "귀하는 동의를 거부할 권리가 있습니다."},
    "en": {"required": "Required", "optional": "Optional", "recipient": "Recipient", "purpose": "Purpose",
           "items": "Items", "retention": "Retention", "refusal": "If you refuse",
           "right": "You have the right to refuse this consent."},
}


def consent_text(item: ConsentItem, language: str | None = None) -> str:
    """The text shown for an item (PIPA §17②, §22①): recipient, purpose, items, retention, the right to refuse
    and what refusing means; in Korean unless English is asked for."""
    language = "en" if (language or translation.get_language() or "ko").startswith("en") else "ko"
    labels = _LABELS[language]
    with translation.override(language):
        lines = [f"[{labels['required'] if item.required else labels['optional']}] {item.title}"]
        if item.recipient:
            lines.append(f"{labels['recipient']}: {item.recipient}")
        lines += [f"{labels['purpose']}: {item.purpose}", f"{labels['items']}: {item.items}",
                  f"{labels['retention']}: {item.retention}", labels["right"], f"{labels['refusal']}: {item.refusal}"]
    return "\n".join(lines)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def consent_text_hashes(item: ConsentItem) -> dict[str, str]:
    """The hash of the item's text in each language a member may read it in."""
    return {sha256(consent_text(item, language)): consent_text(item, language) for language in LANGUAGES}
