"""``ember.cuda`` and the device type: behaviour without a GPU, and on one (``cuda`` marker)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

GPU = ember.cuda.is_available()


def test_device_objects_parse_and_compare():
    d = ember.device("cuda:1")
    assert (d.type, d.index) == ("cuda", 1)
    assert ember.device("cuda", 0) == "cuda:0"
    assert ember.device(ember.device("cpu")) == ember.device("cpu")
    assert repr(ember.device("cuda", 2)) == "device(type='cuda', index=2)"
    assert str(ember.device("cuda", 2)) == "cuda:2"
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type"):
        ember.device("tpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        ember.device("cuda:x")


@pytest.mark.skipif(GPU, reason="checks the behaviour on machines without a GPU")
def test_without_a_gpu_everything_says_why():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    assert ember.cuda.memory_allocated() == 0 and ember.cuda.max_memory_allocated() == 0
    reason = ember.cuda.unavailable_reason()
    assert reason and ("cupy" in reason or "driver" in reason or "device" in reason)
    with pytest.raises(RuntimeError, match="CUDA is not available: "):
        ember.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CUDA is not available: "):
        ember.zeros(2, device="cuda")
    ember.cuda.empty_cache()  # harmless no-ops without a GPU
    ember.cuda.manual_seed_all(0)


@pytest.mark.cuda
def test_memory_statistics_track_allocations():
    ember.cuda.synchronize()
    ember.cuda.reset_peak_memory_stats()
    before = ember.cuda.memory_allocated()
    x = ember.empty(1 << 20, device="cuda")  # 4 MiB
    assert ember.cuda.memory_allocated() >= before + 4 * (1 << 20)
    peak = ember.cuda.max_memory_allocated()
    del x
    assert ember.cuda.memory_allocated() <= peak
    assert ember.cuda.max_memory_allocated() == peak  # the peak stays until reset
    ember.cuda.reset_peak_memory_stats()
    assert ember.cuda.max_memory_allocated() < peak


@pytest.mark.cuda
def test_devices_and_round_trips_with_gradients():
    assert ember.cuda.device_count() >= 1
    with ember.cuda.device(0):
        assert ember.cuda.current_device() == 0
    a = np.arange(6.0).reshape(2, 3)
    x = ember.tensor(a, requires_grad=True)
    y = x.cuda()
    assert y.device == ember.device("cuda", 0) and y.is_cuda
    assert (y.get_device(), x.get_device()) == (0, -1)
    (y * y).sum().backward()
    assert x.grad.device == ember.device("cpu")
    assert_close(x.grad, 2 * a)
    with pytest.raises(RuntimeError, match="same device"):
        ember.ones(3) + ember.ones(3, device="cuda")
    # fused multi-input kernels say so too, instead of failing inside cupy
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.nn.functional.layer_norm(ember.ones(2, 3, device="cuda"), (3,), ember.ones(3))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ember.nn.InstanceNorm1d(4, affine=True)(ember.randn(2, 4, 3, device="cuda"))


@pytest.mark.cuda
def test_cuda_generators_are_reproducible():
    ember.cuda.manual_seed(123)
    a = ember.rand(5, device="cuda")
    ember.cuda.manual_seed(123)
    b = ember.rand(5, device="cuda")
    assert bool((a == b).all())
    g = ember.Generator("cuda").manual_seed(7)
    c = ember.randn(4, device="cuda", generator=g)
    d = ember.randn(4, device="cuda", generator=ember.Generator("cuda").manual_seed(7))
    assert bool((c == d).all())
