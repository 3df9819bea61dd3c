"""Screenshots of a running `make demo` for the docs: Today and Trends in Airflow's light and dark mode.

    make demo                                   # in one terminal; wait for "Airflow UI: ..."
    .venv/bin/python docs/img/demo_screenshots.py [--url http://127.0.0.1:8080]

Headless Chromium (Debian's chromium and chromium-driver, as the browser tests use) logs in as the demo's
admin, opens the Collections entry of Airflow's navigation and saves docs/img/demo-<page>-<mode>.png.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

HERE = Path(__file__).resolve().parent
PAGES = (("today", '[id^="portfolio-"]'), ("trends", ".chart"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--height", type=int, default=2600, help="window height: how much of a page is kept")
    args = parser.parse_args()
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size=1400,{args.height}"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    wait = WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,))
    try:
        browser.get(f"{args.url}/auth/login")
        wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys("admin")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, 'a[href$="plugin/collections"]'))).click()
        collections = browser.current_url
        for mode in ("light", "dark"):
            browser.execute_script("window.localStorage.setItem('theme', arguments[0])", mode)
            for page, shown in PAGES:
                browser.get(collections)
                wait.until(ec.frame_to_be_available_and_switch_to_it((By.TAG_NAME, "iframe")))
                if page != "today":
                    link = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, f'nav a[href="{page}"]')))
                    link.click()
                    wait.until(ec.staleness_of(link))
                wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, shown)))
                browser.execute_script("return new Promise(r => setTimeout(r, 1500))")  # charts drawn
                browser.switch_to.default_content()
                out = HERE / f"demo-{page}-{mode}.png"
                browser.save_screenshot(str(out))
                print(out)
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
