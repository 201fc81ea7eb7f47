"""The Postgres and Redis names in deploy/prometheus/metrics.txt are the ones Debian's
exporters really export, scraped from them while they watch this run's servers."""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fabrika.core.settings import Settings
from tests.exporters import exposed_names, running, scrape_when_up
from tests.ports import free_port
from tests.unit.deploy.observability import metric_list, tool


def postgres_exporter_source(settings: Settings) -> str:
    """The run's server, through its always-present `postgres` database."""
    url = urlsplit(settings.database_url)
    return urlunsplit(("postgresql", url.netloc, "/postgres", "sslmode=disable", ""))


def scrape(command: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> str:
    with running(command, log=log, env=env) as process:
        return scrape_when_up(f"http://127.0.0.1:{port}/metrics", process, log)


def test_every_listed_postgres_name_is_exported_by_the_exporter(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    exposition = scrape(
        [tool("prometheus-postgres-exporter"), f"--web.listen-address=127.0.0.1:{port}"],
        port,
        tmp_path / "postgres-exporter.log",
        env={**os.environ, "DATA_SOURCE_NAME": postgres_exporter_source(settings)},
    )

    assert "pg_up 1" in exposition.splitlines()
    assert metric_list()["postgres"] <= exposed_names(exposition)


def test_every_listed_redis_name_is_exported_by_the_exporter(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    exposition = scrape(
        [
            tool("prometheus-redis-exporter"),
            f"-redis.addr={settings.redis_url}",
            f"-web.listen-address=127.0.0.1:{port}",
        ],
        port,
        tmp_path / "redis-exporter.log",
    )

    assert "redis_up 1" in exposition.splitlines()
    assert metric_list()["redis"] <= exposed_names(exposition)


def test_the_postgres_exporter_reports_an_unreachable_server_as_pg_up_0(tmp_path: Path) -> None:
    """FabrikaPostgresDown looks for that 0: the exporter keeps answering its scrapes."""
    port = free_port()
    source = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres?sslmode=disable"
    exposition = scrape(
        [tool("prometheus-postgres-exporter"), f"--web.listen-address=127.0.0.1:{port}"],
        port,
        tmp_path / "postgres-exporter.log",
        env={**os.environ, "DATA_SOURCE_NAME": source},
    )

    assert "pg_up 0" in exposition.splitlines()


def test_the_redis_exporter_reports_an_unreachable_server_as_redis_up_0(tmp_path: Path) -> None:
    """FabrikaRedisDown looks for that 0: the exporter keeps answering its scrapes."""
    port = free_port()
    exposition = scrape(
        [
            tool("prometheus-redis-exporter"),
            f"-redis.addr=redis://127.0.0.1:{free_port()}",
            f"-web.listen-address=127.0.0.1:{port}",
        ],
        port,
        tmp_path / "redis-exporter.log",
    )

    assert "redis_up 0" in exposition.splitlines()
