"""Saves README screenshots from browser tests when LABELHUB_SCREENSHOTS=1 (make screenshots)."""
import os
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def save_doc_screenshot(page: object, name: str) -> None:
    if os.environ.get("LABELHUB_SCREENSHOTS") != "1":
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"), full_page=True)
