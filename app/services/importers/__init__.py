"""Importers: content from elsewhere becomes ordinary questions and answers.

- `stackexchange`: a Stack Exchange data dump folder (Posts.xml, Users.xml, Tags.xml, PostLinks.xml, Votes.xml)
- `faq_csv`: a municipal FAQ open-data CSV (UTF-8 or Shift_JIS/CP932)
- `zennin`: a folder written by `flask export` (restore into an empty database)

All of them go through the same services as the site where a rule lives (validation, Markdown
rendering and sanitizing, tags, acceptance and its reputation), remember every source id in
`import_records` so a re-run adds only what is new, commit in batches inside
`indexing.deferred()`, and update the search index once at the end. Personal information is
reported, not held (an operator's import has nobody to confirm it): the summary counts the
findings per category and lists the ids of the posts and comments to review.
"""
