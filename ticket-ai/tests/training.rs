//! Training on the shipped sample: a held-out floor on accuracy and calibration, and
//! retraining that learns a category of the desk's own and swaps it in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ticket_ai::data::{read_rows, SHIPPED_TICKETS};
use ticket_ai::metrics::{Outcome, Report};
use ticket_ai::model::stratified_folds;
use ticket_ai::{LexicalClassifier, LexicalConfig, ModelOptions, TextModel};
use ticket_core::id::TicketId;
use ticket_core::ports::{Classifier, TrainingExample};
use ticket_core::text::{Category, Tags};
use ticket_core::ticket::Priority;

#[test]
fn a_model_trained_on_four_fifths_of_the_sample_classifies_the_rest() {
    let rows = read_rows(
        SHIPPED_TICKETS.as_bytes(),
        &["title", "description"],
        "category",
    )
    .unwrap();
    let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let folds = stratified_folds(&labels, 5, 3);
    let (train, test): (Vec<_>, Vec<_>) =
        rows.iter().enumerate().partition(|(i, _)| folds[*i] != 0);
    let texts: Vec<String> = train.iter().map(|(_, r)| r.text.clone()).collect();
    let ys: Vec<String> = train.iter().map(|(_, r)| r.label.clone()).collect();
    let model = TextModel::train(&texts, &ys, &ModelOptions::default()).unwrap();
    let outcomes: Vec<Outcome> = test
        .iter()
        .map(|(_, r)| {
            let (label, p) = model
                .predict(&r.text)
                .best()
                .map(|(l, p)| (l.to_string(), p))
                .unwrap();
            Outcome {
                truth: r.label.clone(),
                predicted: label,
                confidence: p,
                abstained: p < 0.5,
                in_scope: p,
            }
        })
        .collect();
    let report = Report::of(&outcomes);
    assert_eq!(report.rows, 96);
    assert!(
        report.accuracy >= 0.80,
        "held-out accuracy {}",
        report.accuracy
    );
    assert!(
        report.macro_f1 >= 0.80,
        "held-out macro-F1 {}",
        report.macro_f1
    );
    assert!(report.ece <= 0.12, "held-out ECE {}", report.ece);
    assert!(report.coverage >= 0.8, "coverage {}", report.coverage);
}

#[tokio::test]
async fn retraining_learns_the_desks_own_category_and_swaps_it_in() {
    let classifier = LexicalClassifier::day_one(LexicalConfig::default()).unwrap();
    let before = classifier.classify_text(
        "Parcel never arrived",
        "The courier lost my parcel, tracking stuck",
        &Tags::empty(),
    );
    assert_ne!(
        before.category.as_ref().map(|c| c.value.as_str()),
        Some("shipping")
    );
    let shipping = [
        "Parcel never arrived, the courier says it was delivered",
        "Tracking number shows no movement for a week",
        "Package arrived damaged, the box was crushed by the courier",
        "Wrong delivery address on my parcel, can the courier reroute it",
        "Delivery is late, tracking stuck at the depot",
        "Courier left the package at the wrong house",
        "When will my order ship? No tracking number yet",
        "Parcel returned to sender by the courier",
    ];
    let examples: Vec<TrainingExample> = shipping
        .iter()
        .map(|t| TrainingExample {
            ticket_id: TicketId::new(),
            text: (*t).to_string(),
            category: Category::parse("shipping").unwrap(),
            priority: Priority::Medium,
        })
        .collect();
    let report = classifier.retrain(examples).await.unwrap();
    assert_eq!((report.examples, report.rows), (8, 488));
    assert!(report.categories.contains(&"shipping".to_string()));
    let after = classifier.classify_text(
        "My parcel never arrived",
        "tracking stuck, courier lost it",
        &Tags::empty(),
    );
    let cat = after.category.expect("sure enough");
    assert_eq!(cat.value.as_str(), "shipping");
    assert!(cat.confidence > 0.5);
    // The defaults are still known.
    let billing = classifier.classify_text(
        "Refund please",
        "I was charged twice on my card",
        &Tags::empty(),
    );
    assert_eq!(billing.category.unwrap().value.as_str(), "billing");
}

#[test]
fn unsure_predictions_abstain_and_say_so() {
    let strict = LexicalClassifier::day_one(LexicalConfig {
        category_threshold: 0.999,
        priority_threshold: 0.999,
        ..LexicalConfig::default()
    })
    .unwrap();
    let c = strict.classify_text("hello", "just a note", &Tags::empty());
    assert!(c.category.is_none());
    assert!(c.abstained.contains(&"category".to_string()));
    assert!(c.abstained.contains(&"priority".to_string()));
    // The day-one priority model weighs the wording rules itself (its second stage):
    // an unsure one abstains instead of being overridden by a rule...
    let outage = ("Site down", "The whole site is down for all users");
    assert!(strict.models().priority().weighs_rules());
    let unsure = strict.classify_text(outage.0, outage.1, &Tags::empty());
    assert!(unsure.priority.is_none());
    // ...and at the default thresholds the outage wording makes it critical.
    let default = LexicalClassifier::day_one(LexicalConfig::default()).unwrap();
    let sure = default.classify_text(outage.0, outage.1, &Tags::empty());
    let priority = sure.priority.unwrap();
    assert_eq!(priority.value, Priority::Critical);
    assert!(priority.confidence >= 0.5, "{}", priority.confidence);
}

#[test]
fn priority_by_cross_validation_keeps_its_floor_and_finds_critical_tickets() {
    use ticket_ai::eval::{eval, EvalArgs};
    let args = EvalArgs {
        train: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/tickets.csv"),
        test: None,
        text: vec!["title".into(), "description".into()],
        label: "priority".into(),
        folds: 5,
        fold_seed: 42,
        threshold: 0.5,
        rules: true,
        oos_label: None,
        train_oos: false,
        val: None,
        min_in_scope_accuracy: 0.93,
        in_scope_z: 1.645,
        errors: None,
        options: ModelOptions::default(),
    };
    let report = eval(&args).unwrap();
    let f1 = report["macro_f1"].as_f64().unwrap();
    let critical = report["per_class"]["critical"]["recall"].as_f64().unwrap();
    // 0.720 and 0.595 when written; unbalanced training gave 0.690 and 0.452; the
    // second stage that weighs the wording rules (`ticket_ai::stack`) 0.805 and 0.929.
    assert!(f1 >= 0.76, "priority macro-F1 {f1}");
    assert!(critical >= 0.8, "critical recall {critical}");
    assert!(report["ece"].as_f64().unwrap() <= 0.06, "{report}");
}
