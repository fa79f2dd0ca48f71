//! Lists of phrases matched on the [`Words`] of a text in one pass: the priority wording
//! rules ([`crate::priority`]) and the skills' wording ([`crate::skills`]). A phrase is
//! one or more words separated by spaces; a word ending in `*` matches any word that
//! starts with it. Phrases are indexed by their first word, so matching costs a lookup
//! per word of the text instead of a comparison per phrase and word.

use crate::features::Words;
use std::collections::HashMap;

/// One phrase, split into words, and the group it belongs to.
#[derive(Debug, Clone)]
struct Phrase {
    group: usize,
    words: Vec<&'static str>,
}

impl Phrase {
    /// Whether the phrase's words start at word `at` of `words`.
    fn matches_at(&self, words: &Words, at: usize) -> bool {
        self.words
            .iter()
            .enumerate()
            .all(|(k, p)| words.get(at + k).is_some_and(|w| word_matches(p, w)))
    }
}

/// Whether `word` matches the pattern `pattern` (a `*` suffix matching by prefix).
fn word_matches(pattern: &str, word: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => word.starts_with(prefix),
        None => word == pattern,
    }
}

/// Groups of phrases, compiled for matching.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    groups: usize,
    /// Phrases whose first word is matched exactly, by that word.
    by_first_word: HashMap<&'static str, Vec<Phrase>>,
    /// Phrases whose first word is a prefix pattern (few: tried at every word).
    by_prefix: Vec<Phrase>,
}

impl PhraseSet {
    /// Compiles `groups` (group `i` is the `i`-th list of phrases).
    #[must_use]
    pub fn new(groups: &[&[&'static str]]) -> Self {
        let mut by_first_word: HashMap<&'static str, Vec<Phrase>> = HashMap::new();
        let mut by_prefix = Vec::new();
        for (group, phrases) in groups.iter().enumerate() {
            for phrase in *phrases {
                let words: Vec<&'static str> =
                    phrase.split(' ').filter(|w| !w.is_empty()).collect();
                let Some(first) = words.first().copied() else {
                    continue;
                };
                let compiled = Phrase { group, words };
                if first.ends_with('*') {
                    by_prefix.push(compiled);
                } else {
                    by_first_word.entry(first).or_default().push(compiled);
                }
            }
        }
        Self {
            groups: groups.len(),
            by_first_word,
            by_prefix,
        }
    }

    /// For each group, whether any of its phrases occurs in `words`.
    #[must_use]
    pub fn hits(&self, words: &Words) -> Vec<bool> {
        let mut hit = vec![false; self.groups];
        for (at, word) in words.iter().enumerate() {
            let exact = self.by_first_word.get(word).map_or(&[][..], Vec::as_slice);
            for phrase in exact.iter().chain(&self.by_prefix) {
                if !hit[phrase.group] && phrase.matches_at(words, at) {
                    hit[phrase.group] = true;
                }
            }
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_words_phrases_and_prefixes() {
        let set = PhraseSet::new(&[&["is down", "outage"], &["vulnerab*"], &["log in"]]);
        assert_eq!(
            set.hits(&Words::new("The site IS down")),
            [true, false, false]
        );
        assert_eq!(
            set.hits(&Words::new("a vulnerability report")),
            [false, true, false]
        );
        // "down" inside "download", and a phrase cut by the end of the text, do not fire.
        assert_eq!(
            set.hits(&Words::new("the download is slow, please log")),
            [false, false, false]
        );
        assert_eq!(set.hits(&Words::new("")), [false, false, false]);
    }
}
