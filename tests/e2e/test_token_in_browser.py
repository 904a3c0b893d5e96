"""A server with an access token: the page says what it needs, and works once opened with ?token=."""

import pytest
from playwright.sync_api import expect

from tests.live_server import running_server

pytestmark = pytest.mark.e2e
TOKEN = "e2e-secret-token"


@pytest.fixture(scope="module")
def secured_url(artifacts):
    with running_server(artifacts, "e2e-token-server", GLASSNET_TOKEN=TOKEN) as url:
        yield url


def test_without_the_token_the_page_says_how_to_get_in(browser, secured_url):
    page = browser.new_page()
    page.goto(secured_url)
    expect(page.get_by_test_id("error")).to_contain_text("token")
    page.close()


def test_with_the_token_a_run_trains_to_the_end(browser, secured_url, artifacts):
    page = browser.new_page()
    page.goto(f"{secured_url}/?token={TOKEN}")
    page.locator("#steps").fill("600")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    assert int(page.get_by_test_id("loss-chart").get_attribute("data-points")) > 3
    expect(page.get_by_test_id("error")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-token.png"))
    page.close()
