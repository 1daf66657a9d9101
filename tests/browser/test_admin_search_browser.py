"""In a real browser: the officer types an email into the member search box; the address bar, every request the
page makes and every link on the result page stay free of it."""

import pytest
from playwright.sync_api import sync_playwright

from tests.members.factories import MemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "officer-Passphrase-2023"


@pytest.fixture
def target():
    """The officer and a member to find, made before the browser starts (its event loop forbids the ORM)."""
    MemberFactory(login_id="officer", is_staff=True, is_superuser=True, password=PASSWORD)
    return MemberFactory(email="browser.find@onnuritel.co.kr")


@pytest.fixture
def page(target, live_server):
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=["--no-sandbox", "--disable-background-networking"])
        yield chromium.new_page()
        chromium.close()


def test_a_typed_email_never_reaches_a_url(live_server, target, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/members/member/")
    page.fill("#id_username", "officer")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/members/member/")
    # when the officer searches for the email from the search box
    page.fill("#searchbar", "Browser.Find@onnuritel.co.kr")
    page.press("#searchbar", "Enter")
    page.wait_for_url("**q_token=**")
    # then the member is found
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(".field-id").inner_text().strip() == str(target.pk)
    # and neither the address bar, nor any request, nor any link carries the email
    links = page.eval_on_selector_all("[href], [action], [src]",
                                      "els => els.map(e => e.href || e.action || e.src)")
    assert requested
    for url in [page.url, *requested, *links]:
        lowered = url.lower()
        assert "browser.find" not in lowered, url
        assert "browser%2efind" not in lowered, url
        assert "onnuritel" not in lowered, url
