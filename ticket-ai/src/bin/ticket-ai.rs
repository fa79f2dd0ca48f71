//! `ticket-ai`: quality as numbers. `eval` trains and scores a classifier, `faq-eval`
//! ranks FAQ entries for queries; each prints one JSON object on its last line.
//!
//! Flags are parsed by hand: two subcommands with a few flags each do not justify a
//! parser crate in every build of the workspace.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use ticket_ai::eval::{eval, faq_eval, EvalArgs, FaqEvalArgs};
use ticket_ai::ModelOptions;

const USAGE: &str = "usage:
  ticket-ai eval --train TRAIN.csv [--test TEST.csv | --folds 5] --text COL[,COL…] --label COL
                 [--model lexical] [--threshold 0.5] [--rules] [--no-rules] [--oos-label oos] [--train-oos]
                 [--val VAL.csv] [--min-in-scope-accuracy 0.93] [--balanced true]
                 [--epochs 30] [--l2 1e-5] [--learning-rate 0.5] [--calibration-folds 3]
                 [--min-df 1] [--char-min 3] [--char-max 5] [--bigrams true]
  ticket-ai faq-eval --faq FAQ.csv --queries Q.csv [--id faq_id] [--question question]
                     [--answer answer] [--text text] [--k1 2.0] [--b 0.75] [--question-weight 8]
                     [--null-score 13]";

fn flags(args: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {a:?}"))?;
        if matches!(name, "rules" | "no-rules" | "train-oos") {
            out.insert(name.to_string(), String::new());
            continue;
        }
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        out.insert(name.to_string(), value.clone());
    }
    Ok(out)
}

fn parse<T: std::str::FromStr>(
    f: &HashMap<String, String>,
    name: &str,
    default: T,
) -> Result<T, String> {
    f.get(name).map_or(Ok(default), |v| {
        v.parse()
            .map_err(|_| format!("--{name}: cannot parse {v:?}"))
    })
}

fn required<'a>(f: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    f.get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("--{name} is required"))
}

fn run(args: &[String]) -> Result<serde_json::Value, String> {
    let (cmd, rest) = args.split_first().ok_or("no command")?;
    let f = flags(rest)?;
    match cmd.as_str() {
        "eval" => {
            let model = f.get("model").map_or("lexical", String::as_str);
            if model != "lexical" {
                return Err(format!(
                    "--model {model}: this build has the lexical model only (the embeddings model is not implemented yet)"
                ));
            }
            let label = required(&f, "label")?.to_string();
            let defaults = ModelOptions::default();
            let options = ModelOptions {
                min_df: parse(&f, "min-df", defaults.min_df)?,
                calibration_folds: parse(&f, "calibration-folds", defaults.calibration_folds)?,
                train: ticket_ai::linear::TrainOptions {
                    epochs: parse(&f, "epochs", defaults.train.epochs)?,
                    l2: parse(&f, "l2", defaults.train.l2)?,
                    learning_rate: parse(&f, "learning-rate", defaults.train.learning_rate)?,
                    balanced: parse(&f, "balanced", defaults.train.balanced)?,
                    ..defaults.train
                },
                spec: ticket_ai::features::FeatureSpec {
                    char_min: parse(&f, "char-min", defaults.spec.char_min)?,
                    char_max: parse(&f, "char-max", defaults.spec.char_max)?,
                    bigrams: parse(&f, "bigrams", defaults.spec.bigrams)?,
                },
                ..defaults
            };
            let rules =
                f.contains_key("rules") || (label == "priority" && !f.contains_key("no-rules"));
            let a = EvalArgs {
                train: PathBuf::from(required(&f, "train")?),
                test: f.get("test").map(PathBuf::from),
                text: required(&f, "text")?
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .collect(),
                label,
                folds: parse(&f, "folds", 5)?,
                threshold: parse(&f, "threshold", 0.5)?,
                rules,
                oos_label: f.get("oos-label").cloned(),
                val: f.get("val").map(PathBuf::from),
                train_oos: f.contains_key("train-oos"),
                min_in_scope_accuracy: parse(&f, "min-in-scope-accuracy", 0.93)?,
                options,
            };
            eval(&a).map_err(|e| e.to_string())
        }
        "faq-eval" => {
            let bm25 = ticket_ai::Bm25Config::default();
            let get = |name: &str, default: &str| {
                f.get(name).cloned().unwrap_or_else(|| default.to_string())
            };
            let a = FaqEvalArgs {
                faq: PathBuf::from(required(&f, "faq")?),
                queries: PathBuf::from(required(&f, "queries")?),
                id: get("id", "faq_id"),
                question: get("question", "question"),
                answer: get("answer", "answer"),
                text: get("text", "text"),
                config: ticket_ai::Bm25Config {
                    k1: parse(&f, "k1", bm25.k1)?,
                    b: parse(&f, "b", bm25.b)?,
                    question_weight: parse(&f, "question-weight", bm25.question_weight)?,
                    null_score: parse(&f, "null-score", bm25.null_score)?,
                    ..bm25
                },
            };
            faq_eval(&a).map_err(|e| e.to_string())
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(v) => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ticket-ai: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
