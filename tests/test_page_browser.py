"""The reviewer page in real headless Chromium (Debian's chromium + chromium-driver, via selenium).

A uvicorn server runs the app on 127.0.0.1 (a free port) in a thread; the browser pastes a note,
classifies it, checks that the reasons are highlighted in the text, corrects a category and the
clue with one click each, and the test checks that the review store has those judgments.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
NOTE = "举报：临泉县瓦店镇杨桥村会计张某，2022年把村里修路剩下的3万元存到自己账户，还把村西头鱼塘以每年1200元低价发包给他小舅子。"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(model, tmp, **kw):
    """Run the app with uvicorn on a free 127.0.0.1 port in a thread; yields (url, settings)."""
    import uvicorn

    from service.app import create_app
    from textmine.settings import DEFAULT_MODEL_DIR, Settings

    settings = Settings(model_dir=DEFAULT_MODEL_DIR, review_db=tmp / "reviews.sqlite3", models_root=tmp / "models", **kw)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings, model=model), host="127.0.0.1", port=port,
                                        log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", settings
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    yield from _serve(model, tmp_path_factory.mktemp("page"))


@pytest.fixture(scope="module")
def token_server(model, tmp_path_factory):
    yield from _serve(model, tmp_path_factory.mktemp("page-token"), api_token="page-secret-1")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: install Debian's 'chromium' and 'chromium-driver' packages")
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(driver_path).exists():
        pytest.skip("chromedriver is missing: install Debian's 'chromium-driver' package")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is missing: pip install -e '.[test]'")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="textmine-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1200", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # An explicit driver path: selenium then never tries to download one (no network here).
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_page_classifies_highlights_and_records_corrections(server, browser, model):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from textmine.review import ReviewStore

    url, settings = server
    wait = WebDriverWait(browser, 20)
    browser.get(url + "/")
    wait.until(lambda d: model.version in d.find_element(By.ID, "model-version").text)
    assert browser.title == "巡察信访文本研判 · 复核台"

    browser.find_element(By.ID, "reviewer").send_keys("张审")
    browser.find_element(By.ID, "note-text").send_keys(NOTE)
    browser.find_element(By.ID, "classify-btn").click()
    marks = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#highlighted mark.hl"))

    expected = model.classify(NOTE)
    # The text is shown whole, and the highlighted pieces are the reasons the model gave.
    assert browser.find_element(By.ID, "highlighted").text == NOTE
    assert {m.get_attribute("data-label") for m in marks} <= set(expected["labels"])
    assert {m.get_attribute("data-label") for m in marks}
    # The marked pieces cover exactly the characters of the model's highlight spans.
    covered = {i for h in expected["highlights"] for i in range(h["start"], h["end"])}
    assert sum(len(m.text) for m in marks) == len(covered)
    assert all(m.text in NOTE for m in marks)
    chips = browser.find_elements(By.CSS_SELECTOR, "#categories .chip.on")
    assert {c.get_attribute("data-label") for c in chips} == set(expected["labels"])
    evidence = browser.find_element(By.ID, "evidence").text
    assert "3万元" in evidence and "30,000" in evidence
    assert browser.find_element(By.ID, "clue-score").text == f"{expected['clue_score']:.2f}"

    # One click corrects a category; one click corrects the clue.
    flip = "livelihood" if "livelihood" not in expected["labels"] else "party_building"
    browser.find_element(By.CSS_SELECTOR, f'.chip[data-label="{flip}"]').click()
    wait.until(lambda d: d.find_element(By.ID, "review-status").get_attribute("data-judgment") == "1")
    browser.find_element(By.ID, "clue-no" if expected["clue"] else "clue-yes").click()
    wait.until(lambda d: d.find_element(By.ID, "review-status").get_attribute("data-judgment") == "2")
    assert "改判" in browser.find_element(By.ID, "review-status").text

    judgments = ReviewStore(settings.review_db).judgments(newest_first=False)
    assert [j["reviewer"] for j in judgments] == ["张审", "张审"]
    assert all(j["text"] == NOTE and j["verdict"] == "corrected" for j in judgments)
    assert set(judgments[0]["labels"]) == set(expected["labels"]) ^ {flip}
    assert judgments[0]["clue"] == expected["clue"]
    assert judgments[1]["clue"] is (not expected["clue"])
    assert judgments[1]["labels"] == judgments[0]["labels"]
    # …and the correction is what the next retrain learns from.
    (note,) = ReviewStore(settings.review_db).reviewed_notes()
    assert note.labels == judgments[1]["labels"] and note.clue is (not expected["clue"])


def test_page_without_reviewer_name_asks_for_it(server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, settings = server
    wait = WebDriverWait(browser, 20)
    browser.execute_script("localStorage.clear()")
    browser.get(url + "/")
    browser.find_element(By.ID, "note-text").send_keys("村里路灯坏了三个月")
    browser.find_element(By.ID, "classify-btn").click()
    wait.until(lambda d: d.find_element(By.ID, "result").is_displayed())
    browser.find_element(By.ID, "confirm-labels").click()
    wait.until(lambda d: "复核人" in d.find_element(By.ID, "message").text)
    assert "error" in browser.find_element(By.ID, "message").get_attribute("class")
    from textmine.review import ReviewStore

    assert all(j["text"] != "村里路灯坏了三个月" for j in ReviewStore(settings.review_db).judgments())


def test_page_asks_for_the_token_when_the_service_has_one(token_server, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = token_server
    wait = WebDriverWait(browser, 20)
    browser.get(url + "/")
    wait.until(lambda d: d.find_element(By.ID, "token-box").is_displayed())
    assert "访问令牌" in browser.find_element(By.ID, "message").text
    browser.find_element(By.ID, "note-text").send_keys("村会计张某挪用修路款3万元")
    browser.find_element(By.ID, "classify-btn").click()
    wait.until(lambda d: "需要访问令牌" in d.find_element(By.ID, "message").text)
    assert not browser.find_element(By.ID, "result").is_displayed()
    browser.find_element(By.ID, "token").send_keys("page-secret-1")
    browser.find_element(By.ID, "classify-btn").click()
    wait.until(lambda d: d.find_element(By.ID, "result").is_displayed())
    assert browser.find_elements(By.CSS_SELECTOR, "#categories .chip")
