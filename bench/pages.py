"""The shop's pages in Chromium, against the pages' targets:

- the quote page's first load (empty cache): bytes transferred, compressed, before the 3D
  viewer loads (target: at most 150 KB);
- choosing a 100,000-triangle model to its price on screen, against the API's own upload
  and quote of such a model (target: at most 2×);
- choosing a 1,000,000-triangle model to its preview drawn (target: within 3 s).

Times in the page are its own performance marks (`fabrika:model-chosen`,
`fabrika:preview-shown`, `fabrika:price-shown`); the API's are the wall time of httpx calls.
Every run uploads a model the platform has not seen (its header differs), so no cache of
models, analyses or quotes answers for it. The browser and the platform share this
machine's two cores, as a customer's browser would not.

    .venv/bin/python bench/pages.py [--runs 3] [--shop http://127.0.0.1:8080]
"""

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import launch_chromium
from probe import machine_speed_ms

from fabrika.mes.geometry import fine_mesh, to_binary_stl
from fabrika.platform.launcher import running_platform

ITEM = {"material": "pla", "process": "fdm", "finish": "none", "quantity": 1}
MARKS = """() => {
    const at = (name) => performance.getEntriesByName('fabrika:' + name)[0]?.startTime;
    const chosen = at('model-chosen');
    const seconds = (name) => (at(name) - chosen) / 1000;
    return {preview: seconds('preview-shown'), price: seconds('price-shown')};
}"""


def unseen(stl: bytes) -> bytes:
    """The same model with another header: a file the platform has not seen."""
    return uuid.uuid4().bytes * 5 + stl[80:]


def first_load(browser: Browser, shop: str) -> tuple[int, list[str]]:
    """Bytes (bodies as sent, and headers) the quote page loads with an empty cache."""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{shop}/?lang=en", wait_until="networkidle")
        rows, total = [], 0
        for entry in page.evaluate("() => performance.getEntriesByType('navigation')") + (
            page.evaluate("() => performance.getEntriesByType('resource')")
        ):
            total += entry["transferSize"]
            rows.append(f"{entry['name'].rsplit('/', 1)[-1][:40]:42} {entry['transferSize']:>7,} B")
    finally:
        context.close()
    return total, rows


def page_times(browser: Browser, shop: str, path: Path, preview: bool = True) -> dict[str, float]:
    """Seconds from choosing a file to its preview and to its price, in a fresh browser;
    without `preview`, the viewer's scripts are refused and the page shows no preview."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(180_000)
    if not preview:
        context.route("**/assets/viewer-*", lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(f"{shop}/?lang=en")
        page.get_by_test_id("model-file").set_input_files(path)
        page.locator("[data-testid=price][data-state=done]").wait_for()
        return page.evaluate(MARKS)
    finally:
        context.close()


def api_seconds(shop: str, data: bytes) -> float:
    """Seconds for the API to take a new model and answer its quote (long polls)."""
    with httpx.Client(base_url=shop, timeout=180) as http:
        started = time.perf_counter()
        upload = http.post("/api/v1/models", content=data, headers={"Content-Type": "model/stl"})
        upload.raise_for_status()
        item = {**ITEM, "model_id": upload.json()["id"]}
        job = http.post("/api/v1/quotes", json={"items": [item]}).json()
        url = job.get("status_url", f"/api/v1/quotes/{job['id']}")
        deadline = time.monotonic() + 180
        while job["status"] not in ("done", "refused", "failed") and time.monotonic() < deadline:
            job = http.get(url, params={"wait_s": 5}).json()
        elapsed = time.perf_counter() - started
    assert job["status"] == "done", job
    return elapsed


def model_file(directory: Path, stl: bytes, run: int) -> Path:
    path = directory / f"model-{run}.stl"
    path.write_bytes(unseen(stl))
    return path


def price_against_api(browser: Browser, shop: str, directory: Path, runs: int) -> None:
    stl = to_binary_stl(fine_mesh(100_000))
    print(f"\n  {(len(stl) - 84) // 50:,} triangles ({len(stl) / 1e6:.1f} MB), median of {runs}:")
    api = [api_seconds(shop, unseen(stl)) for _ in range(runs)]
    print(f"    API upload + quote                 {statistics.median(api):6.2f} s  {_runs(api)}")
    # Without the preview: what the 3D preview, drawn in software on the two cores the
    # platform quotes on, adds to the price's time.
    for name, preview in (("3D preview", True), ("no preview", False)):
        page = [
            page_times(browser, shop, model_file(directory, stl, run), preview)["price"]
            for run in range(runs)
        ]
        ratio = statistics.median(page) / statistics.median(api)
        print(
            f"    page ({name}): choose → price {statistics.median(page):6.2f} s  {_runs(page)}"
            f"  {ratio:.2f} × the API's (target ≤ 2)"
        )


def million_preview(browser: Browser, shop: str, directory: Path, runs: int) -> None:
    stl = to_binary_stl(fine_mesh(1_000_000))
    triangles = (len(stl) - 84) // 50
    times = [page_times(browser, shop, model_file(directory, stl, run)) for run in range(runs)]
    preview = [t["preview"] for t in times]
    price = [t["price"] for t in times]
    print(f"\n  {triangles:,} triangles ({len(stl) / 1e6:.1f} MB), median of {runs}:")
    print(
        f"    choose → preview drawn  {statistics.median(preview):6.2f} s  {_runs(preview)} (≤ 3)"
    )
    print(f"    choose → price          {statistics.median(price):6.2f} s  {_runs(price)}")


def _runs(values: list[float]) -> str:
    return "(" + ", ".join(f"{value:.2f}" for value in values) + ")"


@contextlib.contextmanager
def shop_url(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with running_platform({"FABRIKA_LOG_LEVEL": "WARNING"}) as platform:
        yield platform.shop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shop", help="a running shop entry; else a platform is started")
    args = parser.parse_args()
    print("\nThe shop's pages in Chromium (headless, WebGL in software)")
    print(f"  machine speed before: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")
    with shop_url(args.shop) as shop, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        directory = Path(tempfile.mkdtemp(prefix="fabrika-bench-pages-"))
        try:
            total, rows = first_load(browser, shop)
            print(f"\n  quote page, first load: {total / 1024:.1f} KB transferred (≤ 150 KB)")
            for row in rows:
                print(f"    {row}")
            price_against_api(browser, shop, directory, args.runs)
            million_preview(browser, shop, directory, args.runs)
        finally:
            browser.close()
            for path in directory.glob("*.stl"):
                path.unlink()
            directory.rmdir()
    print(f"\n  machine speed after: {machine_speed_ms():.0f} ms for a fixed loop (less is faster)")


if __name__ == "__main__":
    main()
