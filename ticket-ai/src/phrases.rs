//! Lists of phrases matched on the [`Words`] of a text in one pass: the priority wording
//! rules ([`crate::priority`]) and the skills' wording ([`crate::skills`]). A phrase is
//! one or more words separated by spaces; a word ending in `*` matches any word that
//! starts with it. Phrases are indexed by their first word (or, for a prefix pattern,
//! its first `PREFIX_KEY` characters), so matching costs two lookups per word of the
//! text instead of a comparison per phrase and word, and a bit per possible start
//! ([`Starts`]) spares those lookups for most words, which start no phrase. A group can be
//! marked negatable ([`PhraseSet::negatable`]): its phrases then do not count when a
//! negation comes right before them ("not urgent", "nothing is blocked").

use crate::features::Words;
use rustc_hash::FxHashMap;

/// How many leading characters index a prefix pattern (a shorter pattern is tried at
/// every word).
const PREFIX_KEY: usize = 3;

/// The first [`PREFIX_KEY`] characters of `word`, if it has that many.
fn prefix_key(word: &str) -> Option<&str> {
    let mut ends = word.char_indices().map(|(at, c)| at + c.len_utf8());
    ends.nth(PREFIX_KEY - 1).map(|end| &word[..end])
}

/// Bits of a [`Starts`] (a power of two): enough that few words which start no phrase
/// share a bit with one that does (the crate's lists have a few hundred starts).
const START_BITS: usize = 4096;

/// Which leading bytes a word must have to start some phrase: a bit per hash of a
/// word's first [`PREFIX_KEY`] bytes (all of them when it has fewer). A phrase's first
/// word, or its prefix pattern of [`PREFIX_KEY`] characters or more, shares those bytes
/// with every word it matches, so a word whose bit is clear starts none.
#[derive(Debug, Clone)]
struct Starts {
    bits: Vec<u64>,
}

impl Starts {
    fn new() -> Self {
        Self {
            bits: vec![0; START_BITS / 64],
        }
    }

    /// The bit of `word`'s leading bytes.
    fn bit(word: &str) -> usize {
        let lead = word.as_bytes().iter().take(PREFIX_KEY);
        let packed = lead.fold(word.len().min(PREFIX_KEY) as u64, |k, b| {
            (k << 8) | u64::from(*b)
        });
        // Fibonacci hashing: the top bits of the product are well mixed.
        (packed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - START_BITS.ilog2())) as usize
    }

    fn insert(&mut self, lead: &str) {
        crate::bits::insert(&mut self.bits, Self::bit(lead));
    }

    /// Lets every word through (a prefix pattern too short to key on may start at any).
    fn allow_all(&mut self) {
        self.bits.fill(u64::MAX);
    }

    fn may_start(&self, word: &str) -> bool {
        crate::bits::contains(&self.bits, Self::bit(word))
    }
}

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

/// Words that negate the phrase right after them (apostrophes dropped, as in
/// [`Words`]).
const NEGATIONS: &[&str] = &[
    "not", "no", "nothing", "never", "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt",
    "without", "nor",
];

/// Words that may stand between a negation and what it negates ("not really urgent",
/// "nothing is blocked").
const BRIDGES: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "really",
    "very",
    "so",
    "too",
    "that",
    "yet",
    "actually",
    "particularly",
    "super",
    "a",
    "an",
    "any",
];

/// Whether the word at `at` is negated by the one or two words before it.
fn negated(words: &Words, at: usize) -> bool {
    let before = |k: usize| at.checked_sub(k).and_then(|i| words.get(i));
    match before(1) {
        Some(w) if NEGATIONS.contains(&w) => true,
        Some(w) if BRIDGES.contains(&w) => before(2).is_some_and(|w| NEGATIONS.contains(&w)),
        _ => false,
    }
}

/// Groups of phrases, compiled for matching.
#[derive(Debug, Clone)]
pub struct PhraseSet {
    groups: usize,
    /// Per group, whether a negation right before a phrase cancels it.
    negatable: Vec<bool>,
    /// Phrases whose first word is matched exactly, by that word.
    by_first_word: FxHashMap<&'static str, Vec<Phrase>>,
    /// Phrases whose first word is a prefix pattern, by the pattern's first
    /// [`PREFIX_KEY`] characters.
    by_prefix: FxHashMap<&'static str, Vec<Phrase>>,
    /// Phrases whose first word is a prefix pattern shorter than that (tried at every
    /// word; none in the crate's lists).
    short_prefix: Vec<Phrase>,
    /// The leading bytes of every first word and prefix pattern indexed above (all of
    /// them when `short_prefix` is not empty).
    starts: Starts,
}

impl PhraseSet {
    /// Compiles `groups` (group `i` is the `i`-th list of phrases).
    #[must_use]
    pub fn new(groups: &[&[&'static str]]) -> Self {
        let mut by_first_word: FxHashMap<&'static str, Vec<Phrase>> = FxHashMap::default();
        let mut by_prefix: FxHashMap<&'static str, Vec<Phrase>> = FxHashMap::default();
        let mut short_prefix = Vec::new();
        let mut starts = Starts::new();
        for (group, phrases) in groups.iter().enumerate() {
            for phrase in *phrases {
                let words: Vec<&'static str> =
                    phrase.split(' ').filter(|w| !w.is_empty()).collect();
                let Some(first) = words.first().copied() else {
                    continue;
                };
                let compiled = Phrase { group, words };
                if let Some(pattern) = first.strip_suffix('*') {
                    match prefix_key(pattern) {
                        Some(key) => {
                            starts.insert(key);
                            by_prefix.entry(key).or_default().push(compiled);
                        }
                        None => {
                            starts.allow_all();
                            short_prefix.push(compiled);
                        }
                    }
                } else {
                    starts.insert(first);
                    by_first_word.entry(first).or_default().push(compiled);
                }
            }
        }
        Self {
            groups: groups.len(),
            negatable: vec![false; groups.len()],
            by_first_word,
            by_prefix,
            short_prefix,
            starts,
        }
    }

    /// Marks the groups whose phrases a negation cancels (`negatable[i]` for group `i`;
    /// groups past its end stay as they were).
    #[must_use]
    pub fn negatable(mut self, negatable: &[bool]) -> Self {
        for (mine, theirs) in self.negatable.iter_mut().zip(negatable) {
            *mine = *theirs;
        }
        self
    }

    /// For each group, whether any of its phrases occurs in `words` (and, for a
    /// negatable group, is not negated).
    #[must_use]
    pub fn hits(&self, words: &Words) -> Vec<bool> {
        let mut hit = vec![false; self.groups];
        for (at, word) in words.iter().enumerate() {
            if !self.starts.may_start(word) {
                continue;
            }
            let exact = self.by_first_word.get(word).map_or(&[][..], Vec::as_slice);
            let prefixed = prefix_key(word)
                .and_then(|key| self.by_prefix.get(key))
                .map_or(&[][..], Vec::as_slice);
            for phrase in exact.iter().chain(prefixed).chain(&self.short_prefix) {
                if !hit[phrase.group]
                    && phrase.matches_at(words, at)
                    && !(self.negatable[phrase.group] && negated(words, at))
                {
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

    /// Without patterns shorter than the key, words are tried only when their leading
    /// bytes start some phrase: short exact words, multi-byte prefixes and long words
    /// still match, and a word that starts nothing is passed over.
    #[test]
    fn words_that_start_no_phrase_are_passed_over() {
        let set = PhraseSet::new(&[&["no"], &["héllo* world"], &["charged twice"]]);
        assert!(set.short_prefix.is_empty());
        assert_eq!(set.hits(&Words::new("No.")), [true, false, false]);
        assert_eq!(set.hits(&Words::new("nope")), [false, false, false]);
        assert_eq!(
            set.hits(&Words::new("Héllos world, charged twice")),
            [false, true, true]
        );
        assert_eq!(
            set.hits(&Words::new("charges twice")),
            [false, false, false]
        );
        for word in ["no", "hél", "héllos", "charged"] {
            assert!(set.starts.may_start(word), "{word}");
        }
        assert!(!set.starts.may_start("payment"));
    }

    /// Prefix patterns of three characters or more are found through their first three
    /// (the pattern itself may be exactly that), shorter ones at every word, and words
    /// shorter than the key (or not ASCII) are looked up safely.
    #[test]
    fn prefix_patterns_of_every_length_match() {
        let set = PhraseSet::new(&[&["tax*"], &["ab*"], &["héllo* world"], &["x*"]]);
        assert_eq!(set.hits(&Words::new("Tax")), [true, false, false, false]);
        assert_eq!(
            set.hits(&Words::new("taxes due")),
            [true, false, false, false]
        );
        assert_eq!(set.hits(&Words::new("ta a")), [false, false, false, false]);
        assert_eq!(
            set.hits(&Words::new("about it")),
            [false, true, false, false]
        );
        assert_eq!(set.hits(&Words::new("ab")), [false, true, false, false]);
        assert_eq!(
            set.hits(&Words::new("Héllos world")),
            [false, false, true, false]
        );
        assert_eq!(set.hits(&Words::new("hél")), [false, false, false, false]);
        assert_eq!(set.hits(&Words::new("xyz")), [false, false, false, true]);
    }

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
        // Negation cancels only the groups marked negatable.
        let negatable = set.clone().negatable(&[true, false]);
        for text in [
            "no outage today",
            "this isn't an outage",
            "not really outage",
        ] {
            assert!(!negatable.hits(&Words::new(text))[0], "{text}");
            assert!(set.hits(&Words::new(text))[0], "{text}");
        }
        assert!(negatable.hits(&Words::new("no, the site is down"))[0]);
        assert_eq!(
            negatable.hits(&Words::new("not a vulnerability")),
            [false, true, false]
        );
    }
}
