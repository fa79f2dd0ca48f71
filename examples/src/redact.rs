//! Keeping the database password out of messages and logs, twice over: the URL is shown
//! with its password replaced ([`url`], used by `Debug` of the configuration and by
//! error messages), and every log line the server writes passes through
//! [`RedactingWriter`], which replaces the password wherever a library might still print
//! it (a driver's connect options, an error quoting the URL), at every level.

use std::io::{self, Write};
use std::sync::Arc;
use tracing_subscriber::fmt::MakeWriter;

/// What replaces a secret.
const MASK: &str = "***";

/// Query parameters of a database URL that carry secrets (`?password=…`).
fn is_secret_param(name: &str) -> bool {
    name.to_ascii_lowercase().contains("password")
}

/// The parts of a URL: scheme end, end of the part before the query, and the userinfo
/// password's range, if any.
fn password_range(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let head_end = url.find(['?', '#']).unwrap_or(url.len());
    let at = url[..head_end].rfind('@').filter(|at| *at >= start)?;
    let colon = url[start..at].find(':')? + start;
    Some((colon + 1, at))
}

/// `url` with its password (in the userinfo or a `password=` query parameter) replaced
/// by `***`; other URLs unchanged.
#[must_use]
pub fn url(url: &str) -> String {
    let mut out = match password_range(url) {
        Some((from, to)) => format!("{}{MASK}{}", &url[..from], &url[to..]),
        None => url.to_string(),
    };
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if is_secret_param(k) => format!("{k}={MASK}"),
                _ => pair.to_string(),
            })
            .collect();
        out = format!("{head}{}", query.join("&"));
    }
    out
}

/// Every spelling of the secrets in `url` a log line might hold: the passwords as
/// written and percent-decoded.
#[must_use]
pub fn secrets_of(url: &str) -> Vec<String> {
    let mut raw = Vec::new();
    if let Some((from, to)) = password_range(url) {
        raw.push(url[from..to].to_string());
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=') {
                if is_secret_param(k) {
                    raw.push(v.to_string());
                }
            }
        }
    }
    let mut all: Vec<String> = raw
        .iter()
        .flat_map(|s| [s.clone(), percent_decode(s)])
        .filter(|s| !s.is_empty())
        .collect();
    // Longest first, so a secret containing another is replaced whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    all.dedup();
    all
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A [`MakeWriter`] for `tracing_subscriber` that writes to standard output with every
/// secret replaced by `***`. The fmt layer writes each event as one buffer, so a secret
/// is never split between two writes.
#[derive(Debug, Clone)]
pub struct RedactingWriter {
    secrets: Arc<Vec<String>>,
}

impl RedactingWriter {
    /// A writer hiding `secrets` (empty strings are ignored).
    #[must_use]
    pub fn new(secrets: Vec<String>) -> Self {
        Self {
            secrets: Arc::new(secrets.into_iter().filter(|s| !s.is_empty()).collect()),
        }
    }

    /// `text` with every secret replaced.
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |t, s| t.replace(s.as_str(), MASK))
    }
}

/// One write of a [`RedactingWriter`].
#[derive(Debug)]
pub struct Redacting {
    writer: RedactingWriter,
}

impl Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stdout().write_all(self.writer.scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().flush()
    }
}

impl<'a> MakeWriter<'a> for RedactingWriter {
    type Writer = Redacting;

    fn make_writer(&'a self) -> Self::Writer {
        Redacting {
            writer: self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            url("postgres://u:p@ss/w0rd@h/db?sslmode=require&password=other"),
            "postgres://u:***@h/db?sslmode=require&password=***"
        );
        assert_eq!(url("postgres://h/db?user=a@b"), "postgres://h/db?user=a@b");
        assert_eq!(url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(url("sqlite://a.db"), "sqlite://a.db");
    }

    #[test]
    fn secrets_are_found_as_written_and_decoded_and_scrubbed() {
        let s = secrets_of("postgres://u:s3cr%21t@h/db?sslpassword=k%40y&x=1");
        for want in ["s3cr%21t", "s3cr!t", "k%40y", "k@y"] {
            assert!(s.contains(&want.to_string()), "{want} in {s:?}");
        }
        let w = RedactingWriter::new(s);
        assert_eq!(
            w.scrub("connect to u:s3cr!t@h failed (s3cr%21t)"),
            "connect to u:***@h failed (***)"
        );
        assert!(secrets_of("sqlite://a.db").is_empty());
        assert_eq!(percent_decode("100%"), "100%");
    }
}
