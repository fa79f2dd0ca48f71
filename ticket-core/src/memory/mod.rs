//! `MemoryStore`: a complete in-memory implementation of every store trait.
