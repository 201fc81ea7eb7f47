"""Mutation testing of the pure domain modules (the list is [tool.mutmut] in pyproject.toml):
mutmut changes each module in small ways and runs the unit tests covering the change; a
change no test notices survives. Prints the score per module and the survivors.

    .venv/bin/python tools/mutation.py      (make mutation)
"""

import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MUTMUT = Path(sys.executable).with_name("mutmut")
# "fabrika.mes.pricing.x_quote_item__mutmut_3: killed"; methods as "xǁClassǁmethod__…".
RESULT = re.compile(r"^\s*(?P<module>[\w.]+?)\.x[_ǁ](?P<name>\S+)__mutmut_\d+: (?P<status>.+)$")
TARGET = 0.90


def main() -> int:
    shutil.rmtree("mutants", ignore_errors=True)  # a fresh run: every mutant is tested again
    subprocess.run([str(MUTMUT), "run"], check=True, stdout=subprocess.DEVNULL)
    listing = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"], check=True, capture_output=True, text=True
    ).stdout
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[str] = []
    for line in listing.splitlines():
        if match := RESULT.match(line):
            by_module[match["module"]][match["status"]] += 1
            if match["status"] != "killed":
                survivors.append(line.strip())
    print(f"{'module':<32} {'killed':>7} {'of':>5} {'score':>7}")
    for module, counts in sorted(by_module.items()):
        total = sum(counts.values())
        print(f"{module:<32} {counts['killed']:>7} {total:>5} {counts['killed'] / total:>7.1%}")
    killed = sum(counts["killed"] for counts in by_module.values())
    total = sum(sum(counts.values()) for counts in by_module.values())
    score = killed / max(total, 1)
    print(f"{'all':<32} {killed:>7} {total:>5} {score:>7.1%}")
    if survivors:
        print("\nnot killed (see one with `.venv/bin/mutmut show <name>`):")
        print("\n".join(f"  {name}" for name in survivors))
    return 0 if score >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
