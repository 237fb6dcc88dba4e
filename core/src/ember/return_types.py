"""Named tuples returned by ops with several outputs (``torch.return_types`` in PyTorch)."""

from __future__ import annotations

from collections import namedtuple

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "mode", "cummax", "cummin",
           "aminmax", "slogdet", "qr", "svd", "eigh", "linalg_eigh", "linalg_slogdet",
           "linalg_qr", "linalg_svd", "std_mean", "var_mean", "unique", "histogram",
           "linalg_cholesky_ex", "linalg_inv_ex", "lu_factor", "frexp", "geqrf"]


def _nt(name, fields):
    cls = namedtuple(name, fields)
    cls.__module__ = "ember.return_types"
    return cls


max = _nt("max", "values indices")
min = _nt("min", "values indices")
sort = _nt("sort", "values indices")
topk = _nt("topk", "values indices")
kthvalue = _nt("kthvalue", "values indices")
median = _nt("median", "values indices")
nanmedian = _nt("nanmedian", "values indices")
mode = _nt("mode", "values indices")
cummax = _nt("cummax", "values indices")
cummin = _nt("cummin", "values indices")
aminmax = _nt("aminmax", "min max")
slogdet = _nt("slogdet", "sign logabsdet")
linalg_slogdet = _nt("linalg_slogdet", "sign logabsdet")
qr = _nt("qr", "Q R")
linalg_qr = _nt("linalg_qr", "Q R")
svd = _nt("svd", "U S V")
linalg_svd = _nt("linalg_svd", "U S Vh")
eigh = _nt("eigh", "eigenvalues eigenvectors")
linalg_eigh = _nt("linalg_eigh", "eigenvalues eigenvectors")
linalg_eig = _nt("linalg_eig", "eigenvalues eigenvectors")
std_mean = _nt("std_mean", "std mean")
var_mean = _nt("var_mean", "var mean")
unique = _nt("unique", "values inverse counts")
histogram = _nt("histogram", "hist bin_edges")
linalg_cholesky_ex = _nt("linalg_cholesky_ex", "L info")
linalg_inv_ex = _nt("linalg_inv_ex", "inverse info")
lu_factor = _nt("lu_factor", "LU pivots")
frexp = _nt("frexp", "mantissa exponent")
geqrf = _nt("geqrf", "a tau")
