"""An app for tests that run real server processes (gunicorn workers): the test settings,
with the database, index and outbox locations taken from the environment the test sets."""

import os

from app import create_app
from config import TestingConfig


class LiveTestConfig(TestingConfig):
    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    SEARCH_INDEX_DIR = os.environ["SEARCH_INDEX_DIR"]
    MAIL_OUTBOX_DIR = os.environ["MAIL_OUTBOX_DIR"]
    INSTANCE_DIR = os.environ["ZENNIN_INSTANCE_DIR"]
    SEARCH_WRITE_TIMEOUT = 0.5


app = create_app(LiveTestConfig)
