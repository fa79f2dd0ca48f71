//! Priority wording rules: phrases that signal urgency (an outage, a breach, data loss,
//! "cannot log in", money taken, a deadline) or its absence (a how-to, a feature request).
//! Priority is barely learnable from a few hundred tickets' text alone, so the rules do
//! three jobs: their hits join the priority model's features, a second stage
//! ([`crate::stack`]) learns from held-out predictions how much each is worth beside the
//! text, and with no model they decide alone ([`rule_priority`]). A model without that
//! second stage (too few rows to hold any out) is overridden by an urgent rule when it is
//! unsure ([`combine_with`]).
//!
//! An urgent phrase right after a negation does not count ("not urgent", "nothing is
//! blocked", see [`crate::phrases`]).
//!
//! Phrases are matched on the words of [`crate::features::tokenize`] (lower-case,
//! apostrophes dropped: `can't` → `cant`); a word ending in `*` matches any word that
//! starts with it.

mod rules;

use rules::{COUNTED, MANY};
pub use rules::{RULES, SCALE};

use crate::features::Words;
use crate::phrases::PhraseSet;
use std::sync::OnceLock;
use ticket_core::ticket::Priority;

/// One wording rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Its feature name (`rule:outage`).
    pub name: &'static str,
    /// The priority it points to.
    pub priority: Priority,
    /// Phrases, any of which fires it.
    pub phrases: &'static [&'static str],
}

/// Whether `words` count many people or things ([`SCALE`]).
fn counts_many(words: &Words) -> bool {
    (0..words.len()).any(|i| {
        let many = words
            .get(i)
            .and_then(|w| w.parse::<u64>().ok())
            .is_some_and(|n| n >= MANY);
        many && (i + 1..i + 3).filter_map(|j| words.get(j)).any(|w| {
            COUNTED.iter().any(|c| match c.strip_suffix('*') {
                Some(prefix) => w.starts_with(prefix),
                None => w == *c,
            })
        })
    })
}

/// The rules compiled for matching, once per process.
fn compiled() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| {
        let groups: Vec<&[&str]> = RULES.iter().map(|r| r.phrases).collect();
        let urgent: Vec<bool> = RULES.iter().map(|r| r.priority >= Priority::High).collect();
        PhraseSet::new(&groups).negatable(&urgent)
    })
}

/// The rules whose wording occurs in `text`, in [`RULES`] order, then [`SCALE`].
#[must_use]
pub fn rule_hits(text: &str) -> Vec<&'static Rule> {
    rule_hits_in(&Words::new(text))
}

/// [`rule_hits`] on words already cut.
#[must_use]
pub fn rule_hits_in(words: &Words) -> Vec<&'static Rule> {
    let mut hits: Vec<&'static Rule> = RULES
        .iter()
        .zip(compiled().hits(words))
        .filter_map(|(rule, hit)| hit.then_some(rule))
        .collect();
    if counts_many(words) {
        hits.push(&SCALE);
    }
    hits
}

/// The name of every rule [`rule_hits_in`] may return (the named features of a model
/// trained with the rules).
pub fn rule_names() -> impl Iterator<Item = &'static str> {
    RULES.iter().chain([&SCALE]).map(|r| r.name)
}

/// The most urgent priority among `hits`; `None` when empty.
#[must_use]
pub fn most_urgent(hits: &[&Rule]) -> Option<Priority> {
    hits.iter().map(|r| r.priority).max()
}

/// The priority the rules alone give `text`: the most urgent rule that fires; `None`
/// when none does.
#[must_use]
pub fn rule_priority(text: &str) -> Option<Priority> {
    most_urgent(&rule_hits(text))
}

/// Rules + model: the model's priority when its probability reaches `threshold`;
/// otherwise an urgent rule (high or critical) that fires, with the model's probability
/// of that priority; otherwise the model's guess, abstained. Returns (label, confidence,
/// abstained).
#[must_use]
pub fn combine(
    prediction: &crate::model::Prediction,
    text: &str,
    threshold: f32,
) -> (String, f32, bool) {
    combine_with(prediction, rule_priority(text), threshold)
}

/// [`combine`] with the rules' priority already known (`rule`, from [`most_urgent`]).
#[must_use]
pub fn combine_with(
    prediction: &crate::model::Prediction,
    rule: Option<Priority>,
    threshold: f32,
) -> (String, f32, bool) {
    let (best, p) = prediction.best().unwrap_or(("medium", 0.0));
    if p >= threshold {
        return (best.to_string(), p, false);
    }
    if let Some(rule) = rule.filter(|r| *r >= Priority::High) {
        let confidence = prediction
            .ranked
            .iter()
            .find(|(l, _)| l == rule.as_str())
            .map_or(0.0, |(_, p)| *p);
        return (rule.as_str().to_string(), confidence, false);
    }
    (best.to_string(), p, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_wording_fires_the_matching_rules() {
        let names = |t: &str| rule_hits(t).iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(names("Our site is DOWN for all users"), ["rule:outage"]);
        assert_eq!(names("I can't log in since yesterday"), ["rule:login"]);
        assert_eq!(
            names("Charged twice, please refund urgently!"),
            ["rule:money", "rule:deadline"]
        );
        assert_eq!(
            names("Possible data breach: records exposed"),
            ["rule:breach"]
        );
        assert_eq!(names("the export is corrupted"), ["rule:data_loss"]);
        assert_eq!(names("thanks for the help"), ["rule:request"]);
        assert_eq!(
            names("Nothing is blocked yet, low priority"),
            ["rule:can_still", "rule:minor"]
        );
        assert_eq!(
            names("payday is today, otherwise we pay penalties"),
            ["rule:legal", "rule:deadline"]
        );
        assert!(names("hello, a word about my order").is_empty());
    }

    #[test]
    fn rule_priority_takes_the_most_urgent_hit() {
        assert_eq!(
            rule_priority("How do I export? Also the site is down"),
            Some(Priority::Critical)
        );
        assert_eq!(
            rule_priority("feature request: dark mode"),
            Some(Priority::Low)
        );
        assert_eq!(
            rule_priority("locked out of my account"),
            Some(Priority::High)
        );
        assert_eq!(rule_priority("hello"), None);
    }

    #[test]
    fn counts_of_people_read_as_many() {
        let scale = |t: &str| rule_hits(t).iter().any(|r| r.name == "rule:scale");
        assert!(scale("about 3,800 subscribers were charged twice"));
        assert!(scale("30+ accounts locked since noon"));
        assert!(scale("212 thermostat units offline"));
        assert!(!scale("3 users cannot log in"));
        assert!(!scale("the export stops at 10,000 rows"));
        let calm = |t: &str| rule_priority(t);
        assert_eq!(
            calm("Minor: the legend colours look off"),
            Some(Priority::Low)
        );
        assert_eq!(
            calm("Seeing another company's employee data"),
            Some(Priority::Critical)
        );
    }

    #[test]
    fn phrases_match_whole_words_only() {
        // "down" inside "download" and "court" inside "courtesy" do not fire.
        assert!(rule_hits("the download is slow")
            .iter()
            .all(|r| r.name != "rule:outage"));
        assert!(rule_hits("a courtesy call").is_empty());
    }

    #[test]
    fn combine_prefers_a_sure_model_then_urgent_rules() {
        use crate::model::Prediction;
        let p = |a: f32| Prediction {
            ranked: vec![("low".into(), a), ("critical".into(), 1.0 - a)],
        };
        assert_eq!(
            combine(&p(0.9), "the site is down", 0.5),
            ("low".into(), 0.9, false)
        );
        let unsure = combine(&p(0.45), "the site is down", 0.5);
        assert_eq!(unsure.0, "critical");
        assert!(!unsure.2);
        assert_eq!(
            combine(&p(0.45), "a question", 0.5),
            ("low".into(), 0.45, true)
        );
    }
}
