"""Search bookkeeping tables."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataGeneration(SQLModel, table=True):
    """One row whose token changes, in the writing transaction, on every supplier write.

    Database triggers (revision 0003) set a fresh random token whenever a statement writes
    `supplier` or one of its link tables, so a cached result keyed by the token is never
    served after the data it was computed from has changed. Random rather than a counter: a
    rolled-back write takes its token with it and no later write can ever reuse it.
    """

    __tablename__ = "data_generation"

    id: int = Field(primary_key=True)
    token: int = Field(sa_type=sa.BigInteger)
