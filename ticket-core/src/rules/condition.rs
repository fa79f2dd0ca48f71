//! Evaluating conditions.
