"""Docstring tables of the generated unary functions in :mod:`ember.ops.unary`.

Each example's result is exact (or rounded by the printer) and was derived by hand.
"""

# name: (the math, example input, its exact result as printed)
_EXAMPLES = {
    "sqrt": ("sqrt(x)", "[4.0, 9.0]", "tensor([2., 3.])"),
    "rsqrt": ("1 / sqrt(x)", "[4.0, 0.25]", "tensor([0.5000, 2.0000])"),
    "exp": ("e ** x", "[0.0]", "tensor([1.])"), "exp2": ("2 ** x", "[3.0]", "tensor([8.])"),
    "expm1": ("e ** x - 1", "[0.0]", "tensor([0.])"), "log": ("ln(x)", "[1.0]", "tensor([0.])"),
    "log2": ("log2(x)", "[8.0]", "tensor([3.])"), "log10": ("log10(x)", "[1.0]", "tensor([0.])"),
    "log1p": ("ln(1 + x)", "[0.0]", "tensor([0.])"), "sin": ("sin(x)", "[0.0]", "tensor([0.])"),
    "cos": ("cos(x)", "[0.0]", "tensor([1.])"), "tan": ("tan(x)", "[0.0]", "tensor([0.])"),
    "asin": ("asin(x)", "[0.0, 1.0]", "tensor([0.0000, 1.5708])"),
    "acos": ("acos(x)", "[1.0]", "tensor([0.])"),
    "atan": ("atan(x)", "[0.0, 1.0]", "tensor([0.0000, 0.7854])"),
    "sinh": ("sinh(x)", "[0.0]", "tensor([0.])"), "cosh": ("cosh(x)", "[0.0]", "tensor([1.])"),
    "tanh": ("tanh(x)", "[0.0]", "tensor([0.])"), "asinh": ("asinh(x)", "[0.0]", "tensor([0.])"),
    "acosh": ("acosh(x)", "[1.0]", "tensor([0.])"), "atanh": ("atanh(x)", "[0.0]",
                                                              "tensor([0.])"),
    "sigmoid": ("1 / (1 + e ** -x)", "[0.0]", "tensor([0.5000])"),
    "erf": ("2 / sqrt(pi) * integral_0^x e^(-t^2) dt", "[0.0]", "tensor([0.])"),
    "erfc": ("1 - erf(x)", "[0.0]", "tensor([1.])"),
    "erfinv": ("erf^-1(x)", "[0.0]", "tensor([0.])"),
    "lgamma": ("ln|Gamma(x)|", "[1.0, 3.0]", "tensor([0.0000, 0.6931])"),
    "digamma": ("d/dx ln Gamma(x)", "[1.0]", "tensor([-0.5772])"),
    "i0": ("I0(x)", "[0.0]", "tensor([1.])"),
    "sinc": ("sin(pi x) / (pi x)", "[0.0, 0.5]", "tensor([1.0000, 0.6366])"),
    "reciprocal": ("1 / x", "[2.0, 4.0]", "tensor([0.5000, 0.2500])"),
}

_ROUND_EXAMPLES = {"floor": "tensor([-2.,  1.])", "ceil": "tensor([-1.,  2.])",
                   "trunc": "tensor([-1.,  1.])"}

_PRED_EXAMPLES = {"isnan": "tensor([False,  True, False])",
                  "isinf": "tensor([False, False,  True])",
                  "isfinite": "tensor([ True, False, False])",
                  "isposinf": "tensor([False, False,  True])",
                  "isneginf": "tensor([False, False, False])",
                  "isreal": "tensor([True, True, True])",
                  "logical_not": "tensor([False, False, False])"}
