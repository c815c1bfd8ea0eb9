"""個人情報チェック: finds personal information in Japanese text, with no web dependencies.

    from pii import scan, Finding, CATEGORIES
    for f in scan(body):                 # sorted by start, never overlapping
        print(f.category, body[f.start:f.end])

``CATEGORIES`` lists every category code in display order. Offsets are ``str`` indexes into
the text as given (full-width digits and half-width kana included). Modules: ``fold`` the
matching form with its offset map, ``rules`` numbers, phones, e-mail, dates and addresses,
``names`` personal names with Sudachi around role words and honorifics, ``detector`` scan().
"""

from pii.detector import CATEGORIES, Finding, scan

__all__ = ["CATEGORIES", "Finding", "scan"]
