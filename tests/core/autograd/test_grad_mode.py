"""``no_grad``/``enable_grad``/``set_grad_enabled``/``inference_mode``: contexts, decorators,
generator functions and thread-locality."""

from __future__ import annotations

import threading

import pytest

import ember


@pytest.fixture
def x(device):
    return ember.ones(2, device=device, requires_grad=True)


# ---------------------------------------------------------------------- context managers
def test_no_grad_context(x):
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2.0
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad(x):
    with ember.no_grad():
        with ember.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad


def test_set_grad_enabled_context_and_call(x):
    with ember.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)   # takes effect as a plain call
    try:
        assert not ember.is_grad_enabled()
    finally:
        ember.set_grad_enabled(True)
    assert ember.is_grad_enabled()


def test_set_grad_enabled_rejects_non_bool():
    with pytest.raises(TypeError, match="argument 'mode' must be bool"):
        ember.set_grad_enabled(1)


def test_state_restored_after_exception(x):
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError("boom")
    assert ember.is_grad_enabled()


def test_nested_no_grad_restores_outer_state():
    with ember.no_grad():
        with ember.no_grad():
            pass
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


def test_inference_mode_context(x):
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
        y = x * 2.0
    assert not y.requires_grad
    assert not ember.is_inference_mode_enabled() and ember.is_grad_enabled()
    with ember.inference_mode(False):
        assert not ember.is_inference_mode_enabled()
        assert (x * 2.0).requires_grad


# ---------------------------------------------------------------------- decorators
def test_no_grad_decorator_called_and_bare(x):
    @ember.no_grad()
    def f(t):
        return t * 2.0

    @ember.no_grad
    def g(t):
        return t * 2.0

    assert not f(x).requires_grad and not g(x).requires_grad
    assert ember.is_grad_enabled()
    assert f.__name__ == "f"


def test_enable_grad_decorator(x):
    @ember.enable_grad()
    def f(t):
        return t * 2.0

    with ember.no_grad():
        assert f(x).requires_grad
        assert not ember.is_grad_enabled()


def test_set_grad_enabled_decorator_does_not_leak(x):
    @ember.set_grad_enabled(False)
    def f(t):
        return t * 2.0

    assert ember.is_grad_enabled()   # decorating must not switch the mode
    assert not f(x).requires_grad
    assert ember.is_grad_enabled()


def test_inference_mode_decorator_bare_and_called(x):
    @ember.inference_mode
    def f(t):
        return ember.is_inference_mode_enabled(), t * 2.0

    @ember.inference_mode()
    def g(t):
        return ember.is_inference_mode_enabled()

    flag, y = f(x)
    assert flag and not y.requires_grad and g(x)
    assert not ember.is_inference_mode_enabled()


def test_decorating_a_class_raises():
    with pytest.raises(TypeError, match="cannot decorate a class"):
        ember.no_grad()(type("C", (), {}))


# ---------------------------------------------------------------------- generator functions
def test_no_grad_generator_each_step_in_mode_caller_unaffected(x):
    @ember.no_grad()
    def gen(t):
        outside = yield t * 2.0
        yield t * 3.0, outside
        return "done"

    it = gen(x)
    a = next(it)
    assert not a.requires_grad
    assert ember.is_grad_enabled()           # the caller runs with grad between steps
    b, received = it.send(ember.is_grad_enabled())
    assert not b.requires_grad and received is True
    with pytest.raises(StopIteration) as stop:
        next(it)
    assert stop.value.value == "done"


def test_generator_list_and_return_value(x):
    @ember.no_grad()
    def gen(t):
        for k in range(3):
            yield t * float(k)

    assert [y.requires_grad for y in gen(x)] == [False, False, False]

    @ember.no_grad()
    def delegating():
        result = yield from gen(x)
        return result

    assert len(list(delegating())) == 3


def test_enable_grad_generator_inside_no_grad(x):
    @ember.enable_grad()
    def gen(t):
        yield t * 2.0

    with ember.no_grad():
        (y,) = list(gen(x))
        assert not ember.is_grad_enabled()
    assert y.requires_grad


def test_generator_throw_runs_in_mode_and_close(x):
    modes = []

    @ember.no_grad()
    def gen():
        try:
            yield 1
        except KeyError:
            modes.append(ember.is_grad_enabled())
            yield 2
        finally:
            modes.append(("finally", ember.is_grad_enabled()))

    it = gen()
    next(it)
    assert it.throw(KeyError("k")) == 2
    it.close()
    assert modes == [False, ("finally", False)]
    assert ember.is_grad_enabled()


# ---------------------------------------------------------------------- threads
def test_grad_mode_is_thread_local(x):
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def worker():
        entered.wait(5)
        seen["enabled"] = ember.is_grad_enabled()
        seen["rg"] = (x * 2.0).requires_grad
        checked.set()

    th = threading.Thread(target=worker)
    th.start()
    with ember.no_grad():
        entered.set()
        checked.wait(5)
        assert not ember.is_grad_enabled()
    th.join(5)
    assert seen == {"enabled": True, "rg": True}


def test_thread_no_grad_does_not_leak_to_main(x):
    done = threading.Event()
    release = threading.Event()

    def worker():
        with ember.no_grad():
            done.set()
            release.wait(5)

    th = threading.Thread(target=worker)
    th.start()
    done.wait(5)
    try:
        assert ember.is_grad_enabled() and (x * 2.0).requires_grad
    finally:
        release.set()
        th.join(5)
