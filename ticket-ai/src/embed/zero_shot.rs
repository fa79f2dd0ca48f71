//! [`ZeroShot`]: classification with no training row — each label is a vector made from
//! its name and a one-line description, and a text goes to the label whose vector is
//! nearest (cosine), with a softmax over the cosines at a fixed temperature as its
//! probability. Descriptions may be given; otherwise [`describe`] derives one from the
//! label's name (and its domain, when known).

use super::encoder::{dot, Embedder};
use crate::error::AiError;
use crate::linear::softmax;
use crate::model::Prediction;

/// The default temperature of the softmax over cosines.
pub const TEMPERATURE: f32 = 0.03;

/// Abbreviations in label names, spelt out (the sentence model reads words, and an
/// abbreviation is one rare token).
const EXPANSIONS: &[(&str, &str)] = &[
    ("pto", "paid time off"),
    ("w2", "W-2 tax form"),
    ("mpg", "miles per gallon fuel economy"),
    ("apr", "annual percentage rate"),
    ("401k", "401k retirement plan"),
    ("ai", "assistant"),
    ("todo", "to-do"),
    ("min", "minimum"),
    ("info", "information"),
];

/// A one-line description derived from a label's name: underscores and dashes become
/// spaces, abbreviations are spelt out, and the domain (if any) is named.
#[must_use]
pub fn describe(label: &str, domain: Option<&str>) -> String {
    let words: Vec<String> = label
        .split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            EXPANSIONS
                .iter()
                .find(|(short, _)| *short == lower)
                .map_or(lower, |(_, long)| (*long).to_string())
        })
        .collect();
    let name = words.join(" ");
    match domain {
        Some(d) => format!("{name} ({})", d.replace(['_', '-'], " ")),
        None => name,
    }
}

/// Label vectors for zero-shot classification.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeroShot {
    labels: Vec<String>,
    vectors: Vec<Vec<f32>>,
    temperature: f32,
    /// With [`ZeroShot::centred`]: the mean label vector, taken off every vector.
    centre: Option<Vec<f32>>,
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let n = dot(&v, &v).sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

impl ZeroShot {
    /// Builds label vectors from `(label, description)` pairs: the mean of the vectors of
    /// the description and of the plain label name, normalised.
    ///
    /// # Errors
    /// [`AiError::Training`] with fewer than two labels; [`AiError::Model`].
    pub fn new(
        embedder: &Embedder,
        labels: &[(String, String)],
        temperature: f32,
    ) -> Result<Self, AiError> {
        if labels.len() < 2 {
            return Err(AiError::Training("at least two labels are needed".into()));
        }
        let mut texts = Vec::with_capacity(labels.len() * 2);
        for (label, description) in labels {
            texts.push(description.clone());
            texts.push(describe(label, None));
        }
        let vectors = embedder.embed_all(&texts)?;
        let vectors = vectors
            .chunks(2)
            .map(|pair| {
                let mut sum = vec![0.0; pair[0].len()];
                for v in pair {
                    sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
                }
                normalised(sum)
            })
            .collect();
        Ok(Self {
            labels: labels.iter().map(|(l, _)| l.clone()).collect(),
            vectors,
            temperature: temperature.max(1e-4),
            centre: None,
        })
    }

    /// The same labels with the mean of their vectors taken off every label vector and
    /// every text's vector before the cosine. Sentence vectors share a large common
    /// direction (every short English request looks alike); with many labels their mean
    /// is that direction, and what is left tells the labels apart. Only the label
    /// vectors are averaged, never the texts being classified.
    #[must_use]
    pub fn centred(mut self) -> Self {
        if self.centre.is_some() {
            return self;
        }
        let mut mean = vec![0.0; self.vectors.first().map_or(0, Vec::len)];
        for v in &self.vectors {
            mean.iter_mut().zip(v).for_each(|(m, x)| *m += x);
        }
        let n = self.vectors.len().max(1) as f32;
        mean.iter_mut().for_each(|m| *m /= n);
        self.vectors = self
            .vectors
            .iter()
            .map(|v| normalised(v.iter().zip(&mean).map(|(x, m)| x - m).collect()))
            .collect();
        self.centre = Some(mean);
        self
    }

    /// The labels, in the order given.
    #[must_use]
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The softmax temperature.
    #[must_use]
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// Probabilities of every label for a text's vector, best first.
    #[must_use]
    pub fn predict(&self, vector: &[f32]) -> Prediction {
        let centred = self
            .centre
            .as_ref()
            .map(|m| normalised(vector.iter().zip(m).map(|(x, c)| x - c).collect()));
        let vector = centred.as_deref().unwrap_or(vector);
        let mut p: Vec<f32> = self
            .vectors
            .iter()
            .map(|l| dot(l, vector) / self.temperature)
            .collect();
        softmax(&mut p);
        let mut ranked: Vec<(String, f32)> = self.labels.iter().cloned().zip(p).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        Prediction { ranked }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_spell_out_names_and_domains() {
        assert_eq!(
            describe("pto_request", Some("work")),
            "paid time off request (work)"
        );
        assert_eq!(describe("card_declined", None), "card declined");
        assert_eq!(
            describe("credit_limit_change", Some("credit_cards")),
            "credit limit change (credit cards)"
        );
    }
}
