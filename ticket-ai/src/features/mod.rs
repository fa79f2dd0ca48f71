//! Tokenisation and features: lower-cased words, word unigrams and bigrams, and character
//! 3–5-grams inside word boundaries (`" pay"`, `"ment "`), each hashed to 64 bits so that
//! extracting a ticket's features allocates no string per n-gram. A [`Vocabulary`] learnt
//! from training text maps those hashes to columns with TF-IDF weights; a document becomes
//! a sparse vector, each of the two blocks (words, characters) L2-normalised.

mod vocabulary;

pub use vocabulary::{MinDf, PassThrough, Sparse, Vocabulary};

use serde::{Deserialize, Serialize};

/// The words of `text`: maximal runs of letters or digits, lower-cased. Apostrophes inside
/// a word are dropped (`can't` → `cant`), so contractions match their spelling without one.
#[must_use]
pub fn tokenize(text: &str) -> Vec<String> {
    Words::new(text).iter().map(str::to_string).collect()
}

/// The words of a text as [`tokenize`] cuts them, kept in one buffer (no string per word):
/// what the hot path of a classification tokenises once and shares between the
/// features, the wording rules and the skills.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Words {
    /// The lower-cased words, back to back.
    buffer: String,
    /// Where each word ends in `buffer`.
    ends: Vec<usize>,
}

impl Words {
    /// Cuts `text` into words.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut buffer = String::with_capacity(text.len());
        let mut ends = Vec::new();
        let mut start = 0;
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                // The common case, without `to_lowercase`'s iterator.
                buffer.push(c.to_ascii_lowercase());
            } else if c.is_alphanumeric() {
                buffer.extend(c.to_lowercase());
            } else if (c == '\'' || c == '’') && buffer.len() > start {
                continue;
            } else if buffer.len() > start {
                ends.push(buffer.len());
                start = buffer.len();
            }
        }
        if buffer.len() > start {
            ends.push(buffer.len());
        }
        Self { buffer, ends }
    }

    /// How many words.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no word.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The word at `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buffer.get(start..end)
    }

    /// The words in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.ends.len()).filter_map(|i| self.get(i))
    }
}

/// FNV-1a over a sequence of bytes, with a seed per kind of feature.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new(seed: u64) -> Self {
        Self(0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
    fn bytes(mut self, bytes: &[u8]) -> Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    fn char(self, c: char) -> Self {
        let mut buf = [0u8; 4];
        self.bytes(c.encode_utf8(&mut buf).as_bytes())
    }
}

const WORD: u64 = 1;
const BIGRAM: u64 = 2;
const CHARS: u64 = 3;

/// The hashed features of one text, in two blocks, each a list of (hash, count).
#[derive(Debug, Default, Clone)]
pub struct RawFeatures {
    /// Word unigrams and bigrams.
    pub words: Vec<(u64, u32)>,
    /// Character n-grams.
    pub chars: Vec<(u64, u32)>,
    /// Named features (the priority wording rules' hits): a block of their own, each
    /// worth [`NAMED_WEIGHT`] whatever the length of the text, so that a rule weighs as
    /// much in a long ticket as in a short one.
    pub named: Vec<(u64, u32)>,
}

/// The value of a named feature in a vector (the n-gram blocks have unit length
/// together).
pub const NAMED_WEIGHT: f32 = 0.25;

/// Which n-grams are extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// Smallest character n-gram.
    pub char_min: usize,
    /// Largest character n-gram.
    pub char_max: usize,
    /// Whether word bigrams are extracted too.
    pub bigrams: bool,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        Self {
            char_min: 3,
            char_max: 5,
            bigrams: true,
        }
    }
}

fn counted(mut hashes: Vec<u64>) -> Vec<(u64, u32)> {
    hashes.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::with_capacity(hashes.len());
    for h in hashes {
        match out.last_mut() {
            Some((last, n)) if *last == h => *n += 1,
            _ => out.push((h, 1)),
        }
    }
    out
}

impl FeatureSpec {
    /// The hashed n-grams of `text` (plus `extra` named features, e.g. rule hits, in
    /// their own block).
    #[must_use]
    pub fn extract(&self, text: &str, extra: &[&str]) -> RawFeatures {
        self.extract_words(&Words::new(text), extra)
    }

    /// [`FeatureSpec::extract`] from words already cut.
    #[must_use]
    pub fn extract_words(&self, words: &Words, extra: &[&str]) -> RawFeatures {
        let (w, c) = self.hashes(words);
        RawFeatures {
            words: counted(w),
            chars: counted(c),
            named: counted(extra.iter().map(|name| extra_hash(name)).collect()),
        }
    }

    /// The hashes of every word n-gram and every character n-gram of `words`, in text
    /// order, each as often as it occurs (what [`FeatureSpec::extract_words`] counts).
    #[must_use]
    pub fn hashes(&self, words: &Words) -> (Vec<u64>, Vec<u64>) {
        let mut w = Vec::with_capacity(words.len() * 2);
        let mut previous: Option<&str> = None;
        for word in words.iter() {
            w.push(Fnv::new(WORD).bytes(word.as_bytes()).0);
            if self.bigrams {
                if let Some(before) = previous {
                    let h = Fnv::new(BIGRAM)
                        .bytes(before.as_bytes())
                        .bytes(b" ")
                        .bytes(word.as_bytes());
                    w.push(h.0);
                }
            }
            previous = Some(word);
        }
        let mut c = Vec::with_capacity(words.buffer.len() * 3);
        let mut chars: Vec<char> = Vec::new();
        let mut ascii: Vec<u8> = Vec::new();
        // A shortest length of 0 asks for no character n-grams.
        let char_words = words.iter().filter(|_| self.char_min > 0);
        for word in char_words {
            if word.is_ascii() {
                // One byte per character, and FNV over a character is FNV over its UTF-8
                // bytes: the same hashes without decoding and encoding each character.
                ascii.clear();
                ascii.push(b' ');
                ascii.extend_from_slice(word.as_bytes());
                ascii.push(b' ');
                self.push_char_grams(&ascii, |h, b| h.bytes(&[*b]), &mut c);
            } else {
                chars.clear();
                chars.push(' ');
                chars.extend(word.chars());
                chars.push(' ');
                self.push_char_grams(&chars, |h, ch| h.char(*ch), &mut c);
            }
        }
        (w, c)
    }

    /// Pushes to `out` the hash of every run of `char_min` to `char_max` characters of
    /// `chars` (a word with its boundary spaces), `add` hashing one more character. FNV
    /// reads the characters in order, so the n-grams starting at one character extend
    /// each other: one pass per start gives all their lengths.
    fn push_char_grams<T>(&self, chars: &[T], add: impl Fn(Fnv, &T) -> Fnv, out: &mut Vec<u64>) {
        for start in 0..chars.len() {
            let mut h = Fnv::new(CHARS);
            for (n, ch) in chars[start..].iter().take(self.char_max).enumerate() {
                h = add(h, ch);
                if n + 1 >= self.char_min {
                    out.push(h.0);
                }
            }
        }
    }
}

/// The hash of a named feature (a rule hit).
pub(crate) fn extra_hash(name: &str) -> u64 {
    Fnv::new(WORD).bytes(b"\0").bytes(name.as_bytes()).0
}

impl RawFeatures {
    /// These features plus `extra` named ones (what
    /// [`FeatureSpec::extract`] gives with `extra`, without extracting the text again or
    /// copying its n-grams).
    #[must_use]
    pub fn with_extra(mut self, extra: &[&str]) -> Self {
        for name in extra {
            let h = extra_hash(name);
            match self.named.binary_search_by_key(&h, |(k, _)| *k) {
                Ok(i) => self.named[i].1 += 1,
                Err(i) => self.named.insert(i, (h, 1)),
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenize_lowercases_and_splits_on_punctuation() {
        assert_eq!(
            tokenize("Payment FAILED—charged twice! Can't log-in."),
            ["payment", "failed", "charged", "twice", "cant", "log", "in"]
        );
        assert!(tokenize("  ...  ").is_empty());
        assert_eq!(tokenize("Ünïcode café"), ["ünïcode", "café"]);
        let words = Words::new("Can't STOP, won't stop");
        assert_eq!(
            words.iter().collect::<Vec<_>>(),
            ["cant", "stop", "wont", "stop"]
        );
        assert_eq!(
            (words.len(), words.get(1), words.get(4)),
            (4, Some("stop"), None)
        );
        assert!(Words::new("—").is_empty());
    }

    #[test]
    fn extract_counts_words_bigrams_and_char_grams() {
        let spec = FeatureSpec::default();
        let f = spec.extract("refund refund", &[]);
        // "refund" twice (one unigram counted 2) + the bigram "refund refund".
        assert_eq!(f.words.len(), 2);
        assert!(f.words.iter().any(|(_, n)| *n == 2));
        // " refund " has 8 chars: 6 trigrams, 5 four-grams, 4 five-grams, each twice.
        assert_eq!(f.chars.len(), 15);
        assert!(f.chars.iter().all(|(_, n)| *n == 2));
        let with_rule = spec.extract("refund", &["rule:money"]);
        assert_eq!((with_rule.words.len(), with_rule.named.len()), (1, 1));
        let plain = spec.extract("refund", &[]);
        assert_eq!(
            plain.clone().with_extra(&["rule:money"]).named,
            with_rule.named
        );
        assert_eq!(plain.clone().with_extra(&[]).named, plain.named);
    }

    /// The ASCII shortcut hashes a word's character n-grams as the general path does.
    #[test]
    fn ascii_words_hash_as_their_characters_do() {
        let spec = FeatureSpec::default();
        for word in ["payment", "a", "refund42"] {
            let chars: Vec<char> = format!(" {word} ").chars().collect();
            let mut general = Vec::new();
            spec.push_char_grams(&chars, |h, ch| h.char(*ch), &mut general);
            assert!(!general.is_empty());
            assert_eq!(spec.hashes(&Words::new(word)).1, general, "{word}");
        }
    }
}
