"""``flask clinical ...``: look at the clinical rules from the command line.

* ``flask clinical plan --day1 2026-01-05`` prints the visit plan of a subject dosed that day;
* ``flask clinical response FILE.json`` prints the ITP response assessment as JSON. The file
  holds ``{"baseline": 12, "counts": [{"day": 8, "plt": 45, "bleeding": false}, ...],
  "rescue_days": [20]}``; ``bleeding`` may also be a WHO grade (0-4), mapped with the
  protocol's bleeding threshold.

Both read the packaged protocol (or ``--protocol PATH``) and need no application context.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from studyapp.clinical.response import PlateletCount, assess, is_bleeding
from studyapp.clinical.schedule import visit_plan
from studyapp.protocol.loader import get_protocol, load_protocol
from studyapp.protocol.model import Protocol, ResponseRule

clinical_cli = AppGroup("clinical", help="Clinical rules: visit plan and ITP response.")

_protocol_option = click.option(
    "--protocol",
    "protocol_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Protocol TOML (default: the packaged itp_daratumumab.toml).",
)


def _protocol(path: Path | None) -> Protocol:
    try:
        return get_protocol() if path is None else load_protocol(path)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@clinical_cli.command("plan", with_appcontext=False)
@click.option(
    "--day1", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of Day 1."
)
@_protocol_option
def plan_command(day1: datetime, protocol_path: Path | None) -> None:
    """Print the visit plan (target date and window) for a subject whose Day 1 is DAY1."""
    protocol = _protocol(protocol_path)
    click.echo(f"{protocol.id} protocol {protocol.version}: visit plan from Day 1 = {day1.date()}")
    row = "{:>8}  {:<6} {:>4}  {:<10}  {:<10}  {:<10}  {}"
    click.echo(row.format("VISITNUM", "CODE", "DAY", "TARGET", "EARLIEST", "LATEST", "NAME"))
    for v in visit_plan(day1.date(), protocol):
        fields = (v.visitnum, v.code, v.day, v.target, v.earliest, v.latest, v.name)
        click.echo(row.format(*(str(f) for f in fields)))


def _count(item: Any, rule: ResponseRule, index: int) -> PlateletCount:
    if not isinstance(item, dict) or not {"day", "plt", "bleeding"} <= set(item):
        raise ValueError(f"counts[{index}]: expected an object with day, plt and bleeding")
    bleeding = item["bleeding"]
    if isinstance(bleeding, int) and not isinstance(bleeding, bool):
        bleeding = is_bleeding(bleeding, rule)
    return PlateletCount(day=item["day"], plt=item["plt"], bleeding=bleeding)


@clinical_cli.command("response", with_appcontext=False)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_protocol_option
def response_command(file: Path, protocol_path: Path | None) -> None:
    """Assess ITP response (IWG 2009) from FILE.json and print the result as JSON."""
    rule = _protocol(protocol_path).response
    try:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        if not isinstance(data, dict) or "baseline" not in data or "counts" not in data:
            raise ValueError(
                'expected an object with "baseline", "counts" and optional "rescue_days"'
            )
        counts = [_count(item, rule, i) for i, item in enumerate(data["counts"])]
        result = assess(data["baseline"], counts, data.get("rescue_days", []), rule=rule)
    except (ValueError, TypeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    click.echo(json.dumps(dataclasses.asdict(result), indent=2))
