//! Working time as real instants: each local date's intervals mapped to UTC spans.

use super::{BusinessCalendar, WorkInterval, MINUTES_PER_DAY};
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::Tz;

/// A stretch of working time `[start, end)` in real time.
pub(super) type Span = (DateTime<Utc>, DateTime<Utc>);

/// Which instant an ambiguous local time maps to.
#[derive(Clone, Copy)]
enum Edge {
    /// The start of an interval: the earliest instant.
    Start,
    /// The end of an interval: the latest instant.
    End,
}

impl BusinessCalendar {
    /// The working spans within `[from, until)`, clipped to it, in order and disjoint
    /// (time an unsorted, unvalidated day would list out of order is dropped, never
    /// counted twice).
    ///
    /// Lazy: it walks local dates from the one before `from` (whose intervals may reach
    /// past a local midnight made ambiguous by DST) to the one of `until`.
    pub(super) fn spans(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> impl Iterator<Item = Span> + '_ {
        let first = self.local_date(from);
        let first = first.pred_opt().unwrap_or(first);
        let last = self.local_date(until);
        first
            .iter_days()
            .take_while(move |date| *date <= last)
            .filter(move |date| !self.holidays.contains(date))
            .flat_map(move |date| self.day_spans(date))
            .scan(from, move |covered, (start, end)| {
                // Clip to the window and to what earlier spans already covered.
                let start = start.max(*covered);
                let end = end.min(until);
                *covered = (*covered).max(end);
                Some((start < end).then_some((start, end)))
            })
            .flatten()
    }

    /// The local date of `at` in the calendar's time zone.
    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    /// The working spans of one local date (ignoring holidays), unclipped.
    fn day_spans(&self, date: NaiveDate) -> impl Iterator<Item = Span> + '_ {
        self.week
            .on(date.weekday())
            .iter()
            .filter_map(move |interval| self.interval_span(date, *interval))
    }

    /// The real span of `interval` on `date`; `None` past the end of representable time.
    fn interval_span(&self, date: NaiveDate, interval: WorkInterval) -> Option<Span> {
        let start = local_minute(date, interval.start_minute)?;
        let end = local_minute(date, interval.end_minute)?;
        Some((
            to_utc(self.timezone, start, Edge::Start),
            to_utc(self.timezone, end, Edge::End),
        ))
    }
}

/// The wall-clock time `minute` minutes after the local midnight of `date` (1440 and
/// beyond being the next midnight).
fn local_minute(date: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
    let minutes = Duration::minutes(i64::from(minute.min(MINUTES_PER_DAY)));
    date.and_time(NaiveTime::MIN).checked_add_signed(minutes)
}

/// The real instant of a wall-clock time: inside a gap, the first instant after it;
/// when ambiguous, the earliest instant for a start and the latest for an end.
fn to_utc(tz: Tz, local: NaiveDateTime, edge: Edge) -> DateTime<Utc> {
    match (tz.from_local_datetime(&local), edge) {
        (LocalResult::Single(at), _) => at.to_utc(),
        (LocalResult::Ambiguous(a, b), Edge::Start) => a.min(b).to_utc(),
        (LocalResult::Ambiguous(a, b), Edge::End) => a.max(b).to_utc(),
        (LocalResult::None, _) => after_gap(tz, local),
    }
}

/// The first instant after the spring-forward gap that swallows `local`.
///
/// Read with the offset in force before the gap, `local` lands after the transition;
/// read with the offset after it, before. The transition lies between the two readings
/// and is found by bisection to the second.
fn after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let offset_at = |utc: NaiveDateTime| tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    let guess = offset_at(local);
    let other = offset_at(local - Duration::seconds(i64::from(guess)));
    let mut before = local - Duration::seconds(i64::from(guess.max(other)));
    let mut after = local - Duration::seconds(i64::from(guess.min(other)));
    let offset_after = offset_at(after);
    while after - before > Duration::seconds(1) {
        let middle = before + Duration::seconds((after - before).num_seconds() / 2);
        if offset_at(middle) == offset_after {
            after = middle;
        } else {
            before = middle;
        }
    }
    after.and_utc()
}
