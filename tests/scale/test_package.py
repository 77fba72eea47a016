"""The package surface: flat re-exports, lazy Dask, and the models hook."""

from __future__ import annotations

import sys
import types

import numpy as np

import descend.scale as scale


def test_flat_api_and_lazy_dask():
    for name in scale.__all__:
        assert getattr(scale, name) is not None
    from descend.scale.dask_engine import moment_stats_dask

    assert scale.moment_stats_dask is moment_stats_dask


def test_install_fast_kernels_registers_with_the_backends_seam(monkeypatch):
    from descend import _backends

    monkeypatch.setattr(_backends, "_FAST",
                        {"loss_and_grad": None, "moment_stats": None, "predict": None})
    assert scale.install_fast_kernels() is True
    X = np.zeros((1 << 18, 1))
    assert _backends.fast("loss_and_grad", X) is scale.loss_and_grad_fast
    assert _backends.fast("predict", X) is scale.predict_fast
    # the statistics kernel compiles for ~7 s: NumPy's blocked products serve arrays below
    # its own threshold (a first huber fit of 4e6 elements compiles the gradient kernel only)
    assert _backends.fast("moment_stats", X) is None
    big = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(1 << 25, 1), strides=(0, 0))
    assert _backends.fast("moment_stats", big) is scale.moment_stats_fast


def test_install_fast_kernels_uses_the_models_hook(monkeypatch):
    got = {}
    fake = types.ModuleType("descend.models.losses")
    fake.use_fast_kernels = lambda **kw: got.update(kw)  # type: ignore[attr-defined]
    import descend.models  # the real package first; then swap its losses module

    monkeypatch.setitem(sys.modules, "descend.models.losses", fake)
    monkeypatch.setattr(descend.models, "losses", fake, raising=False)
    monkeypatch.setitem(sys.modules, "descend._backends", types.ModuleType("descend._backends"))
    import descend

    monkeypatch.setattr(descend, "_backends", sys.modules["descend._backends"], raising=False)
    assert scale.install_fast_kernels() is True
    assert got["loss_and_grad"] is scale.loss_and_grad_fast
    assert got["moment_stats"] is scale.moment_stats_fast
    X = np.ones((3, 2))
    assert got["moment_stats"](X, np.arange(3.0)).n == 3


def test_install_fast_kernels_without_a_hook(monkeypatch):
    fake = types.ModuleType("descend.models.losses")
    import descend.models  # the real package first; then swap its losses module

    monkeypatch.setitem(sys.modules, "descend.models.losses", fake)
    monkeypatch.setattr(descend.models, "losses", fake, raising=False)
    monkeypatch.setitem(sys.modules, "descend._backends", types.ModuleType("descend._backends"))
    import descend

    monkeypatch.setattr(descend, "_backends", sys.modules["descend._backends"], raising=False)
    assert scale.install_fast_kernels() is False
