//! Examples and binaries of the ticketing engine. The examples live in `examples/`:
//! `embed` (a service embedding `ticket-core` on the in-memory store) and `custom_store`
//! (a store of one's own, proven with the conformance kit).
