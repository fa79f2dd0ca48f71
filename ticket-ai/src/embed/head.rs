//! [`DenseHead`]: the linear softmax head over sentence vectors. The vector (scaled so
//! its components have about unit variance) is joined by the lexical n-gram features of
//! [`crate::features`] and, for the priority, the wording rules of [`crate::priority`];
//! the weights are learnt by the same logistic regression as the lexical model
//! ([`crate::linear`]), and the probabilities are calibrated by a temperature fitted on
//! out-of-fold predictions ([`crate::calibration`]).

use crate::calibration::out_of_fold_temperature;
use crate::error::AiError;
use crate::features::{FeatureSpec, MinDf, RawFeatures, Sparse, Vocabulary};
use crate::linear::{softmax, Linear, TrainOptions};
use crate::model::Prediction;
use crate::priority;

/// How a [`DenseHead`] is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeadOptions {
    /// Whether word and character n-grams join the vector (they help with names and
    /// codes the sentence model blurs).
    pub lexical: bool,
    /// Whether the priority wording rules join the features.
    pub rule_features: bool,
    /// The vector is multiplied by this: its weight against the lexical features (both
    /// have unit length). 1.0 scored best in 5-fold cross-validation on the shared
    /// tickets (0.5, 4 and 10 scored lower).
    pub scale: f32,
    /// The optimiser.
    pub train: TrainOptions,
    /// Folds of the out-of-fold predictions the temperature is fitted on (< 2: none).
    pub calibration_folds: usize,
}

impl Default for HeadOptions {
    fn default() -> Self {
        Self {
            lexical: true,
            rule_features: false,
            scale: 1.0,
            train: TrainOptions {
                epochs: 20,
                ..TrainOptions::default()
            },
            calibration_folds: 3,
        }
    }
}

/// One training or scoring row: the text and its sentence vector.
#[derive(Debug, Clone, Copy)]
pub struct Embedded<'a> {
    /// The text (for the lexical and rule features).
    pub text: &'a str,
    /// Its unit vector.
    pub vector: &'a [f32],
}

/// A trained head for one label.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseHead {
    labels: Vec<String>,
    vocabulary: Option<Vocabulary>,
    linear: Linear,
    dimension: usize,
    temperature: f32,
    options: HeadOptions,
    /// Per label (in `labels` order), the unit mean of its training vectors.
    centroids: Vec<Vec<f32>>,
}

/// Per label, the normalised mean of the vectors of its rows.
fn centroids(
    rows: &[Embedded<'_>],
    ys: &[usize],
    classes: usize,
    dimension: usize,
) -> Vec<Vec<f32>> {
    let mut sums = vec![vec![0.0f32; dimension]; classes];
    for (r, y) in rows.iter().zip(ys) {
        for (s, v) in sums[*y].iter_mut().zip(r.vector) {
            *s += v;
        }
    }
    for c in &mut sums {
        let norm = c.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            c.iter_mut().for_each(|v| *v /= norm);
        }
    }
    sums
}

fn raw(text: &str, options: &HeadOptions) -> RawFeatures {
    let spec = FeatureSpec::default();
    if options.rule_features {
        let names: Vec<&str> = priority::rule_hits(text).iter().map(|r| r.name).collect();
        spec.extract(text, &names)
    } else {
        spec.extract(text, &[])
    }
}

/// The input of the linear model: the scaled vector in the first columns, the lexical
/// columns after it.
fn features(
    vector: &[f32],
    raw: Option<&RawFeatures>,
    vocab: Option<&Vocabulary>,
    scale: f32,
) -> Sparse {
    let mut x: Sparse = vector
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u32, v * scale))
        .collect();
    if let (Some(raw), Some(vocab)) = (raw, vocab) {
        let offset = vector.len() as u32;
        x.extend(
            vocab
                .vectorize(raw)
                .into_iter()
                .map(|(c, v)| (c + offset, v)),
        );
    }
    x
}

struct Fitted {
    vocabulary: Option<Vocabulary>,
    linear: Linear,
}

fn fit(
    rows: &[Embedded<'_>],
    raws: &[RawFeatures],
    ys: &[usize],
    classes: usize,
    dimension: usize,
    options: &HeadOptions,
) -> Fitted {
    let vocabulary = (!raws.is_empty())
        .then(|| Vocabulary::fit(FeatureSpec::default(), raws, MinDf::all(1), 200_000));
    let xs: Vec<Sparse> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| features(r.vector, raws.get(i), vocabulary.as_ref(), options.scale))
        .collect();
    let columns = dimension + vocabulary.as_ref().map_or(0, Vocabulary::len);
    let linear = Linear::train(&xs, ys, columns, classes, &options.train);
    Fitted { vocabulary, linear }
}

impl DenseHead {
    /// Trains on `rows` labelled `labels`.
    ///
    /// # Errors
    /// [`AiError::Training`] when there are no rows, the lengths differ, the vectors
    /// differ in length, or there are fewer than two labels.
    pub fn train(
        rows: &[Embedded<'_>],
        labels: &[String],
        options: &HeadOptions,
    ) -> Result<Self, AiError> {
        if rows.is_empty() || rows.len() != labels.len() {
            return Err(AiError::Training(format!(
                "{} rows for {} labels",
                rows.len(),
                labels.len()
            )));
        }
        let dimension = rows[0].vector.len();
        if rows.iter().any(|r| r.vector.len() != dimension) {
            return Err(AiError::Training("vectors of different lengths".into()));
        }
        let (names, ys) = crate::model::label_indices(labels)?;
        let raws: Vec<RawFeatures> = if options.lexical || options.rule_features {
            rows.iter().map(|r| raw(r.text, options)).collect()
        } else {
            Vec::new()
        };
        let temperature = calibrate(rows, &raws, &ys, names.len(), dimension, options);
        let Fitted { vocabulary, linear } = fit(rows, &raws, &ys, names.len(), dimension, options);
        let centroids = centroids(rows, &ys, names.len(), dimension);
        Ok(Self {
            centroids,
            labels: names,
            vocabulary,
            linear,
            dimension,
            temperature,
            options: *options,
        })
    }

    /// The labels it knows, sorted.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The calibration temperature.
    #[must_use]
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Calibrated probabilities of every label for a text and its vector, best first.
    #[must_use]
    pub fn predict(&self, text: &str, vector: &[f32]) -> Prediction {
        let raw = self.vocabulary.as_ref().map(|_| raw(text, &self.options));
        let x = features(
            vector.get(..self.dimension).unwrap_or(vector),
            raw.as_ref(),
            self.vocabulary.as_ref(),
            self.options.scale,
        );
        let mut p = self.linear.logits(&x);
        p.iter_mut().for_each(|l| *l /= self.temperature);
        softmax(&mut p);
        let mut ranked: Vec<(String, f32)> = self.labels.iter().cloned().zip(p).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        Prediction { ranked }
    }

    /// How much `vector` looks like an input this head was trained for, in 0..=1: the
    /// best label's probability times the cosine between `vector` and that label's
    /// centroid (clamped at 0). A confident head can still be far from every example it
    /// learnt from (an out-of-scope request worded like none of them); the probability
    /// alone cannot see that, the distance can. Compare it with an abstention threshold
    /// chosen on held-out data (`ticket-ai eval --oos-label … --val …`).
    #[must_use]
    pub fn in_scope(&self, prediction: &Prediction, vector: &[f32]) -> f32 {
        let Some((label, p)) = prediction.best() else {
            return 0.0;
        };
        let centroid = self
            .labels
            .binary_search_by(|l| l.as_str().cmp(label))
            .ok()
            .and_then(|i| self.centroids.get(i));
        let cosine = centroid.map_or(0.0, |c| {
            c.iter().zip(vector).map(|(a, b)| a * b).sum::<f32>()
        });
        p * cosine.max(0.0)
    }
}

/// The temperature fitted on out-of-fold logits ([`out_of_fold_temperature`]), each
/// fold's vocabulary and weights learnt without it.
fn calibrate(
    rows: &[Embedded<'_>],
    raws: &[RawFeatures],
    ys: &[usize],
    classes: usize,
    dimension: usize,
    options: &HeadOptions,
) -> f32 {
    out_of_fold_temperature(
        ys,
        options.calibration_folds,
        options.train.seed,
        |train| {
            let pick_rows: Vec<Embedded<'_>> = train.iter().map(|i| rows[*i]).collect();
            let pick_raws: Vec<RawFeatures> = if raws.is_empty() {
                Vec::new()
            } else {
                train.iter().map(|i| raws[*i].clone()).collect()
            };
            let pick_ys: Vec<usize> = train.iter().map(|i| ys[*i]).collect();
            fit(
                &pick_rows, &pick_raws, &pick_ys, classes, dimension, options,
            )
        },
        |fitted, i| {
            let x = features(
                rows[i].vector,
                raws.get(i),
                fitted.vocabulary.as_ref(),
                options.scale,
            );
            fitted.linear.logits(&x)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two clusters of unit vectors, told apart by their first component.
    fn rows() -> (Vec<(String, Vec<f32>)>, Vec<String>) {
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..24 {
            let side = if i % 2 == 0 { 1.0 } else { -1.0 };
            let noise = (i as f32 * 0.37).sin() * 0.3;
            let v = [side, noise, 0.2];
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            rows.push((format!("text {i}"), v.iter().map(|x| x / n).collect()));
            labels.push(if side > 0.0 { "up" } else { "down" }.to_string());
        }
        (rows, labels)
    }

    /// A head trained on [`rows`] alone (no lexical features).
    fn trained_head() -> DenseHead {
        let (rows, labels) = rows();
        let embedded: Vec<Embedded<'_>> = rows
            .iter()
            .map(|(t, v)| Embedded { text: t, vector: v })
            .collect();
        let options = HeadOptions {
            lexical: false,
            ..HeadOptions::default()
        };
        DenseHead::train(&embedded, &labels, &options).expect("train")
    }

    #[test]
    fn learns_clusters_of_vectors_and_reports_calibrated_probabilities() {
        let head = trained_head();
        assert_eq!(head.labels(), ["down", "up"]);
        assert!(head.temperature() > 0.0);
        let up = head.predict("anything", &[0.9, 0.1, 0.1]);
        assert_eq!(up.best().map(|b| b.0), Some("up"));
        let total: f32 = up.ranked.iter().map(|r| r.1).sum();
        assert!((total - 1.0).abs() < 1e-4, "{up:?}");
        let down = head.predict("anything", &[-0.9, 0.2, 0.1]);
        assert_eq!(down.best().map(|b| b.0), Some("down"));
    }

    /// A vector far from both clusters gets a confident label all the same (the head
    /// only tells the clusters apart), but a low in-scope score: its cosine to that
    /// label's centroid is small.
    #[test]
    fn in_scope_sees_a_vector_far_from_every_cluster() {
        let head = trained_head();
        let near = [0.97, 0.0, 0.2];
        let far = [0.2, 0.0, -0.98];
        let (p_near, p_far) = (head.predict("", &near), head.predict("", &far));
        assert_eq!(p_far.best().map(|b| b.0), Some("up"), "{p_far:?}");
        let (s_near, s_far) = (head.in_scope(&p_near, &near), head.in_scope(&p_far, &far));
        assert!(s_near > 0.8, "{s_near}");
        assert!(s_far < 0.1, "{s_far}");
        assert!(s_far < p_far.best().map_or(0.0, |b| b.1) / 4.0);
    }

    #[test]
    fn refuses_what_it_cannot_learn() {
        let v = [1.0f32, 0.0];
        let w = [1.0f32, 0.0, 0.0];
        let one = [Embedded {
            text: "a",
            vector: &v,
        }];
        assert!(DenseHead::train(&one, &["x".into()], &HeadOptions::default()).is_err());
        let mixed = [
            Embedded {
                text: "a",
                vector: &v,
            },
            Embedded {
                text: "b",
                vector: &w,
            },
        ];
        let labels = ["x".to_string(), "y".to_string()];
        assert!(DenseHead::train(&mixed, &labels, &HeadOptions::default()).is_err());
        assert!(DenseHead::train(&[], &[], &HeadOptions::default()).is_err());
    }
}
