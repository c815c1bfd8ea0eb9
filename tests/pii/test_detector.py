"""The personal-information detector: each category with its offsets, the tricky negatives, the corpus format."""

import pytest

from bench.pii_eval import CORPUS, HELDOUT, CorpusError, load_corpus, parse_line
from pii import CATEGORIES, Finding, scan
from pii.rules import my_number_is_valid


def found(text: str) -> list[tuple[str, str]]:
    """(category, the original text the offsets point at) for each finding."""
    return [(f.category, text[f.start : f.end]) for f in scan(text)]


def test_the_issue_example_is_stopped_with_its_spans():
    text = "滞納者: 川崎 一郎（川崎市川崎区宮本町1-2-3）\n個人番号: 123456789018"
    assert found(text) == [
        ("person_name", "川崎 一郎"),
        ("address", "川崎市川崎区宮本町1-2-3"),
        ("my_number", "123456789018"),
    ]


@pytest.mark.parametrize(
    "number",
    ["123456789018", "1234 5678 9018", "1234-5678-9018", "１２３４５６７８９０１８", "１２３４－５６７８－９０１８", "１２３４　５６７８　９０１８"],
)
def test_my_number_in_any_writing(number):
    text = f"提出された書類に {number} とありました🙏"
    assert found(text) == [("my_number", number)]


def test_check_digit_rule():
    assert my_number_is_valid("123456789018")
    assert my_number_is_valid("987654321093")
    assert not my_number_is_valid("123456789012")
    assert not my_number_is_valid("12345678901")
    assert not my_number_is_valid("１２３４５６７８９０１８")  # the rule takes ASCII digits; scan folds first


def test_an_invalid_number_counts_only_after_a_my_number_label():
    assert found("事業番号 123456789012 の評価") == []
    assert found("予算科目コード 123456789012") == []
    assert found("マイナンバー 123456789012 で検索しても出てきません") == [("my_number", "123456789012")]
    assert found("ﾏｲﾅﾝﾊﾞｰ １２３４５６７８９０１２") == [("my_number", "１２３４５６７８９０１２")]


def test_a_valid_number_after_a_code_label_or_with_a_unit_is_not_a_person():
    assert found("予算科目コード 123456789018") == []
    assert found("合計 123456789018円") == []
    assert found("法人番号 1234567890123") == []  # 13 digits


@pytest.mark.parametrize(
    "phone",
    ["03-1234-5678", "045(671)2121", "090-1234-5678", "０９０１２３４５６７８", "+81-90-1234-5678",
     "0120-123-456", "(03)3456-7890", "044 555 1234", "０８０－９８７６－５４３２", "090ー1234ー5678"],
)
def test_phone_numbers(phone):
    assert found(f"相談者の連絡先は {phone} です。") == [("phone", phone)]


def test_a_phone_in_brackets_leaves_the_brackets_out():
    assert found("井上さくらさんから電話（044-987-6543）がありました。") == [
        ("person_name", "井上さくら"),
        ("phone", "044-987-6543"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "代表電話：044-200-2111（川崎市役所）",
        "市民税課の窓口（電話 044-200-2215）は平日のみです。",
        "お問い合わせ先：財政局収納対策課（電話 044-200-2180、FAX 044-200-3915）",
        "新型コロナワクチン接種センターの電話番号は0120-123-456です。",
        "FAX 044-200-3900（財政課）",
        "会計コード 01-02-03-04 で支出してください。",
        "次回の打合せは2024-05-20です。",
        "電話番号は「03-XXXX-XXXX」の形式で記入してください。",
    ],
)
def test_office_numbers_codes_and_dates_are_not_phones(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "address",
    ["〒210-0001 川崎市川崎区宮本町1-2-3", "横浜市中区本町6丁目50番地の10", "〒２１０－０００７ 川崎市川崎区駅前本町１１－２",
     "神奈川県川崎市麻生区万福寺一丁目2番1号", "川崎市高津区溝口三丁目5番8号 ハイツ溝口102号室", "札幌市中央区北1条西2丁目"],
)
def test_addresses(address):
    assert found(f"相談者の住所は{address}です。") == [("address", address)]


@pytest.mark.parametrize(
    "text",
    [
        "川崎市の人口は154万人です。",
        "川崎市川崎区の窓口で受け付けます。",
        "〒231-0005 横浜市中区本町6-50-10 横浜市役所",
        "中原区役所（〒211-8570 川崎市中原区小杉町3丁目245番地）で受け付けています。",
        "川崎区役所の所在地は〒210-8570 川崎市川崎区東田町8番地です。",
        "市役所の郵便番号（〒210-8577）を宛先に書いてください。",
        "武蔵小杉駅から徒歩5分、中原区小杉町三丁目の市民館です。",
        "地方税法第15条の7第1項の規定により、執行を停止します。",
    ],
)
def test_places_offices_and_articles_are_not_addresses(text):
    assert found(text) == []


def test_email_outside_government_domains():
    assert found("連絡は taro.k@gmail.com か info@example.co.jp へ") == [
        ("email", "taro.k@gmail.com"),
        ("email", "info@example.co.jp"),
    ]
    assert found("申請者：ｓａｔｏ．ｍｉｋｉ＠ｅｘａｍｐｌｅ．ｊｐ") == [("email", "ｓａｔｏ．ｍｉｋｉ＠ｅｘａｍｐｌｅ．ｊｐ")]
    assert found("照会は zaisei@city.kawasaki.lg.jp、info@mhlw.go.jp、https://www.digital.go.jp/ まで") == []
    # lg.jp only on a label boundary, and only at the end of the domain
    assert found("user01@notlg.jp と a@city.kawasaki.lg.jp.example.com") == [
        ("email", "user01@notlg.jp"),
        ("email", "a@city.kawasaki.lg.jp.example.com"),
    ]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("生年月日：昭和45年3月2日", "昭和45年3月2日"),
        ("S45.3.2生の方", "S45.3.2"),
        ("1970/03/02生まれ", "1970/03/02"),
        ("平成１２年４月１日生まれの長男", "平成１２年４月１日"),
        ("問診票の誕生日：12月24日", "12月24日"),
        ("申請書の生年月日が「平成元年12月24日」となっています。", "平成元年12月24日"),
    ],
)
def test_birth_dates(text, date):
    assert found(text) == [("birth_date", date)]


@pytest.mark.parametrize(
    "text",
    [
        "会議は令和6年3月2日に開催します。",
        "令和6年度の予算について",
        "昭和32年4月2日以降に生まれた方は65歳から支給されます。",
        "昭和34年4月2日から昭和35年4月1日までの間に生まれた方が対象です。",
        "令和6年4月1日生活保護基準の改定",
        "生年月日欄は必ず記入してください。",
    ],
)
def test_meeting_dates_fiscal_years_and_eligibility_rules_are_not_birth_dates(text):
    assert found(text) == []


def test_bank_accounts_near_their_cue():
    assert found("振込先：横浜銀行 川崎支店 普通 1234567") == [("bank_account", "1234567")]
    assert found("口座番号: ０１２３４５６") == [("bank_account", "０１２３４５６")]
    assert found("ゆうちょ銀行 記号 10180 番号 12345671") == [
        ("bank_account", "10180"),
        ("bank_account", "12345671"),
    ]
    assert found("口座振替の件数は1234567件でした。") == []
    assert found("整理番号 1234567 の申告書") == []


def test_numbers_after_their_labels():
    assert found("国保の被保険者番号 12345678 の方") == [("insurance_number", "12345678")]
    assert found("被保険者番号：０１２３４５６７") == [("insurance_number", "０１２３４５６７")]
    assert found("保険者番号 06140010 は川崎市国保です。") == []  # the insurer's, public
    assert found("基礎年金番号 1234-567890 の方") == [("pension_number", "1234-567890")]
    assert found("年金番号（９８７６５４３２１０）") == [("pension_number", "９８７６５４３２１０")]
    assert found("生活保護のケース番号 A-123 の世帯") == [("case_number", "A-123")]
    assert found("受付番号 第2024-0789号 の相談者") == [("case_number", "第2024-0789号")]
    assert found("受付番号札をお取りください。ケース番号の付番ルールは別紙。") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("滞納者: 川崎 一郎（無職）", "川崎 一郎"),
        ("申請者の山田花子様から相談がありました。", "山田花子"),
        ("受給者 清水 和子さんが入院しました。", "清水 和子"),
        ("福井 直子氏から情報公開請求がありました。", "福井 直子"),
        ("相談者の上田さんは転居を希望しています。", "上田"),
        ("氏名：ｶﾜｻｷ ｲﾁﾛｳ", "ｶﾜｻｷ ｲﾁﾛｳ"),
        ("原田 こころちゃんの接種歴", "原田 こころ"),
        ("保護者：青木 真理", "青木 真理"),
    ],
)
def test_names_next_to_role_words_and_honorifics(text, name):
    assert found(text) == [("person_name", name)]


@pytest.mark.parametrize(
    "text",
    [
        "担当者様、ご確認ください。",
        "田中課長から説明がありました。",
        "福田市長が記者会見で発表しました。",
        "皆さん、お子さんの健診です。",
        "Aさんの事例と X氏の事案",
        "○○様のように宛名を伏せてください。",
        "滞納者に対して督促状を送付します。",
        "申請者本人が来庁した場合",
        "氏名欄には戸籍の氏名を記入してください。",
        "被保険者番号欄に記入してください。",
        "夏目漱石の小説を引用した市報の記事",
        "様式第1号のとおり、同様に処理します。",
        "川崎大師の初詣期間中は交通規制があります。",
    ],
)
def test_titles_generic_addressees_and_proper_nouns_are_not_names(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "令和5年法律第48号による改正",
        "予算額 1,234,567,890円、事業費 12億3,456万円",
        "団体コード 141003 は川崎市です。",
        "人口は1,538,262人（令和6年10月1日現在）です。",
        "議案第45号 川崎市市税条例の一部を改正する条例",
        "詳しくは https://www.city.kawasaki.jp/230/page/0000012345.html をご覧ください。",
    ],
)
def test_law_numbers_amounts_codes_statistics_and_urls(text):
    assert found(text) == []


def test_offsets_point_into_the_original_text_around_folded_characters():
    text = "㍻の書類。ｶﾞｲﾄﾞ参照😀 携帯：０９０－１２３４－５６７８、ﾒｰﾙ：ｔａｒｏ＠ｇｍａｉｌ．ｃｏｍ"
    findings = scan(text)
    assert [(f.category, text[f.start : f.end]) for f in findings] == [
        ("phone", "０９０－１２３４－５６７８"),
        ("email", "ｔａｒｏ＠ｇｍａｉｌ．ｃｏｍ"),
    ]


def test_findings_are_sorted_frozen_and_never_overlap():
    text = (
        "世帯主：斎藤 正、電話 090-1111-2222、個人番号 1234 5678 9018、"
        "基礎年金番号 1234-567890、〒210-0001 川崎市川崎区宮本町1-2-3、生年月日 S45.3.2"
    )
    findings = scan(text)
    assert [f.category for f in findings] == [
        "person_name", "phone", "my_number", "pension_number", "address", "birth_date",
    ]
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))
    with pytest.raises(AttributeError):
        findings[0].start = 0
    assert findings[0] == Finding("person_name", 4, 8)


def test_empty_and_plain_text():
    assert scan("") == []
    assert scan("令和6年度の個人住民税の税率は10％です。") == []


def test_a_long_body_is_scanned_whole():
    line = "滞納者: 川崎 一郎（川崎市川崎区宮本町1-2-3）、令和6年度予算 1,234,567,890円。\n"
    text = line * (30_000 // len(line))
    findings = scan(text)
    assert len(findings) == 2 * (30_000 // len(line))
    assert text[findings[-1].start : findings[-1].end] == "川崎市川崎区宮本町1-2-3"


def test_categories_are_the_contract():
    assert CATEGORIES == (
        "my_number", "phone", "address", "email", "birth_date", "bank_account",
        "insurance_number", "pension_number", "case_number", "person_name",
    )


@pytest.mark.parametrize("path", [CORPUS, HELDOUT])
def test_the_corpus_parses(path):
    examples = load_corpus(path)
    assert len(examples) > 50
    gold = [g for ex in examples for g in ex.gold]
    assert {g.category for g in gold} <= set(CATEGORIES)
    for ex in examples:
        assert "⟦" not in ex.text and "⟧" not in ex.text
        for g in ex.gold:
            assert ex.text[g.start : g.end].strip()
    if path == CORPUS:
        assert len(gold) >= 120
        assert all(sum(g.category == c for g in gold) >= 8 for c in CATEGORIES)
        assert sum(not ex.gold for ex in examples) >= 100


def test_the_corpus_parser_keeps_offsets_and_refuses_bad_markers():
    ex = parse_line("滞納者: ⟦person_name|川崎 一郎⟧（⟦address|川崎市1-2⟧）")
    assert ex.text == "滞納者: 川崎 一郎（川崎市1-2）"
    assert [(g.category, ex.text[g.start : g.end]) for g in ex.gold] == [
        ("person_name", "川崎 一郎"),
        ("address", "川崎市1-2"),
    ]
    for bad in ("⟦name|川崎⟧", "⟦phone|⟧", "⟦phone|090", "phone|090⟧"):
        with pytest.raises(CorpusError):
            parse_line(bad)


def test_lone_surrogates_and_emoji_do_not_break_the_scan():
    text = "😀滞納者: 川崎 一郎\ud800様🙏 電話 090-1234-5678"
    assert [(f.category, text[f.start : f.end]) for f in scan(text)] == [
        ("person_name", "川崎 一郎"),
        ("phone", "090-1234-5678"),
    ]
