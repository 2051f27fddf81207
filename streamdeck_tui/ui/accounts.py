"""The Accounts screen (key `a`): who is logged in, token health, and login/logout for each provider."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Label, Static

from ..components.tokens import AuthStatus, ProviderToken, TokenHealth, TwitchToken
from ..engine import Engine


def expires_in(health: TokenHealth, now_ms: int) -> str:
    """ "3h 12m", "4m 10s", "expired", or "" when unknown."""
    if health.expires_ms is None or health.status is AuthStatus.NOT_CONFIGURED:
        return ""
    left = (health.expires_ms - now_ms) // 1000
    if left <= 0:
        return "expired"
    hours, rest = divmod(left, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def status_text(health: TokenHealth) -> Text:
    """Status as a word and a colour."""
    if health.refreshing:
        return Text("refreshing", style="yellow")
    match health.status:
        case AuthStatus.AUTHORIZED:
            return Text("logged in", style="green")
        case AuthStatus.REAUTHORIZATION_REQUIRED:
            return Text("needs login", style="bold red")
        case _:
            return Text("not connected", style="dim")


class Confirm(ModalScreen[bool]):
    """Yes/no before anything irreversible."""

    BINDINGS = [
        Binding("escape,n", "dismiss(False)", "No"),
        Binding("y", "dismiss(True)", "Yes"),
    ]
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical {
        width: 72; height: auto; border: thick $warning; padding: 1 2; background: $surface;
    }
    Confirm Label { width: 100%; }
    Confirm Horizontal { height: auto; }
    Confirm Button { margin: 1 1 0 0; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.question))  # never markup: questions quote viewer names
            with Horizontal():
                yield Button("Yes (y)", id="yes", variant="warning")
                yield Button("No (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class AccountsScreen(Screen[None]):
    """One row per provider; keys act on the selected row."""

    BINDINGS = [
        Binding("escape,a", "app.pop_screen", "Back", id="accounts.back"),
        Binding("l", "login", "Log in", id="accounts.login"),
        Binding("o", "logout", "Log out", id="accounts.logout"),
        Binding("r", "refresh_token", "Refresh now", id="accounts.refresh"),
        Binding("w", "setup_rewards", "Set up rewards", id="accounts.rewards"),
    ]
    DEFAULT_CSS = """
    AccountsScreen DataTable { height: auto; max-height: 8; margin: 1 2; }
    AccountsScreen #login-help { margin: 0 2; height: auto; }
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield Static("Accounts", classes="title")
        yield DataTable(id="accounts", cursor_type="row", zebra_stripes=True)
        yield Static("", id="login-help")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, first fill, and a refresh every second (expiry counts down)."""
        table = self.query_one(DataTable)
        for key, label in (
            ("provider", "Provider"),
            ("status", "Status"),
            ("who", "Logged in as"),
            ("expires", "Expires in"),
            ("scopes", "Scopes"),
            ("error", "Last problem"),
        ):
            table.add_column(label, key=key)
        self.refresh_rows()
        self.set_interval(1.0, self.refresh_rows)

    @work(exclusive=True, group="accounts-refresh", exit_on_error=False)
    async def refresh_rows(self) -> None:
        """Re-read every account (cheap SQLite reads) and update rows by key."""
        table = self.query_one(DataTable)
        now = self.engine.clock.now_ms()
        for token in self.engine.tokens:
            h = await token.account()
            cells = (
                h.provider,
                status_text(h),
                h.login or "",
                expires_in(h, now),
                ", ".join(h.scopes),
                h.last_error or "",
            )
            if token.name in table.rows:
                for column, value in zip(
                    ("provider", "status", "who", "expires", "scopes", "error"), cells, strict=True
                ):
                    table.update_cell(token.name, column, value)
            else:
                table.add_row(*cells, key=token.name)

    def _selected(self) -> ProviderToken | None:
        table = self.query_one(DataTable)
        if not self.engine.tokens:
            return None
        row = min(table.cursor_row, len(self.engine.tokens) - 1)
        return self.engine.tokens[max(0, row)]

    def action_refresh_token(self) -> None:
        """Refresh the selected account's token now."""
        token = self._selected()
        if token is not None:
            self._refresh(token)

    @work(exit_on_error=False)
    async def _refresh(self, token: ProviderToken) -> None:
        result = await token.refresh_now()
        if result.is_err():
            self.notify(result.unwrap_err().message(), severity="warning")
        else:
            self.notify(f"{token.provider.name} token refreshed")

    def action_setup_rewards(self) -> None:
        """Create (or adopt) the raffle and song-request rewards on Twitch, after a confirmation."""

        def decided(yes: bool | None) -> None:
            if yes:
                self._setup_rewards()

        question = (
            "Create the keyboard-raffle and song-request channel-point rewards on Twitch (or adopt the ones this "
            "console made before)?"
        )
        self.app.push_screen(Confirm(question), decided)

    @work(exclusive=True, group="rewards-setup", exit_on_error=False)
    async def _setup_rewards(self) -> None:
        made = await self.engine.setup_rewards()
        if made.is_err():
            self.notify(f"Rewards not set up: {made.unwrap_err().message()}", severity="warning", timeout=10)
            return
        titles = ", ".join(f"{r.title} ({r.cost:,} points)" for r in made.unwrap())
        self.notify(f"Rewards ready: {titles}.")

    def action_logout(self) -> None:
        """Log out of the selected account, after a confirmation."""
        token = self._selected()
        if token is None:
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self._logout(token)

        self.app.push_screen(Confirm(f"Log out of {token.provider.name} and forget its tokens?"), decided)

    @work(exit_on_error=False)
    async def _logout(self, token: ProviderToken) -> None:
        result = await token.logout()
        if result.is_err():
            self.notify(result.unwrap_err().message(), severity="error")
        else:
            self.notify(f"Logged out of {token.provider.name}")
        self.refresh_rows()

    def action_login(self) -> None:
        """Log in to the selected provider from inside the console."""
        token = self._selected()
        if isinstance(token, TwitchToken):
            self._login_twitch(token)
        elif token is not None:
            command = f"streamdeck-tui login {token.provider_key}"
            self.query_one("#login-help", Static).update(
                f"Run `{command}` in a terminal to connect {token.provider.name}."
            )

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _login_twitch(self, token: TwitchToken) -> None:
        from ..twitch.login import device_login_into

        help_line = self.query_one("#login-help", Static)
        settings = self.engine.settings
        if not settings.twitch.client_id:
            help_line.update("Set twitch.client_id first: `streamdeck-tui login twitch` explains how.")
            return
        code_text: list[str] = []

        def on_code(code: object) -> None:
            from ..twitch.models import DeviceCodeResponse

            assert isinstance(code, DeviceCodeResponse)
            code_text[:] = [f"Open {code.verification_uri} and enter the code {code.user_code}."]
            help_line.update(code_text[0])

        def on_wait(remaining: float) -> None:
            help_line.update(f"{code_text[0] if code_text else ''}  Waiting... {int(remaining)} s left")

        result = await device_login_into(
            token,
            settings.twitch.auth_url,
            settings.twitch.client_id,
            self.engine.clock,
            on_code=on_code,
            on_wait=on_wait,
        )
        if result.is_err():
            help_line.update(f"Twitch login failed: {result.unwrap_err().message()}")
            return
        help_line.update("Connected to Twitch.")
        await self.engine.connect_twitch()
        self.refresh_rows()
