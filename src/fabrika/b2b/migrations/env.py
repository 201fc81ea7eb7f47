from fabrika.b2b.models import Base
from fabrika.core.migrations import run_env

run_env(Base.metadata)
