from fabrika.core.migrations import run_env
from fabrika.mes.models import Base

run_env(Base.metadata)
