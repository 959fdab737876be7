"""The page at / and the docs at /docs in a real browser: Debian's headless Chromium driven by selenium, against
the real gunicorn server. Nothing is downloaded: the driver and the browser are the system's (Selenium Manager
is never asked), and the page and Swagger UI come from the service's own files.

Set PAGE_SCREENSHOT=docs/page.png to save the screenshot the README shows.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from keras_shape_service.schemas.examples import SEED_CODE

pytestmark = pytest.mark.integration

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WAIT_S = 30


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromium-driver are missing: run scripts/system-packages.sh (make test does)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="page-test-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: a blocked file or style
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_window_size(1280, 1000)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, condition, message):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(condition, message)


def text_in(element_id: str, text: str):
    """A wait condition: the element's visible text holds `text`."""
    from selenium.webdriver.common.by import By

    return lambda driver: text in driver.find_element(By.ID, element_id).text


def refused_by_policy(driver) -> list[str]:
    """The console's messages since the last call that say the page's Content-Security-Policy refused
    something (a script, a style, an image, a fetch)."""
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def open_page(driver, server):
    driver.get(f"{server}/")
    wait_for(driver, text_in("verdict", "(1, 4)"), "the page did not answer the seed on opening")


def replace_text(driver, element_id: str, text: str):
    """Type into an editor as a user would (select all, type), so that the page's input events fire."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    editor = driver.find_element(By.ID, element_id)
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", editor, text
    )


def test_the_page_opens_on_the_seed_answered(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    assert browser.find_element(By.ID, "source").get_attribute("value") == SEED_CODE
    table = browser.find_element(By.ID, "layers").text
    for shown in ("(None, 3, 16)", "(None, 48)", "(None, 4)", "196"):
        assert shown in table
    assert browser.find_element(By.ID, "total-params").text == "244"
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram svg g.layer"), "no diagram")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#diagram svg g.layer")) == 4
    assert "Total params: 244" in browser.find_element(By.ID, "summary").get_attribute("textContent")
    # The diagram's own <style>, inside the page's document, applies: the policy allows it by its hash.
    box = browser.find_element(By.CSS_SELECTOR, "#diagram svg rect.box")
    assert box.value_of_css_property("fill") == "rgb(244, 247, 251)"
    assert refused_by_policy(browser) == []
    if os.environ.get("PAGE_SCREENSHOT"):
        browser.save_screenshot(os.environ["PAGE_SCREENSHOT"])


def test_removing_the_flatten_line_shows_three_rows_of_four(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    replace_text(browser, "source", SEED_CODE.replace("model.add(Flatten())\n", ""))
    wait_for(browser, text_in("verdict", "(1, 3, 4)"), "the edit did not show (1, 3, 4)")
    assert browser.find_element(By.ID, "total-params").text == "116"
    assert "(None, 48)" not in browser.find_element(By.ID, "layers").text


def test_a_code_error_shows_its_line(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    replace_text(browser, "source", SEED_CODE.replace("model.add(Flatten())", "for layer in x:\n    pass"))
    wait_for(browser, text_in("source-error", "Line 4, column 1"), "the error did not name its line")
    error = browser.find_element(By.ID, "source-error").text
    assert "for layer in x:" in error and "^" in error
    assert browser.find_element(By.ID, "source").get_attribute("aria-invalid") == "true"


def test_a_json_spec_error_shows_its_location(browser, server):
    open_page(browser, server)
    replace_text(browser, "source", '{"layers": [{"type": "Dense", "units": 0, "input_shape": [3]}]}')
    wait_for(browser, text_in("source-error", "model › layers › 0 › units"), "no JSON location shown")
    replace_text(browser, "source", '{"layers": [\n  {"type": "Dense",, "units": 4}]}')
    wait_for(browser, text_in("source-error", "Line 2"), "no line for malformed JSON")


def test_compare_mode_marks_the_rows_that_differ(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    browser.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="compare"]').click()
    wait_for(browser, text_in("right-verdict", "116 params"), "compare mode did not answer both sides")
    assert "Output (None, 4) · 244 params" in browser.find_element(By.ID, "left-verdict").text
    assert "Output (None, 3, 4)" in browser.find_element(By.ID, "right-verdict").text
    differing = [row.get_attribute("data-name") for row in browser.find_elements(By.CSS_SELECTOR, "tr.differs")]
    # flatten and dense_1 on the left, dense_1 on the right; dense and activation are alike on both sides
    assert sorted(differing) == ["dense_1", "dense_1", "flatten"]
    browser.find_element(By.CSS_SELECTOR, 'input[name="mode"][value="single"]').click()


def test_the_page_fits_a_phone_and_runs_from_the_keyboard(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(390, 844)
    try:
        open_page(browser, server)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
        editor = browser.find_element(By.ID, "source")
        editor.send_keys(Keys.CONTROL, Keys.END)
        editor.send_keys("\nmodel.add(Dense(2))")
        editor.send_keys(Keys.CONTROL, Keys.ENTER)
        wait_for(browser, text_in("verdict", "(1, 2)"), "Ctrl+Enter did not run the edited code")
        labels = {label.get_attribute("for") for label in browser.find_elements(By.TAG_NAME, "label")}
        assert {"source", "inputs", "left-source", "right-source"} <= labels
    finally:
        browser.set_window_size(1280, 1000)


def test_docs_list_every_operation(browser, server, http):
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/docs")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"), "Swagger UI showed no operation")
    shown = {element.text for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    document = http.get(f"{server}/openapi.json", timeout=30).json()
    assert shown == set(document["paths"])
    assert not browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
    browser.find_element(By.CSS_SELECTOR, ".opblock-summary").click()  # an operation opened: its schemas shown
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-body"), "the operation did not open")
    assert refused_by_policy(browser) == []


def cells_text(driver, table_id: str) -> list[str]:
    """Every header and data cell's text in a table, those of rows folded away included."""
    return driver.execute_script(
        "return [...document.querySelectorAll(`#${arguments[0]} th, #${arguments[0]} td`)].map((c) => c.textContent)",
        table_id,
    )


def test_three_runs_show_one_header_row_and_the_rows_of_the_last(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    for units in (2, 5, 7):
        replace_text(browser, "source", SEED_CODE.replace("model.add(Dense(4))", f"model.add(Dense({units}))"))
        wait_for(browser, text_in("verdict", f"(1, {units})"), f"the run with Dense({units}) did not answer")
    header_rows = browser.find_elements(By.CSS_SELECTOR, "#layers thead tr")
    assert len(header_rows) == 1
    assert [th.text for th in header_rows[0].find_elements(By.TAG_NAME, "th")] == [
        "Layer",
        "Type",
        "Output shape",
        "Params",
    ]
    layer_rows = browser.find_elements(By.CSS_SELECTOR, "#layers tbody tr.layer")
    assert [row.get_attribute("data-name") for row in layer_rows] == ["dense", "activation", "flatten", "dense_1"]
    # the last Dense(7) on 48 values: 48 x 7 + 7
    assert layer_rows[-1].find_elements(By.TAG_NAME, "td")[3].text == "343"


def test_cells_read_as_text_and_a_click_shows_why(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    texts = cells_text(browser, "layers")
    assert texts and not [text for text in texts if text.strip().startswith(("{", "["))]
    details = browser.find_element(By.ID, "layers-details-0")
    assert not details.is_displayed()  # details wait for a click; the table shows the four columns
    browser.find_element(By.CSS_SELECTOR, '#layers tr.layer[data-name="dense"] button.expand').click()
    wait_for(browser, lambda d: details.is_displayed(), "a click on the layer did not open its details")
    shown = details.text
    assert "kernel (2, 16), bias (16,)" in shown
    assert "kernel 2 x 16 + bias 16 = 48." in shown
    assert "Dense acts on the last axis only" in shown and "(None, 3, 2) -> (None, 3, 16)" in shown
    assert "Input shape\n(None, 3, 2)" in shown
    assert "96 per example" in shown  # 3 rows x 2 x 16 multiply-adds
    table_width = browser.execute_script("return document.getElementById('layers').offsetWidth")
    assert table_width <= browser.execute_script("return document.documentElement.clientWidth")
    browser.find_element(By.CSS_SELECTOR, '#layers tr.layer[data-name="dense"]').click()
    wait_for(browser, lambda d: not details.is_displayed(), "a second click did not close the details")


def test_a_frozen_layer_shows_trainable_no(browser, server):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    replace_text(
        browser,
        "source",
        SEED_CODE.replace("Dense(16, input_shape=(3, 2))", "Dense(16, input_shape=(3, 2), trainable=False)"),
    )
    wait_for(browser, lambda d: d.find_elements(By.XPATH, '//table[@id="layers"]//th[text()="Trainable"]'), "no column")
    trainable = {
        row.get_attribute("data-name"): row.find_elements(By.TAG_NAME, "td")[4].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#layers tr.layer")
    }
    assert trainable == {"dense": "no", "activation": "yes", "flatten": "yes", "dense_1": "yes"}


def assert_nothing_of_the_last_model(driver):
    from selenium.webdriver.common.by import By

    assert not driver.find_elements(By.CSS_SELECTOR, "#layers tr")
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "#diagram svg"), "the last model's picture stayed")
    assert driver.find_element(By.ID, "verdict").text == ""
    assert driver.find_element(By.ID, "summary").get_attribute("textContent") == ""


@pytest.mark.parametrize(
    ("refused", "error"),
    [
        ('{"layers": [{"type": "Dense", "units": 0, "input_shape": [3]}]}', "model › layers › 0 › units"),
        ('{"layers": [\n  {"type": "Dense",, "units": 4}]}', "Line 2"),
        (SEED_CODE.replace("model.add(Flatten())", "for layer in x:\n    pass"), "Line 4, column 1"),
    ],
    ids=["refused-spec", "malformed-json", "refused-code"],
)
def test_a_refused_model_leaves_nothing_of_the_last(browser, server, refused, error):
    from selenium.webdriver.common.by import By

    open_page(browser, server)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagram svg g.layer"), "no picture of the seed")
    assert browser.find_elements(By.CSS_SELECTOR, "#layers tr.layer")
    replace_text(browser, "source", refused)
    wait_for(browser, text_in("source-error", error), "the refusal was not shown")
    assert_nothing_of_the_last_model(browser)
    replace_text(browser, "source", SEED_CODE)
    wait_for(browser, text_in("verdict", "(1, 4)"), "the seed did not come back after the refusal")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#layers tr.layer")) == 4


def visible_boxes(driver) -> list[str]:
    """The names of the picture's boxes a person sees (a drawing not opened is not displayed), read in one
    script: the page may redraw the picture between two WebDriver calls (a run as one types)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#diagram svg g.layer')]"
        ".filter((box) => box.getBoundingClientRect().width > 0).map((box) => box.dataset.name)"
    )


def shown(driver, selector: str, read: str = "element.textContent") -> list:
    """What each element the CSS selector finds shows, read in one script (see visible_boxes)."""
    return driver.execute_script(
        f"return [...document.querySelectorAll(arguments[0])].map((element) => {read})", selector
    )


def test_a_nested_models_box_opens_on_a_click_and_back_closes_it(browser, server):
    """A Functional model calling a Sequential encoder (made by Keras here, pasted as its to_json): three boxes;
    a click on the encoder's box shows its two layers in their place, and Back the three again."""
    import json

    import keras
    from selenium.webdriver.common.by import By

    encoder = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, name="enc1"), keras.layers.Dense(8, name="enc2")], name="encoder"
    )
    features = keras.Input((8,), name="features")
    model = keras.Model(features, keras.layers.Dense(2, name="head")(encoder(features)))
    open_page(browser, server)
    replace_text(browser, "source", json.dumps(json.loads(model.to_json())))
    wait_for(browser, lambda d: visible_boxes(d) == ["features", "encoder", "head"], "no picture of three boxes")
    assert not browser.find_element(By.ID, "drawing-trail").is_displayed()
    browser.find_element(By.CSS_SELECTOR, '#diagram g.nested[data-name="encoder"]').click()
    wait_for(browser, lambda d: visible_boxes(d) == ["enc1", "enc2"], "the encoder's inside did not open")
    assert browser.find_element(By.ID, "drawing-name").text == "Inside encoder"
    browser.find_element(By.ID, "drawing-back").click()
    wait_for(browser, lambda d: visible_boxes(d) == ["features", "encoder", "head"], "Back did not close it")
    assert refused_by_policy(browser) == []


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_model_file_chosen_is_answered_with_its_table_and_picture(browser, server, tmp_path, suffix):
    """A model saved by Keras here, given to the file input (what a drop hands to the same function): the
    prediction's shape, the params Keras counts, a row and a box per layer; editing the code again answers it."""
    import keras
    from selenium.webdriver.common.by import By

    model = keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(7, name="hidden"), keras.layers.Dense(3, name="scores")]
    )
    path = tmp_path / f"model{suffix}"
    model.save(path)
    open_page(browser, server)
    replace_text(browser, "inputs", "[[1, 2, 3, 4, 5], [0, 0, 0, 0, 1]]")
    browser.find_element(By.ID, "model-file").send_keys(str(path))
    wait_for(browser, text_in("verdict", "Predictions have shape (2, 3)"), "the file's prediction was not shown")
    assert shown(browser, "#total-params") == [f"{model.count_params():,}"]  # 7 * 6 + 3 * 8 = 66
    assert shown(browser, "#layers tr.layer", "element.dataset.name") == ["hidden", "scores"]
    wait_for(browser, lambda d: visible_boxes(d) == ["hidden", "scores"], "no picture of the file's model")
    assert f"model{suffix}" in shown(browser, "#file-status")[0]
    replace_text(browser, "inputs", "")
    replace_text(browser, "source", SEED_CODE)
    wait_for(browser, text_in("verdict", "(1, 4)"), "the code was not answered after the file")
    assert shown(browser, "#file-status") == [""]
