"""The machine's speed probe, printed with every figure: this virtual machine's speed varies
2-3x with its host's load, so a figure means something only beside the probe of its run."""

import time


def machine_speed_ms() -> float:
    """CPU time of a fixed pure-Python loop, in ms (less is faster)."""
    started = time.process_time()
    total = 0
    for number in range(5_000_000):
        total += number
    return 1000 * (time.process_time() - started)
