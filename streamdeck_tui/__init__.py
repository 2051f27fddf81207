"""streamdeck-tui: a terminal console for Twitch streamers.

Kept free of eager imports so that importing a core package never drags in the UI.
"""

__version__ = "0.1.0"
