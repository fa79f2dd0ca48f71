//! The skills a ticket needs, proposed for skills-match routing: the category itself,
//! the ticket's tags that name a known skill, and skills its wording points to
//! (`refund` → `refunds`, `2fa` → `login`…).

use crate::features::Words;
use crate::phrases::PhraseSet;
use std::sync::OnceLock;
use ticket_core::text::{Tag, Tags};

/// A skill and the words that point to it (a word ending in `*` matches by prefix).
const WORDING: &[(&str, &[&str])] = &[
    ("refunds", &["refund*", "chargeback*", "reimburs*"]),
    (
        "invoices",
        &["invoice*", "receipt*", "vat", "tax*", "billing address"],
    ),
    (
        "payments",
        &[
            "payment*", "card", "charge*", "declined", "checkout", "paypal", "sepa",
        ],
    ),
    (
        "subscriptions",
        &[
            "plan",
            "plans",
            "subscription*",
            "upgrade*",
            "downgrade*",
            "seats",
            "renew*",
            "trial",
        ],
    ),
    (
        "login",
        &[
            "login",
            "log",
            "logged",
            "password*",
            "2fa",
            "mfa",
            "otp",
            "sso",
            "saml",
            "sign",
            "locked",
        ],
    ),
    (
        "security",
        &[
            "breach*",
            "hacked",
            "compromised",
            "phishing",
            "suspicious",
            "leak*",
            "vulnerab*",
        ],
    ),
    (
        "integrations",
        &[
            "api",
            "webhook*",
            "integration*",
            "zapier",
            "slack",
            "token*",
            "oauth",
        ],
    ),
    (
        "performance",
        &["slow*", "latency", "timeout*", "lag*", "loading"],
    ),
    (
        "data",
        &["export*", "import*", "csv", "sync*", "backup*", "migrat*"],
    ),
    ("mobile", &["ios", "android", "iphone", "mobile", "tablet"]),
    (
        "email",
        &["email*", "e mail", "inbox", "spam", "notification*"],
    ),
    (
        "outage",
        &["outage", "down", "500", "502", "503", "unavailable"],
    ),
];

/// Every skill this module can propose (the categories' names aside).
#[must_use]
pub fn known_skills() -> Vec<&'static str> {
    WORDING.iter().map(|(s, _)| *s).collect()
}

/// The skills for a ticket in `category` with `tags`, worded as `text`: the category,
/// then the tags that are known skills, then the skills the wording points to; at most
/// `max`, without repeats. A pattern of several words matches them in sequence.
#[must_use]
pub fn propose(category: Option<&str>, tags: &Tags, text: &str, max: usize) -> Vec<Tag> {
    propose_in(category, tags, &Words::new(text), max)
}

/// The wording compiled for matching, once per process.
fn compiled() -> &'static PhraseSet {
    static SET: OnceLock<PhraseSet> = OnceLock::new();
    SET.get_or_init(|| {
        let groups: Vec<&[&str]> = WORDING.iter().map(|(_, patterns)| *patterns).collect();
        PhraseSet::new(&groups)
    })
}

/// [`propose`] on words already cut.
#[must_use]
pub fn propose_in(category: Option<&str>, tags: &Tags, words: &Words, max: usize) -> Vec<Tag> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    if let Some(c) = category {
        push(c);
    }
    let known = known_skills();
    for t in tags.iter() {
        if known.contains(&t.as_str()) {
            push(t.as_str());
        }
    }
    for ((skill, _), hit) in WORDING.iter().zip(compiled().hits(words)) {
        if hit {
            push(skill);
        }
    }
    out.into_iter()
        .filter_map(|s| Tag::parse(s).ok())
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Tag]) -> Vec<&str> {
        v.iter().map(Tag::as_str).collect()
    }

    #[test]
    fn proposes_category_tags_and_wording_skills() {
        let tags = Tags::parse(&["mobile", "vip"]).expect("tags");
        let s = propose(
            Some("billing"),
            &tags,
            "Charged twice for my subscription, please refund",
            8,
        );
        assert_eq!(
            names(&s),
            ["billing", "mobile", "refunds", "payments", "subscriptions"]
        );
    }

    #[test]
    fn is_bounded_and_empty_without_signals() {
        assert!(propose(None, &Tags::empty(), "hello there", 5).is_empty());
        let many = propose(
            Some("technical"),
            &Tags::empty(),
            "refund invoice card plan password hacked api slow export ios email outage",
            4,
        );
        assert_eq!(many.len(), 4);
    }
}
