//! Placeholder until this bench group is written.
fn main() {}
