"""Screenshots of every shop page in both languages, from a running platform, into
docs/screenshots/ (README.md shows them).

    .venv/bin/python bench/screenshots.py [--shop http://127.0.0.1:8080]

Without --shop a platform is started for the purpose. Orders are placed through the API
and shown by their pages: one waiting for confirmation, one accepted, one cancelled.
"""

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import launch_chromium

from fabrika.mes.geometry import box_mesh, sphere_mesh, to_binary_stl
from fabrika.platform.launcher import running_platform

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
# The browser's own words (the file picker's button, a date field's placeholder) follow it.
LOCALES = {"en": "en-GB", "ru": "ru-RU"}
WAIT_MS = 60_000


def wait_for(http: httpx.Client, order_id: str, status: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if http.get(f"/api/v1/orders/{order_id}").json()["status"] == status:
            return
        time.sleep(0.3)
    raise TimeoutError(f"order {order_id} never reached {status}")


def place(http: httpx.Client, model_id: str, language: str) -> str:
    order = {
        "customer": {"email": "anna@example.com", "name": "Anna", "language": language},
        "items": [
            {"material": "petg", "process": "fdm", "quantity": 4, "model_id": model_id},
            {"material": "pa12", "process": "sls", "quantity": 1, "dimensions_mm": [80, 40, 25]},
        ],
    }
    answer = http.post("/api/v1/orders", json=order)
    answer.raise_for_status()
    order_id = answer.json()["id"]
    wait_for(http, order_id, "QUOTED")
    return order_id


def orders(shop: str, model: bytes, language: str) -> dict[str, str]:
    """{status: order id}: one order QUOTED, one ACCEPTED, one CANCELLED."""
    with httpx.Client(base_url=shop, timeout=30) as http:
        upload = http.post("/api/v1/models", content=model, headers={"Content-Type": "model/stl"})
        upload.raise_for_status()
        model_id = upload.json()["id"]
        made = {status: place(http, model_id, language) for status in ("quoted", "accepted")}
        made["cancelled"] = place(http, model_id, language)
        http.post(f"/api/v1/orders/{made['accepted']}/confirm").raise_for_status()
        http.post(f"/api/v1/orders/{made['cancelled']}/cancel").raise_for_status()
        wait_for(http, made["accepted"], "ACCEPTED")
        wait_for(http, made["cancelled"], "CANCELLED")
    return made


def shoot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    print(f"  {path.relative_to(OUT.parents[1])}")


def quote_pages(browser: Browser, shop: str, files: list[Path], language: str) -> None:
    for name, width in (("quote", 1280), ("quote-375px", 375)):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, locale=LOCALES[language]
        )
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(f"{shop}/?lang={language}")
        if name == "quote":
            shoot(page, f"quote-empty-{language}")
        for file in files:
            page.get_by_test_id("model-file").set_input_files(file)
            page.locator("#parts li").nth(files.index(file)).wait_for()
        page.locator("#quantity").fill("4")
        page.locator("[data-testid=price][data-state=done]").wait_for()
        page.locator("[data-testid=model-preview][data-state=shown]").wait_for()
        page.locator("#quote-lines details").first.evaluate("details => details.open = true")
        shoot(page, f"{name}-{language}")
        context.close()


def other_pages(browser: Browser, shop: str, made: dict[str, str], language: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=LOCALES[language])
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{shop}/catalog?lang={language}")
    shoot(page, f"catalog-{language}")
    for status, order_id in made.items():
        page.goto(f"{shop}/orders/{order_id}?lang={language}")
        page.get_by_test_id("order-status").wait_for()
        shoot(page, f"order-{status}-{language}")
    context.close()


@contextlib.contextmanager
def shop_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with running_platform({"FABRIKA_LOG_LEVEL": "WARNING"}) as platform:
        yield platform.shop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shop", help="a running shop entry; else a platform is started")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="fabrika-screenshots-"))
    bracket = directory / "bracket.stl"
    bracket.write_bytes(to_binary_stl(box_mesh(60, 40, 18)))
    knob = directory / "knob.stl"
    knob.write_bytes(to_binary_stl(sphere_mesh(15, 4)))
    with shop_url(args.shop) as shop, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for language in LOCALES:
                quote_pages(browser, shop, [bracket, knob], language)
                other_pages(browser, shop, orders(shop, knob.read_bytes(), language), language)
        finally:
            browser.close()
    for path in directory.iterdir():
        path.unlink()
    directory.rmdir()


if __name__ == "__main__":
    main()
