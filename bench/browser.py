"""Debian's Chromium driven by Playwright, for the pages' benchmark and screenshots."""

from playwright.sync_api import Browser, Playwright

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
    # WebGL drawn in software (SwiftShader): headless Chromium has no GPU here.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def launch_chromium(playwright: Playwright, *extra_args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + list(extra_args)
    )
