"""Differentiable primitives, grouped by family; each op's forward sits beside its backward."""
