"""Owner keys minted at once by many threads on a fresh server all verify, there and after a restart."""

import threading
from pathlib import Path

from glassnet.runs.owners import Keys


def test_keys_minted_at_once_on_a_fresh_server_all_verify(tmp_path: Path):
    # the first keys of a class come from the routes' threads at once, before any secret exists: every one of
    # them must be signed with the one secret the server keeps (it once kept the last of several, refusing keys)
    for attempt in range(20):
        data_dir = tmp_path / str(attempt)
        keys = Keys(data_dir, None, 60)
        minted = mint_at_once(keys, 16)
        restarted = Keys(data_dir, None, 60)
        for key, owner in minted:
            assert keys.owner_of(key) == owner and restarted.owner_of(key) == owner
        assert [p.name for p in data_dir.iterdir()] == ["secret"]  # (no temporary file left behind)


def mint_at_once(keys: Keys, threads: int) -> list[tuple[str, str]]:
    start = threading.Barrier(threads)
    minted: list[tuple[str, str]] = []

    def mint() -> None:
        start.wait()
        minted.append(keys.mint())

    running = [threading.Thread(target=mint) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return minted
