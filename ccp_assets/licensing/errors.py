"""One exception type for every way a pack can be refused, so callers catch one thing and show one line."""

from __future__ import annotations


class LicenseError(ValueError):
    """A pack, policy, revocation list or keyring was refused.

    `reason` is a one-line, human sentence naming the exact cause. It never contains the signature or the
    whole pack, so it is safe to log and to print.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
