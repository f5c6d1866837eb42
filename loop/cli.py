"""The ``bucle`` command: a thin layer over library functions that tests call directly.

Errors meant for the user (``BucleError``) are printed as one line, without a traceback, and the
command exits with status 1.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path
from typing import Callable

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from bucle.annotation.credentials import ROLES, CredentialsFile
from bucle.annotation.embedded import control
from bucle.common.errors import BucleError, disk_full
from bucle.loop.config import STATE_FOLDER, ProjectConfig, load_config
from bucle.loop.starter import write_starter

# Commands import what they need (the argilla SDK, torch, datasets…) when they run, so that
# `bucle --help` and `bucle server status` answer in a blink.

app = typer.Typer(help="bucle: active learning with Argilla for Spanish NLP projects.", no_args_is_help=True)
server_app = typer.Typer(help="The embedded Argilla server.", no_args_is_help=True)
users_app = typer.Typer(help="Argilla users of the project.", no_args_is_help=True)
models_app = typer.Typer(help="Model versions in the registry, and the champion.", no_args_is_help=True)
app.add_typer(server_app, name="server")
app.add_typer(users_app, name="users")
app.add_typer(models_app, name="models")
pool_app = typer.Typer(help="The pool of records: its copies and their restore.", no_args_is_help=True)
app.add_typer(pool_app, name="pool")
demo_app = typer.Typer(help="The Gradio demo: `bucle demo` serves it; `bucle demo export` writes a Space.")
app.add_typer(demo_app, name="demo")

console = Console(soft_wrap=True, highlight=False)
errors = Console(stderr=True)


def user_errors(command: Callable) -> Callable:
    """A ``BucleError``, or a full disk, is one line on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except BucleError as error:
            message = str(error)
        except (OSError, sqlite3.OperationalError) as error:
            ctx = next((a for a in (*args, *kwargs.values()) if isinstance(a, typer.Context)), None)
            project = (ctx.find_root().obj if ctx is not None else None) or Path("bucle.yaml")
            message = disk_full(error, Path(project).resolve().parent / STATE_FOLDER)
            if message is None:
                raise
        errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None

    return wrapper


@app.callback()
def main(
    ctx: typer.Context,
    project: Path = typer.Option(Path("bucle.yaml"), "--project", "-p", help="The project's bucle.yaml."),
) -> None:
    ctx.obj = project


def _config(ctx: typer.Context) -> ProjectConfig:
    """The project's config; its progress lines (``bucle.*`` loggers) go to the console and the log file."""
    from bucle.loop.logs import send_logs

    config = load_config(ctx.obj)
    send_logs(console, config.state.log)
    return config


@app.command()
@user_errors
def up(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Exit after the first round instead of running the scheduler."),
) -> None:
    """Start the server, ingest, create users and dataset, run the first round, then keep the
    scheduler running rounds until Ctrl-C."""
    from bucle.loop.project import bring_up

    config = _config(ctx)
    result = bring_up(config)
    if result.ingest is not None:
        report = result.ingest
        console.print(
            f"Pool: {report.pool_size:,} records ({report.seed_size} labelled seed), frozen test set: "
            f"{report.test_size:,}, quarantined: {sum(report.quarantined.values()):,}"
        )
    if result.first_round is not None:  # the project's first round, or an interrupted one resumed
        ran = result.first_round
        console.print(
            f"Round {ran.round} ({'the first' if ran.round == 1 else 'resumed'}): champion {ran.champion}, "
            f"{len(ran.sent)} records sent to annotators"
        )
    console.print(f"Argilla UI: [bold]{result.url}[/bold]")
    console.print(f"Dataset {result.dataset!r} in workspace {result.workspace!r}")
    console.print(f"Users and passwords: {result.credentials} (mode 0600)")
    stop_server = "" if config.external else f"bucle --project {ctx.obj} server stop"
    if once:
        if stop_server:
            console.print(f"Stop the server with: {stop_server}")
        return
    from bucle.loop.service import serve

    console.print(f"Log (tracebacks, warnings): {config.state.log}")
    serve(config, ctx.obj)
    if stop_server:
        console.print(f"The Argilla server keeps running; stop it with: {stop_server}")


@app.command()
@user_errors
def init(path: Path = typer.Argument(Path("bucle.yaml"), help="Where to write the starter config.")) -> None:
    """Write a commented starter bucle.yaml (Spanish and English)."""
    written = write_starter(path)
    console.print(f"Wrote {written}; edit it, then run: bucle --project {written} ingest")


@app.command()
@user_errors
def ingest(ctx: typer.Context) -> None:
    """Read, clean and check the project's data into the pool; quarantine what is wrong."""
    from bucle.loop.ingest.pipeline import ingest as run_ingest

    config = _config(ctx)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True) as bar:
        task = bar.add_task("reading…")
        report = run_ingest(config, progress=lambda name, rows: bar.update(task, description=f"{name}: {rows:,} rows"))
    table = Table("source", "role", "format", "encoding", "rows", "added", "already there", "quarantined")
    for source in report.sources:
        table.add_row(
            source.path,
            source.role,
            source.format,
            source.encoding or "-",
            f"{source.rows:,}",
            f"{source.added:,}",
            f"{source.already_in_pool:,}",
            f"{sum(source.quarantined.values()):,}",
        )
    console.print(table)
    if report.quarantined:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in sorted(report.quarantined.items()))
        console.print(f"Quarantined by reason: {reasons} (see {config.state.quarantine})")
    if report.pii_masked:
        console.print("Personal data masked: " + ", ".join(f"{k}: {v}" for k, v in sorted(report.pii_masked.items())))
    for note in report.notes:
        console.print(f"Note: {note}")
    console.print(
        f"Pool: {report.pool_size:,} records ({report.seed_size} labelled seed), frozen test set: "
        f"{report.test_size:,} records, in {report.seconds:.1f} s"
    )


@app.command("export")
@user_errors
def export_command(ctx: typer.Context) -> None:
    """Write the labelled dataset (datasets folder + Parquet) and its dataset card."""
    from bucle.loop.labelled import export_labelled

    result = export_labelled(_config(ctx))
    console.print(f"Exported {result.train:,} train and {result.test:,} test records to {result.folder}")
    console.print(f"Dataset card: {result.folder / 'README.md'}")


@app.command()
@user_errors
def train(
    ctx: typer.Context,
    fine_tune: bool = typer.Option(None, "--fine-tune/--head-only", help="Override the fine-tuning schedule."),
) -> None:
    """Train SetFit and the TF-IDF baseline on the labels so far; promote the better if it wins."""
    from bucle.loop.train import train_round

    result = train_round(_config(ctx), fine_tune=fine_tune)
    for version, f1 in result.versions.items():
        console.print(f"{version}: macro-F1 {f1:.3f}")
    console.print(f"Champion: {result.champion} ({'promoted' if result.promoted else 'kept'})")


@app.command("fine-tune")
@user_errors
def fine_tune_command(ctx: typer.Context) -> None:
    """Fine-tune the body on the labels so far (what `bucle up` runs beside the rounds when due)."""
    from bucle.loop.context import round_context
    from bucle.loop.scheduler import beside_lock
    from bucle.loop.train import fine_tune_body

    config = _config(ctx)
    with beside_lock(config, "fine-tune"), round_context(config) as opened:
        body = fine_tune_body(opened)
    console.print(f"Body {body.folder.name}: fine-tuned on {body.labels} labels")


@app.command("train-llm")
@user_errors
def train_llm_command(ctx: typer.Context) -> None:
    """Train a LoRA LLM challenger (model.llm) and the TF-IDF baseline on the labels so far, then
    gate it against the champion (what `bucle up` runs beside the rounds on a GPU when due).
    Several GPUs: `accelerate launch -m bucle.loop.cli -p bucle.yaml train-llm`."""
    from contextlib import nullcontext

    from bucle.loop.scheduler import beside_lock
    from bucle.loop.train import train_llm
    from bucle.training.models.lora import main_process

    config = _config(ctx)
    with beside_lock(config, "train-llm") if main_process() else nullcontext():
        result = train_llm(config)
    if result is None:
        return
    for version, f1 in result.versions.items():
        console.print(f"{version}: macro-F1 {f1:.3f}")
    console.print(f"Champion: {result.champion} ({'promoted' if result.promoted else 'kept'}): {result.reason}")


@app.command("round")
@user_errors
def round_command(ctx: typer.Context, seed: int = typer.Option(0, help="Seed of the selection.")) -> None:
    """Run one round: pull answers, retrain if enough are new, select and push the next batch."""
    from bucle.loop.rounds import run_round

    from bucle.loop.train import fine_tune_due

    config = _config(ctx)
    report = run_round(config, seed=seed)
    console.print(
        f"Round {report.round}: {report.new_labels} new labels, "
        f"{'retrained' if report.trained else 'no retraining'}, champion {report.champion}, "
        f"{len(report.sent)} records sent to annotators"
    )
    if fine_tune_due(config):
        console.print(
            f"A fine-tune of the body is due: `bucle -p {ctx.obj} fine-tune` (minutes), "
            "or keep `bucle up` running, which runs it beside the rounds"
        )


@app.command()
@user_errors
def replay(
    ctx: typer.Context,
    numbers: list[int] = typer.Argument(None, help="The rounds to replay (default: every round that selected)."),
) -> None:
    """Run finished rounds' selections again from their manifests and compare (an audit)."""
    from bucle.loop.manifest import RoundManifest
    from bucle.loop.rounds import replay_selection

    config = _config(ctx)
    numbers = numbers or [m.number for m in RoundManifest.all(config.state.rounds) if m.done("select")]
    if not numbers:
        raise BucleError("no round has selected anything yet: there is nothing to replay")
    differs = False
    for number in numbers:
        result = replay_selection(config, number)
        if result.identical:
            console.print(f"Round {number}: its selection of {len(result.recorded)} records is reproduced exactly")
            continue
        differs = True
        missing, extra = set(result.recorded) - set(result.replayed), set(result.replayed) - set(result.recorded)
        console.print(
            f"Round {number}: the replay differs ({len(missing)} recorded records not chosen again, "
            f"{len(extra)} others chosen{', same records in another order' if not missing and not extra else ''})"
        )
    if differs:
        raise typer.Exit(1)


@app.command()
@user_errors
def simulate(ctx: typer.Context, rounds: int = typer.Option(3, min=1, help="How many rounds.")) -> None:
    """Run rounds with annotators simulated from the corpus's gold labels."""
    from bucle.loop.confirmations import confirmations
    from bucle.loop.pool import Pool
    from bucle.loop.simulate import simulate as run_simulation

    config = _config(ctx)
    table = Table("round", "labels", "champion", "its labels", "F1", "gate rule", "sent", "pre-filled", box=None)
    for row in run_simulation(config, rounds):
        table.add_row(
            str(row.round),
            str(row.labels),
            row.champion or "-",
            str(row.champion_labels or "-"),
            f"{row.champion_macro_f1:.3f}" if row.champion_macro_f1 is not None else "-",
            row.rule or "-",
            str(row.sent),
            str(row.prefilled),
        )
    console.print(table)
    with Pool(config.state.pool) as pool:
        console.print(f"Suggestions: {confirmations(config, pool).line()}", soft_wrap=False)


@app.command("status")
@user_errors
def status_command(ctx: typer.Context) -> None:
    """The rounds so far, the champion beside the baseline, and the stopping signals."""
    from bucle.loop.status import status

    state = status(_config(ctx))
    table = Table("round", "labels", "α", "best F1", "champion", "sent", "s")  # fits 80 columns
    for row in state.rounds:
        best = f"{max(row.macro_f1.values()):.3f}" if row.macro_f1 else "-"
        table.add_row(
            f"{row.round}" + ("" if row.finished else " (resumes)"),
            f"{row.labels if row.labels is not None else '-'} (+{row.new_labels or 0})",
            f"{row.alpha:.2f}" if row.alpha is not None else "-",
            best,
            row.champion or "-",
            str(row.sent or 0),
            f"{sum(row.seconds.values()):.0f}",
        )
    console.print(table)
    wrapped = functools.partial(console.print, soft_wrap=False)  # status fits the terminal (80 columns when piped)
    f1 = f"{state.champion_macro_f1:.3f}" if state.champion_macro_f1 is not None else "-"
    base = f"{state.baseline_macro_f1:.3f}" if state.baseline_macro_f1 is not None else "-"
    wrapped(
        f"Labels: {state.labels}; champion {state.champion or '-'} (macro-F1 {f1}; TF-IDF baseline of its training {base})"
    )
    wrapped(f"Argilla: {state.argilla}")
    wrapped(f"Suggestions: {state.suggestions}")
    wrapped(f"Selection: {state.selection}")
    wrapped(f"Review: {state.review}")
    if state.gate:
        wrapped("Gate, latest first:")
        for line in state.gate:
            wrapped(f"  {line}")
    wrapped(f"Stopping: {state.signals.advice}")
    wrapped(f"Published: {state.published}")
    wrapped(f"LLM: {state.llm}")


@models_app.command("list")
@user_errors
def models_list(ctx: typer.Context) -> None:
    """Every version with its test metrics; the champion is marked."""
    reg = _registry(ctx)
    champion = reg.champion()
    table = Table("", "version", "labels", "macro-F1 (95% CI)", "ECE", "g CO2eq", "intact")
    for name in reg.names():
        info = reg.info(name)
        ev = info.metrics.get("evaluation", {})
        ci = f"{ev['macro_f1']:.3f} ({ev['macro_f1_low']:.3f}–{ev['macro_f1_high']:.3f})" if ev else "-"
        table.add_row(
            "★" if name == champion else "",
            name,
            str(info.metrics.get("labels", "-")),
            ci,
            f"{ev['ece']:.3f}" if ev else "-",
            f"{info.metrics.get('carbon', {}).get('grams_co2eq', 0):.3f}",
            "yes" if info.intact else "DAMAGED",
        )
    console.print(table)


@models_app.command("show")
@user_errors
def models_show(ctx: typer.Context, version: str) -> None:
    """A version's metrics, decision and the path of its card."""
    reg = _registry(ctx)
    info = reg.info(version)
    ev = info.metrics.get("evaluation", {})
    console.print(f"{version} ({info.metrics.get('family')}), {'intact' if info.intact else 'DAMAGED'}")
    if ev:
        console.print(
            f"macro-F1 {ev['macro_f1']:.3f} (95% CI {ev['macro_f1_low']:.3f}–{ev['macro_f1_high']:.3f}), "
            f"accuracy {ev['accuracy']:.3f}, Brier {ev['brier']:.3f}, ECE {ev['ece']:.3f}"
        )
    console.print(f"decision: {info.metrics.get('decision', '-')}")
    console.print(f"card: {info.path / 'README.md'}")


@models_app.command("promote")
@user_errors
def models_promote(ctx: typer.Context, version: str) -> None:
    """Make VERSION the champion by hand."""
    _registry(ctx).set_champion(version, "manual", "promoted by hand")
    console.print(f"Champion: {version}")


@models_app.command("rollback")
@user_errors
def models_rollback(
    ctx: typer.Context, version: str = typer.Argument(None, help="Default: the previous champion.")
) -> None:
    """Serve an earlier version again."""
    reg = _registry(ctx)
    target = version or _previous_champion(reg)
    reg.set_champion(target, "rollback", f"rolled back from {reg.champion()}")
    console.print(f"Champion: {target}")
    if _config(ctx).publish.when != "manual":  # republished as a new commit: history is never rewritten
        _print_publication(_publish(ctx))


@app.command("publish")
@user_errors
def publish_command(
    ctx: typer.Context,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what would be committed to each repository, commit nothing."
    ),
) -> None:
    """Publish the champion, the labelled dataset and the demo Space (publish.target: local git
    repositories or the Hub), one commit and one round-N tag per repository."""
    from bucle.loop.publish import dry_run as listing
    from bucle.loop.publish import repo_ids

    if not dry_run:
        _print_publication(_publish(ctx))
        return
    config = _config(ctx)
    for kind, files in listing(config).items():
        console.print(f"{kind} ({repo_ids(config)[kind]}): {len(files)} files, {sum(files.values()) / 2**20:.1f} MiB")
        for path, size in files.items():
            console.print(f"  {path} ({size:,} bytes)")


def _publish(ctx: typer.Context):
    from bucle.loop.publish import publish

    return publish(_config(ctx))


def _print_publication(publication) -> None:
    for kind, published in publication.repositories.items():
        what = f"commit {published.commit[:12]}, tag {published.tag}" if published.changed else "unchanged"
        console.print(f"{kind} {published.repository}: {what}")


def _registry(ctx: typer.Context):
    from bucle.loop.context import registry

    return registry(_config(ctx))


def _previous_champion(reg) -> str:
    current = reg.champion()
    for decision in reversed(reg.decisions()):
        if decision.get("kind") in {"promote", "manual", "rollback"} and decision["version"] != current:
            return decision["version"]
    raise BucleError("there is no earlier champion to roll back to")


@app.command()
@user_errors
def doctor(ctx: typer.Context) -> None:
    """Check the configuration against the Argilla server it names: reachable, version, the key
    and its role, the workspace, webhooks; one line per check, exit 1 if one fails."""
    import os

    from bucle.annotation.credentials import CredentialsFile
    from bucle.annotation.doctor import check_server
    from bucle.loop.adapters import OWNER_KEY, space_headers

    config = _config(ctx)
    schedule = config.loop.schedule
    if config.external:
        key = os.environ.get(OWNER_KEY, "").strip() or None
        target = schedule.webhook_url
    else:
        credentials = CredentialsFile(config.server_layout.credentials)
        key = credentials.owner().api_key if credentials.path.exists() else None
        target = schedule.webhook_url or f"a receiver on {schedule.webhook_host}"
    checks = check_server(config.argilla_url, key, config.workspace, target, schedule.webhooks, space_headers(config))
    for check in checks:
        console.print(f"{'[green]✓[/green]' if check.ok else '[red]✗[/red]'} {check.name}: {check.detail}")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


@app.command()
@user_errors
def migrate(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", help="The team server's URL."),
    workspace: str = typer.Option(None, help="The workspace there (default: the project's)."),
) -> None:
    """Copy the project's Argilla datasets (records, suggestions, vectors, every answer with its
    annotator) to the team server at URL, its owner's key in ARGILLA_TARGET_API_KEY; counts are
    checked on both sides, and running it again completes an interrupted copy."""
    from bucle.loop.migrate import migrate as run_migration, target_credentials

    config = _config(ctx)
    copied = run_migration(config, to, workspace)
    table = Table("dataset", "records", "responses", "suggestions", "vectors", "complete")
    for one in copied:
        cells = [
            f"{getattr(one.source, kind):,} → {getattr(one.target, kind):,}"
            for kind in ("records", "responses", "suggestions", "vectors")
        ]
        table.add_row(one.dataset, *cells, "yes" if one.complete else "NO: run it again")
    console.print(table)
    console.print(
        f"Annotators created there: {target_credentials(config, to)} (mode 0600). Next: server.mode: "
        f"external and server.url: {to.rstrip('/')} in bucle.yaml, the owner's key in ARGILLA_API_KEY"
    )
    if not all(one.complete for one in copied):
        raise typer.Exit(1)


def _embedded(ctx: typer.Context) -> ProjectConfig:
    """The config, for the commands that run bucle's own server (refused for a team's)."""
    config = _config(ctx)
    if config.external:
        raise BucleError(
            f"server.mode is external: bucle does not run the Argilla at {config.argilla_url} "
            "(its owners do; `bucle doctor` checks it)"
        )
    return config


@server_app.command("start")
@user_errors
def server_start(ctx: typer.Context) -> None:
    """Start the embedded Argilla server (Redis, worker, API and UI)."""
    config = _embedded(ctx)
    state = control.start(config.server_layout, timeout_s=config.server.startup_timeout_s)
    console.print(f"Argilla {state.version or ''} is running at {state.url}")
    console.print(f"Credentials: {config.server_layout.credentials}")


@server_app.command("stop")
@user_errors
def server_stop(ctx: typer.Context) -> None:
    """Stop the embedded server and all its processes."""
    stopped = control.stop(_embedded(ctx).server_layout)
    console.print("Stopped." if stopped else "The server was not running.")


@server_app.command("status")
@user_errors
def server_status(ctx: typer.Context) -> None:
    """Show whether the server runs, answers, and the pid of each process."""
    state = control.status(_embedded(ctx).server_layout)
    table = Table("process", "pid")
    for name, pid in state.pids.items():
        table.add_row(name, str(pid) if pid else "not running")
    console.print(table)
    health = "answering" if state.healthy else "not answering"
    console.print(f"{state.url}: {'running' if state.running else 'stopped'}, {health}")
    if not state.running:
        raise typer.Exit(3)


@server_app.command("logs")
@user_errors
def server_logs(
    ctx: typer.Context,
    service: str = typer.Argument("server", help="supervisor, redis, worker, server, migrate or reindex"),
    lines: int = typer.Option(50, "--lines", "-n"),
) -> None:
    """Print the end of one of the server's logs."""
    typer.echo(control.log_tail(_embedded(ctx).server_layout, service, lines), nl=False)


@users_app.command("add")
@user_errors
def users_add(
    ctx: typer.Context,
    username: str,
    role: str = typer.Option("annotator", help=f"One of {', '.join(ROLES)}."),
) -> None:
    """Create a user with a generated password, stored in the credentials file."""
    from bucle.annotation.users import add_user
    from bucle.loop.adapters import owner_client

    config = _config(ctx)
    credentials = CredentialsFile(config.server_layout.credentials)
    user = add_user(owner_client(config), credentials, username, role, workspace=config.workspace)
    if user.role != role:
        console.print(
            f"User {username!r} already exists as {user.role}; bucle does not change roles "
            f"(change it in Argilla if you must); password in {credentials.path}"
        )
    else:
        console.print(f"User {username!r} ({user.role}) is ready; password in {credentials.path}")


@users_app.command("list")
@user_errors
def users_list(ctx: typer.Context) -> None:
    """List the server's users, their workspaces, and whether bucle holds their password."""
    from bucle.annotation.users import list_users
    from bucle.loop.adapters import owner_client

    config = _config(ctx)
    credentials = CredentialsFile(config.server_layout.credentials)
    table = Table("user", "role", "workspaces", "password stored")
    for user in list_users(owner_client(config), credentials):
        table.add_row(user.username, user.role, ", ".join(user.workspaces), "yes" if user.password_stored else "no")
    console.print(table)


@users_app.command("check")
@user_errors
def users_check(ctx: typer.Context) -> None:
    """Log in as every stored user, to catch passwords changed outside bucle."""
    from bucle.annotation.users import check_logins

    config = _config(ctx)
    results = check_logins(config.argilla_url, CredentialsFile(config.server_layout.credentials))
    for username, result in results.items():
        console.print(f"{username}: {result}", highlight=False)
    if any(result != "ok" for result in results.values()):
        raise typer.Exit(1)


@pool_app.command("restore")
@user_errors
def pool_restore(ctx: typer.Context) -> None:
    """Put back the copy of the pool kept at the last round (the damaged one is moved aside)."""
    from bucle.loop.pool_backups import restore_pool

    copy, aside = restore_pool(_config(ctx))
    console.print(f"Pool restored from {copy.name}" + (f"; the damaged file is at {aside}" if aside else ""))
    console.print(
        f"Run `bucle -p {ctx.obj} round` (or keep `bucle up` running): its pull brings back every answer given since"
    )


@demo_app.callback(invoke_without_command=True)
@user_errors
def demo_command(ctx: typer.Context, port: int = typer.Option(None, help="Port (default: demo.port).")) -> None:
    """Serve the champion in a Gradio demo on demo.host (127.0.0.1) until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    from bucle.demo.app import build_app, parts

    config = _config(ctx)
    pieces = parts(config)
    pieces.feedback.start()
    try:
        port = port or config.demo.port
        console.print(f"Demo: http://{config.demo.host}:{port} (Ctrl-C stops it)")
        build_app(config, pieces).launch(server_name=config.demo.host, server_port=port, quiet=True)
    finally:
        pieces.feedback.stop()


@demo_app.command("export")
@user_errors
def demo_export(
    ctx: typer.Context,
    folder: Path = typer.Argument(Path("space"), help="Where to write the Space (a new or empty folder)."),
    force: bool = typer.Option(False, "--force", help="Write over the files of a folder that is not empty."),
) -> None:
    """Write a Hugging Face Space folder that serves the model published in publish.model_repo."""
    from bucle.publishing.space import export_space

    written = export_space(_config(ctx), folder, force=force)
    console.print(f"Space written to {written}: app.py, requirements.txt, README.md (Space header), vendor/")


if __name__ == "__main__":
    app()
