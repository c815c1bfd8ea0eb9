"""The header at a laptop's width and a phone's, in both languages: no item overlaps another and
nothing runs off the side (English words are longer than the Japanese ones)."""

import pytest

from tests.browser import chromium, live_site
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "header@city.kawasaki.lg.jp"
MEMBER_EMAIL = "short@city.kawasaki.lg.jp"
SIZES = {"laptop": (1280, 800), "phone": (390, 844)}

# Every box in the header that must not touch another: the brand, each link, the search field
# and its button, each account item.
_BOXES = """() => {
  const items = [...document.querySelectorAll(
    '.site-header .brand, .site-header .main-nav > *, .site-header .search-box > :not(label), .site-header .user-nav > *')];
  return {
    boxes: items.map(el => { const r = el.getBoundingClientRect();
      return {name: el.textContent.trim().slice(0, 30) || el.className, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }),
    // Children sticking out of their group (a field wider than its search box).
    spilled: [...document.querySelectorAll('.site-header .search-box, .site-header .main-nav, .site-header .user-nav')]
      .flatMap(group => { const g = group.getBoundingClientRect();
        return [...group.children].filter(child => { const r = child.getBoundingClientRect();
          return r.width && (r.left < g.left - 0.5 || r.right > g.right + 0.5); }).map(child => child.textContent.trim() || child.tagName); }),
    viewport: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


def _populate() -> None:
    # The longest header (an administrator: every link, a long name) wraps; a member's fits in one
    # row at 1280 px, where the search field squeezed in between used to run under its neighbours.
    make_user(email=ADMIN_EMAIL, name="川崎 長い名前の管理者さん", org="141305", role="admin")
    make_user(email=MEMBER_EMAIL, name="職員3", org="141305")


def _overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    pairs = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a["left"] < b["right"] - 0.5 and b["left"] < a["right"] - 0.5 and a["top"] < b["bottom"] - 0.5 and b["top"] < a["bottom"] - 0.5:
                pairs.append((a["name"], b["name"]))
    return pairs


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("locale", ["ja-JP", "en-US"])
def test_the_header_items_do_not_overlap(app_factory, size, locale):
    width, height = SIZES[size]
    with live_site(app_factory, _populate) as (_app, base_url), chromium() as browser:
        for email in (ADMIN_EMAIL, MEMBER_EMAIL):
            # No language chosen: Accept-Language (the browser's locale) decides.
            page = browser.new_page(locale=locale, viewport={"width": width, "height": height})
            page.goto(f"{base_url}/login")
            page.fill("#email", email)
            page.fill("#password", PASSWORD)
            page.click("form.stack button[type=submit]")
            page.wait_for_selector(".flash-success")
            page.goto(f"{base_url}/questions")
            assert page.get_attribute("html", "lang") == locale[:2]
            layout = page.evaluate(_BOXES)
            assert len(layout["boxes"]) >= 10
            assert _overlapping(layout["boxes"]) == [], email
            assert layout["spilled"] == [], email
            assert layout["scrollWidth"] <= layout["viewport"], email
            assert [box["name"] for box in layout["boxes"] if box["right"] > layout["viewport"] or box["left"] < 0] == []
            page.close()
