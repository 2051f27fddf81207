"""The raffle's chat commands against the simulator: `!raffle` explains the game and gives the viewer's own
stats, `!leaderboard` (alias `!raffle-leaderboard`) the top winners, each reply one line of at most 500
characters; and every raffle action of the console is in the full app's command palette."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.widgets import Static

from streamdeck_tui.components.keyboard_raffle import KeyboardRaffle, RollInput
from streamdeck_tui.ui.accounts import Confirm
from streamdeck_tui.ui.app import RAFFLE_COMMANDS, StreamdeckApp
from streamdeck_tui.ui.raffle_screen import RaffleScreen, TextPrompt
from streamdeck_tui.workflows.model import RunStatus
from tests.integration.test_redaction import RunningLauncher
from tests.support.sim import Rig, running_engine
from tests.support.waiting import wait_for

CHAT_LIMIT = 500


@dataclass(frozen=True)
class Seed:
    """A viewer's rolls to store: `wins` exact hits, then one miss at each of `misses` distances."""

    login: str
    wins: int
    misses: tuple[int, ...] = ()


async def ready(rig: Rig) -> None:
    """EventSub subscribed (chat reaches the app) and the rewards set up."""
    link = rig.engine.twitch
    await wait_for(lambda: link is not None and len(link.subscriptions) == 8)
    made = await rig.engine.setup_rewards()
    assert made.is_ok(), made


async def viewer_id(rig: Rig, login: str) -> str:
    """The viewer's Twitch id (the simulator creates an unknown login when it first chats)."""
    await rig.post("/chat", {"user": login, "text": "hello"})
    user = rig.sim.channel.users.by_login(login)
    assert user is not None
    return user.id


async def seed(rig: Rig, seeds: Sequence[Seed]) -> None:
    """Store the rolls through the raffle component, each viewer under their real Twitch id."""
    raffle = rig.engine.raffle
    assert raffle is not None
    at = 1_700_000_000_000
    for s in seeds:
        uid = await viewer_id(rig, s.login)
        numbers = [(5000, 5000)] * s.wins + [(5000 + d, 5000) for d in s.misses]
        for i, (roll, win) in enumerate(numbers):
            at += 1000
            stored = await raffle.record_roll(RollInput(f"seed:{s.login}:{i}", uid, s.login, roll, win, at))
            assert stored.is_ok(), stored


async def command(rig: Rig, login: str, text: str) -> str:
    """A viewer types `text` in chat; the one new line the app sends back (it must have reached chat)."""
    before = len(rig.sim.channel.sent_by_app())
    await rig.post("/chat", {"user": login, "text": text})
    await wait_for(lambda: len(rig.sim.channel.sent_by_app()) > before, timeout=15)
    reply = rig.sim.channel.sent_by_app()[before]
    assert reply.is_sent, reply.drop_reason
    return reply.text


def stats_text(rolls: int, closest: int | None, wins: int) -> str:
    """Reference §4.6: "<n> rolls", then "(closest: <d>, <k> win(s)!)" parts when there are any."""
    extras = ([] if closest is None else [f"closest: {closest}"]) + (
        [f"{wins} win{'' if wins == 1 else 's'}!"] if wins else []
    )
    head = f"{rolls} roll{'' if rolls == 1 else 's'}"
    return f"{head} ({', '.join(extras)})" if extras else head


def leaderboard_text(ranked: Sequence[tuple[str, int]]) -> str:
    """Reference §4.6: "Raffle wins:" and the numbered `N. @name (wins)` entries."""
    return "Raffle wins: " + " ".join(f"{i}. @{name} ({wins})" for i, (name, wins) in enumerate(ranked, start=1))


def recount(tmp_path: Path, user_id: str) -> tuple[int, int | None, int]:
    """Rolls, closest miss and wins of one viewer, straight from the rolls table."""
    with sqlite3.connect(tmp_path / "data" / "keyboard_raffle.sqlite3") as conn:
        row = conn.execute(
            "SELECT COUNT(*), MIN(CASE WHEN is_winner = 0 THEN distance END), SUM(is_winner) FROM rolls "
            "WHERE user_id = ?",
            (user_id,),
        ).fetchone()
    return int(row[0]), row[1], int(row[2] or 0)


def assert_explains_the_game(reply: str, name: str) -> None:
    assert reply.startswith(f"@{name} "), reply
    lowered = reply.lower()
    assert "redeem" in lowered and "1-10000" in lowered and "exact match wins" in lowered, reply


async def _rolled_through_redemptions(rig: Rig, login: str, times: int) -> None:
    rewards, pool = rig.engine.rewards, rig.engine.pool
    assert rewards is not None and pool is not None
    info = await rewards.get("raffle")
    assert info is not None
    for _ in range(times):
        await rig.post("/redemptions", {"reward_id": info.reward_id, "user": login})

    async def done() -> bool:
        runs = await pool.journal.runs((RunStatus.COMPLETED,), limit=100)
        return sum(1 for r in runs if r.type == "keyboard_raffle") == times

    await wait_for(done, timeout=30)


@pytest.mark.slow
async def test_raffle_explains_the_game_and_gives_the_viewers_own_stats(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await ready(rig)
        await _rolled_through_redemptions(rig, "kiwi_fan", 3)
        await seed(rig, [Seed("lucky_lu", 2, (7, 3, 12)), Seed("one_shot", 0, (42,))])
        kiwi = await viewer_id(rig, "kiwi_fan")
        sent_before = len(rig.sim.channel.sent_by_app())

        # Stats from the rolls the workflow stored (random numbers: recounted from the table).
        reply = await command(rig, "kiwi_fan", "!raffle")
        assert_explains_the_game(reply, "kiwi_fan")
        assert recount(tmp_path, kiwi)[0] == 3
        assert reply.endswith(f" You: {stats_text(*recount(tmp_path, kiwi))}"), reply

        # Seeded rolls: the closest miss ignores the wins; one roll is singular.
        reply = await command(rig, "lucky_lu", "!raffle")
        assert_explains_the_game(reply, "lucky_lu")
        assert reply.endswith(" You: 5 rolls (closest: 3, 2 wins!)"), reply
        reply = await command(rig, "one_shot", "!RAFFLE  ")
        assert reply.endswith(" You: 1 roll (closest: 42)"), reply

        # A viewer who never rolled gets the explanation and no numbers.
        reply = await command(rig, "fresh_face", "!raffle")
        assert_explains_the_game(reply, "fresh_face")
        assert reply.endswith("You have not rolled yet."), reply
        assert "You:" not in reply

        # One reply per command, nothing for ordinary chat.
        assert len(rig.sim.channel.sent_by_app()) == sent_before + 4


@pytest.mark.slow
async def test_leaderboard_and_its_alias_answer_the_top_five_winners(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await ready(rig)
        await viewer_id(rig, "asker")
        assert "Nobody has rolled" in await command(rig, "asker", "!leaderboard")
        await seed(rig, [Seed("only_misses", 0, (1, 2))])
        assert "Nobody has won" in await command(rig, "asker", "!leaderboard")

        # Six winners with distinct win counts, plus a viewer with more rolls but no win.
        winners = [(f"winner_{n}", n) for n in (4, 6, 1, 5, 2, 3)]
        await seed(rig, [Seed(name, wins, (100,)) for name, wins in winners] + [Seed("many_rolls", 0, (9,) * 8)])
        expected = leaderboard_text(sorted(winners, key=lambda w: -w[1])[:5])
        assert (
            expected
            == "Raffle wins: 1. @winner_6 (6) 2. @winner_5 (5) 3. @winner_4 (4) 4. @winner_3 (3) 5. @winner_2 (2)"
        )

        by_name = await command(rig, "asker", "!leaderboard")
        # Another line in between: Twitch drops a repeat of the sender's previous line.
        await command(rig, "asker", "!raffle")
        by_alias = await command(rig, "asker", "!raffle-leaderboard")
        assert by_name == by_alias == expected


@pytest.mark.slow
async def test_replies_stay_within_500_characters_with_sixty_long_named_viewers(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await ready(rig)
        names = [f"long_named_viewer_no_{i:04d}" for i in range(60)]
        assert {len(n) for n in names} == {25}  # the longest Twitch login
        await seed(rig, [Seed(name, 1 + i % 4, (i + 1,)) for i, name in enumerate(names)])
        raffle: KeyboardRaffle | None = rig.engine.raffle
        assert raffle is not None and (await raffle.totals()).players == 60

        replies = [
            await command(rig, names[-1], "!leaderboard"),
            await command(rig, names[-1], "!raffle"),
            await command(rig, names[0], "!raffle-leaderboard"),
            await command(rig, "a" * 25, "!raffle"),
        ]
        assert all(len(r) <= CHAT_LIMIT for r in replies), [len(r) for r in replies]
        # Four wins tie at the top: the most recent roller first (reference §4.5 order: wins, rolls, last roll).
        top = [(n, 4) for n in reversed([n for i, n in enumerate(names) if i % 4 == 3])][:5]
        assert replies[0] == replies[2] == leaderboard_text(top)
        assert replies[1].endswith(f" You: {stats_text(5, 60, 4)}")
        assert replies[3].endswith("You have not rolled yet.")


async def _palette(app: StreamdeckApp) -> dict[str, tuple[str, object]]:
    return {c.title: (c.help, c.callback) for c in app.get_system_commands(app.screen)}


@pytest.mark.slow
async def test_every_raffle_action_is_in_the_command_palette_and_runs_from_there(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as rig:
        await ready(rig)
        await seed(rig, [Seed("prize_winner", 1)])
        raffle = rig.engine.raffle
        assert raffle is not None
        app = StreamdeckApp(RunningLauncher(rig.engine))
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            home = app.screen
            palette = await _palette(app)
            for title, help_text, _ in RAFFLE_COMMANDS:
                assert title in palette, title
                assert palette[title][0] == help_text

            def run(title: str) -> None:
                callback = palette[title][1]
                assert callable(callback)
                callback()

            async def back_home() -> None:
                while app.screen is not home:
                    await pilot.press("escape")
                await app.workers.wait_for_complete()

            run("Raffle: open or close")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            assert isinstance(app.screen, Confirm) and "raffle" in app.screen.question.lower()
            await back_home()

            run("Raffle: manual roll")
            await wait_for(lambda: isinstance(app.screen, TextPrompt))
            assert isinstance(app.screen, TextPrompt) and "Manual roll" in app.screen.question
            await back_home()

            run("Raffle: post leaderboard")
            await wait_for(lambda: isinstance(app.screen, Confirm))
            assert isinstance(app.screen, Confirm)
            assert app.screen.question.endswith("Raffle wins: 1. @prize_winner (1)")
            await back_home()

            run("Raffle: test roll")
            await wait_for(lambda: isinstance(app.screen, RaffleScreen))
            screen = app.screen

            def test_roll_shown() -> bool:
                shown = screen.query("#test-roll").results(Static)
                return any(str(w.content).startswith("Test roll (not recorded): rolled ") for w in shown)

            await wait_for(test_roll_shown)
            await back_home()

            # The palette offers the same actions on the Raffle screen itself; there, once the winners are read,
            # "prize sent" marks the selected winner. (From another screen it races the first read: see the report.)
            await pilot.press("r")
            await wait_for(lambda: isinstance(app.screen, RaffleScreen) and bool(app.screen.winners))
            palette = await _palette(app)
            assert {t for t, _, _ in RAFFLE_COMMANDS} <= set(palette)
            assert (await raffle.winners())[0].prize_sent is False
            run("Raffle: prize sent")

            async def prize_sent() -> bool:
                return (await raffle.winners())[0].prize_sent

            await wait_for(prize_sent)
            await back_home()

        # Nothing went to chat without a yes, and the test roll recorded nothing.
        assert (await raffle.totals()).rolls == 1
        assert not [m for m in rig.sim.channel.sent_by_app() if "Raffle wins" in m.text]


def test_every_key_of_the_raffle_screen_is_also_a_palette_command() -> None:
    keys = {b.action for b in RaffleScreen.BINDINGS if b.action != "app.pop_screen"}
    assert keys <= {action for _, _, action in RAFFLE_COMMANDS}, keys - {a for _, _, a in RAFFLE_COMMANDS}
