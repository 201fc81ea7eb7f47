from fabrika.core.migrations import run_env
from fabrika.crm.models import Base

run_env(Base.metadata)
