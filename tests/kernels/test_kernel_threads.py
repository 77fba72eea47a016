"""kernel_threads from several threads at once (a Dask cluster's worker threads).

BLAS's thread count is one setting for the process. Worker threads that each limit it and
leave in another order used to leave it at one thread after the fit: only the main thread
sets it now, and a thread's kernel count does not leak into another thread.
"""

from __future__ import annotations

import threading

import pytest

from descend.kernels import _stamps
from descend.kernels._stamps import kernel_threads

threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_counts() -> set[int]:
    return {lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    if not _blas_counts():
        pytest.skip("no BLAS library that threadpoolctl can see")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        yield


def test_worker_threads_leaving_out_of_order_leave_blas_alone(two_blas_threads):
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, set[int]] = {}

    def a() -> None:
        with kernel_threads(1):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b() -> None:
        a_in.wait(5)
        with kernel_threads(1):
            b_in.set()
            a_out.wait(5)
            seen["b"] = _blas_counts()
            seen["stack"] = set(_stamps._threads())

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start(), tb.start()
    ta.join(10), tb.join(10)
    assert seen == {"b": {2}, "stack": {1}}
    assert _blas_counts() == {2}  # as before the workers' limits


def test_main_thread_nested_limits_and_no_leak_across_threads(two_blas_threads):
    other: dict[str, list[int]] = {}

    def look() -> None:
        other["stack"] = list(_stamps._threads())

    with kernel_threads(1):
        with kernel_threads(2):
            assert _blas_counts() == {2} and _stamps._threads() == [1, 2]
        assert _blas_counts() == {1}  # the outer limit rules again
        t = threading.Thread(target=look)
        t.start(), t.join(5)
    assert other["stack"] == []  # another thread's kernels are not limited by this one
    assert _blas_counts() == {2} and _stamps._threads() == []
