//! Placeholder while the store is being written.
fn main() {}
