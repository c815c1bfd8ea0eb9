"""Japanese local governments and national bodies, loaded from app/data/organizations.csv."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db

MUNICIPAL_KINDS = frozenset({"designated_city", "city", "special_ward", "ward", "town", "village"})
NATIONAL_KINDS = frozenset({"ministry", "agency", "commission", "regional_office"})


class Organization(db.Model):
    __tablename__ = "organizations"

    # 6-digit 全国地方公共団体コード; national bodies use documented codes starting with 9.
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    kana: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    prefecture_code: Mapped[str | None] = mapped_column(sa.ForeignKey("organizations.code"))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("organizations.code"))
    # 2020 census (app/data/population.csv); None for national bodies.
    population: Mapped[int | None]

    prefecture: Mapped["Organization | None"] = relationship(
        remote_side=[code], foreign_keys=[prefecture_code], lazy="joined", join_depth=2
    )

    @property
    def is_municipal(self) -> bool:
        return self.kind in MUNICIPAL_KINDS

    @property
    def full_name(self) -> str:
        """Name with its prefecture where two municipalities could share a name (府中市)."""
        if self.is_municipal and self.prefecture is not None:
            return f"{self.prefecture.name}{self.name}"
        return self.name

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.name}>"
