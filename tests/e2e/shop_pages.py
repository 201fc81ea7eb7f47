"""What the shop pages' browser tests use: models to upload, the preview's pixels, the
API's own answers to compare with, orders waiting for confirmation, axe-core's findings."""

import base64
import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page

from fabrika.mes.geometry import box_mesh, to_binary_stl
from fabrika.shop.locale import messages_for
from tests.e2e.conftest import wait_for_status

AXE = Path(__file__).parents[2] / "web/node_modules/axe-core/axe.min.js"
EN, RU = messages_for("en"), messages_for("ru")


def stl_file(tmp_path: Path, x: float, y: float, z: float) -> Path:
    path = tmp_path / f"part-{x:g}x{y:g}x{z:g}.stl"
    path.write_bytes(to_binary_stl(box_mesh(x, y, z)))
    return path


def figures(text: str) -> list[float]:
    """The numbers in a text written in either language ("40 × 30,5 × 20 мм")."""
    return [float(n.replace(",", ".")) for n in re.findall(r"\d+(?:[.,]\d+)?", text)]


def cents(text: str) -> int:
    """An amount of money as shown ("€1,234.50", "1 234,50 €") in cents."""
    return int(re.sub(r"\D", "", text))


def painted_share(picture: bytes, page: Page) -> float:
    """The share of a PNG's pixels of the part's blue (the plate's grid is grey), decoded by
    the browser (the preview is drawn by a worker on an OffscreenCanvas, which the page's
    scripts cannot read back: what is read is what is on screen)."""
    return page.evaluate(
        """async (data) => {
            const image = new Image();
            image.src = 'data:image/png;base64,' + data;
            await image.decode();
            const copy = document.createElement('canvas');
            copy.width = image.width; copy.height = image.height;
            const context = copy.getContext('2d');
            context.drawImage(image, 0, 0);
            const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
            let painted = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
                if (b > r + 60 && b > g + 20) painted++;
            }
            return painted / (pixels.length / 4);
        }""",
        base64.b64encode(picture).decode(),
    )


def preview_picture(page: Page) -> bytes:
    return page.locator("[data-testid=model-preview] canvas").screenshot()


def changed_picture(page: Page, before: bytes, timeout_s: float = 10) -> bytes:
    """The preview once it shows something else than `before` (it is drawn a frame later)."""
    deadline = time.monotonic() + timeout_s
    picture = preview_picture(page)
    while picture == before and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        picture = preview_picture(page)
    return picture


def api_quote(platform, items: list[dict]) -> dict:
    with httpx.Client(base_url=platform.shop, timeout=30) as http:
        started = http.post("/api/v1/quotes", json={"items": items})
        assert started.status_code in (200, 202), started.text
        job = started.json()
        deadline = time.monotonic() + 60
        while job["status"] not in ("done", "refused", "failed") and time.monotonic() < deadline:
            job = http.get(f"/api/v1/quotes/{job['id']}", params={"wait_s": 5}).json()
    assert job["status"] == "done", job
    return job["quote"]


def upload_by_api(platform, path: Path) -> dict:
    with httpx.Client(timeout=30) as http:
        answer = http.post(
            f"{platform.shop}/api/v1/models",
            content=path.read_bytes(),
            headers={"Content-Type": "model/stl"},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()


def quoted_order(platform) -> str:
    """An order placed through the API, once it waits for its customer's confirmation."""
    order = {
        "customer": {"email": "axe@example.com", "name": "Anna", "language": "en"},
        "items": [{"material": "pla", "process": "fdm", "quantity": 2, "dimensions_mm": [9, 9, 9]}],
    }
    with httpx.Client(base_url=platform.shop, timeout=30) as http:
        submitted = http.post("/api/v1/orders", json=order)
        assert submitted.status_code == 202, submitted.text
        wait_for_status(http, submitted.json()["status_url"], {"QUOTED"})
    return submitted.json()["id"]


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run()).violations")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def english_phrases() -> list[str]:
    """English messages a Russian page must not show (those the languages do not share)."""
    return [
        text
        for key, text in EN.texts.items()
        if RU.get(key) != text and len(text) > 12 and "{" not in text
    ]
