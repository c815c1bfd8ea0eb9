"""The search-box language: operators, full-width input, and text that must stay text."""

import pytest

from search.query import MAX_TEXT_ITEMS, ParsedQuery, parse_query


def test_every_operator():
    parsed = parse_query(
        '[債権回収] [Python] user:12 org:141003 is:answer accepted:yes answers:3 score:-1 "時効の援用" 滞納 -督促 -[国保]'
    )
    assert parsed == ParsedQuery(
        words=("滞納",),
        phrases=("時効の援用",),
        excluded=("督促",),
        tags=("債権回収", "python"),
        excluded_tags=("国保",),
        user_id=12,
        org="141003",
        scope="answer",
        accepted=True,
        answer_count=3,
        min_score=-1,
    )


def test_full_width_operators_spaces_and_brackets():
    parsed = parse_query(
        "ｕｓｅｒ：１２　［債権回収］　ＡＮＳＷＥＲＳ：０　ａｃｃｅｐｔｅｄ：ｎｏ　“住民税　特別徴収”　ｶﾞｲﾄﾞﾗｲﾝ"
    )
    assert parsed.user_id == 12
    assert parsed.tags == ("債権回収",)
    assert parsed.answer_count == 0
    assert parsed.accepted is False
    assert parsed.phrases == ("住民税 特別徴収",)
    assert parsed.words == ("ガイドライン",)


def test_is_question_and_is_answer_together_mean_anywhere():
    assert parse_query("is:question").scope == "question"
    assert parse_query("is:question is:answer 住民税").scope is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"住民税 特別徴収', ("住民税", "特別徴収")),  # unbalanced quote
        ("[債権回収 時効", ("債権回収", "時効")),  # unbalanced bracket
        ("[債権 回収]", ("債権", "回収")),  # a tag has no spaces
        ("(((住民税", ("(((住民税",)),  # parentheses are just characters
        ("住民税)))", ("住民税)))",)),
        ("user:12abc accepted:maybe answers:many answers:1++ org:", ("user:12abc", "accepted:maybe", "answers:many", "answers:1++", "org:")),
        ("deleted:true author_email:*", ("deleted:true", "author_email:*")),
        ("body:[a TO z]", ("body:", "a", "TO", "z")),
        ("title^100 ?* * a AND OR NOT", ("title^100", "?*", "*", "a", "AND", "OR", "NOT")),
        ("'; DROP TABLE users; --", ("';", "DROP", "TABLE", "users;")),
    ],
)
def test_malformed_or_foreign_syntax_degrades_to_plain_words(text, words):
    parsed = parse_query(text)
    assert parsed.words == words
    assert not parsed.has_filters


def test_lone_quotes_brackets_and_dashes_vanish():
    assert parse_query('[ ] - "" [] "') == ParsedQuery()


def test_tags_are_normalized_like_the_app_does():
    assert parse_query("［ＰＹＴＨＯＮ］ [ﾜｸﾁﾝ接種]").tags == ("python", "ワクチン接種")


def test_work_per_query_is_bounded():
    parsed = parse_query(" ".join(f"語{n}" for n in range(100)) + ' "句" -除外')
    assert parsed.words == tuple(f"語{n}" for n in range(MAX_TEXT_ITEMS))
    assert parsed.phrases == parsed.excluded == ()
    assert len(parse_query("あ" * 100_000).words[0]) == 500
    repeated = parse_query('"特別徴収" "特別徴収" -督促 -督促 ' + "住民税 " * 100)
    assert (repeated.words, repeated.phrases, repeated.excluded) == (("住民税",), ("特別徴収",), ("督促",))


@pytest.mark.parametrize(
    ("text", "user_id", "user_name", "org", "org_name"),
    [
        ("user:12 org:141003", 12, None, "141003", None),
        ("user:山田 org:横浜市", None, "山田", None, "横浜市"),
        ("ｕｓｅｒ：ﾔﾏﾀﾞ ｏｒｇ：神奈川県横浜市", None, "ヤマダ", None, "神奈川県横浜市"),  # NFKC first
        ("user:Yamada org:よこはまし", None, "yamada", None, "よこはまし"),
        ("org:011002", None, None, "011002", None),
    ],
)
def test_user_and_org_take_ids_or_names(text, user_id, user_name, org, org_name):
    parsed = parse_query(text)
    assert (parsed.user_id, parsed.user_name, parsed.org, parsed.org_name) == (user_id, user_name, org, org_name)
    assert parsed.has_filters and not parsed.has_text


@pytest.mark.parametrize(("text", "kind"), [("orgkind:町", "町"), ("ｏｒｇｋｉｎｄ：政令指定都市", "政令指定都市"), ("orgkind:Town", "town"), ("orgkind:", None)])
def test_orgkind_is_kept_as_typed_for_the_app(text, kind):
    parsed = parse_query(f"バス {text}")
    assert parsed.org_kind == kind and parsed.has_filters == (kind is not None)


def test_answers_at_least():
    assert parse_query("answers:1+").min_answers == 1
    assert parse_query("answers:１＋").min_answers == 1  # full-width digits and plus
    assert parse_query("answers:0").answer_count == 0


def test_filters_without_text():
    parsed = parse_query("[債権回収] answers:0")
    assert not parsed.has_text and parsed.has_filters
