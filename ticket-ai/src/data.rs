//! Labelled text from CSV files (RFC 4180, quoted multi-line fields, CRLF or LF), with
//! the text and label columns named by the caller, since data sets differ; and the
//! ticket sample shipped in the crate for the day-one model.

use crate::error::AiError;
use std::io::Read;

/// One labelled row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The text columns joined by a line break.
    pub text: String,
    /// The label column.
    pub label: String,
}

/// The 480 tickets shipped for the day-one model (`data/tickets.csv`, CC0):
/// `title,description,category,priority`.
pub const SHIPPED_TICKETS: &str = include_str!("../data/tickets.csv");

/// Reads `text` columns and the `label` column of a CSV from `reader` (header row first).
///
/// # Errors
/// [`AiError::Csv`] on malformed CSV or a missing column.
pub fn read_rows(reader: impl Read, text: &[&str], label: &str) -> Result<Vec<Row>, AiError> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(reader);
    let headers = r.headers()?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| AiError::Csv(format!("no column `{name}` (columns: {headers:?})")))
    };
    let text_cols: Vec<usize> = text.iter().map(|c| find(c)).collect::<Result<_, _>>()?;
    let label_col = find(label)?;
    let mut rows = Vec::new();
    for record in r.records() {
        let record = record?;
        let parts: Vec<&str> = text_cols
            .iter()
            .filter_map(|c| record.get(*c))
            .filter(|s| !s.trim().is_empty())
            .collect();
        rows.push(Row {
            text: parts.join("\n"),
            label: record.get(label_col).unwrap_or_default().trim().to_string(),
        });
    }
    Ok(rows)
}

/// Reads a CSV file (see [`read_rows`]).
///
/// # Errors
/// [`AiError::Io`] when the file cannot be opened; [`AiError::Csv`].
pub fn read_file(path: &std::path::Path, text: &[&str], label: &str) -> Result<Vec<Row>, AiError> {
    read_rows(std::fs::File::open(path)?, text, label)
}

/// The text of a ticket as the models read it: title, a line break, description.
#[must_use]
pub fn ticket_text(title: &str, description: &str) -> String {
    format!("{title}\n{description}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_named_columns_with_quoted_multiline_fields() {
        let csv = "title,description,category\r\nA,\"line one\r\nline \"\"two\"\"\",billing\r\nB,,general\r\n";
        let rows = read_rows(csv.as_bytes(), &["title", "description"], "category").expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].text, "A\nline one\r\nline \"two\"");
        assert_eq!(rows[0].label, "billing");
        assert_eq!(rows[1].text, "B");
        let err = read_rows(csv.as_bytes(), &["body"], "category").unwrap_err();
        assert!(err.to_string().contains("no column `body`"), "{err}");
    }

    #[test]
    fn the_shipped_sample_has_every_default_category_and_priority() {
        let cats = read_rows(
            SHIPPED_TICKETS.as_bytes(),
            &["title", "description"],
            "category",
        )
        .expect("shipped");
        assert_eq!(cats.len(), 480);
        for c in ["billing", "technical", "account", "general"] {
            assert_eq!(cats.iter().filter(|r| r.label == c).count(), 120, "{c}");
        }
        let pris = read_rows(SHIPPED_TICKETS.as_bytes(), &["title"], "priority").expect("shipped");
        for p in ["low", "medium", "high", "critical"] {
            assert!(pris.iter().any(|r| r.label == p), "{p}");
        }
    }
}
