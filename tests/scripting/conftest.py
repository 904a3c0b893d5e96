"""The client and the CLI keep their owner keys in the user's config dir: these tests use a fresh one, never
the real home's."""

import pytest


@pytest.fixture(scope="session", autouse=True)
def config_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("config")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(home))
        patch.delenv("GLASSNET_OWNER_KEY", raising=False)
        yield home
