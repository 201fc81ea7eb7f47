"""Coverage per package of `fabrika`, from the combined data `make coverage` collects.

.venv/bin/python tools/coverage_by_package.py
"""

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


def main() -> None:
    report = Path(".coverage.json")
    subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", str(report)], check=True)
    files = json.loads(report.read_text())["files"]
    report.unlink()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for path, data in files.items():
        parts = Path(path).parts
        package = parts[parts.index("fabrika") + 1] if "fabrika" in parts else path
        package = package.removesuffix(".py")
        summary = data["summary"]
        totals[package][0] += summary["covered_lines"] + summary["covered_branches"]
        totals[package][1] += summary["num_statements"] + summary["num_branches"]
    print(f"{'package':<12} {'covered':>8} {'of':>7} {'coverage':>9}  (lines and branches)")
    for package, (covered, total) in sorted(totals.items()):
        print(f"{package:<12} {covered:>8} {total:>7} {100 * covered / max(total, 1):>8.1f}%")
    covered = sum(c for c, _ in totals.values())
    total = sum(t for _, t in totals.values())
    print(f"{'all':<12} {covered:>8} {total:>7} {100 * covered / max(total, 1):>8.1f}%")


if __name__ == "__main__":
    main()
