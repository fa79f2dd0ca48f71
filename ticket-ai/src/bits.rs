//! Bit sets kept in `u64` words: the phrase starts ([`crate::phrases`]) and the slot
//! tally ([`crate::shared_slots`]) mark small integers with them. A bit beyond the words
//! is never set and reads as clear.

/// Sets bit `i` of `words`; whether it was clear before (false beyond the words).
pub(crate) fn insert(words: &mut [u64], i: usize) -> bool {
    let Some(word) = words.get_mut(i / 64) else {
        return false;
    };
    let bit = 1u64 << (i % 64);
    let was_clear = *word & bit == 0;
    *word |= bit;
    was_clear
}

/// Clears bit `i` of `words`; whether it was set before.
pub(crate) fn remove(words: &mut [u64], i: usize) -> bool {
    let Some(word) = words.get_mut(i / 64) else {
        return false;
    };
    let bit = 1u64 << (i % 64);
    let was_set = *word & bit != 0;
    *word &= !bit;
    was_set
}

/// Whether bit `i` of `words` is set.
pub(crate) fn contains(words: &[u64], i: usize) -> bool {
    words
        .get(i / 64)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}
