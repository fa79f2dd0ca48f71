//! [`Vocabulary`]: the columns a training set keeps of the hashed n-grams, with their
//! inverse document frequencies, and the sparse TF-IDF vector of a text over them.

use super::{FeatureSpec, RawFeatures, NAMED_WEIGHT};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A `Hasher` for keys that are already well-mixed 64-bit hashes (the n-gram hashes):
/// it passes them through, sparing SipHash on every lookup of the hot path.
#[derive(Default, Clone, Copy)]
pub struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hash → (column, IDF) lookups keyed by n-gram hashes: the IDF rides along, so that
/// a feature costs one random memory access, not two (the vocabulary is megabytes, and
/// the hot path meets it with cold caches between creates).
type ColumnIndex = HashMap<u64, (u32, f32), std::hash::BuildHasherDefault<PassThrough>>;

/// A sparse vector: (column, value) pairs, each column at most once, in no particular
/// order (the word block first, then the characters, then the named features).
pub type Sparse = Vec<(u32, f32)>;

/// In how many training documents an n-gram must be seen to become a column, per
/// block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinDf {
    /// Word unigrams and bigrams.
    pub words: u32,
    /// Character n-grams and named features.
    pub others: u32,
}

impl MinDf {
    /// The same bar for every block.
    #[must_use]
    pub fn all(n: u32) -> Self {
        Self {
            words: n,
            others: n,
        }
    }
}

/// Columns and inverse document frequencies learnt from a training set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vocabulary {
    /// The n-grams extracted.
    pub spec: FeatureSpec,
    /// Hash → column, stored as pairs for a compact, stable file format.
    columns: Vec<(u64, u32)>,
    /// IDF per column.
    idf: Vec<f32>,
    /// Hash → (column, IDF), for lookups (rebuilt from `columns` and `idf` after
    /// loading).
    #[serde(skip)]
    index: ColumnIndex,
}

impl Vocabulary {
    /// Learns the columns from `docs`: every n-gram seen in at least as many documents
    /// as `min_df` asks for its block, keeping at most `max_features` of the most
    /// frequent. `docs` may be any selection of borrowed documents (a fold's rows), so
    /// none is copied to be counted.
    #[must_use]
    pub fn fit<'a>(
        spec: FeatureSpec,
        docs: impl IntoIterator<Item = &'a RawFeatures>,
        min_df: MinDf,
        max_features: usize,
    ) -> Self {
        // Per n-gram: the documents it was seen in, and whether as a word n-gram.
        let mut df: HashMap<u64, (u32, bool)> = HashMap::new();
        let mut docs_seen = 0usize;
        for d in docs {
            docs_seen += 1;
            for (h, _) in &d.words {
                let e = df.entry(*h).or_default();
                *e = (e.0 + 1, true);
            }
            for (h, _) in d.chars.iter().chain(&d.named) {
                df.entry(*h).or_default().0 += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df
            .into_iter()
            .filter(|(_, (n, word))| *n >= if *word { min_df.words } else { min_df.others })
            .map(|(h, (n, _))| (h, n))
            .collect();
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(max_features);
        kept.sort_unstable_by_key(|(h, _)| *h);
        let n = docs_seen as f32;
        let mut columns = Vec::with_capacity(kept.len());
        let mut idf = Vec::with_capacity(kept.len());
        for (i, (h, d)) in kept.into_iter().enumerate() {
            columns.push((h, i as u32));
            idf.push(((1.0 + n) / (1.0 + d as f32)).ln() + 1.0);
        }
        let mut v = Self {
            spec,
            columns,
            idf,
            index: ColumnIndex::default(),
        };
        v.build_index();
        v
    }

    /// Rebuilds the lookup table after deserialisation.
    pub(crate) fn build_index(&mut self) {
        self.index = self
            .entries()
            .map(|(h, col, idf)| (h, (col, idf)))
            .collect();
    }

    /// How many columns.
    #[must_use]
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// Whether it has no column.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.idf.is_empty()
    }

    /// The TF-IDF vector of `raw`: sublinear term frequency, each block L2-normalised and
    /// scaled by 1/√2 so the whole vector has unit length when both blocks are present.
    #[must_use]
    pub fn vectorize(&self, raw: &RawFeatures) -> Sparse {
        let mut out = Vec::with_capacity(raw.words.len() + raw.chars.len() + raw.named.len());
        for block in [&raw.words, &raw.chars] {
            let start = out.len();
            for (h, tf) in block {
                if let Some((col, idf)) = self.index.get(h) {
                    out.push((*col, (1.0 + (*tf as f32).ln()) * idf));
                }
            }
            let norm = out[start..].iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                let scale = std::f32::consts::FRAC_1_SQRT_2 / norm;
                for (_, v) in &mut out[start..] {
                    *v *= scale;
                }
            }
        }
        self.push_named(raw, &mut out);
        out
    }

    /// Appends the named features of `raw` (the last block of [`Vocabulary::vectorize`])
    /// to `out`.
    pub(crate) fn push_named(&self, raw: &RawFeatures, out: &mut Sparse) {
        for (h, _) in &raw.named {
            if let Some((col, _)) = self.index.get(h) {
                out.push((*col, NAMED_WEIGHT));
            }
        }
    }

    /// The column and IDF of the n-gram (or named feature) hashed `hash`, if kept.
    pub(crate) fn get(&self, hash: u64) -> Option<(u32, f32)> {
        self.index.get(&hash).copied()
    }

    /// Every kept n-gram's and named feature's (hash, column, IDF).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u64, u32, f32)> + '_ {
        self.columns.iter().map(|(h, col)| {
            (
                *h,
                *col,
                self.idf.get(*col as usize).copied().unwrap_or(1.0),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Fnv, WORD};
    use super::*;

    #[test]
    fn vectorize_ignores_unseen_ngrams_and_normalises_each_block() {
        let spec = FeatureSpec::default();
        let docs: Vec<_> = ["card declined", "password reset", "card refund"]
            .iter()
            .map(|t| spec.extract(t, &[]))
            .collect();
        let vocab = Vocabulary::fit(spec, &docs, MinDf::all(1), usize::MAX);
        let v = vocab.vectorize(&spec.extract("card zzzz", &[]));
        let norm: f32 = v.iter().map(|(_, x)| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(vocab.vectorize(&spec.extract("qqqq", &[])).is_empty());
        // Rarer n-grams weigh more: "declined" (1 doc) beats "card" (2 docs).
        let d = vocab.vectorize(&spec.extract("card declined", &[]));
        let card = vocab.index[&Fnv::new(WORD).bytes(b"card").0].0;
        let declined = vocab.index[&Fnv::new(WORD).bytes(b"declined").0].0;
        let get = |c: u32| {
            d.iter()
                .find(|(k, _)| *k == c)
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        assert!(get(declined) > get(card));
    }

    #[test]
    fn min_df_and_max_features_bound_the_vocabulary() {
        let spec = FeatureSpec::default();
        let docs: Vec<_> = ["alpha beta", "alpha gamma"]
            .iter()
            .map(|t| spec.extract(t, &[]))
            .collect();
        let all = Vocabulary::fit(spec, &docs, MinDf::all(1), usize::MAX);
        let common = Vocabulary::fit(spec, &docs, MinDf::all(2), usize::MAX);
        assert!(common.len() < all.len());
        assert!(common.index.contains_key(&Fnv::new(WORD).bytes(b"alpha").0));
        assert_eq!(Vocabulary::fit(spec, &docs, MinDf::all(1), 3).len(), 3);
        // Each block has its own bar: the words seen once stay, their characters go.
        let words = MinDf {
            words: 1,
            others: 2,
        };
        let mixed = Vocabulary::fit(spec, &docs, words, usize::MAX);
        assert!(mixed.index.contains_key(&Fnv::new(WORD).bytes(b"beta").0));
        let beta_chars = spec.extract("beta", &[]).chars;
        assert!(beta_chars.iter().any(|(h, _)| !mixed.index.contains_key(h)));
        assert_eq!(mixed.len(), common.len() + 4);
    }
}
