"""`Tensor.pin_memory`/`is_pinned` and the DataLoader's `pin_memory=True` (`cuda` marker)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, TensorDataset

GPU = ember.cuda.is_available()


@pytest.mark.skipif(GPU, reason="checks the behaviour on machines without a GPU")
def test_pin_memory_without_a_gpu_raises_and_nothing_is_pinned():
    x = ember.arange(3.0)
    assert x.is_pinned() is False
    with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
        x.pin_memory()


@pytest.mark.cuda
def test_pin_memory_copies_values_strides_and_gradient():
    base = ember.arange(12.0).view(3, 4)
    x = base.t().requires_grad_()  # non-contiguous leaf
    assert not x.is_pinned()
    p = x.pin_memory()
    assert p.is_pinned() and p.device.type == "cpu"
    assert p.stride() == x.stride()
    np.testing.assert_array_equal(p.detach().numpy(), base.numpy().T)
    assert p.pin_memory() is p  # already pinned
    (p * ember.arange(3.0)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.tile(np.arange(3.0), (4, 1)))
    p.mul_(0)  # a copy: the source is untouched
    assert x.detach().sum().item() == 66.0
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        ember.ones(2, device="cuda").pin_memory()


@pytest.mark.cuda
@pytest.mark.parametrize("workers", [0, 2])
def test_dataloader_pins_every_batch(workers):
    ds = TensorDataset(ember.arange(40.0).view(20, 2), ember.arange(20))
    loader = DataLoader(ds, batch_size=8, pin_memory=True, num_workers=workers)
    seen = []
    for x, y in loader:
        assert x.is_pinned() and y.is_pinned()
        seen += y.tolist()
        assert (x.cuda(non_blocking=True).cpu()[:, 0] == 2 * y.double()).all()
    assert seen == list(range(20))
