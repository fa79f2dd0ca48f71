//! Lexical classification throughput and FAQ matching latency, printed by criterion.
//! Run: `cargo bench -p ticket-ai --bench classify`.

#![allow(clippy::expect_used)]

use criterion::{criterion_main, Criterion, Throughput};
use std::hint::black_box;
use ticket_ai::faq::{Bm25Config, Bm25Index};
use ticket_ai::{LexicalClassifier, LexicalConfig};
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

/// Every benchmark of this file (what `criterion_group!` would generate, with a doc comment).
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
