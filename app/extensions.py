"""Flask extensions, created unbound here and bound to the app in create_app()."""

import sqlalchemy as sa
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names make Alembic migrations deterministic and droppable on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def _member_or_address() -> str:
    """Default limit key: the member when logged in (a whole city hall shares one LGWAN proxy
    address, so posting limits must not add colleagues up), the address for visitors."""
    from app.api.auth import member_key

    return member_key()


limiter = Limiter(key_func=_member_or_address)
