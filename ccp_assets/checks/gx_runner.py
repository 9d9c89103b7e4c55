"""Great Expectations 1.x, the judge of every drift check, in a process of its own beside the run.

GX judges small pandas frames (checks/drift.py: a day's profile, a table's columns) through an ephemeral
context. What it costs is its import: ≈ 2 s of CPU (scipy.stats and altair for one expectation we never
use, the fluent datasources' pydantic models, every expectation class), against ≈ 0.1 s for all the
validations of a cold fixture build (issue 16, measured with `bench/checks.py`). Imported in a thread, those
2 s held the GIL against the run's own steps; so `prewarm()` starts a judge process (`_serve`) that imports
GX on the other core while the run lands and normalizes, and `validate()` sends it each frame and reads back the outcomes. The judge is the same code on the same frame,
so the outcomes are those of an in-process validation, which remains the fallback when no judge can be
started or it dies (and what the judge itself runs). One judge per process, reused by every check step;
it exits when its parent closes the pipe (at exit, or killed), never outliving it.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.machinery
import os
import pickle
import struct
import subprocess
import sys
import threading
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

_lock = threading.Lock()
_state: dict[str, Any] = {}
_HEADER = struct.Struct("<Q")


def _gx() -> dict[str, Any]:
    """GX imported and an ephemeral context with one pandas batch definition, once per process."""
    with _lock:
        if not _state:
            os.environ["GX_ANALYTICS_ENABLED"] = "False"  # the local tier promises zero network
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            batch_def = ctx.data_sources.add_pandas("ccp").add_dataframe_asset("partition") \
                .add_batch_definition_whole_dataframe("rows")
            _state.update(gx=gx, ctx=ctx, batch_def=batch_def, cfg=ExpectationConfiguration)
        return _state


@dataclass
class Outcome:
    type: str
    kwargs: dict[str, Any]
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = field(default_factory=list)
    observed: Any = None
    unexpected_index: list[int] = field(default_factory=list)


def validate_here(df: Any, expectations: list[dict[str, Any]], suite_name: str) -> list[Outcome]:
    """Validate a DataFrame against expectation dicts ({type, kwargs}) in this process; one Outcome each."""
    s = _gx()
    suite = s["gx"].ExpectationSuite(name=suite_name)
    for e in expectations:
        suite.add_expectation_configuration(s["cfg"](type=e["type"], kwargs=e["kwargs"]))
    batch = s["batch_def"].get_batch(batch_parameters={"dataframe": df})
    # COMPLETE gives the row index of every unexpected value, so a multi-day frame is judged once and
    # each failure is still attributed to its own day (and file, and client version).
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "include_unexpected_rows": False})
    out = []
    for r in result.results:
        res = r.result or {}
        examples = [x.tolist() if hasattr(x, "tolist") else x for x in (res.get("partial_unexpected_list") or [])[:5]]
        index = [int(i) for i in (res.get("unexpected_index_list") or []) if isinstance(i, int | float)]
        out.append(Outcome(r.expectation_config.type, dict(r.expectation_config.kwargs), bool(r.success),
                           res.get("unexpected_count"), res.get("unexpected_percent"), examples,
                           res.get("observed_value"), index))
    return out


class JudgeGone(Exception):
    """The judge process is not there (never started, died, or its pipe broke)."""


def _send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise JudgeGone("the judge's pipe closed")
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise JudgeGone("the judge's pipe closed mid-answer")
    return pickle.loads(data)  # noqa: S301 - our own child, over our own pipe


class _Judge:
    """The judge process of this process (pid-bound: a forked child starts its own)."""

    def __init__(self) -> None:
        # This process's ccp_assets, not another (-P: not the one in the working directory either).
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "False",
               "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        # Its own session: a Ctrl-C meant for the run does not print a traceback from the judge; it ends on EOF.
        self.proc = subprocess.Popen([sys.executable, "-P", "-c", _JUDGE], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        self.pid = os.getpid()
        self.lock = threading.Lock()

    def ask(self, df: Any, expectations: list[dict[str, Any]], suite_name: str) -> list[Outcome]:
        with self.lock:
            try:
                _send(self.proc.stdin, (df, expectations, suite_name))
                status, value = _receive(self.proc.stdout)
            except Exception as e:  # a broken pipe, a dead judge, an answer that does not unpickle
                raise JudgeGone(str(e)) from e
        if status == "ok":
            return value
        if isinstance(value, BaseException):
            raise value
        raise JudgeGone(value)  # the judge failed outside GX (its import): judge here, to raise it here

    def close(self) -> None:
        if self.pid != os.getpid():
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


_judge: dict[str, _Judge] = {}
_JUDGE = "from ccp_assets.checks.gx_runner import _serve; _serve()"  # not -m: Outcome must pickle as this module's


def prewarm() -> None:
    """Start this process's judge (once): it imports GX on the other core while the run goes on."""
    with _lock:
        j = _judge.get("judge")
        if j is not None and j.pid == os.getpid():
            return
        try:
            _judge["judge"] = j = _Judge()
        except OSError:
            _judge.pop("judge", None)
            return
        atexit.register(j.close)


def validate(df: Any, expectations: list[dict[str, Any]], suite_name: str) -> list[Outcome]:
    """Validate a DataFrame against expectation dicts ({type, kwargs}); one Outcome per expectation.

    By the judge process (started here if `prewarm` did not), unless GX is already imported in this process
    or the judge is gone: then in this process."""
    if not _state:
        prewarm()
    j = _judge.get("judge")
    if j is not None and j.pid == os.getpid():
        try:
            return j.ask(df, expectations, suite_name)
        except JudgeGone:
            _judge.pop("judge", None)
    return validate_here(df, expectations, suite_name)


def _serve() -> None:
    """The judge: import GX at once (a thread), answer each request on stdin; exit when stdin closes."""
    import warnings

    warnings.filterwarnings("ignore")  # as the run's own process: nothing of GX's reaches the user's terminal
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever GX prints must not corrupt the answers
    threading.Thread(target=_warm, daemon=True).start()
    while True:
        try:
            df, expectations, suite_name = _receive(requests)
        except JudgeGone:
            os._exit(0)  # the parent is done (or gone): the import thread need not finish
        try:
            answer: tuple[str, Any] = ("ok", validate_here(df, expectations, suite_name))
        except Exception as e:  # noqa: BLE001 - sent back to be raised in the check step
            try:
                pickle.dumps(e)
                answer = ("error", e)
            except Exception:  # noqa: BLE001
                answer = ("error", traceback.format_exc())
        _send(answers, answer)


def _warm() -> None:
    deferred = [_OnFirstUse(n) for n in DEFERRED if n not in sys.modules]
    sys.modules.update({m.__name__: m for m in deferred})
    with contextlib.suppress(Exception):  # a failed import fails the first request again, which says why
        _gx()
    for m in deferred:  # an import from now on gets the real module; GX's names still load it on first use
        if sys.modules.get(m.__name__) is m:
            del sys.modules[m.__name__]


# Imported by GX at module level for one expectation the suites never use (KL divergence: scipy.stats for its
# value, altair for its chart), only inside its functions: ≈ 0.9 of the judge's 2.2 s of import CPU
# (with pandas already imported; 1.36 s vs 2.25 s, two runs each). The judge defers them to their first use.
DEFERRED = ("scipy.stats", "altair")


class _OnFirstUse(types.ModuleType):
    """A module that imports the real one when an attribute is first asked of it (in the judge only)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = importlib.machinery.ModuleSpec(name, None)  # `import` finds it ready, asks nothing

    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attr)
