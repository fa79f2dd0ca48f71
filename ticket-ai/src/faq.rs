//! [`Bm25Matcher`]: the lexical [`FaqMatcher`]. Okapi BM25 over each entry's question
//! and answer (the question counted three times by default: it is worded like a ticket), with light
//! stemming and English stop words removed. The score is calibrated: a softmax over the
//! candidates' BM25 scores divided by a temperature, with a "no answer" candidate of
//! fixed score beside them, so one weak match among few entries does not reach 1.0; the
//! IDF counts a background collection beside the entries, so scores mean the same on a
//! desk with two entries and one with two hundred. With the defaults, one shared telling
//! word scores under 0.1, two about 0.6, a paraphrase of the question above 0.9.
//! Indexes are cached per FAQ set (ids and edit times), so entries are not re-indexed for
//! every ticket.

use crate::features::tokenize;
use crate::linear::softmax;
use async_trait::async_trait;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use ticket_core::ports::{FaqMatch, FaqMatcher};
use ticket_core::team::Faq;
use ticket_core::ticket::NewTicket;

const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "by",
    "from", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these",
    "those", "i", "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "do",
    "does", "did", "can", "could", "would", "should", "will", "how", "what", "when", "where",
    "which", "who", "why", "there", "here", "if", "so", "as", "not", "no", "any", "some", "all",
    "am", "have", "has", "had", "just", "get", "into", "up", "out", "about", "than", "then",
    "also", "way", "possible", "hi", "hello", "thanks", "please",
];

/// Lower-cased words, stop words dropped, common English suffixes stripped.
#[must_use]
pub fn terms(text: &str) -> Vec<String> {
    tokenize(text)
        .into_iter()
        .filter(|w| !STOP.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// A light suffix stripper (`deleting`, `deleted`, `deletes` → `delet`).
#[must_use]
pub fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(base) = word.strip_suffix(suffix) {
            if base.chars().count() >= 3 && !word.ends_with("ss") {
                return base.to_string();
            }
        }
    }
    word.to_string()
}

/// BM25 parameters and the calibration of its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Config {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation.
    pub b: f32,
    /// BM25 scores are divided by this before the softmax.
    pub temperature: f32,
    /// The BM25 score of the "no answer" candidate.
    pub null_score: f32,
    /// Documents of an imagined background collection in which the FAQ's terms are rare:
    /// added to the entry count in the IDF, so a desk with two FAQ entries scores a
    /// shared word as telling as a desk with two hundred (BM25's own IDF is near zero
    /// when there is only one entry).
    pub background_docs: f32,
    /// How many times an entry's question counts against its answer's once (questions
    /// are worded like tickets; answers add vocabulary).
    pub question_weight: u32,
}

impl Default for Bm25Config {
    fn default() -> Self {
        Self {
            k1: 2.0,
            b: 0.75,
            temperature: 2.0,
            null_score: 12.0,
            background_docs: 100.0,
            question_weight: 3,
        }
    }
}

/// An index of FAQ entries.
#[derive(Debug, Clone)]
pub struct Bm25Index {
    /// Per entry: term → count.
    docs: Vec<HashMap<String, u32>>,
    lengths: Vec<f32>,
    average: f32,
    idf: HashMap<String, f32>,
    config: Bm25Config,
}

impl Bm25Index {
    /// Indexes `(question, answer)` pairs.
    #[must_use]
    pub fn new<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
        config: Bm25Config,
    ) -> Self {
        let mut docs = Vec::new();
        let mut lengths = Vec::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        for (q, a) in entries {
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in terms(q) {
                *tf.entry(t).or_default() += config.question_weight;
            }
            for t in terms(a) {
                *tf.entry(t).or_default() += 1;
            }
            for t in tf.keys() {
                *df.entry(t.clone()).or_default() += 1;
            }
            lengths.push(tf.values().sum::<u32>() as f32);
            docs.push(tf);
        }
        let n = docs.len() as f32 + config.background_docs.max(0.0);
        let idf = df
            .into_iter()
            .map(|(t, d)| (t, ((n - d as f32 + 0.5) / (d as f32 + 0.5) + 1.0).ln()))
            .collect();
        let n = docs.len() as f32;
        let average = if docs.is_empty() {
            1.0
        } else {
            lengths.iter().sum::<f32>() / n
        };
        Self {
            docs,
            lengths,
            average: average.max(1.0),
            idf,
            config,
        }
    }

    /// How many entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it has no entry.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Raw BM25 score of every entry for `query`.
    #[must_use]
    pub fn scores(&self, query: &str) -> Vec<f32> {
        let q = terms(query);
        let Bm25Config { k1, b, .. } = self.config;
        self.docs
            .iter()
            .zip(&self.lengths)
            .map(|(doc, len)| {
                q.iter()
                    .filter_map(|t| Some((doc.get(t)?, self.idf.get(t)?)))
                    .map(|(tf, idf)| {
                        let tf = *tf as f32;
                        idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len / self.average))
                    })
                    .sum()
            })
            .collect()
    }

    /// Up to `k` (entry index, calibrated score), best first.
    #[must_use]
    pub fn top(&self, query: &str, k: usize) -> Vec<(usize, f32)> {
        let raw = self.scores(query);
        let mut p: Vec<f32> = raw
            .iter()
            .chain(std::iter::once(&self.config.null_score))
            .map(|s| s / self.config.temperature.max(1e-3))
            .collect();
        softmax(&mut p);
        p.pop();
        let mut ranked: Vec<(usize, f32)> = p.into_iter().enumerate().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

/// The lexical FAQ matcher (see the module docs).
#[derive(Debug)]
pub struct Bm25Matcher {
    config: Bm25Config,
    /// Score an entry needs to be the best match.
    threshold: f32,
    cache: Mutex<HashMap<u64, Arc<Bm25Index>>>,
}

/// The cache key of a FAQ set: its entries' ids and edit times, so an edit re-indexes.
#[must_use]
pub fn faq_set_key(faqs: &[Faq]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in faqs {
        f.id.hash(&mut h);
        f.updated_at.hash(&mut h);
    }
    h.finish()
}

/// FAQ sets (tenants) whose index is kept.
const CACHED_SETS: usize = 64;

impl Bm25Matcher {
    /// A matcher proposing entries whose calibrated score reaches `threshold`.
    #[must_use]
    pub fn new(config: Bm25Config, threshold: f32) -> Self {
        Self {
            config,
            threshold,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The index of `faqs`, built once per set of entries and edit times.
    pub fn index(&self, faqs: &[Faq]) -> Arc<Bm25Index> {
        let key = faq_set_key(faqs);
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(found) = cache.get(&key) {
            return Arc::clone(found);
        }
        let index = Arc::new(Bm25Index::new(
            faqs.iter()
                .map(|f| (f.question.as_str(), f.answer.as_str())),
            self.config,
        ));
        if cache.len() >= CACHED_SETS {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&index));
        index
    }

    /// Up to `k` matches for `text`, best first.
    #[must_use]
    pub fn rank(&self, text: &str, faqs: &[Faq], k: usize) -> Vec<FaqMatch> {
        self.index(faqs)
            .top(text, k)
            .into_iter()
            .filter_map(|(i, score)| {
                faqs.get(i).map(|faq| FaqMatch {
                    faq: faq.clone(),
                    score,
                })
            })
            .collect()
    }
}

fn draft_text(draft: &NewTicket) -> String {
    crate::data::ticket_text(draft.title.as_str(), draft.description.as_str())
}

#[async_trait]
impl FaqMatcher for Bm25Matcher {
    async fn best_match(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
    ) -> ticket_core::Result<Option<FaqMatch>> {
        Ok(self
            .rank(&draft_text(draft), faqs, 1)
            .into_iter()
            .find(|m| m.score >= self.threshold))
    }

    async fn top_matches(
        &self,
        draft: &NewTicket,
        faqs: &[Faq],
        k: usize,
    ) -> ticket_core::Result<Vec<FaqMatch>> {
        Ok(self.rank(&draft_text(draft), faqs, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Bm25Index {
        Bm25Index::new(
            [
                (
                    "How do I reset my password?",
                    "Use the 'Forgot password' link on the sign-in page.",
                ),
                (
                    "When do refunds arrive?",
                    "Refunds reach your card within 5 to 10 business days.",
                ),
                (
                    "How do I export my data?",
                    "Settings → Data → Export gives a CSV of everything.",
                ),
            ],
            Bm25Config::default(),
        )
    }

    #[test]
    fn stems_and_drops_stop_words() {
        assert_eq!(
            terms("How do I reset the passwords?"),
            ["reset", "password"]
        );
        assert_eq!(stem("exporting"), "export");
        assert_eq!(stem("access"), "access");
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn ranks_the_entry_sharing_rare_words_first() {
        let idx = index();
        let top = idx.top("I forgot my password and cannot reset it", 3);
        assert_eq!(top[0].0, 0);
        assert!(top[0].1 > top[1].1);
        let refund = idx.top("my refund has not arrived yet", 1);
        assert_eq!(refund[0].0, 1);
    }

    #[test]
    fn one_entry_scores_like_many() {
        let one = Bm25Index::new(
            [(
                "How do I reset my password?",
                "Use the Forgot password link.",
            )],
            Bm25Config::default(),
        );
        let strong = one.top("Forgot my password: how do I reset my password?", 1);
        assert!(strong[0].1 > 0.9, "{strong:?}");
        let weak = one.top("my password manager crashes on export", 1);
        assert!(weak[0].1 < 0.3, "{weak:?}");
    }

    #[test]
    fn calibrated_score_stays_low_without_shared_words() {
        let idx = index();
        let none = idx.top("the office plant needs water", 1);
        assert!(none[0].1 < 0.1, "{none:?}");
        let strong = idx.top("reset password forgot password sign in", 1);
        assert!(strong[0].1 > 0.5, "{strong:?}");
        assert!(Bm25Index::new([], Bm25Config::default())
            .top("x", 3)
            .is_empty());
    }
}
