//! Gradients of dense layers, built on the outer-product and rank-k kernels.
