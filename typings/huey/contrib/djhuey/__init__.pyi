from collections.abc import Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from huey.api import PeriodicTask, TaskWrapper

_P = ParamSpec("_P")
_R = TypeVar("_R")

def db_task(*args: Any, **kwargs: Any) -> Callable[[Callable[_P, _R]], TaskWrapper[_P, _R]]: ...
def db_periodic_task(
    validate_datetime: Callable[[datetime], bool], *args: Any, **kwargs: Any
) -> Callable[[Callable[_P, _R]], PeriodicTask[_P, _R]]: ...
