//! [`Bert`]: the forward pass of a BERT encoder (all-MiniLM-L6-v2) on candle's CPU
//! tensors, computing what `candle_transformers::models::bert::BertModel` computes with
//! less work per token:
//!
//! - one matrix product for the query, key and value projections (their weights joined
//!   at load time) instead of three, with the `1/√d` attention scale folded into the
//!   query weights;
//! - the one-pass softmax of `candle_nn::ops::softmax_last_dim` instead of five tensor
//!   passes, and no attention mask when no text of the batch is padded (one text);
//! - the intermediate bias and the exact (erf) GELU in one pass over the activations
//!   ([`BiasGelu`]), with an erf that the compiler vectorises instead of a scalar libm
//!   call per activation;
//! - the weights of the linear maps stored transposed, contiguous `(inputs, outputs)`:
//!   gemm multiplies a `(tokens, inputs)` activation by them 5-15 % faster than by the
//!   transposed view of the checkpoint's `(outputs, inputs)` matrix, which it repacks on
//!   every call (README: the latency figures before and after).
//!
//! With `BertModel`, a third of the one-core time went outside the matrix products
//! (libm's `erff` alone 12 %); with these, the forward pass over the shipped tickets
//! takes 1.25-1.3x less CPU time (`benches/embed.rs` compares the two). The matrix
//! products are candle's (the `gemm` crate, AVX2+FMA kernels: its AVX-512 kernels, behind
//! gemm's `x86-v4` feature, were 1.3x slower on the AMD EPYC we measure on, and candle's
//! int8 `QMatMul` (Q8_0) 4-5x slower than f32, at the same quality). The output matches
//! `BertModel`'s to float rounding (`tests/embeddings.rs` compares the vectors).
//!
//! [`Bert::layer_weights`] gives one layer as plain tensors ([`LayerWeights`]), for
//! [`super::fine_tune`].

use candle_core::{CpuStorage, DType, Layout, Module, Result, Shape, Tensor};
use candle_nn::{Embedding, LayerNorm, VarBuilder};
use candle_transformers::models::bert::{Config, HiddenAct};

pub use super::fine_tune::LayerWeights;

/// The encoder's weights, loaded from a `VarBuilder` over the checkpoint.
pub struct Bert {
    words: Embedding,
    positions: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_size: usize,
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    /// The intermediate map; its bias is added with the GELU ([`BiasGelu`]).
    up: Dense,
    up_bias: Vec<f32>,
    down: Dense,
    output_norm: LayerNorm,
}

fn layer_norm(vb: &VarBuilder, size: usize, eps: f64) -> Result<LayerNorm> {
    Ok(LayerNorm::new(
        vb.get(size, "weight")?,
        vb.get(size, "bias")?,
        eps,
    ))
}

fn dense(vb: &VarBuilder, inputs: usize, outputs: usize) -> Result<Dense> {
    Dense::new(
        &vb.get((outputs, inputs), "weight")?,
        vb.get(outputs, "bias")?,
    )
}

/// A linear map `x · Wᵀ + b` with `Wᵀ` stored contiguous: gemm multiplies by a
/// contiguous `(inputs, outputs)` matrix 5-15 % faster than by the transposed view of
/// the checkpoint's `(outputs, inputs)` one (`benches/embed.rs`, one core).
struct Dense {
    weight_t: Tensor,
    bias: Tensor,
}

impl Dense {
    fn new(weight: &Tensor, bias: Tensor) -> Result<Self> {
        Ok(Self {
            weight_t: weight.t()?.contiguous()?,
            bias,
        })
    }

    /// `x · Wᵀ` without the bias, for `x` of any rank.
    fn product(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims();
        let inputs = dims.last().copied().unwrap_or(0);
        let rows = x.elem_count() / inputs.max(1);
        let mut out = dims.to_vec();
        if let Some(last) = out.last_mut() {
            *last = self.weight_t.dim(1)?;
        }
        x.reshape((rows, inputs))?
            .matmul(&self.weight_t)?
            .reshape(out)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.product(x)?.broadcast_add(&self.bias)
    }
}

impl Layer {
    fn load(vb: &VarBuilder, config: &Config, head_size: usize) -> Result<Self> {
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let attention = vb.pp("attention");
        let own = attention.pp("self");
        let scale = 1.0 / (head_size as f64).sqrt();
        let part = |name: &str, scale: f64| -> Result<(Tensor, Tensor)> {
            let vb = own.pp(name);
            Ok((
                (vb.get((h, h), "weight")? * scale)?,
                (vb.get(h, "bias")? * scale)?,
            ))
        };
        let (qw, qb) = part("query", scale)?;
        let (kw, kb) = part("key", 1.0)?;
        let (vw, vbias) = part("value", 1.0)?;
        let qkv = Dense::new(
            &Tensor::cat(&[qw, kw, vw], 0)?,
            Tensor::cat(&[qb, kb, vbias], 0)?,
        )?;
        let out = attention.pp("output");
        let up = vb.pp("intermediate").pp("dense");
        let i = config.intermediate_size;
        let down = vb.pp("output");
        let up = dense(&up, h, i)?;
        Ok(Self {
            qkv,
            attention_out: dense(&out.pp("dense"), h, h)?,
            attention_norm: layer_norm(&out.pp("LayerNorm"), h, eps)?,
            up_bias: up.bias.to_vec1::<f32>()?,
            up,
            down: dense(&down.pp("dense"), i, h)?,
            output_norm: layer_norm(&down.pp("LayerNorm"), h, eps)?,
        })
    }

    fn forward(&self, x: &Tensor, mask: Option<&Tensor>, heads: usize, d: usize) -> Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        // (b, t, 3, heads, d) → three (b, heads, t, d).
        let qkv = self.qkv.forward(x)?.reshape((b, t, 3, heads, d))?;
        let part = |i: usize| {
            qkv.narrow(2, i, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (part(0)?, part(1)?, part(2)?);
        let mut scores = q.matmul(&k.t()?)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, t, h))?;
        let attended = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + x)?)?;
        let up = self.up.product(&attended)?.apply_op1_no_bwd(&BiasGelu {
            bias: &self.up_bias,
        })?;
        self.output_norm
            .forward(&(self.down.forward(&up)? + attended)?)
    }
}

impl Bert {
    /// Reads the weights of a BERT checkpoint (names as in Hugging Face's `BertModel`,
    /// with or without a `bert.` prefix).
    ///
    /// # Errors
    /// When a tensor is missing or misshapen, or the activation is not the exact GELU.
    pub fn load(vb: &VarBuilder, config: &Config) -> Result<Self> {
        if config.hidden_act != HiddenAct::Gelu {
            candle_core::bail!("only the exact GELU activation is supported");
        }
        if vb.contains_tensor("embeddings.word_embeddings.weight") {
            Self::load_at(vb, config)
        } else {
            Self::load_at(&vb.pp("bert"), config)
        }
    }

    fn load_at(vb: &VarBuilder, config: &Config) -> Result<Self> {
        let h = config.hidden_size;
        let heads = config.num_attention_heads;
        if heads == 0 || h % heads != 0 {
            candle_core::bail!("{h} hidden units do not split into {heads} heads");
        }
        let head_size = h / heads;
        let e = vb.pp("embeddings");
        let encoder = vb.pp("encoder").pp("layer");
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(&encoder.pp(i.to_string()), config, head_size))
            .collect::<Result<_>>()?;
        Ok(Self {
            words: Embedding::new(e.get((config.vocab_size, h), "word_embeddings.weight")?, h),
            positions: e.get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?,
            token_type: e
                .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
                .narrow(0, 0, 1)?,
            norm: layer_norm(&e.pp("LayerNorm"), h, config.layer_norm_eps)?,
            layers,
            heads,
            head_size,
        })
    }

    /// The last hidden states `(batch, tokens, hidden)` of token ids `(batch, tokens)`,
    /// every text of type 0; `mask` (`(batch, tokens)`, 1 = token, 0 = padding) is
    /// needed only when some text is padded.
    ///
    /// # Errors
    /// When the shapes do not fit (more tokens than positions, say).
    pub fn forward(&self, ids: &Tensor, mask: Option<&Tensor>) -> Result<Tensor> {
        self.hidden_after(ids, mask, self.layers.len())
    }

    /// How many encoder layers the model has (6 for all-MiniLM-L6-v2).
    #[must_use]
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// The weights of encoder layer `index` (from 0) as plain tensors, `None` past the
    /// last: what [`super::fine_tune`] starts from.
    #[must_use]
    pub fn layer_weights(&self, index: usize) -> Option<LayerWeights> {
        let l = self.layers.get(index)?;
        let weight = |d: &Dense| d.weight_t.t().and_then(|w| w.contiguous()).ok();
        Some(LayerWeights {
            qkv_weight: weight(&l.qkv)?,
            qkv_bias: l.qkv.bias.clone(),
            out_weight: weight(&l.attention_out)?,
            out_bias: l.attention_out.bias.clone(),
            attention_norm_weight: l.attention_norm.weight().clone(),
            attention_norm_bias: l.attention_norm.bias()?.clone(),
            up_weight: weight(&l.up)?,
            up_bias: l.up.bias.clone(),
            down_weight: weight(&l.down)?,
            down_bias: l.down.bias.clone(),
            output_norm_weight: l.output_norm.weight().clone(),
            output_norm_bias: l.output_norm.bias()?.clone(),
            eps: l.attention_norm.eps(),
            heads: self.heads,
            head_size: self.head_size,
        })
    }

    /// The hidden states after the embeddings and the first `layers` encoder layers
    /// (all of them: [`Bert::forward`]), with `ids` and `mask` as there.
    ///
    /// # Errors
    /// As [`Bert::forward`].
    pub fn hidden_after(
        &self,
        ids: &Tensor,
        mask: Option<&Tensor>,
        layers: usize,
    ) -> Result<Tensor> {
        let (_, t) = ids.dims2()?;
        let h = self.positions.dim(1)?;
        let position_and_type =
            (self.positions.narrow(0, 0, t)? + self.token_type.broadcast_as((t, h))?)?;
        let x = self.words.forward(ids)?.broadcast_add(&position_and_type)?;
        let mut x = self.norm.forward(&x)?;
        // Padding gets a large negative score before the softmax: no attention.
        let mask = match mask {
            Some(m) => {
                let keep = m.to_dtype(DType::F32)?;
                Some(((keep - 1.0)? * 1e9)?.unsqueeze(1)?.unsqueeze(1)?)
            }
            None => None,
        };
        for layer in self.layers.iter().take(layers) {
            x = layer.forward(&x, mask.as_ref(), self.heads, self.head_size)?;
        }
        Ok(x)
    }
}

/// Adds a bias along the last dimension, then applies the exact GELU,
/// `x · (1 + erf(x / √2)) / 2`, in one pass.
struct BiasGelu<'a> {
    bias: &'a [f32],
}

impl candle_core::CustomOp1 for BiasGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("bias-gelu needs a contiguous input");
        };
        let n = self.bias.len();
        if layout.dims().last() != Some(&n) {
            candle_core::bail!("bias-gelu: {:?} does not end in {n}", layout.dims());
        }
        let x = &storage.as_slice::<f32>()?[start..end];
        let mut out = vec![0.0f32; x.len()];
        for (o, x) in out.chunks_exact_mut(n).zip(x.chunks_exact(n)) {
            for ((o, x), b) in o.iter_mut().zip(x).zip(self.bias) {
                *o = gelu(x + b);
            }
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// The exact GELU with [`erf`].
#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf to within 1e-6 (Abramowitz and Stegun 7.1.26, `1 − poly(t)·e^(−x²)` with
/// `t = 1/(1 + p|x|)`, is within 1.5e-7; f32 rounding adds the rest), with
/// [`exp_negative`]; branch-free, so a loop of it is vectorised. The GELU it feeds is
/// then within `|x|·5e-7` of the exact one: below what f32 activations resolve.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_7,
        -1.453_152_1,
        1.061_405_4,
    ];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let y = 1.0 - poly * exp_negative(-a * a);
    y.copysign(x)
}

/// `e^x` for `x ≤ 0` (0 below −87) to a relative 2e-7: `2^k · e^r` with
/// `k = round(x / ln 2)` and a degree-6 Taylor polynomial of `e^r`, `|r| ≤ ln 2 / 2`.
#[inline(always)]
fn exp_negative(x: f32) -> f32 {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding it rounds to an integer
    let x = x.max(-87.0);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = x - k * std::f32::consts::LN_2;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // k is in −126..=0 and sits in the low mantissa bits of `shifted` (ROUND's are
    // zero there): 2^k is the float with exponent bits k + 127, made without a
    // float-to-integer conversion.
    p * f32::from_bits(shifted.to_bits().wrapping_add(127) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_and_exp_match_their_series() {
        let mut worst_erf = 0.0f64;
        let mut worst_exp = 0.0f64;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let exact = erf_f64(f64::from(x));
            worst_erf = worst_erf.max((f64::from(erf(x)) - exact).abs());
            if x <= 0.0 {
                let e = f64::from(x).exp();
                worst_exp = worst_exp.max((f64::from(exp_negative(x)) - e).abs() / e.max(1e-30));
            }
        }
        assert!(worst_erf < 1e-6, "erf off by {worst_erf}");
        assert!(worst_exp < 3e-7, "exp off by {worst_exp}");
        assert_eq!(exp_negative(-200.0), exp_negative(-87.0));
        assert!(exp_negative(-87.0) > 0.0 && exp_negative(-87.0) < 1e-37);
        assert!((gelu(1.0) - 0.841_344_7).abs() < 1e-6);
        assert!((gelu(-3.0) + 0.004_049_7).abs() < 1e-6);
    }

    /// erf by its series (|x| < 3) or continued fraction, in f64: a reference accurate
    /// far beyond f32.
    fn erf_f64(x: f64) -> f64 {
        let a = x.abs();
        let v = if a < 3.0 {
            let mut term = a;
            let mut sum = a;
            for n in 1..200 {
                term *= -a * a / n as f64;
                sum += term / (2 * n + 1) as f64;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            let mut f = 0.0;
            for n in (1..60).rev() {
                f = (n as f64 / 2.0) / (a + f);
            }
            1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * (a + f))
        };
        v.copysign(x)
    }
}
