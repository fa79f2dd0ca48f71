//! Lexical classification throughput and FAQ matching latency, printed by criterion.
//! Run: `cargo bench -p ticket-ai --bench classify`.
//!
//! `lexical/classify_ticket` classifies one ticket over and over, so the model's tables
//! stay in the CPU caches; `lexical/classify_ticket_cold_cache` classifies the shipped
//! tickets in turn after overwriting 16 MB (outside the timing) between two of them, as
//! a create in a server meets the model: the store's and the runtime's work in between
//! has pushed it out of the caches.

#![allow(clippy::expect_used)]

use criterion::{criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use ticket_ai::faq::{Bm25Config, Bm25Index};
use ticket_ai::{LexicalClassifier, LexicalConfig, TicketModels};
use ticket_core::text::Tags;

fn bench(c: &mut Criterion) {
    let classifier = LexicalClassifier::day_one(LexicalConfig::default()).expect("day-one model");
    let tags = Tags::empty();
    let mut g = c.benchmark_group("lexical");
    g.throughput(Throughput::Elements(1));
    g.bench_function("classify_ticket", |b| {
        b.iter(|| {
            classifier.classify_text(
                black_box("Payment failed while subscribing"),
                black_box("I was charged twice for the Team plan this morning, please refund urgently. The card ends 4242."),
                &tags,
            )
        });
    });
    let rows = TicketModels::shipped_rows().expect("shipped sample");
    let mut clutter = vec![0u64; EVICT_BYTES / 8];
    let mut next = 0;
    g.bench_function("classify_ticket_cold_cache", |b| {
        b.iter_batched(
            || {
                evict(&mut clutter);
                next = (next + 1) % rows.len();
                &rows[next].0
            },
            |text| classifier.classify_text(black_box(text), "", &tags),
            BatchSize::PerIteration,
        );
    });
    g.finish();
    let faqs: Vec<(String, String)> = (0..200)
        .map(|i| {
            (
                format!("How do I change setting number {i}?"),
                format!("Open settings, section {i}, and save."),
            )
        })
        .collect();
    let index = Bm25Index::new(
        faqs.iter().map(|(q, a)| (q.as_str(), a.as_str())),
        Bm25Config::default(),
    );
    c.bench_function("faq_bm25_top3_of_200", |b| {
        b.iter(|| index.top(black_box("how can I change setting 42 and save it"), 3));
    });
}

/// Bytes written between two cold-cache classifications: more than this machine's L2
/// and its share of L3.
const EVICT_BYTES: usize = 16 << 20;

/// Writes over `clutter`, evicting the model from the caches.
fn evict(clutter: &mut [u64]) {
    for (i, x) in clutter.iter_mut().enumerate() {
        *x = x.wrapping_add(i as u64);
    }
    black_box(&clutter);
}

/// Every benchmark of this file (what `criterion_group!` would generate, with a doc comment).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
