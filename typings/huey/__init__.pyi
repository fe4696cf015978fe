# The few parts of huey (which ships no type information) that CareLoop uses.
from huey.api import Result as Result
from huey.api import crontab as crontab
