"""Link resolvers for the render-budget tests. They run inside the render process,
which imports them by name, so this module must not import Django."""

import time


class SleepingResolver:
    """A link resolver that never answers in time."""

    def __call__(self, url: str) -> str | None:
        time.sleep(60)
        return None


class GreedyResolver:
    """A link resolver that asks for far more memory than the render process may use."""

    def __call__(self, url: str) -> str | None:
        hoard = bytearray(4 * 1024**3)
        return str(len(hoard))
