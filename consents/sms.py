"""The SMS sender interface: settings.SMS_SENDER names the class. The logging sender stands in until a real
gateway (the processor 다우기술, policy §6) is contracted; it logs the message with the number masked."""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from members.masking import mask_phone

logger = logging.getLogger("consents.sms")


class SmsSender(Protocol):
    def send(self, *, to: str, body: str) -> None: ...


class LoggingSmsSender:
    """Writes each message to the `consents.sms` log instead of a gateway."""

    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(to), body)


def sms_sender() -> SmsSender:
    return import_string(settings.SMS_SENDER)()
