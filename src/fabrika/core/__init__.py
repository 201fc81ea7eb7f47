"""What every Fabrika service shares: settings, logs, telemetry, storage, errors, app factory."""
