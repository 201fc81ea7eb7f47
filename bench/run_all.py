"""Every benchmark in turn, each printing its side-by-side figures."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in (
    "catalog_cache.py",
    "quotes.py",
    "quote_accuracy.py",
    "dbos_steps.py",
    "requests.py",
    "orders.py",
    "isolation.py",
    "ramp.py",
    "pages.py",
):
    print(f"\n=== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
