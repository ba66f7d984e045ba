"""``argus consume --nats URL --subject S``: alert payloads from a NATS JetStream subject."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from argus.cli.context import state
from argus.cli.output import console, print_json
from argus.core.errors import InputError

if TYPE_CHECKING:
    from argus.cli.app import CommandGroups


def register(root: typer.Typer, groups: CommandGroups) -> None:
    root.command("consume")(consume_cmd)


def consume_cmd(
    ctx: typer.Context,
    nats_url: str = typer.Option(..., "--nats", help="NATS server, e.g. nats://127.0.0.1:4222."),
    subject: str = typer.Option("argus.alerts.>", "--subject", help="Subject (wildcards allowed)."),
    source: str | None = typer.Option(None, "--source", help="Payload source (default: the subject's last token)."),
    project: str | None = typer.Option(None, "--project", "-p", help="Project (default from settings)."),
    stream: str = typer.Option("ARGUS_ALERTS", "--stream", help="JetStream stream (created when missing)."),
    durable: str = typer.Option("argus", "--durable", help="Durable consumer name."),
    max_messages: int | None = typer.Option(None, "--max-messages", min=1, help="Stop after this many."),
    idle_exit: float | None = typer.Option(None, "--idle-exit", min=1, help="Stop after this many idle seconds."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Consume alert payloads from NATS JetStream (durable, at-least-once, idempotent)."""
    from argus.app.consume import ConsumeRequest, consume
    from argus.ingest.alerts.parse import parse_source

    if not nats_url.startswith(("nats://", "tls://", "ws://", "wss://")):
        raise InputError(f"--nats {nats_url[:60]!r}: expected a URL such as nats://127.0.0.1:4222")
    src = parse_source(source) if source else None
    out = consume(state(ctx).runtime, ConsumeRequest(nats_url, subject, project, src, stream, durable,
                                                     max_messages=max_messages, idle_exit_s=idle_exit))
    if json_out:
        print_json(out)
    else:
        console().print(f"{out.messages} message(s): {out.events} event(s), {out.new_alerts} new alert(s), "
                        f"{out.repeats} repeat(s), {out.replays} replay(s), {out.rejected} rejected")
