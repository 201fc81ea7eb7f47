"""The `fabrika` command: run the platform, one service, migrations, seeding."""

import argparse
import asyncio
import importlib

from fabrika.core.settings import get_settings

APPS = {
    "shop": "fabrika.shop.app",
    "b2b": "fabrika.b2b.app",
    "crm": "fabrika.crm.app",
    "mes": "fabrika.mes.app",
    "notify": "fabrika.notify.app",
    "saga": "fabrika.orders.worker",
    "quote": "fabrika.mes.worker",
    "ops": "fabrika.ops.app",
}


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    app = importlib.import_module(APPS[args.service]).build()
    uvicorn.run(
        app,
        host=get_settings().host,
        port=args.port,
        log_config=None,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=30,
    )


def _up(args: argparse.Namespace) -> None:
    from fabrika.platform.topology import parse_scale
    from fabrika.platform.up import run_platform

    try:
        scale = parse_scale(args.scale)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc
    asyncio.run(run_platform(get_settings(), scale))


def _migrate(_: argparse.Namespace) -> None:
    from fabrika.platform.database import ensure_database
    from fabrika.platform.migrate import migrate_all

    asyncio.run(ensure_database(get_settings()))
    migrate_all(get_settings())


def _seed(_: argparse.Namespace) -> None:
    from fabrika.platform.seed import seed_demo_data

    print(asyncio.run(seed_demo_data(get_settings())))


def _mailsink(_: argparse.Namespace) -> None:
    from fabrika.notify.mailsink import run_mailsink

    run_mailsink(get_settings())


def _kube_routes(args: argparse.Namespace) -> None:
    from fabrika.gateway.kubernetes import render_gateway_api
    from fabrika.gateway.routing import load_routing_table

    rendered = render_gateway_api(load_routing_table())
    if args.output == "-":
        print(rendered, end="")
    else:
        with open(args.output, "w", encoding="utf-8") as output:
            output.write(rendered)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="fabrika", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole platform with demo data")
    up.add_argument("--scale", default="", help="instances per service, e.g. shop=2,mes=3")
    up.set_defaults(run=_up)
    serve = commands.add_parser("serve", help="run one instance of a service")
    serve.add_argument("service", choices=sorted(APPS))
    serve.add_argument("--port", type=int, required=True)
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="create or update every schema").set_defaults(run=_migrate)
    commands.add_parser("seed", help="load the demo catalog and account").set_defaults(run=_seed)
    commands.add_parser("mailsink", help="run the development SMTP sink").set_defaults(
        run=_mailsink
    )
    kube_routes = commands.add_parser(
        "kube-routes", help="render routes.toml as Gateway API objects (Gateway, HTTPRoutes)"
    )
    kube_routes.add_argument("-o", "--output", default="-", help="file to write; - is stdout")
    kube_routes.set_defaults(run=_kube_routes)
    from fabrika.crm.commands import add_commands

    add_commands(commands)
    return root


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
