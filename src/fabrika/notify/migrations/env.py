from fabrika.core.migrations import run_env
from fabrika.notify.models import Base

run_env(Base.metadata)
