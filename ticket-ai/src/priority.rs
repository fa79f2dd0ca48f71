//! Priority wording rules: phrases that signal urgency (an outage, a breach, data loss,
//! "cannot log in", money taken, a deadline) or its absence (a how-to, a feature request).
//! Priority is barely learnable from a few hundred tickets' text alone, so the rules do
//! two jobs: their hits join the priority model's features (the model learns how much
//! each is worth on the desk's own tickets), and with no model they decide alone
//! ([`rule_priority`]).
//!
//! Phrases are matched on the words of [`crate::features::tokenize`] (lower-case,
//! apostrophes dropped: `can't` → `cant`); a word ending in `*` matches any word that
//! starts with it.

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

/// The rules, most urgent first.
pub const RULES: &[Rule] = &[
    Rule {
        name: "rule:outage",
        priority: Priority::Critical,
        phrases: &[
            "outage",
            "is down",
            "are down",
            "went down",
            "site down",
            "service down",
            "production down",
            "down for",
            "all users",
            "all customers",
            "all our users",
            "everyone",
            "nobody can",
            "no one can",
            "entire team",
            "whole team",
            "whole company",
            "all of our",
            "widespread",
        ],
    },
    Rule {
        name: "rule:breach",
        priority: Priority::Critical,
        phrases: &[
            "breach",
            "breached",
            "data leak",
            "leaked",
            "leaking",
            "hacked",
            "unauthorized access",
            "unauthorised access",
            "security incident",
            "exposed",
            "exploit*",
            "vulnerab*",
            "phishing",
            "malware",
        ],
    },
    Rule {
        name: "rule:data_loss",
        priority: Priority::Critical,
        phrases: &[
            "data loss",
            "lost all",
            "lost our",
            "deleted all",
            "data is gone",
            "all data",
            "wiped",
            "disappeared",
            "missing data",
            "corrupt*",
        ],
    },
    Rule {
        name: "rule:legal",
        priority: Priority::Critical,
        phrases: &[
            "lawsuit",
            "legal action",
            "lawyer",
            "court",
            "regulator",
            "gdpr",
            "subpoena",
            "compliance deadline",
            "audit deadline",
        ],
    },
    Rule {
        name: "rule:login",
        priority: Priority::High,
        phrases: &[
            "cannot log in",
            "cant log in",
            "can not log in",
            "cannot login",
            "cant login",
            "unable to log",
            "unable to login",
            "locked out",
            "cannot access",
            "cant access",
            "cannot sign in",
            "cant sign in",
            "lost access",
            "compromised",
            "someone else",
        ],
    },
    Rule {
        name: "rule:money",
        priority: Priority::High,
        phrases: &[
            "charged twice",
            "double charged",
            "charged again",
            "overcharged",
            "charged me",
            "wrong amount",
            "unauthorized charge",
            "refund",
            "money",
            "debited",
            "taken from",
            "still charged",
            "billed twice",
        ],
    },
    Rule {
        name: "rule:deadline",
        priority: Priority::High,
        phrases: &[
            "deadline",
            "asap",
            "urgent",
            "urgently",
            "immediately",
            "right now",
            "by tomorrow",
            "by friday",
            "by monday",
            "end of day",
            "today",
            "tonight",
            "emergency",
        ],
    },
    Rule {
        name: "rule:blocked",
        priority: Priority::High,
        phrases: &[
            "blocked",
            "blocking",
            "cannot work",
            "cant work",
            "stopped working",
            "completely broken",
            "not working at all",
            "cannot use",
            "cant use",
            "stuck",
        ],
    },
    Rule {
        name: "rule:workaround",
        priority: Priority::Medium,
        phrases: &[
            "workaround",
            "slow",
            "sometimes",
            "intermittent*",
            "occasionally",
            "annoying",
        ],
    },
    Rule {
        name: "rule:howto",
        priority: Priority::Low,
        phrases: &[
            "how do i",
            "how can i",
            "how to",
            "is there a way",
            "is it possible",
            "where can i",
            "wondering",
            "question about",
            "curious",
        ],
    },
    Rule {
        name: "rule:request",
        priority: Priority::Low,
        phrases: &[
            "feature request",
            "would be nice",
            "would love",
            "suggestion",
            "suggest",
            "feedback",
            "typo",
            "cosmetic",
            "not urgent",
            "no rush",
            "whenever",
            "nice to have",
        ],
    },
];

/// The rules compiled for matching, once per process.
fn compiled() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| {
        let groups: Vec<&[&str]> = RULES.iter().map(|r| r.phrases).collect();
        PhraseSet::new(&groups)
    })
}

/// The rules whose wording occurs in `text`, in [`RULES`] order.
#[must_use]
pub fn rule_hits(text: &str) -> Vec<&'static Rule> {
    rule_hits_in(&Words::new(text))
}

/// [`rule_hits`] on words already cut.
#[must_use]
pub fn rule_hits_in(words: &Words) -> Vec<&'static Rule> {
    RULES
        .iter()
        .zip(compiled().hits(words))
        .filter_map(|(rule, hit)| hit.then_some(rule))
        .collect()
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
        assert!(names("thanks for the help").is_empty());
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
