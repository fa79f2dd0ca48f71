//! The outcome of a conformance run outside `#[test]`.

use std::any::Any;
use std::fmt;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// `group::behaviour`.
    pub name: &'static str,
    /// `None` when it passed; the panic message when it failed.
    pub failure: Option<String>,
}

impl CaseResult {
    /// Whether the case passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Pass or fail per case of a [`run_all`](super::run_all) run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every case run, in suite order.
    pub cases: Vec<CaseResult>,
}

impl Report {
    /// Records the outcome of a case (`Err` holds the panic payload).
    pub(super) fn record(&mut self, name: &'static str, outcome: Result<(), Box<dyn Any + Send>>) {
        let failure = outcome.err().map(|payload| panic_message(payload.as_ref()));
        self.cases.push(CaseResult { name, failure });
    }

    /// How many cases passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// How many cases failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// The failed cases.
    pub fn failures(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| !c.passed())
    }

    /// Whether every case passed (and at least one ran).
    #[must_use]
    pub fn is_success(&self) -> bool {
        !self.cases.is_empty() && self.failed() == 0
    }

    /// Prints one line per case and the `N passed, M failed` summary to stdout.
    pub fn print(&self) {
        print!("{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for case in &self.cases {
            match &case.failure {
                None => writeln!(f, "ok      {}", case.name)?,
                Some(why) => writeln!(
                    f,
                    "FAILED  {}: {}",
                    case.name,
                    why.replace('\n', "\n        ")
                )?,
            }
        }
        writeln!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

/// The message of a panic payload (`panic!` with a literal or a format string).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked with a non-string payload".to_string())
}
