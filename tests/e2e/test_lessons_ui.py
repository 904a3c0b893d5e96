"""The Lessons tab: every lesson opens (a test each), takes a prediction, checks its claim on the server and
passes; the verdict says in two statements whether the claim held (on how many of its 5 seeds, each seed's verdict
folded under it) and whether the prediction was right, names its figures in words and draws the arms' loss curves
on one chart, each as the median of its seeds in a min-max band; a check asked again says it came from the
server's cache; an arm loads into the playground with the watched panel highlighted; a lesson's link opens it;
both languages; a desktop and a phone screen."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from glassnet.lessons import LESSONS
from tests.e2e.helpers import run_id, stop_run

pytestmark = pytest.mark.e2e

CHECK_TIMEOUT = 60_000  # a lesson check trains its arms on the server's CPU: 0.2-5 s here
SHOTS = Path("/tmp/shots-lessons")  # screenshots to look at (also kept under the artifacts)
CJK = re.compile("[\u4e00-\u9fff]")
SEEDS = 5  # a network lesson's check trains each arm on seeds 0-4
BAND_LEGEND = {"en": f"median of {SEEDS} seeds, band: min–max", "zh": f"{SEEDS} 个种子的中位数，色带：最小–最大"}
SEEDS_HELD = {
    "en": re.compile(rf"Held on [45] of {SEEDS} seeds; it has to on at least 4\."),
    "zh": re.compile(rf"在 {SEEDS} 个随机种子中的 [45] 个上成立；至少需要 4 个。"),
}
CLAIM_HELD = {"en": "The claim held.", "zh": "结论成立。"}


def lessons(server_url: str) -> list[dict]:
    return httpx.get(f"{server_url}/api/lessons").json()


def open_tab(page: Page, server_url: str, query: str = "") -> None:
    page.goto(f"{server_url}/{query}")
    page.get_by_test_id("tab-lessons").click()
    expect(page.get_by_test_id("lessons-list").locator("li")).not_to_have_count(0)


def assert_figures_named(page: Page) -> None:
    """Every figure of the verdict's table is named in words: no figure key (`relu_dead`) reaches the page."""
    rows = page.get_by_test_id("lesson-figures").locator("tbody tr")
    for row in rows.all():
        key = row.get_attribute("data-figure") or ""
        name = row.get_by_test_id("lesson-figure-name").inner_text()
        assert name.strip() and "_" not in name and key not in name, (key, name)
    table = page.get_by_test_id("lesson-figures").inner_text()
    assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", table), table


def assert_curves(page: Page, lesson: dict, lang: str) -> None:
    """The arms' loss curves: a network lesson's on one chart, each arm a median line in a min-max band over its
    seeds, a legend naming each arm and saying what the band is; a lab lesson's setups one chart each."""
    charts = page.get_by_test_id("lesson-curve")
    arms = [arm["name"] for arm in lesson["arms"]]
    if lesson["kind"] == "network":
        expect(charts).to_have_count(1)
        expect(charts.first).to_have_attribute("data-names", ",".join(arms))
        expect(charts.first).to_have_attribute("data-seeds", str(SEEDS))
        plot = page.get_by_test_id("lesson-curve-chart-0")
        expect(plot).to_have_attribute("data-band-runs", str(SEEDS))
        assert int(plot.get_attribute("data-band-points") or 0) >= 2
        assert float(plot.get_attribute("data-band-spread") or 0) > 0  # the seeds differ: a band, not one line
        legend = page.get_by_test_id("lesson-curve-chart-0-legend")
        for arm in lesson["arms"]:
            expect(legend).to_contain_text(arm["label"][lang])
        expect(legend).to_contain_text(BAND_LEGEND[lang])
    else:
        expect(charts).to_have_count(len(arms))
        for chart, arm in zip(charts.all(), lesson["arms"], strict=True):
            expect(chart).to_have_attribute("data-lines", str(len(arm["lab"]["optimizers"])))
            expect(chart).to_contain_text(arm["label"][lang])


def assert_seeds(page: Page, lang: str) -> None:
    """A network lesson's verdict says on how many of its seeds the claim held and how many it needs; each seed's
    verdict is folded under it, as many held as it says."""
    held = page.get_by_test_id("lesson-seeds-held")
    expect(held).to_have_text(SEEDS_HELD[lang])
    expect(held).to_have_attribute("data-of", str(SEEDS))
    seeds = page.get_by_test_id("lesson-seeds")
    rows = seeds.locator("li")
    expect(rows).to_have_count(SEEDS)
    if seeds.get_attribute("open") is None:
        expect(rows.first).to_be_hidden()
        seeds.locator("summary").click()
    expect(rows.first).to_be_visible()
    assert [row.get_attribute("data-seed") for row in rows.all()] == [str(seed) for seed in range(SEEDS)]
    passed = sum(row.get_attribute("data-passed") == "true" for row in rows.all())
    assert str(passed) == held.get_attribute("data-held")
    for row in rows.all():
        assert row.inner_text().strip(), "a seed without its summary"


def test_the_list_follows_the_lessons_order_with_their_titles(page, server_url):
    all_lessons = lessons(server_url)
    assert [lesson["id"] for lesson in all_lessons] == list(LESSONS) and len(all_lessons) >= 10
    open_tab(page, server_url)
    items = page.get_by_test_id("lessons-list").locator("li button")
    expect(items).to_have_count(len(all_lessons))
    for item, lesson in zip(items.all(), sorted(all_lessons, key=lambda lesson: lesson["order"]), strict=True):
        expect(item).to_contain_text(lesson["title"]["en"])


# one test per lesson, each its own pytest-xdist group: the checks train on the server, and spread over workers
@pytest.mark.parametrize(
    "lesson_id", [pytest.param(id, marks=pytest.mark.xdist_group(f"lesson-{id}")) for id in LESSONS]
)
def test_a_lesson_checks_its_claim(page, server_url, artifacts, lesson_id):
    lesson = next(lesson for lesson in lessons(server_url) if lesson["id"] == lesson_id)
    open_tab(page, server_url)
    page.get_by_test_id(f"lesson-item-{lesson['id']}").click()
    expect(page.get_by_test_id("lesson-detail").locator("[data-lesson]")).to_have_attribute("data-lesson", lesson["id"])
    expect(page.get_by_test_id("lesson-question")).to_have_text(lesson["question"]["en"])
    assert f"lesson={lesson['id']}" in page.url
    check = page.get_by_test_id("lesson-check")
    expect(check).to_be_disabled()  # a prediction first
    wrong = 0 if lesson["answer"] != 0 else 1
    page.get_by_test_id(f"lesson-pick-{wrong}").check()
    expect(check).to_be_enabled()
    check.click()
    verdict = page.get_by_test_id("lesson-verdict")
    expect(verdict).to_have_attribute("data-passed", "true", timeout=CHECK_TIMEOUT)
    expect(page.get_by_test_id("lesson-badge")).to_have_text("Held")
    if lesson["kind"] == "network":
        expect(page.get_by_test_id("lesson-claim")).to_contain_text(CLAIM_HELD["en"])
        assert_seeds(page, "en")
    else:  # a lab lesson has no seeds
        expect(page.get_by_test_id("lesson-claim")).to_contain_text("The claim held in this run.")
        expect(page.get_by_test_id("lesson-seeds")).to_have_count(0)
    expect(page.get_by_test_id("lesson-summary")).not_to_be_empty()
    figures = page.get_by_test_id("lesson-figures").locator("tbody tr")
    assert figures.count() >= 1
    assert any(row.get_attribute("data-value") for row in figures.all())  # numbers, not only nulls
    assert_figures_named(page)
    assert_curves(page, lesson, "en")
    runs = page.get_by_test_id("lesson-runs").locator("tbody tr")
    assert [row.get_attribute("data-arm") for row in runs.all()] == [arm["name"] for arm in lesson["arms"]]
    # the wrong pick is called wrong, apart from the claim, with the pick and the right answer; the explanation
    result = page.get_by_test_id("lesson-pick-result")
    expect(result).to_have_attribute("data-right", "false")
    expect(result).to_contain_text("Not this one")
    expect(result).to_contain_text(lesson["predictions"][wrong]["en"])
    expect(result).to_contain_text(lesson["predictions"][lesson["answer"]]["en"])
    expect(page.get_by_test_id("lesson-explanation")).to_contain_text(lesson["explanation"]["en"][:40])
    # the list marks the lesson as passed
    expect(page.get_by_test_id(f"lesson-item-{lesson_id}").locator(".mark.pass")).to_have_count(1)
    page.screenshot(path=str(artifacts / f"lessons-verdict-{lesson_id}.png"), full_page=True)


def test_load_and_play_an_arm(page, server_url, artifacts):
    lesson = next(lesson for lesson in lessons(server_url) if lesson["id"] == "dead-relu")
    leaky = next(arm for arm in lesson["arms"] if arm["name"] == "leaky_relu")
    open_tab(page, server_url)
    page.get_by_test_id("lesson-item-dead-relu").click()
    page.get_by_test_id("lesson-load-leaky_relu").click()
    # the playground, with the watched panel outlined and the arm in the draft
    expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("pathology-panel")).to_have_attribute("data-watched", "true")
    expect(page.get_by_test_id("loss-panel")).to_have_attribute("data-watched", "false")
    expect(page.locator("#model-activation")).to_have_value(leaky["config"]["model"]["activation"])
    assert "model.activation=leaky_relu" in page.url and "lesson=dead-relu" in page.url
    page.screenshot(path=str(artifacts / "lessons-loaded.png"))

    page.get_by_test_id("tab-lessons").click()
    relu = lesson["arms"][0]
    before = run_id(page)
    page.get_by_test_id(f"lesson-play-{relu['name']}").click()
    expect(page.get_by_test_id("pathology-panel")).to_have_attribute("data-watched", "true")
    page.wait_for_function(
        "(before) => { const id = document.querySelector('[data-testid=status]').dataset.runId;"
        " return id && id !== before; }",
        arg=before,
        timeout=30_000,
    )
    stored = httpx.get(f"{server_url}/api/runs/{run_id(page)}").json()["config"]
    for key in ("dataset", "model", "optimizer"):
        assert stored[key] == relu["config"][key], key
    page.screenshot(path=str(artifacts / "lessons-playing.png"))
    stop_run(page)


def test_a_lesson_link_opens_it_in_both_languages(page, server_url, artifacts):
    lesson = next(lesson for lesson in lessons(server_url) if lesson["id"] == "dead-relu")
    page.goto(f"{server_url}/?tab=lessons&lesson=dead-relu")
    expect(page.get_by_test_id("lesson-question")).to_have_text(lesson["question"]["en"])
    expect(page.get_by_test_id("lesson-item-dead-relu")).to_have_attribute("aria-current", "true")
    # the first arm is loaded into the draft: the URL carries its settings, the playground shows them
    first = lesson["arms"][0]["config"]
    expect(page).to_have_url(re.compile(r"model\.init\.bias_value=-2\b"))
    page.get_by_test_id("language").select_option("zh")
    expect(page.get_by_test_id("lesson-question")).to_have_text(lesson["question"]["zh"])
    expect(page.get_by_test_id("lesson-item-dead-relu")).to_contain_text(lesson["title"]["zh"])
    page.get_by_test_id("lesson-explain").click()
    expect(page.get_by_test_id("lesson-explanation")).to_contain_text(lesson["explanation"]["zh"][:20])
    page.screenshot(path=str(artifacts / "lessons-zh.png"), full_page=True)
    # the right pick is called right, in Chinese
    page.get_by_test_id(f"lesson-pick-{lesson['answer']}").check()
    page.get_by_test_id("lesson-check").click()
    expect(page.get_by_test_id("lesson-badge")).to_have_text("成立", timeout=CHECK_TIMEOUT)
    expect(page.get_by_test_id("lesson-pick-result")).to_have_attribute("data-right", "true")
    expect(page.get_by_test_id("lesson-summary")).to_have_text(re.compile("[\u4e00-\u9fff]"))
    page.screenshot(path=str(artifacts / "lessons-zh-checked.png"), full_page=True)
    page.get_by_test_id("tab-playground").click()
    expect(page.locator("#model-activation")).to_have_value(first["model"]["activation"])
    expect(page.get_by_test_id("pathology-panel")).to_have_attribute("data-watched", "true")


def test_the_list_is_keyboard_operable(page, server_url):
    ordered = sorted(lessons(server_url), key=lambda lesson: lesson["order"])
    open_tab(page, server_url)
    first = page.get_by_test_id(f"lesson-item-{ordered[0]['id']}")
    first.focus()
    page.keyboard.press("ArrowDown")
    second = page.get_by_test_id(f"lesson-item-{ordered[1]['id']}")
    expect(second).to_have_attribute("aria-current", "true")
    expect(second).to_be_focused()
    expect(page.get_by_test_id("lesson-question")).to_have_text(ordered[1]["question"]["en"])
    # a prediction by keyboard: Space on a radio, then Enter on the check button
    page.get_by_test_id("lesson-pick-0").focus()
    page.keyboard.press("Space")
    expect(page.get_by_test_id("lesson-pick-0")).to_be_checked()
    page.get_by_test_id("lesson-check").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("lesson-verdict")).to_have_attribute("data-passed", "true", timeout=CHECK_TIMEOUT)


def test_a_lab_lessons_setup_opens_in_the_optimizer_lab(page, server_url, artifacts):
    lesson = next(lesson for lesson in lessons(server_url) if lesson["kind"] == "lab")
    bowl = lesson["arms"][-1]["lab"]
    open_tab(page, server_url)
    page.get_by_test_id(f"lesson-item-{lesson['id']}").click()
    expect(page.get_by_test_id(f"lesson-play-{lesson['arms'][0]['name']}")).to_have_count(0)  # one button: the lab
    page.get_by_test_id("lesson-check").is_disabled()
    page.get_by_test_id("lesson-pick-0").check()
    page.get_by_test_id("lesson-check").click()
    expect(page.get_by_test_id("lesson-verdict")).to_have_attribute("data-passed", "true", timeout=CHECK_TIMEOUT)
    ends = page.get_by_test_id("lesson-runs").locator(f"tr[data-arm={lesson['arms'][-1]['name']}] [data-optimizer]")
    expect(ends).to_have_count(len(bowl["optimizers"]))
    page.screenshot(path=str(artifacts / "lessons-lab-verdict.png"), full_page=True)

    page.get_by_test_id(f"lesson-load-{lesson['arms'][-1]['name']}").click()
    expect(page.get_by_test_id("tab-lab")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("optimizer-lab")).to_have_attribute("data-watched", "true")
    lab = page.locator("[data-testid=optimizer-lab] .lab")
    expect(lab).to_have_attribute("data-surface", bowl["surface"])
    expect(lab).to_have_attribute("data-k", f"{bowl['k']:g}")
    expect(lab).to_have_attribute("data-start", ",".join(f"{v:g}" for v in bowl["start"]))
    expect(lab).to_have_attribute("data-paths", str(len(bowl["optimizers"])), timeout=30_000)
    names = [o["name"] for o in bowl["optimizers"]]
    for name in ("sgd", "momentum", "adam"):
        expect(page.get_by_test_id(f"lab-opt-{name}")).to_be_checked(checked=name in names)
    expect(page.get_by_test_id("lab-steps")).to_have_value(str(bowl["steps"]))
    # the lab draws the same paths the check judged: the same final losses
    expected = httpx.post(f"{server_url}/api/lab/run", json=bowl).json()["paths"]
    page.wait_for_function(
        "(n) => { const e = document.querySelector('[data-testid=optimizer-lab] .lab');"
        " return e.dataset.running === 'false' && JSON.parse(e.dataset.finalLosses).length === n; }",
        arg=len(names),
    )
    shown = [float(v) for v in (lab.get_attribute("data-final-losses") or "").strip("[]").split(",")]
    assert shown == pytest.approx([p["final_loss"] for p in expected], rel=1e-9)
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lessons-lab-opened.png"))

    # the lesson's link opens the lab with its first setup
    page.goto(f"{server_url}/?tab=lessons&lesson={lesson['id']}")
    expect(page.get_by_test_id("lesson-question")).to_have_text(lesson["question"]["en"])
    page.get_by_test_id("tab-lab").click()
    expect(lab).to_have_attribute("data-surface", lesson["arms"][0]["lab"]["surface"])


def test_each_arm_shows_what_it_changes(page, server_url):
    open_tab(page, server_url, "?lang=en")
    page.get_by_test_id("lesson-item-overfitting").click()
    rows = page.get_by_test_id("lesson-detail").locator(".arms li")
    expect(rows.first).to_contain_text("the baseline")  # no regularization: the others each change one thing
    expect(rows.nth(1)).to_contain_text("optimizer.weight_decay=0.003")
    assert "model.dropout" not in rows.nth(1).inner_text()  # what the weight-decay arm shares with most is left out
    expect(rows.nth(2)).to_contain_text("model.dropout=0.5")


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_verdict_in_both_languages_at_two_sizes(browser, server_url, artifacts, size):
    """A wrong pick on the dying-ReLU lesson: the claim held (measured) and the prediction was not it, said apart;
    the figures named in words and the three arms' curves on one chart, in English, then in Chinese; nothing wider
    than the screen."""
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    SHOTS.mkdir(exist_ok=True)
    try:
        lesson = next(lesson for lesson in lessons(server_url) if lesson["id"] == "dead-relu")
        page.goto(f"{server_url}/?tab=lessons&lesson=dead-relu&lang=en")
        wrong = (lesson["answer"] + 1) % len(lesson["predictions"])
        page.get_by_test_id(f"lesson-pick-{wrong}").check()
        page.get_by_test_id("lesson-check").click()
        claim = page.get_by_test_id("lesson-claim")
        expect(claim).to_have_attribute("data-held", "true", timeout=CHECK_TIMEOUT)
        expect(claim).to_contain_text(CLAIM_HELD["en"])
        result = page.get_by_test_id("lesson-pick-result")
        expect(result).to_contain_text("Your prediction")
        expect(result).to_contain_text("Not this one")
        # the two statements: the claim's first, the prediction's after it, each under its own heading
        claim_box, result_box = claim.bounding_box(), result.bounding_box()
        assert claim_box and result_box and claim_box["y"] < result_box["y"]
        assert_figures_named(page)
        assert_curves(page, lesson, "en")
        expect(page.get_by_test_id("lesson-seeds-held")).to_have_text(SEEDS_HELD["en"])
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.get_by_test_id("lesson-verdict").scroll_into_view_if_needed()
        name = f"lessons-verdict-{width}x{height}"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)

        page.get_by_test_id("language").select_option("zh")
        expect(claim).to_contain_text(CLAIM_HELD["zh"])
        expect(result).to_contain_text("不是这一项")
        expect(result).to_contain_text(lesson["predictions"][lesson["answer"]]["zh"])
        for row in page.get_by_test_id("lesson-figure-name").all():
            assert CJK.search(row.inner_text()), row.inner_text()
        assert_figures_named(page)
        assert_curves(page, lesson, "zh")
        assert_seeds(page, "zh")  # (unfolds each seed's verdict for the screenshot)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"{name}-zh.png"), full_page=True)
        page.screenshot(path=str(artifacts / f"{name}-zh.png"), full_page=True)
    finally:
        context.close()


def test_a_check_asked_again_says_it_came_from_the_cache(page, server_url, artifacts):
    httpx.post(f"{server_url}/api/lessons/dead-relu/run", timeout=CHECK_TIMEOUT / 1000).raise_for_status()
    page.goto(f"{server_url}/?tab=lessons&lesson=dead-relu&lang=en")
    page.get_by_test_id("lesson-pick-0").check()
    page.get_by_test_id("lesson-check").click()
    cached = page.get_by_test_id("lesson-cached")
    expect(cached).to_have_text("checked before: from the server’s cache", timeout=CHECK_TIMEOUT)
    expect(page.get_by_test_id("lesson-claim")).to_contain_text(CLAIM_HELD["en"])
    page.get_by_test_id("language").select_option("zh")
    expect(cached).to_have_text("之前验证过：来自服务器的缓存")
