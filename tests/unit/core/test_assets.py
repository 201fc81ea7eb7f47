import json
from pathlib import Path

import pytest

from fabrika.core.assets import Assets, AssetsMissing

MANIFEST = {
    "src/quote-page.js": {
        "file": "quote-abc123.js",
        "isEntry": True,
        "imports": ["_api-def456.js"],
        "dynamicImports": ["src/viewer.js"],
    },
    "_api-def456.js": {"file": "api-def456.js"},
    "src/viewer.js": {"file": "viewer-0f0f0f.js", "isDynamicEntry": True},
    "src/shop.css": {"file": "shop-777777.css", "isEntry": True},
}


@pytest.fixture
def built(tmp_path: Path) -> Assets:
    (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))
    for name in ("quote-abc123.js", "api-def456.js", "viewer-0f0f0f.js", "shop-777777.css"):
        (tmp_path / name).write_text("x")
    for name in ("quote-abc123.js.br", "quote-abc123.js.gz", "shop-777777.css.gz"):
        (tmp_path / name).write_bytes(b"z")
    return Assets.load(tmp_path)


def test_an_asset_is_linked_by_its_hashed_name(built: Assets) -> None:
    assert built.url("src/quote-page.js") == "/assets/quote-abc123.js"


def test_an_entrys_static_imports_are_preloaded(built: Assets) -> None:
    assert built.preloads("src/quote-page.js") == ["/assets/api-def456.js"]


def test_brotli_is_sent_to_clients_that_accept_it(built: Assets) -> None:
    found = built.find("quote-abc123.js", "gzip, deflate, br")
    assert found is not None and found.encoding == "br"
    assert found.path.name == "quote-abc123.js.br"
    assert found.media_type.startswith("text/javascript")


def test_gzip_is_sent_when_brotli_is_not_accepted_or_not_built(built: Assets) -> None:
    script, style = built.find("quote-abc123.js", "gzip"), built.find("shop-777777.css", "br, gzip")
    assert script is not None and script.encoding == "gzip"
    assert style is not None and style.encoding == "gzip"


def test_the_file_itself_is_sent_to_clients_that_accept_no_encoding(built: Assets) -> None:
    found = built.find("quote-abc123.js", "br;q=0, identity")
    assert found is not None and found.encoding is None and found.path.name == "quote-abc123.js"


def test_only_built_files_are_found(built: Assets) -> None:
    assert built.find("../manifest.json", "") is None
    assert built.find("manifest.json", "") is None
    assert built.find("quote-abc123.js.br", "br") is None
    assert built.find("other.js", "") is None


def test_a_source_that_was_not_built_is_named_in_the_error(built: Assets) -> None:
    with pytest.raises(AssetsMissing, match=r"src/missing\.js"):
        built.url("src/missing.js")


def test_missing_assets_say_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(AssetsMissing, match="make web"):
        Assets.load(tmp_path)
