"""The pages' scripts and styles (the shop's, the API docs'): built by Vite from web/
(`make web`) into `src/fabrika/static/`, each file named with a hash of its content and
listed in `manifest.json` under its source name; precompressed beside it as `.br` and
`.gz` at build time.

Pages link an asset by its source name (`assets.url("src/quote-page.js")`); the hashed
name changes whenever the content does, so a served asset never changes and is cached for
a year. Nothing is fetched from elsewhere at run time.
"""

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NotRequired

from pydantic import TypeAdapter
from typing_extensions import TypedDict

STATIC_DIR = Path(__file__).parents[1] / "static"  # src/fabrika/static, built from web/
MANIFEST = "manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
# Best first: brotli is about a fifth smaller than gzip on these files.
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


class AssetsMissing(RuntimeError):
    """The web assets were not built, or not with this source name."""


@dataclass(frozen=True)
class Asset:
    """One file to send: its path on disk, its type and how it is encoded."""

    path: Path
    media_type: str
    encoding: str | None


class ManifestEntry(TypedDict):
    """What Vite's manifest says of one input: the file built from it and what it imports."""

    file: str
    imports: NotRequired[list[str]]


MANIFEST_ENTRIES = TypeAdapter(dict[str, ManifestEntry])


@dataclass(frozen=True)
class Assets:
    directory: Path
    manifest: Mapping[str, ManifestEntry]
    files: frozenset[str]

    @classmethod
    def load(cls, directory: Path = STATIC_DIR) -> "Assets":
        try:
            manifest = MANIFEST_ENTRIES.validate_json((directory / MANIFEST).read_bytes())
        except FileNotFoundError:
            raise AssetsMissing(
                f"{directory / MANIFEST} is missing: build the pages' assets with `make web`"
            ) from None
        files = frozenset(p.name for p in directory.iterdir() if p.is_file() and p.name != MANIFEST)
        return cls(directory, manifest, files)

    def _entry(self, source: str) -> ManifestEntry:
        try:
            return self.manifest[source]
        except KeyError:
            raise AssetsMissing(f"no asset built from {source!r}; is it a Vite input?") from None

    def url(self, source: str, *, prefix: str = "/assets") -> str:
        """Where the file built from `source` is served (under `prefix`)."""
        return f"{prefix}/{self._entry(source)['file']}"

    def preloads(self, source: str) -> list[str]:
        """The chunks an entry imports statically, to fetch beside it (modulepreload)."""
        return [self.url(name) for name in self._entry(source).get("imports", [])]

    def find(self, name: str, accept_encoding: str) -> Asset | None:
        """The file to send for `/assets/<name>`: its precompressed variant the client
        accepts, else the file itself; None for a name the build did not make."""
        if name not in self.files or name.endswith((".br", ".gz")):
            return None
        media_type = TYPES.get(Path(name).suffix) or (
            mimetypes.guess_type(name)[0] or "application/octet-stream"
        )
        accepted = accepted_encodings(accept_encoding)
        for encoding, suffix in ENCODINGS:
            if encoding in accepted and name + suffix in self.files:
                return Asset(self.directory / (name + suffix), media_type, encoding)
        return Asset(self.directory / name, media_type, None)


def accepted_encodings(header: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts (those not given q=0)."""
    accepted = set()
    for part in header.lower().split(","):
        coding, _, parameters = part.partition(";")
        refused = parameters.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000")
        if coding.strip() and not refused:
            accepted.add(coding.strip())
    return accepted


@cache
def web_assets() -> Assets:
    """The built assets, read once per process, at the first page served."""
    return Assets.load()
