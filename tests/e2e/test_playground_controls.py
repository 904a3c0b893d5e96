"""Every family of controls changes the run it should; a shared URL reproduces the config; the
language switch changes every label; the page is keyboard operable."""

import re
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import play_and_get_config, run_id, show_advanced, stop_run

pytestmark = pytest.mark.e2e

# (what a person does, the config path it must change, the value expected there)
FAMILIES = [
    ("select", "#model-activation", "relu", "model.activation", "relu"),
    ("select", "#optimizer-name", "momentum", "optimizer.name", "momentum"),
    ("fill", "#optimizer-momentum", "0.5", "optimizer.momentum", 0.5),
    ("fill", "#optimizer-lr", "0.03", "optimizer.lr", 0.03),
    ("select", "#model-init-name", "xavier_uniform", "model.init.name", "xavier_uniform"),
    ("select", "#model-norm", "batch", "model.norm", "batch"),
    ("select", "#model-norm_position", "after", "model.norm_position", "after"),
    ("check", "#model-residual", None, "model.residual", True),
    ("fill", "#model-dropout", "0.2", "model.dropout", 0.2),
    ("select", "#schedule-name", "cosine", "schedule.name", "cosine"),
    ("select", "#clipping-name", "norm", "clipping.name", "norm"),
    ("fill", "#clipping-max_norm", "0.5", "clipping.max_norm", 0.5),
    ("fill", "#regularization-l1", "0.001", "regularization.l1", 0.001),
    ("fill", "#optimizer-weight_decay", "0.01", "optimizer.weight_decay", 0.01),
    ("fill", "#dataset-noise", "0.3", "dataset.noise", 0.3),
    ("fill", "#dataset-train_fraction", "0.7", "dataset.train_fraction", 0.7),
    ("check", "[data-testid=dataset-features-x1x2]", None, "dataset.features", ["x1", "x2", "x1x2"]),
    ("select", "#dataset-preprocessing", "standardize", "dataset.preprocessing", "standardize"),
    ("fill", "#batch_size", "32", "batch_size", 32),
    ("select", "#loss", "mse", "loss", "mse"),
    ("fill", "#seed", "7", "seed", 7),
]


def get(config: dict, path: str):
    for key in path.split("."):
        config = config[key]
    return config


def act(page, how: str, selector: str, value: str | None) -> None:
    control = page.locator(selector)
    if how == "select":
        control.select_option(value)
    elif how == "fill":
        control.fill(value)
        control.press("Tab")
    else:
        control.check()


def test_each_control_family_changes_the_run_it_should(page, server_url, artifacts):
    page.goto(server_url)
    show_advanced(page)
    page.locator("#steps").fill("100000")
    for how, selector, value, _path, _expected in FAMILIES:
        act(page, how, selector, value)
    config = play_and_get_config(page, server_url)
    for _how, _selector, _value, path, expected in FAMILIES:
        assert get(config, path) == expected, path
    page.screenshot(path=str(artifacts / "controls-all-changed.png"), full_page=True)
    stop_run(page)


def test_a_choice_shows_exactly_its_parameters(page, server_url):
    page.goto(server_url)
    options = httpx.get(f"{server_url}/api/options").json()
    # the beginner view shows the learning rate alone; the advanced settings show every parameter
    page.locator("#optimizer-name").select_option("adam")
    expect(page.locator("#optimizer-lr")).to_be_visible()
    expect(page.locator("#optimizer-beta1")).to_be_hidden()
    show_advanced(page)
    for optimizer in options["optimizers"]:
        page.locator("#optimizer-name").select_option(optimizer["name"])
        for param in optimizer["params"]:
            expect(page.locator(f"#optimizer-{param['name']}")).to_be_visible()
        shown = page.locator("[id^=optimizer-]:not(#optimizer-name)").evaluate_all("els => els.map(e => e.id)")
        assert sorted(shown) == sorted(f"optimizer-{p['name']}" for p in optimizer["params"]), optimizer["name"]
    # every choice has a tooltip that says what it does
    titles = page.locator("#model-activation option").evaluate_all("els => els.map(e => e.title)")
    assert len(titles) == len(options["activations"]) and all(titles)


def test_switching_optimizer_takes_its_own_defaults_and_keeps_the_rest(page, server_url):
    page.goto(server_url)
    show_advanced(page)
    momentum = page.locator("#optimizer-momentum")
    page.locator("#optimizer-name").select_option("momentum")
    page.locator("#optimizer-weight_decay").fill("0.01")
    page.locator("#optimizer-weight_decay").press("Enter")
    expect(momentum).to_have_value("0.9")
    page.locator("#optimizer-name").select_option("rmsprop")  # plain RMSprop: its own momentum default is 0
    expect(momentum).to_have_value("0")
    expect(page.locator("#optimizer-weight_decay")).to_have_value("0.01")  # a tuned setting stays
    page.locator("#optimizer-name").select_option("nesterov")
    expect(momentum).to_have_value("0.9")
    # a link that names RMSprop alone gets the same
    page.goto(f"{server_url}/?optimizer.name=rmsprop")
    expect(page.locator("#optimizer-name")).to_have_value("rmsprop")
    expect(momentum).to_have_value("0")


def test_a_shared_url_reproduces_the_config_and_the_run(page, browser, server_url, artifacts):
    page.goto(server_url)
    page.locator("#model-activation").select_option("relu")
    page.locator("#optimizer-name").select_option("sgd")
    page.locator("#optimizer-lr").fill("0.05")
    show_advanced(page)
    page.locator("#seed").fill("11")
    page.locator("#steps").fill("300")
    page.locator("#steps").press("Tab")
    shared = page.url
    assert "model.activation=relu" in shared and "seed=11" in shared
    first = play_and_get_config(page, server_url)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    first_id = run_id(page)

    # a second person opens the link in a fresh browser context
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    page2 = other.new_page()
    page2.goto(shared)
    expect(page2.locator("#model-activation")).to_have_value("relu")
    expect(page2.locator("#optimizer-lr")).to_have_value("0.05")
    second = play_and_get_config(page2, server_url)
    assert second == first
    expect(page2.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    # same seed, same config: the same run, down to the last bit of its final weights
    a = httpx.get(f"{server_url}/api/runs/{first_id}/checkpoint").content
    b = httpx.get(f"{server_url}/api/runs/{run_id(page2)}/checkpoint").content
    assert len(a) > 100 and a == b
    page2.screenshot(path=str(artifacts / "controls-shared-url.png"))
    other.close()


def test_a_bad_value_in_a_link_is_named_and_the_rest_applies(page, server_url):
    page.goto(f"{server_url}/?optimizer.lr=fast&seed=5&model.nope=1")
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("optimizer.lr")
    expect(error).to_contain_text("model.nope")
    expect(page.locator("#seed")).to_have_value("5")


def test_a_config_the_server_rejects_shows_its_message(page, server_url, artifacts):
    # each value is within its range (the page sends it), but the loss does not fit the data: the server says so
    page.goto(f"{server_url}/?dataset.name=sine&loss=ce")
    page.get_by_test_id("play").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("loss: 'ce' is for classification")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    page.screenshot(path=str(artifacts / "controls-rejected.png"))


LABELS = "label, button, h2, legend, summary, [role=tab], option:checked, th"
PROSE = re.compile(r"[A-Za-z]{4,}\s+[A-Za-z]{3,}")  # two English words in a row
CJK = re.compile(r"[\u4e00-\u9fff]")


def visible_texts(page) -> list[str]:
    return page.locator(LABELS).evaluate_all(
        "els => els.filter(e => e.offsetParent !== null || e.tagName === 'OPTION')"
        ".map(e => e.innerText ?? e.textContent).map(t => (t || '').trim()).filter(Boolean)"
    )


def test_the_language_switch_changes_every_label(page, server_url, artifacts):
    page.goto(server_url)
    expect(page.get_by_test_id("play")).to_have_text("Play")
    expect(page.locator("#steps")).to_be_visible()  # the form is built (from /api/options): its labels are there
    english = [t for t in visible_texts(page) if PROSE.search(t)]
    assert len(english) >= 10
    page.get_by_test_id("language").select_option("zh")
    expect(page.get_by_test_id("play")).to_have_text("运行")
    assert "lang=zh" in page.url
    untranslated = [t for t in visible_texts(page) if PROSE.search(t) and not CJK.search(t)]
    assert untranslated == []
    page.screenshot(path=str(artifacts / "controls-zh.png"), full_page=True)
    # the choice is remembered, and a link with lang=zh opens in Chinese
    page.reload()
    expect(page.get_by_test_id("play")).to_have_text("运行")
    page.get_by_test_id("language").select_option("en")
    expect(page.get_by_test_id("play")).to_have_text("Play")


def test_keyboard_alone_starts_pauses_and_changes_settings(page, server_url):
    page.goto(server_url)
    page.locator("#steps").fill("1000000")
    page.locator("#steps").press("Tab")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Space")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=30_000)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Space")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "paused", timeout=15_000)
    # Tab reaches the controls; each focusable control has an accessible name
    unnamed = page.locator("input, select, button").evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).filter(e => !(e.labels && e.labels.length) &&"
        " !e.getAttribute('aria-label') && !(e.innerText || '').trim() && !e.title).map(e => e.outerHTML.slice(0, 80))"
    )
    assert unnamed == []
    page.get_by_test_id("stop").click()


def test_changing_a_setting_while_training_restarts_and_lr_goes_live(page, server_url):
    page.goto(server_url)
    page.locator("#steps").fill("1000000")
    config = play_and_get_config(page, server_url)
    first = run_id(page)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=30_000)
    page.locator("#optimizer-lr").fill("0.002")
    page.locator("#optimizer-lr").press("Tab")
    page.wait_for_timeout(1500)
    assert run_id(page) == first  # the learning rate changed live, the run went on
    page.wait_for_function(
        "() => document.querySelector('[data-testid=status]').dataset.status === 'running'", timeout=15_000
    )
    page.locator("#model-activation").select_option("relu")
    page.wait_for_function(
        "(first) => document.querySelector('[data-testid=status]').dataset.runId !== first", arg=first, timeout=15_000
    )
    restarted = httpx.get(f"{server_url}/api/runs/{run_id(page)}").json()["config"]
    assert restarted["model"]["activation"] == "relu" and restarted["optimizer"]["lr"] == 0.002
    assert config["model"]["activation"] == "tanh"
    page.get_by_test_id("stop").click()


def test_no_request_leaves_the_server(page, server_url):
    page.goto(server_url)
    page.get_by_test_id("language").select_option("zh")
    for tab in ("images", "sequences", "compare", "playground"):
        page.get_by_test_id(f"tab-{tab}").click()
    server = urlparse(server_url).netloc
    foreign = [u for u in page.requests_seen if urlparse(u).scheme in {"http", "https", "ws", "wss"}]
    assert [u for u in foreign if urlparse(u).netloc != server] == []
