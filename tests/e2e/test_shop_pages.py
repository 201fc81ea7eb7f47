"""The shop's pages in a real browser (Debian's Chromium through Playwright), on the
running platform: a customer uploads a model, sees it, prices it, orders and confirms it,
in English and in Russian; errors in the page's language; no serious accessibility
violation (axe-core); nothing loaded from elsewhere."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.shop_pages import (
    EN,
    RU,
    api_quote,
    axe_violations,
    cents,
    changed_picture,
    english_phrases,
    figures,
    painted_share,
    preview_picture,
    quoted_order,
    stl_file,
    upload_by_api,
)

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL drawn in software (SwiftShader), as headless Chromium has no GPU here.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]
WAIT_MS = 60_000


# Module-scoped, not session-scoped: Playwright's sync API holds an event loop running in
# this thread while it is started, and the async tests that follow need the thread's own.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def add_part(page: Page, path: Path) -> None:
    page.get_by_test_id("model-file").set_input_files(path)
    expect(page.get_by_test_id("model-preview")).to_have_attribute("data-state", "shown")


def place_order(page: Page, language_texts=EN) -> None:
    page.locator("input[name=email]").fill(f"pages-{uuid.uuid4().hex[:8]}@example.com")
    page.locator("input[name=name]").fill("Anna")
    page.get_by_test_id("place-order").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}"))


def test_a_customer_sees_the_part_prices_it_orders_and_follows_it_to_accepted(
    platform, page: Page, tmp_path: Path
) -> None:
    part = stl_file(tmp_path, 40, 30, 20)
    page.goto(f"{platform.shop}/?lang=en")
    add_part(page, part)

    picture = changed_picture(page, before=b"")
    assert 0.05 < painted_share(picture, page) < 0.9
    assert figures(page.get_by_test_id("dimensions").inner_text()) == [40, 30, 20]

    page.get_by_label(EN("quote.process")).select_option("sla")
    page.get_by_label(EN("quote.material")).select_option("tough-resin")
    page.get_by_label(EN("quote.quantity")).fill("3")
    model = upload_by_api(platform, part)  # the same file is the same model
    item = {"material": "tough-resin", "process": "sla", "finish": "none", "quantity": 3}
    quote = api_quote(platform, [{**item, "model_id": model["id"]}])
    price = page.get_by_test_id("price")
    expect(price).to_have_attribute("data-state", "done")
    assert cents(price.inner_text()) == round(quote["total"] * 100)
    assert "€" in price.inner_text()

    place_order(page)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "QUOTED")
    assert cents(page.get_by_test_id("price").inner_text()) == round(quote["total"] * 100)
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_test_id("confirm").click()

    expect(status).to_have_attribute("data-status", "ACCEPTED")
    assert page.evaluate("() => window.notReloaded") is True
    expect(status).to_have_text(EN("status.ACCEPTED.label"))
    history = page.locator(".history li")
    expect(history).to_have_count(6)


def test_several_parts_are_priced_together_and_turned_with_the_keyboard(
    platform, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{platform.shop}/?lang=en")
    add_part(page, stl_file(tmp_path, 40, 30, 20))
    add_part(page, stl_file(tmp_path, 12, 12, 60))
    expect(page.locator("#parts li")).to_have_count(2)
    assert figures(page.get_by_test_id("dimensions").inner_text()) == [12, 12, 60]
    price = page.get_by_test_id("price")
    expect(price).to_have_attribute("data-state", "done")
    expect(page.locator("#quote-lines details")).to_have_count(2)

    before = preview_picture(page)
    page.locator("[data-testid=model-preview] canvas").focus()
    page.keyboard.press("ArrowLeft")
    assert changed_picture(page, before) != before


def test_a_process_whose_machines_are_too_small_is_explained_and_refused_in_russian(
    platform, page: Page, tmp_path: Path
) -> None:
    page.goto(f"{platform.shop}/?lang=ru")
    add_part(page, stl_file(tmp_path, 300, 300, 300))
    sla = page.locator("#process option[value=sla]")
    expect(sla).to_have_text(RU("quote.too_small", process="SLA"))
    expect(page.locator("#process-fit")).to_contain_text("SLA")

    page.get_by_label(RU("quote.process")).select_option("sla")
    expect(page.get_by_test_id("price")).to_have_attribute("data-state", "refused")
    expect(page.locator("#quote-message")).to_have_text(RU("problems.no_machine_fits"))


def test_a_broken_model_shows_the_servers_problem_in_the_pages_language(
    platform, page: Page, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.stl"
    broken.write_bytes(bytes(80) + (1000).to_bytes(4, "little") + bytes(500))  # cut short
    page.goto(f"{platform.shop}/?lang=ru")
    page.get_by_test_id("model-file").set_input_files(broken)
    expect(page.get_by_test_id("file-error")).to_have_text(
        f"broken.stl: {RU('problems.truncated')}"
    )
    expect(page.locator("#parts li")).to_have_count(0)


def test_a_model_too_large_is_refused_with_its_limit_before_it_is_sent(
    platform, page: Page, tmp_path: Path
) -> None:
    too_large = tmp_path / "huge.stl"
    with too_large.open("wb") as file:  # sparse: no disk is written
        file.truncate(100 * 1024 * 1024 + 1)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url))
    page.goto(f"{platform.shop}/?lang=en")
    page.get_by_test_id("model-file").set_input_files(too_large)
    expect(page.get_by_test_id("file-error")).to_have_text(
        f"huge.stl: {EN('problems.too_large', max_mb=100)}"
    )
    assert not [url for url in sent if "/api/v1/models" in url]


def test_a_cancelled_order_says_why_in_plain_words(platform, page: Page, tmp_path: Path) -> None:
    page.goto(f"{platform.shop}/?lang=ru")
    add_part(page, stl_file(tmp_path, 20, 20, 20))
    expect(page.get_by_test_id("price")).to_have_attribute("data-state", "done")
    place_order(page)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "QUOTED")
    page.get_by_test_id("cancel").click()
    expect(status).to_have_attribute("data-status", "CANCELLED")
    expect(page.locator(".reason")).to_contain_text(RU("problems.customer_cancelled"))


def test_the_order_page_follows_the_orders_events_when_the_shop_sends_them(
    platform, page: Page
) -> None:
    order_id = quoted_order(platform)
    events = f"**/api/v1/orders/{order_id}/events"
    stream = "retry: 300\nevent: order.accepted\ndata: {}\n\n"
    page.route(
        events,
        lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=stream
        ),
    )
    polls: list[str] = []
    page.on(
        "request",
        lambda request: (
            polls.append(request.url)
            if request.url.endswith(f"/api/v1/orders/{order_id}")
            else None
        ),
    )
    page.goto(f"{platform.shop}/orders/{order_id}?lang=en")
    status = page.get_by_test_id("order-status")
    expect(status).to_have_attribute("data-status", "QUOTED")

    with httpx.Client(base_url=platform.shop, timeout=30) as http:
        assert http.post(f"/api/v1/orders/{order_id}/confirm").status_code == 202

    expect(status).to_have_attribute("data-status", "ACCEPTED")
    assert polls == []


@pytest.mark.parametrize("path", ["/", "/catalog"])
def test_the_russian_pages_are_in_russian(platform, page: Page, path: str) -> None:
    page.goto(f"{platform.shop}{path}?lang=ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    text = page.locator("body").inner_text()
    assert re.search("[а-яё]{4}", text)
    assert [phrase for phrase in english_phrases() if phrase in text] == []


def test_the_browsers_language_is_the_default_and_the_choice_is_remembered(
    platform, browser: Browser
) -> None:
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        page.goto(f"{platform.shop}/catalog")
        assert page.locator("html").get_attribute("lang") == "ru"
        expect(page.locator("h1")).to_have_text(RU("catalog.title"))
        page.get_by_role("link", name="English").click()
        assert page.locator("html").get_attribute("lang") == "en"
        page.goto(f"{platform.shop}/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_no_page_has_a_serious_accessibility_violation(
    platform, browser: Browser, tmp_path: Path, language: str
) -> None:
    # The pages forbid inline scripts (CSP); axe-core is injected as one.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{platform.shop}/catalog?lang={language}")
        found = {"catalog": axe_violations(page)}
        page.goto(f"{platform.shop}/?lang={language}")
        found["quote, empty"] = axe_violations(page)
        add_part(page, stl_file(tmp_path, 40, 30, 20))
        expect(page.get_by_test_id("price")).to_have_attribute("data-state", "done")
        found["quote, priced"] = axe_violations(page)
        page.goto(f"{platform.shop}/orders/{quoted_order(platform)}?lang={language}")
        expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "QUOTED")
        found["order"] = axe_violations(page)
        page.goto(f"{platform.shop}/orders/{uuid.uuid4()}?lang={language}")
        found["no such order"] = axe_violations(page)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_the_quote_page_fits_a_375_pixel_screen(platform, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.goto(f"{platform.shop}/?lang=ru")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        page.goto(f"{platform.shop}/catalog?lang=ru")
        assert page.evaluate("() => document.body.scrollWidth") <= 375
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/catalog", "/docs"])
def test_pages_load_everything_from_the_shop_itself(platform, page: Page, path: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{platform.shop}{path}")
    page.wait_for_load_state("networkidle")
    if path == "/docs":
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Fabrika shop")
    assert requested and all(url.startswith(platform.shop) for url in requested), requested


def test_assets_are_hashed_cached_for_a_year_and_sent_compressed(platform) -> None:
    with httpx.Client(base_url=platform.shop, timeout=30) as http:
        html = http.get("/").text
        [css] = re.findall(r'href="(/assets/shop-[\w-]+\.css)"', html)
        [script] = re.findall(r'src="(/assets/quote-[\w-]+\.js)"', html)
        brotli = http.get(script, headers={"Accept-Encoding": "br"})
        gzip = http.get(css, headers={"Accept-Encoding": "gzip"})
        plain = http.get(script, headers={"Accept-Encoding": "identity"})
        missing = http.get("/assets/nothing-here.js")
        page = http.get("/", headers={"Accept-Encoding": "gzip"})
    assert brotli.headers["content-encoding"] == "br"
    assert gzip.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert brotli.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert brotli.headers["content-type"].startswith("text/javascript")
    assert int(brotli.headers["content-length"]) < len(plain.content)
    assert missing.status_code == 404
    assert page.headers["content-encoding"] == "gzip" and "<html" in page.text
    assert page.headers["cache-control"] == "no-cache"
