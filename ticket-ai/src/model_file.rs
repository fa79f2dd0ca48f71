//! The file the lexical models live in between runs: [`TicketModels`] as one versioned
//! JSON document, written atomically (a temporary file beside it, synced, then renamed),
//! so a crash mid-write leaves the previous file whole and a reader never sees half a
//! model. [`LexicalClassifier::open`](crate::LexicalClassifier::open) loads it at start
//! and falls back to training the day-one models when it is missing, corrupt or of
//! another format version.

use crate::classifier::{LexicalClassifier, LexicalConfig};
use crate::error::AiError;
use crate::model::TextModel;
use crate::ticket_models::TicketModels;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What the `format` field of a model file says.
pub const FORMAT: &str = "ticket-ai/lexical-models";

/// The version of the layout [`save`] writes; [`load`] refuses any other (its models
/// would not read the same features). Bump it whenever the features, the rules or the
/// model's serialised form change: an older file is then retrained, not misread.
pub const VERSION: u32 = 2;

/// Where the models a classifier uses came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelOrigin {
    /// Read from the model file (no training at start).
    Loaded,
    /// Trained now from the shipped sample: there was no model file.
    Trained,
    /// Trained now from the shipped sample because the model file was unusable
    /// (corrupt, another format version); the file was rewritten.
    Recovered,
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: &'a str,
    version: u32,
    category: &'a TextModel,
    priority: &'a TextModel,
}

/// The first fields, read before the models so an old layout is named as such.
#[derive(Deserialize)]
struct Header {
    format: String,
    version: u32,
}

#[derive(Deserialize)]
struct FileIn {
    category: TextModel,
    priority: TextModel,
}

/// Writes `models` to `path` atomically, creating its directory when missing.
///
/// # Errors
/// [`AiError::Io`] or [`AiError::Format`]; `path` is then left as it was.
pub fn save(models: &TicketModels, path: &Path) -> Result<(), AiError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let temp: PathBuf = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write(models, &temp).and_then(|()| Ok(std::fs::rename(&temp, path)?));
    if written.is_err() {
        std::fs::remove_file(&temp).ok();
    }
    written
}

/// Writes the file readable by its owner only: a retrained model is derived from the
/// desk's tickets.
fn write(models: &TicketModels, temp: &Path) -> Result<(), AiError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(temp)?;
    let mut out = std::io::BufWriter::new(file);
    serde_json::to_writer(
        &mut out,
        &FileOut {
            format: FORMAT,
            version: VERSION,
            category: models.category(),
            priority: models.priority(),
        },
    )?;
    out.flush()?;
    out.get_ref().sync_all()?;
    Ok(())
}

/// Reads models written by [`save`].
///
/// # Errors
/// [`AiError::Io`] (`NotFound` when there is no file), [`AiError::ModelFile`] for
/// another format or version or models whose parts disagree, [`AiError::Format`] for
/// a file that does not parse.
pub fn load(path: &Path) -> Result<TicketModels, AiError> {
    let bytes = std::fs::read(path)?;
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| AiError::ModelFile(format!("no format header: {e}")))?;
    if header.format != FORMAT || header.version != VERSION {
        return Err(AiError::ModelFile(format!(
            "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
            header.format, header.version
        )));
    }
    let file: FileIn = serde_json::from_slice(&bytes)?;
    Ok(TicketModels::new(
        file.category.checked()?,
        file.priority.checked()?,
    ))
}

impl LexicalClassifier {
    /// A classifier whose models live in `path`: loaded from it when it holds valid
    /// models, else the day-one models (trained now) written to it. An unusable file
    /// (corrupt, another version) is logged as a warning and replaced; a file that cannot
    /// be written is logged too and the models are used anyway. Retrained models are
    /// saved to `path` as well. CPU-bound when it trains: call it off the async workers.
    ///
    /// # Errors
    /// As [`LexicalClassifier::day_one`], when training is needed and fails.
    pub fn open(config: LexicalConfig, path: &Path) -> Result<(Self, ModelOrigin), AiError> {
        let origin = match load(path) {
            Ok(models) => {
                let this = Self::with_model_file(models, config, Some(path.to_path_buf()));
                return Ok((this, ModelOrigin::Loaded));
            }
            Err(AiError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => ModelOrigin::Trained,
            Err(e) => {
                tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "unusable AI model file: training the day-one model again"
                );
                ModelOrigin::Recovered
            }
        };
        let models = TicketModels::day_one(&config.options)?;
        if let Err(e) = save(&models, path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot save the AI model");
        }
        let this = Self::with_model_file(models, config, Some(path.to_path_buf()));
        Ok((this, origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelOptions;

    fn models() -> TicketModels {
        let rows: Vec<(String, String, String)> = [
            ("charged twice, refund please", "billing", "high"),
            ("invoice amount is wrong", "billing", "medium"),
            ("app crashes on start", "technical", "high"),
            ("error 500 on upload", "technical", "medium"),
        ]
        .iter()
        .map(|(t, c, p)| (t.to_string(), c.to_string(), p.to_string()))
        .collect();
        let opts = ModelOptions {
            calibration_folds: 0,
            ..ModelOptions::default()
        };
        TicketModels::train(&rows, &opts).expect("train")
    }

    #[test]
    fn round_trips_and_refuses_other_formats() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("sub").join("models.json");
        let m = models();
        save(&m, &path).expect("save");
        assert_eq!(load(&path).expect("load"), m);
        // Only the file itself is left: the temporary one was renamed.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["models.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let old = text.replacen(&format!("\"version\":{VERSION}"), "\"version\":0", 1);
        assert_ne!(old, text);
        std::fs::write(&path, old).expect("write");
        assert!(matches!(load(&path), Err(AiError::ModelFile(_))));
        std::fs::write(&path, &text[..text.len() / 2]).expect("write");
        assert!(load(&path).is_err());
        std::fs::write(&path, b"{\"labels\": 3}").expect("write");
        assert!(matches!(load(&path), Err(AiError::ModelFile(_))));
        let missing = load(&dir.path().join("none.json"));
        assert!(matches!(missing, Err(AiError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound));
    }

    #[test]
    fn open_trains_once_then_loads_and_recovers_from_a_corrupt_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("models.json");
        let (first, origin) =
            LexicalClassifier::open(LexicalConfig::default(), &path).expect("open");
        assert_eq!(origin, ModelOrigin::Trained);
        assert!(path.exists());
        let (second, origin) =
            LexicalClassifier::open(LexicalConfig::default(), &path).expect("open");
        assert_eq!(origin, ModelOrigin::Loaded);
        assert_eq!(*second.models(), *first.models());
        std::fs::write(&path, b"not json at all").expect("write");
        let (_, origin) = LexicalClassifier::open(LexicalConfig::default(), &path).expect("open");
        assert_eq!(origin, ModelOrigin::Recovered);
        assert!(load(&path).is_ok(), "the corrupt file was replaced");
        // A retrained pair is saved and read back by the next start.
        let example = ticket_core::ports::TrainingExample {
            ticket_id: ticket_core::id::TicketId::new(),
            text: "zebra quota exceeded on the widget".into(),
            category: ticket_core::text::Category::parse("technical").expect("category"),
            priority: ticket_core::ticket::Priority::High,
        };
        let report = second.retrain_blocking(&[example]).expect("retrain");
        let (third, origin) =
            LexicalClassifier::open(LexicalConfig::default(), &path).expect("open");
        assert_eq!(origin, ModelOrigin::Loaded);
        assert_eq!(third.models().category().rows(), report.rows);
        assert_eq!(*third.models(), *second.models());
    }
}
