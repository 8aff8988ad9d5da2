//! [`Rank1`]: the outer product as a lazy operator.
