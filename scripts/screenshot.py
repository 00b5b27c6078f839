"""Save docs/screenshot.png: the search page of a running demo (`make run`) in headless chromium.

Usage: .venv/bin/python scripts/screenshot.py [BASE_URL]   (default http://127.0.0.1:8000)
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
TARGET = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"

with sync_playwright() as driver:
    browser = driver.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page.goto(f"{BASE}/?q=fresatura+titanio&supply_chain=rotary-wing")
    page.wait_for_selector("#results li.result")
    page.screenshot(path=TARGET)
    browser.close()
print(f"wrote {TARGET}")
