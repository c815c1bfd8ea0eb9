"""Markdown → sanitized HTML (SECURITY.md XSS-01..07) and bounded rendering (MDDOS-01..05)."""

import time
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from app.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, RenderError, plain_text, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<form action=/logout><button>x</button></form>",
    "<base href=//evil.example>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<style>body{display:none}</style>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java&#9;script:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    '<img srcset="javascript:alert(1)">',
    '[x](http://a "t\\" onmouseover=alert(1) x=\\"")',
    '[x](http://a "t" onmouseover="alert(1)")',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<svg><script>alert(1)</script></svg>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<a id=csrf_token name=csrf_token href=x>x</a>",
    "<a href=\"https://ok.example\" target=_blank>ok</a>",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.comments = 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments += 1


def render(text: str) -> str:
    return render_markdown(text, max_chars=30000, timeout=5)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_hostile_markdown_is_neutralized(payload):
    collector = _Collector()
    collector.feed(render(payload))
    assert collector.comments == 0
    for tag, attrs in collector.elements:
        assert tag in ALLOWED_TAGS, tag
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, []))
        assert set(attrs) <= allowed, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                scheme = urlsplit(urljoin("https://zennin.example/q/1", attrs[name])).scheme
                assert scheme in ("http", "https", "mailto"), attrs[name]


def test_links_get_nofollow_noopener_and_japanese_after_a_url_is_not_swallowed():
    html = render("詳細は https://www.city.yokohama.lg.jp/kurashi/の資料を参照。[手引き](https://www.soumu.go.jp/)")
    assert '<a href="https://www.city.yokohama.lg.jp/kurashi/" rel="nofollow noopener">' in html
    assert "</a>の資料を参照" in html
    assert '<a href="https://www.soumu.go.jp/" rel="nofollow noopener">手引き</a>' in html


def test_japanese_writing_keeps_line_breaks_tables_and_code():
    html = render("一行目\n二行目\n\n| 項目 | 金額 |\n|---|---|\n| 住民税 | １００円 |\n\n```\n=SUM(A1:A3)\n```")
    assert "一行目<br>" in html or "一行目<br />" in html
    assert "<table>" in html and "<td>１００円</td>" in html
    assert "<pre><code>=SUM(A1:A3)" in html


def test_code_is_escaped_once():
    html = render("`a < b` と\n\n```\nif x < 3 && y > 2:\n```")
    assert "<code>a &lt; b</code>" in html
    assert "if x &lt; 3 &amp;&amp; y &gt; 2:" in html


def test_a_list_may_follow_a_paragraph_line_directly():
    html = render("手順は次のとおり\n- 窓口\n- 電話\n\n```\n前の行\n- コード内はそのまま\n```")
    assert "<li>窓口</li>" in html and "<li>電話</li>" in html
    assert "- コード内はそのまま" in html


def test_a_list_nested_with_two_spaces_renders_as_a_list_inside_an_item():
    html = render("- 窓口\n  - 本庁\n    - ２階\n- 電話")
    assert html.replace("\n", "") == "<ul><li>窓口<ul><li>本庁<ul><li>２階</li></ul></li></ul></li><li>電話</li></ul>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- 窓口\n    - 本庁\n- 電話", "<ul><li>窓口<ul><li>本庁</li></ul></li><li>電話</li></ul>"),
        ("1. 申請\n   1. 受付\n2. 審査", "<ol><li>申請<ol><li>受付</li></ol></li><li>審査</li></ol>"),
        ("1. 申請\n  - 様式\n2. 審査", "<ol><li>申請<ul><li>様式</li></ul></li><li>審査</li></ol>"),
        ("- 窓口\n\n1. 申請\n2. 審査", "<ul><li>窓口</li></ul><ol><li>申請</li><li>審査</li></ol>"),
        ("説明\n\n    - コード", "<p>説明</p><pre><code>- コード</code></pre>"),
    ],
    ids=["four-spaces", "ordered", "mixed", "ordered-after-unordered", "indented-code"],
)
def test_other_list_styles_keep_rendering(text, expected):
    assert render(text).replace("\n", "") == expected


def test_plain_text_for_the_index_has_no_markup():
    assert plain_text(render("# 題名\n**強調**と&amp;記号 😀")) == "題名\n強調と&記号 😀"


@pytest.mark.parametrize(
    "hostile",
    [
        "[" * 20000,
        "<![" * 9000,
        "&#x41;" * 4900,
        "".join("    " * depth + "- x\n" for depth in range(300)),
        ">" * 1000 + " 深い引用",
    ],
    ids=["brackets", "cdata", "entities", "nested-list", "nested-quote"],
)
def test_hostile_inputs_finish_in_bounded_time(hostile):
    started = time.monotonic()
    try:
        render_markdown(hostile, max_chars=30000, timeout=1.5)
    except RenderError as error:
        assert str(error) in ("timeout", "nesting", "too_long", "RecursionError")
    assert time.monotonic() - started < 5
    # The helper process is usable again afterwards.
    assert render_markdown("**大丈夫**", max_chars=100, timeout=5) == "<p><strong>大丈夫</strong></p>"


def test_length_cap():
    with pytest.raises(RenderError, match="too_long"):
        render_markdown("あ" * 30001, max_chars=30000, timeout=5)
