//! vec(abᵀ), Kronecker products and `unvec`.
