"""Workflows (key `w`): warm/busy/queued per type, and runs that need a person, with their actions."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..components.workflow_pool import WorkflowPool
from ..formatting import local_time
from ..workflows.model import RunStatus
from .accounts import Confirm

ATTENTION = (RunStatus.OUTCOME_UNKNOWN, RunStatus.COMPENSATION_FAILED, RunStatus.POST_COMMIT_FAILED)
ACTIONS = {
    "done": "Mark it done (the effect did happen)?",
    "refund": "Refund the viewer (the effect did not happen)?",
    "retry": "Try the uncertain step again (it may happen twice)?",
}


class WorkflowsScreen(Screen[None]):
    """Pool status on top; below, the runs that stopped for a decision."""

    BINDINGS = [
        Binding("escape,w", "app.pop_screen", "Back", id="workflows.back"),
        Binding("m", "resolve('done')", "Mark done", id="workflows.done"),
        Binding("f", "resolve('refund')", "Refund", id="workflows.refund"),
        Binding("r", "resolve('retry')", "Retry", id="workflows.retry"),
    ]
    DEFAULT_CSS = """
    WorkflowsScreen #pool { height: auto; margin: 1 2 0 2; }
    WorkflowsScreen #runs { height: 1fr; margin: 1 2; }
    """

    def __init__(self, pool: WorkflowPool) -> None:
        super().__init__()
        self.pool = pool

    def compose(self) -> ComposeResult:
        yield Static("Workflows", classes="title")
        yield DataTable(id="pool", cursor_type="none")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, rows, and a refresh every second."""
        self.query_one("#pool", DataTable).add_columns("Workflow", "Warm", "Busy", "Queued")
        self.query_one("#runs", DataTable).add_columns("Started", "Workflow", "Run", "Status", "Why")
        self.load()
        self.set_interval(1.0, self.load)

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        """Re-read the pool status and the runs that need attention."""
        pool_table = self.query_one("#pool", DataTable)
        pool_table.clear()
        for kind, status in self.pool.status().items():
            pool_table.add_row(kind, str(status.warm), str(status.busy), str(status.queued))
        runs = self.query_one("#runs", DataTable)
        keep = runs.cursor_row
        runs.clear()
        for run in await self.pool.journal.runs(ATTENTION):
            runs.add_row(local_time(run.created_ms), run.type, run.id, run.status.value, run.error or "", key=run.id)
        if runs.row_count:
            runs.move_cursor(row=min(keep, runs.row_count - 1))

    def action_resolve(self, action: str) -> None:
        """Decide an OUTCOME_UNKNOWN run after a confirmation."""
        runs = self.query_one("#runs", DataTable)
        if runs.row_count == 0:
            return
        run_id = runs.coordinate_to_cell_key(runs.cursor_coordinate).row_key.value
        if run_id is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._resolve(str(run_id), action)

        self.app.push_screen(Confirm(ACTIONS[action]), decided)

    # Its own group: the exclusive once-a-second load() cancels its group, which must not include a decision.
    @work(group="resolve", exit_on_error=False)
    async def _resolve(self, run_id: str, action: str) -> None:
        result = await self.pool.resolve(run_id, action)
        if result.is_err():
            self.notify(result.unwrap_err().message(), severity="warning")
        else:
            self.notify(f"{run_id}: {result.unwrap().value}")
        self.load()
