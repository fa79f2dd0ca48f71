//! Fine-tuning the top encoder layer(s) of the sentence model on labelled texts, with
//! candle's autograd: the lower layers stay frozen, so their output is computed once per
//! text ([`FrozenStates`]) and an epoch runs only the trained layers, forward and back.
//!
//! The objective is the cross-entropy of a cosine classifier over the mean-pooled,
//! normalised vector: `softmax(SCALE · cos(vector, centroidₖ))`, the centroids starting
//! as the classes' mean vectors and trained with the layers. The hyper-parameters are
//! fixed from the literature, not fitted on the scored folds: AdamW with weight decay
//! 0.01, batches of 16 and a learning rate of 2e-5 for the encoder (the range of BERT's
//! paper, Devlin et al. 2019: 2e-5 to 5e-5, batches of 16 or 32) and 1e-2 for the
//! classifier (SetFit's end-to-end head rate); 4 epochs (BERT's 2 to 4).

use super::encoder::Embedder;
use crate::error::AiError;
use candle_core::{DType, Tensor, Var, D};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::HashMap;

/// The cosine classifier's scale (its inverse temperature).
const SCALE: f64 = 20.0;

/// How fine-tuning runs (see the module docs for where the defaults come from).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FineTuneOptions {
    /// The top layers trained (1 to the model's depth).
    pub layers: usize,
    /// Passes over the training texts.
    pub epochs: usize,
    /// Texts per optimiser step.
    pub batch: usize,
    /// AdamW's learning rate for the encoder layers.
    pub learning_rate: f64,
    /// AdamW's learning rate for the classifier's centroids.
    pub head_learning_rate: f64,
    /// Seed of the order of the texts.
    pub seed: u64,
}

impl Default for FineTuneOptions {
    fn default() -> Self {
        Self {
            layers: 1,
            epochs: 4,
            batch: 16,
            learning_rate: 2e-5,
            head_learning_rate: 1e-2,
            seed: 42,
        }
    }
}

fn model_error(e: impl std::fmt::Display) -> AiError {
    AiError::Model(e.to_string())
}

/// The hidden states of texts after the frozen lower layers, computed once.
#[derive(Debug, Default)]
pub struct FrozenStates {
    states: HashMap<String, Tensor>,
}

impl FrozenStates {
    /// Adds the states of the `texts` not yet known, after `frozen` layers of `embedder`.
    ///
    /// # Errors
    /// [`AiError::Model`] when tokenising or the forward pass fails.
    pub fn fill(
        &mut self,
        embedder: &Embedder,
        texts: &[&str],
        frozen: usize,
    ) -> Result<(), AiError> {
        for text in texts {
            if !self.states.contains_key(*text) {
                let state = embedder.hidden_after(text, frozen)?;
                self.states.insert((*text).to_string(), state);
            }
        }
        Ok(())
    }

    /// Every text filled and its states.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.states.iter().map(|(t, s)| (t.as_str(), s))
    }

    /// The states of `text` `(1, tokens, hidden)`, if filled.
    #[must_use]
    pub fn get(&self, text: &str) -> Option<&Tensor> {
        self.states.get(text)
    }
}

/// The trained top layers.
#[derive(Debug, Clone)]
pub struct FineTuned {
    layers: Vec<LayerWeights>,
}

/// The mean-pooled unit vector of states `(1, tokens, hidden)` after `layers`.
fn pooled(layers: &[LayerWeights], state: &Tensor) -> candle_core::Result<Tensor> {
    let mut x = state.clone();
    for layer in layers {
        x = layer.forward(&x)?;
    }
    let mean = x.mean(1)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
    mean.broadcast_div(&norm)
}

impl FineTuned {
    /// Fine-tunes the top `options.layers` layers of `embedder` on `texts` (whose frozen
    /// states `states` holds) labelled `ys` (indices below `classes`).
    ///
    /// # Errors
    /// [`AiError::Training`] when a text has no state or a label is out of range;
    /// [`AiError::Model`] when a tensor operation fails.
    pub fn train(
        embedder: &Embedder,
        states: &FrozenStates,
        texts: &[&str],
        ys: &[usize],
        classes: usize,
        options: &FineTuneOptions,
    ) -> Result<Self, AiError> {
        let depth = embedder.layer_count();
        if options.layers == 0 || options.layers > depth {
            return Err(AiError::Training(format!(
                "fine-tuning {} layers of a {depth}-layer model",
                options.layers
            )));
        }
        let inputs: Vec<&Tensor> = texts
            .iter()
            .map(|t| {
                states
                    .get(t)
                    .ok_or_else(|| AiError::Training(format!("no frozen state for {t:?}")))
            })
            .collect::<Result<_, _>>()?;
        if ys.len() != inputs.len() || ys.iter().any(|y| *y >= classes) {
            return Err(AiError::Training("labels do not match the texts".into()));
        }
        let original: Vec<LayerWeights> = (depth - options.layers..depth)
            .map(|i| {
                embedder
                    .layer_weights(i)
                    .ok_or_else(|| AiError::Model(format!("no layer {i}")))
            })
            .collect::<Result<_, _>>()?;
        let train = || -> candle_core::Result<Vec<LayerWeights>> {
            let mut vars = Vec::new();
            let mut layers = Vec::new();
            for layer in &original {
                let own: Vec<Var> = layer
                    .tensors()
                    .iter()
                    .map(Var::from_tensor)
                    .collect::<candle_core::Result<_>>()?;
                let tensors: Vec<Tensor> = own.iter().map(|v| v.as_tensor().clone()).collect();
                layers.push(layer.with_tensors(&tensors)?);
                vars.extend(own);
            }
            let centroids = Var::from_tensor(&initial_centroids(&original, &inputs, ys, classes)?)?;
            let params = |lr: f64| ParamsAdamW {
                lr,
                weight_decay: 0.01,
                ..ParamsAdamW::default()
            };
            let mut body = AdamW::new(vars, params(options.learning_rate))?;
            let mut head = AdamW::new(vec![centroids.clone()], params(options.head_learning_rate))?;
            let device = centroids.device().clone();
            let mut order: Vec<usize> = (0..inputs.len()).collect();
            let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
            for _ in 0..options.epochs {
                order.shuffle(&mut rng);
                for batch in order.chunks(options.batch.max(1)) {
                    let c = centroids.as_tensor();
                    let c =
                        c.broadcast_div(&c.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?)?;
                    let mut losses = Vec::with_capacity(batch.len());
                    for i in batch {
                        let v = pooled(&layers, inputs[*i])?;
                        let logits = (v.matmul(&c.t()?)? * SCALE)?;
                        let target = Tensor::new(&[ys[*i] as u32], &device)?;
                        losses.push(candle_nn::loss::cross_entropy(&logits, &target)?);
                    }
                    let loss = Tensor::stack(&losses, 0)?.mean_all()?;
                    let grads = loss.backward()?;
                    body.step(&grads)?;
                    head.step(&grads)?;
                }
            }
            layers
                .iter()
                .map(|l| {
                    let fixed: Vec<Tensor> = l.tensors().iter().map(Tensor::detach).collect();
                    l.with_tensors(&fixed)
                })
                .collect()
        };
        Ok(Self {
            layers: train().map_err(model_error)?,
        })
    }

    /// The unit vector of a text from its frozen states `(1, tokens, hidden)`.
    ///
    /// # Errors
    /// [`AiError::Model`] when a tensor operation fails.
    pub fn vector(&self, state: &Tensor) -> Result<Vec<f32>, AiError> {
        pooled(&self.layers, state)
            .and_then(|v| v.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>())
            .map_err(model_error)
    }
}

/// Per class, the unit mean of the texts' vectors through the untrained layers.
fn initial_centroids(
    layers: &[LayerWeights],
    inputs: &[&Tensor],
    ys: &[usize],
    classes: usize,
) -> candle_core::Result<Tensor> {
    let mut sums: Vec<Option<Tensor>> = vec![None; classes];
    for (x, y) in inputs.iter().zip(ys) {
        let v = pooled(layers, x)?.squeeze(0)?;
        sums[*y] = Some(match sums[*y].take() {
            Some(s) => (s + v)?,
            None => v,
        });
    }
    let device = inputs
        .first()
        .map_or(candle_core::Device::Cpu, |x| x.device().clone());
    let h = inputs.first().map_or(Ok(1), |x| x.dim(D::Minus1))?;
    let rows: Vec<Tensor> = sums
        .into_iter()
        .map(|s| match s {
            Some(s) => {
                let n = s.sqr()?.sum_all()?.sqrt()?;
                s.broadcast_div(&n)
            }
            None => Tensor::zeros(h, DType::F32, &device),
        })
        .collect::<candle_core::Result<_>>()?;
    Tensor::stack(&rows, 0)
}

/// One encoder layer's weights as plain tensors (the query rows of `qkv_*` already
/// scaled by `1/√d`), with a forward pass made of differentiable candle operations:
/// slower than [`Bert`]'s, but one that candle's autograd can train.
#[derive(Debug, Clone)]
#[allow(missing_docs)] // the names are the layer's parts, as in BERT
pub struct LayerWeights {
    pub qkv_weight: Tensor,
    pub qkv_bias: Tensor,
    pub out_weight: Tensor,
    pub out_bias: Tensor,
    pub attention_norm_weight: Tensor,
    pub attention_norm_bias: Tensor,
    pub up_weight: Tensor,
    pub up_bias: Tensor,
    pub down_weight: Tensor,
    pub down_bias: Tensor,
    pub output_norm_weight: Tensor,
    pub output_norm_bias: Tensor,
    /// The layer norms' epsilon.
    pub eps: f64,
    /// Attention heads.
    pub heads: usize,
    /// Units per head.
    pub head_size: usize,
}

impl LayerWeights {
    /// The tensors, in a fixed order (the one [`LayerWeights::with_tensors`] reads).
    #[must_use]
    pub fn tensors(&self) -> Vec<Tensor> {
        vec![
            self.qkv_weight.clone(),
            self.qkv_bias.clone(),
            self.out_weight.clone(),
            self.out_bias.clone(),
            self.attention_norm_weight.clone(),
            self.attention_norm_bias.clone(),
            self.up_weight.clone(),
            self.up_bias.clone(),
            self.down_weight.clone(),
            self.down_bias.clone(),
            self.output_norm_weight.clone(),
            self.output_norm_bias.clone(),
        ]
    }

    /// The same layer with other tensors (same order and shapes as
    /// [`LayerWeights::tensors`]).
    ///
    /// # Errors
    /// When there are not twelve tensors or a shape differs.
    pub fn with_tensors(&self, tensors: &[Tensor]) -> candle_core::Result<Self> {
        let mine = self.tensors();
        if tensors.len() != mine.len() {
            candle_core::bail!("a layer has {} tensors, not {}", mine.len(), tensors.len());
        }
        for (a, b) in mine.iter().zip(tensors) {
            if a.shape() != b.shape() {
                candle_core::bail!("tensor shape {:?} instead of {:?}", b.shape(), a.shape());
            }
        }
        let t = |i: usize| tensors[i].clone();
        Ok(Self {
            qkv_weight: t(0),
            qkv_bias: t(1),
            out_weight: t(2),
            out_bias: t(3),
            attention_norm_weight: t(4),
            attention_norm_bias: t(5),
            up_weight: t(6),
            up_bias: t(7),
            down_weight: t(8),
            down_bias: t(9),
            output_norm_weight: t(10),
            output_norm_bias: t(11),
            ..self.clone()
        })
    }

    /// The layer's output for hidden states `x` `(batch, tokens, hidden)` of unpadded
    /// texts.
    ///
    /// # Errors
    /// When the shapes do not fit.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let (heads, d) = (self.heads, self.head_size);
        let affine = |x: &Tensor, w: &Tensor, bias: &Tensor| {
            x.broadcast_matmul(&w.t()?)?.broadcast_add(bias)
        };
        let qkv = affine(x, &self.qkv_weight, &self.qkv_bias)?.reshape((b, t, 3, heads, d))?;
        let part = |i: usize| {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let scores = q.matmul(&k.t()?.contiguous()?)?;
        let probs = candle_nn::ops::softmax(&scores, candle_core::D::Minus1)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, h))?;
        let norm = |x: &Tensor, w: &Tensor, bias: &Tensor| {
            candle_nn::ops::layer_norm_slow(x, w, bias, self.eps as f32)
        };
        let attended = norm(
            &(affine(&context, &self.out_weight, &self.out_bias)? + x)?,
            &self.attention_norm_weight,
            &self.attention_norm_bias,
        )?;
        let up = affine(&attended, &self.up_weight, &self.up_bias)?.gelu_erf()?;
        norm(
            &(affine(&up, &self.down_weight, &self.down_bias)? + attended)?,
            &self.output_norm_weight,
            &self.output_norm_bias,
        )
    }
}
