"""A headless Chromium driven by selenium, for the tests that need a real browser.

Debian's `chromium` and `chromium-driver` packages are used (`.ci/run` installs them);
nothing is downloaded at run time. Where either is missing the browser tests skip
with the reason.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Screenshots are kept as test artefacts here (git-ignored).
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.txt)"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists() and shutil.which(Path(path).name) is None:
            return f"{path} is missing: apt-get install chromium chromium-driver (.ci/run does)"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic",
    ):
        options.add_argument(argument)
    driver_path = CHROMEDRIVER if Path(CHROMEDRIVER).exists() else shutil.which("chromedriver")
    driver = webdriver.Chrome(service=webdriver.ChromeService(driver_path), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser, request):
    """``screenshot(name)`` saves the current page under test-artefacts/."""
    ARTEFACTS.mkdir(exist_ok=True)

    def _save(name: str) -> Path:
        path = ARTEFACTS / f"{request.node.name}-{name}.png"
        browser.save_screenshot(str(path))
        return path

    return _save
