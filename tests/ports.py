"""Free ports on 127.0.0.1 for the servers a test run starts."""

from fabrika.platform.launcher import free_port, free_port_range

__all__ = ["free_port", "free_port_range"]
