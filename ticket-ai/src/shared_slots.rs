//! [`SharedSlots`]: the category model's and the priority model's weights of every
//! n-gram, with its IDF, in one open-addressed table keyed by the n-gram's hash, for
//! [`TicketModels`](crate::TicketModels) when the two models read the same n-grams.
//!
//! A classification looks up every n-gram of the text (about 500 for a ticket of a few
//! lines), and those lookups are most of its cost: separate tables cost a chain of
//! three memory accesses per n-gram (the hash map's control bytes, its bucket, then the
//! weights' row), one slot here holds all an n-gram needs. `benches/classify.rs`
//! measures the lookups.
//!
//! Memory: twice as many slots as n-grams, rounded up to a power of two, of
//! 12 + 4 × (category + priority classes) bytes: 2.9 MB for the day-one pair (26,582
//! n-grams, 65,536 slots of 44 bytes), at most 23 MB for a pair retrained up to
//! `max_features` (200,000) with four categories and four priorities. Exactly twice the
//! n-grams, placed by a multiplication, took a fifth less memory but made a
//! classification a fifth slower (longer probes, and FNV's low bits no longer pick the
//! slot), so the power of two stays. Counting a text's n-grams takes a bit per slot
//! besides, once per classifying thread (8 KB for the day-one pair).

use crate::bits;
use crate::model::TextModel;

/// The words (`u32`) of a slot before its weights: the hash's low and high halves (both
/// 0 for an empty slot), then the IDF's bits.
const SLOT_HEAD: usize = 3;

/// See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SharedSlots {
    /// Weights per slot: the category model's classes, then the priority model's.
    width: usize,
    /// Words per slot: [`SLOT_HEAD`], then the weights' bits.
    stride: usize,
    /// Slots - 1 (the number of slots is a power of two, at least twice the n-grams, so
    /// that a probe ends on an empty slot within a slot or two).
    mask: usize,
    /// The slots, `stride` words each.
    slots: Vec<u32>,
}

impl SharedSlots {
    /// The slots of `category` and `priority`, where `columns` maps each category
    /// column to the priority model's column of the same n-gram; `None` when an
    /// n-gram's hash is 0 (the mark of an empty slot), then the models are used apart.
    pub(crate) fn new(category: &TextModel, priority: &TextModel, columns: &[u32]) -> Option<Self> {
        let (c, p) = (category.linear(), priority.linear());
        let (cc, pc) = (c.classes(), p.classes());
        // Each n-gram's weights, the category's then the priority's; a column beyond a
        // model adds nothing to its logits, and zeros do the same.
        let weights = |col: u32| -> Vec<f32> {
            let row = |l: &crate::linear::Linear, col: u32, n: usize| {
                l.row(col as usize)
                    .map_or_else(|| vec![0.0; n], <[f32]>::to_vec)
            };
            let mut w = row(c, col, cc);
            // A category column without a priority column (not built by
            // `shared_columns`) reads as one beyond the priority model.
            let p_col = columns.get(col as usize).copied().unwrap_or(u32::MAX);
            w.extend(row(p, p_col, pc));
            w
        };
        let width = cc + pc;
        let stride = SLOT_HEAD + width;
        let size = (columns.len() * 2).next_power_of_two().max(2);
        let mut table = Self {
            width,
            stride,
            mask: size - 1,
            slots: vec![0; size * stride],
        };
        for (hash, col, idf) in category.vocabulary().entries() {
            if hash == 0 {
                return None;
            }
            let mut i = table.home(hash);
            while table.hash_at(i) != 0 {
                i = (i + 1) & table.mask;
            }
            let slot = &mut table.slots[i * stride..(i + 1) * stride];
            // The low half first: the cast keeps it.
            slot[0] = hash as u32;
            slot[1] = (hash >> 32) as u32;
            slot[2] = idf.to_bits();
            for (word, w) in slot[SLOT_HEAD..].iter_mut().zip(weights(col)) {
                *word = w.to_bits();
            }
        }
        Some(table)
    }

    /// The slot where the probe for `hash` starts.
    fn home(&self, hash: u64) -> usize {
        // The low bits of an n-gram's FNV hash are as mixed as the high ones; the mask
        // keeps what fits.
        (hash as usize) & self.mask
    }

    /// The hash held by slot `i` (0: empty).
    fn hash_at(&self, i: usize) -> u64 {
        let s = i * self.stride;
        match self.slots.get(s..s + 2) {
            Some([lo, hi]) => u64::from(*lo) | (u64::from(*hi) << 32),
            _ => 0,
        }
    }

    /// The slot of the n-gram hashed `hash`, if the category model keeps it.
    fn find(&self, hash: u64) -> Option<usize> {
        let mut i = self.home(hash);
        loop {
            match self.hash_at(i) {
                found if found == hash => return Some(i),
                0 => return None,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    /// Adds the n-grams hashed in `blocks` (the words' and the characters', each n-gram
    /// as often as it occurs) to the category's and the priority's logits: each block's
    /// TF-IDF values (sublinear term frequency) times the weights, scaled by 1/√2 over
    /// the block's L2 norm, as [`crate::features::Vocabulary::vectorize`] makes the
    /// vector [`crate::linear::Linear::logits`] reads.
    ///
    /// The hash each n-gram's home slot holds is read first, in a pass that does not
    /// branch on what it reads, so the CPU fetches all those slots from memory at once
    /// (a lookup that branches on its slot, found, empty or probe on, waits for it
    /// whenever the branch is mispredicted); the lookups then find them in the cache.
    /// The occurrences are counted by their slots ([`Tally`]), without sorting them.
    pub(crate) fn add_logits(
        &self,
        blocks: [&[u64]; 2],
        category: &mut [f32],
        priority: &mut [f32],
    ) {
        let mut sums = vec![0.0f32; self.width];
        for block in blocks {
            let at_home: Vec<u64> = block.iter().map(|h| self.hash_at(self.home(*h))).collect();
            let found = block
                .iter()
                .zip(at_home)
                .filter_map(|(h, held)| match held {
                    _ if held == *h => Some(self.home(*h)),
                    0 => None,
                    _ => self.find(*h),
                });
            sums.fill(0.0);
            let mut norm = 0.0f32;
            TALLY.with_borrow_mut(|tally| {
                tally.count(found, self.mask + 1, |slot_index, tf| {
                    let start = slot_index * self.stride;
                    let Some(slot) = self.slots.get(start..start + self.stride) else {
                        return;
                    };
                    let idf = f32::from_bits(slot[2]);
                    let v = match tf {
                        1 => idf,
                        tf => (1.0 + (tf as f32).ln()) * idf,
                    };
                    norm += v * v;
                    for (s, w) in sums.iter_mut().zip(&slot[SLOT_HEAD..]) {
                        *s += f32::from_bits(*w) * v;
                    }
                });
            });
            if norm > 0.0 {
                let scale = std::f32::consts::FRAC_1_SQRT_2 / norm.sqrt();
                let logits = category.iter_mut().chain(priority.iter_mut());
                for (l, s) in logits.zip(&sums) {
                    *l += s * scale;
                }
            }
        }
    }
}

thread_local! {
    /// Each thread's [`Tally`], kept between classifications (its bits end cleared).
    static TALLY: std::cell::RefCell<Tally> = std::cell::RefCell::new(Tally::default());
}

/// Counts a block's occurrences by slot without sorting them: a bit per slot marks the
/// slots seen, and only the repeats (an n-gram seldom occurs twice in a ticket) are
/// set aside and sorted. About 700 slots a ticket: sorting them all was a tenth of a
/// classification in a server.
#[derive(Debug, Default)]
struct Tally {
    /// A bit per slot, set while the block is counted and cleared before `count` ends.
    seen: Vec<u64>,
    /// The slots seen, in the order first seen.
    distinct: Vec<usize>,
    /// Second and later occurrences.
    repeats: Vec<usize>,
}

impl Tally {
    /// Calls `each(slot, occurrences)` once per distinct slot of `found` (slots below
    /// `slots`; others are ignored).
    fn count(
        &mut self,
        found: impl Iterator<Item = usize>,
        slots: usize,
        mut each: impl FnMut(usize, usize),
    ) {
        let words = slots.div_ceil(64);
        if self.seen.len() < words {
            self.seen.resize(words, 0);
        }
        self.distinct.clear();
        self.repeats.clear();
        // `seen` holds at least `slots` bits, so every slot below it is marked.
        for slot in found.filter(|&slot| slot < slots) {
            if bits::insert(&mut self.seen, slot) {
                self.distinct.push(slot);
            } else {
                self.repeats.push(slot);
            }
        }
        // The repeated slots first, with their counts; their bits are cleared so the
        // pass over the distinct slots skips them.
        self.repeats.sort_unstable();
        for run in self.repeats.chunk_by(|a, b| a == b) {
            bits::remove(&mut self.seen, run[0]);
            each(run[0], run.len() + 1);
        }
        for &slot in &self.distinct {
            if bits::remove(&mut self.seen, slot) {
                each(slot, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    /// Every distinct slot is reported once with its number of occurrences, repeats
    /// included, slots past the table are ignored, and the bits end cleared so the next
    /// count starts afresh.
    #[test]
    fn tally_counts_each_slot_once_and_ends_clear() {
        let mut tally = Tally::default();
        let found = [5usize, 64, 5, 130, 64, 5, 7, 999];
        let mut counted = Vec::new();
        tally.count(found.into_iter(), 200, |slot, n| counted.push((slot, n)));
        counted.sort_unstable();
        assert_eq!(counted, [(5, 3), (7, 1), (64, 2), (130, 1)]);
        assert!(tally.seen.iter().all(|w| *w == 0));
        let mut again = Vec::new();
        tally.count([7usize, 7].into_iter(), 200, |slot, n| {
            again.push((slot, n))
        });
        assert_eq!(again, [(7, 2)]);
        // A larger table counted first on the thread leaves a longer bitmap behind:
        // the bound still holds.
        tally.count([999usize].into_iter(), 2000, |_, _| {});
        let mut bounded = Vec::new();
        tally.count([999usize, 3].into_iter(), 200, |slot, n| {
            bounded.push((slot, n))
        });
        assert_eq!(bounded, [(3, 1)]);
    }
}
