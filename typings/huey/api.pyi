from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

class Result:
    def get(self, blocking: bool = False, timeout: float | None = None) -> Any: ...
    def __call__(self, blocking: bool = False, timeout: float | None = None) -> Any: ...

class TaskWrapper(Generic[_P, _R]):
    # None when the huey instance keeps no results.
    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> Result | None: ...
    # djhuey's db_task/db_periodic_task set call_local to the undecorated function.
    def call_local(self, *args: _P.args, **kwargs: _P.kwargs) -> _R: ...

class PeriodicTask(TaskWrapper[_P, _R]): ...

def crontab(
    minute: str = "*",
    hour: str = "*",
    day: str = "*",
    month: str = "*",
    day_of_week: str = "*",
    strict: bool = False,
) -> Callable[[datetime], bool]: ...
