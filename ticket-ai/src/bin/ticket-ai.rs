//! `ticket-ai`: quality as numbers. `eval` trains and scores a classifier, `faq-eval`
//! ranks FAQ entries for queries; each prints one JSON object on its last line.
//!
//! Flags are parsed by hand: two subcommands with a few flags each do not justify a
//! parser crate in every build of the workspace.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use ticket_ai::eval::{eval, faq_eval, EvalArgs, FaqEvalArgs};
use ticket_ai::nb::NbScaling;
use ticket_ai::ModelOptions;

const USAGE: &str = "usage:
  ticket-ai eval --train TRAIN.csv [--test TEST.csv | --folds 5 [--fold-seed 42]] --text COL[,COL…] --label COL
                 [--model lexical|embeddings] [--threshold 0.5] [--rules] [--no-rules] [--oos-label oos]
                 [--train-oos] [--val VAL.csv] [--min-in-scope-accuracy 0.93]
                 [--in-scope-z 1.645] [--balanced true]
                 [--epochs 30] [--l2 1e-5] [--learning-rate 0.5] [--calibration-folds 3] [--view-folds 10]
                 [--min-df 3] [--word-min-df 1] [--char-min 3] [--char-max 5] [--bigrams true]
                 [--nb true] [--nb-alpha 1] [--nb-floor 1] [--nb-power 0.5]
                 [--errors ERRORS.csv]
                 embeddings only: [--model-dir DIR] [--max-tokens 64] [--scale 4] [--lexical true]
                   [--fine-tune-layers 0]
                   [--zero-shot [--domains domains.json] [--descriptions LABELS.csv]
                    [--zero-shot-temperature 0.03] [--zero-shot-centred true]]
  ticket-ai faq-eval --faq FAQ.csv --queries Q.csv [--id faq_id] [--question question]
                     [--answer answer] [--text text] [--model lexical|embeddings]
                     lexical: [--k1 2.0] [--b 0.75] [--question-weight 8] [--null-score 13]
                     embeddings: [--model-dir DIR] [--max-tokens 64] [--question-weight 0.7]
                       [--temperature 0.05] [--null-cosine 0.45]
  The embeddings model (a build with the feature `embeddings`) is read from --model-dir
  or TICKET_AI_MODEL_DIR.";

/// Parsed `--name value` flags.
type Flags = HashMap<String, String>;

fn flags(args: &[String]) -> Result<Flags, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {a:?}"))?;
        if matches!(name, "rules" | "no-rules" | "train-oos" | "zero-shot") {
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

/// The naive Bayes column scales from `--nb true|false`, `--nb-alpha`, `--nb-floor` and
/// `--nb-power` (each defaulting to `default`'s, or to [`NbScaling::default`]).
fn nb_scaling(f: &Flags, default: Option<NbScaling>) -> Result<Option<NbScaling>, String> {
    if !parse(f, "nb", default.is_some())? {
        return Ok(None);
    }
    let d = default.unwrap_or_default();
    Ok(Some(NbScaling {
        alpha: parse(f, "nb-alpha", d.alpha)?,
        floor: parse(f, "nb-floor", d.floor)?,
        power: parse(f, "nb-power", d.power)?,
    }))
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
            if !matches!(model, "lexical" | "embeddings") {
                return Err(format!("--model {model}: lexical or embeddings"));
            }
            let label = required(&f, "label")?.to_string();
            let defaults = if label == "priority" {
                ModelOptions::default().priority_recipe()
            } else {
                ModelOptions::default()
            };
            let options = ModelOptions {
                min_df: parse(&f, "min-df", defaults.min_df)?,
                word_min_df: match f.get("word-min-df") {
                    Some(_) => Some(parse(&f, "word-min-df", 1)?),
                    None => defaults.word_min_df,
                },
                calibration_folds: parse(&f, "calibration-folds", defaults.calibration_folds)?,
                view_folds: parse(&f, "view-folds", defaults.view_folds)?,
                train: ticket_ai::linear::TrainOptions {
                    epochs: parse(&f, "epochs", defaults.train.epochs)?,
                    l2: parse(&f, "l2", defaults.train.l2)?,
                    learning_rate: parse(&f, "learning-rate", defaults.train.learning_rate)?,
                    balanced: parse(&f, "balanced", defaults.train.balanced)?,
                    nb: nb_scaling(&f, defaults.train.nb)?,
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
                fold_seed: parse(&f, "fold-seed", 42)?,
                threshold: parse(&f, "threshold", 0.5)?,
                rules,
                oos_label: f.get("oos-label").cloned(),
                val: f.get("val").map(PathBuf::from),
                train_oos: f.contains_key("train-oos"),
                min_in_scope_accuracy: parse(&f, "min-in-scope-accuracy", 0.93)?,
                in_scope_z: parse(&f, "in-scope-z", 1.645)?,
                errors: f.get("errors").map(PathBuf::from),
                options,
            };
            if model == "embeddings" {
                return embeddings::eval(&f, &a);
            }
            if f.contains_key("zero-shot") {
                return Err("--zero-shot needs --model embeddings".into());
            }
            eval(&a).map_err(|e| e.to_string())
        }
        "faq-eval" => {
            let model = f.get("model").map_or("lexical", String::as_str);
            if model == "embeddings" {
                return embeddings::faq_eval(&f);
            }
            if model != "lexical" {
                return Err(format!("--model {model}: lexical or embeddings"));
            }
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

/// `--model embeddings`: the sentence-vector models (feature `embeddings`).
#[cfg(feature = "embeddings")]
mod embeddings {
    use super::{parse, required, Flags};
    use std::path::{Path, PathBuf};
    use ticket_ai::embed::eval::{EmbeddedFaqs, FineTuneLearner, HeadLearner, ZeroShotLearner};
    use ticket_ai::embed::{
        encoder::MAX_TOKENS, zero_shot, Embedder, EmbeddingFaqConfig, HeadOptions, MODEL_DIR_VAR,
    };
    use ticket_ai::eval::{eval_with, faq_eval_with, EvalArgs, FaqEvalArgs, FaqSet};

    fn embedder(f: &Flags) -> Result<Embedder, String> {
        let dir = f
            .get("model-dir")
            .cloned()
            .or_else(|| std::env::var(MODEL_DIR_VAR).ok())
            .filter(|d| !d.trim().is_empty())
            .ok_or_else(|| format!("--model embeddings needs --model-dir or {MODEL_DIR_VAR}"))?;
        let max_tokens = parse(f, "max-tokens", MAX_TOKENS)?;
        Embedder::load(Path::new(dir.trim()))
            .and_then(|e| e.with_max_tokens(max_tokens))
            .map_err(|e| e.to_string())
    }

    pub fn eval(f: &Flags, a: &EvalArgs) -> Result<serde_json::Value, String> {
        let embedder = embedder(f)?;
        let mut out = if f.contains_key("zero-shot") {
            let temperature = parse(f, "zero-shot-temperature", zero_shot::TEMPERATURE)?;
            let mut learner = ZeroShotLearner::new(&embedder, temperature).centred(parse(
                f,
                "zero-shot-centred",
                true,
            )?);
            if let Some(p) = f.get("domains") {
                learner = learner
                    .with_domains(Path::new(p))
                    .map_err(|e| e.to_string())?;
            }
            if let Some(p) = f.get("descriptions") {
                learner = learner
                    .with_descriptions(Path::new(p))
                    .map_err(|e| e.to_string())?;
            }
            let mut out = eval_with(a, &mut learner).map_err(|e| e.to_string())?;
            out["model"] = "embeddings:zero-shot".into();
            out
        } else {
            let d = HeadOptions::default();
            let options = HeadOptions {
                scale: parse(f, "scale", d.scale)?,
                lexical: parse(f, "lexical", d.lexical)?,
                calibration_folds: a.options.calibration_folds,
                train: ticket_ai::linear::TrainOptions {
                    epochs: parse(f, "epochs", d.train.epochs)?,
                    nb: super::nb_scaling(f, d.train.nb)?,
                    ..a.options.train
                },
                ..d
            };
            let layers = parse(f, "fine-tune-layers", 0)?;
            let mut out = if layers > 0 {
                let tune = ticket_ai::embed::fine_tune::FineTuneOptions {
                    layers,
                    ..Default::default()
                };
                let mut learner = FineTuneLearner::new(&embedder, options, tune);
                eval_with(a, &mut learner).map_err(|e| e.to_string())?
            } else {
                eval_with(a, &mut HeadLearner::new(&embedder, options))
                    .map_err(|e| e.to_string())?
            };
            out["model"] = "embeddings".into();
            out["fine_tune_layers"] = layers.into();
            out
        };
        out["model_dir"] = embedder.dir().display().to_string().into();
        out["max_tokens"] = embedder.max_tokens().into();
        Ok(out)
    }

    pub fn faq_eval(f: &Flags) -> Result<serde_json::Value, String> {
        let embedder = embedder(f)?;
        let get =
            |name: &str, default: &str| f.get(name).cloned().unwrap_or_else(|| default.to_string());
        let d = EmbeddingFaqConfig::default();
        let config = EmbeddingFaqConfig {
            question_weight: parse(f, "question-weight", d.question_weight)?,
            temperature: parse(f, "temperature", d.temperature)?,
            null_cosine: parse(f, "null-cosine", d.null_cosine)?,
        };
        let args = FaqEvalArgs {
            faq: PathBuf::from(required(f, "faq")?),
            queries: PathBuf::from(required(f, "queries")?),
            id: get("id", "faq_id"),
            question: get("question", "question"),
            answer: get("answer", "answer"),
            text: get("text", "text"),
            config: ticket_ai::Bm25Config::default(),
        };
        let set = FaqSet::read(&args).map_err(|e| e.to_string())?;
        let ranker = EmbeddedFaqs::new(&embedder, &set, config).map_err(|e| e.to_string())?;
        let mut out = faq_eval_with(&set, &ranker);
        out["model"] = "embeddings".into();
        out["max_tokens"] = embedder.max_tokens().into();
        Ok(out)
    }
}

/// Without the feature: a clear refusal.
#[cfg(not(feature = "embeddings"))]
mod embeddings {
    use super::Flags;
    use ticket_ai::eval::EvalArgs;

    const MISSING: &str =
        "--model embeddings: this binary was built without the cargo feature `embeddings`";

    pub fn eval(_: &Flags, _: &EvalArgs) -> Result<serde_json::Value, String> {
        Err(MISSING.into())
    }

    pub fn faq_eval(_: &Flags) -> Result<serde_json::Value, String> {
        Err(MISSING.into())
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
