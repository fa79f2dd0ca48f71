//! The stored forms of a ticket, its comments and its history entries: the real fields
//! every filter, sort, count and aggregation reads, beside the full JSON document.

use crate::docs::{from_doc, id, micros, opt_id, to_json, DOC};
use crate::errors::version;
use mongodb::bson::{doc, Bson, Document};
use ticket_core::error::Result;
use ticket_core::event::TicketEvent;
use ticket_core::query::search_words;
use ticket_core::ticket::{Comment, Ticket, Visibility};

/// The fields of a ticket document (all but `_id`, `pending` and the SLA marks of
/// `mark_sla_stale`).
pub(crate) fn ticket_fields(t: &Ticket) -> Result<Document> {
    let mut words: Vec<String> = search_words(t.title.as_str())
        .into_iter()
        .chain(search_words(t.description.as_str()))
        .collect();
    words.sort();
    words.dedup();
    let sla = t.sla.as_ref();
    let mut d = doc! {
        "tenant": id(t.tenant.as_uuid()),
        "status": t.status.as_str(),
        "cat": status_category(t),
        "open": t.is_open(),
        "open_n": i32::from(t.is_open()),
        "priority": i32::from(t.priority.rank()),
        "category": t.category.as_str(),
        "tags": t.tags.iter().map(|tag| tag.as_str().to_string()).collect::<Vec<_>>(),
        "words": words,
        "requester": id(t.requester.as_uuid()),
        "assignee": opt_id(t.assignee.map(|u| u.as_uuid())),
        "team": opt_id(t.team.map(|u| u.as_uuid())),
        "created": micros(t.created_at),
        "updated": micros(t.updated_at),
        "assigned": t.assigned_at.map_or(Bson::Null, |at| Bson::Int64(micros(at))),
        "version": version(t.version)?,
        "sla": to_json(&t.sla)?,
        "sla_has": sla.is_some(),
        "sla_breached": sla.is_some_and(|s| s.breached),
        "sla_at_risk": sla.is_some_and(|s| s.at_risk),
        DOC: to_json(t)?,
    };
    d.extend(derived_fields(t));
    if let Some(next) = sla.and_then(|s| s.next_check) {
        d.insert("sla_next", micros(next));
        d.insert("due", micros(next));
    }
    Ok(d)
}

/// The document of a new ticket as its creation leaves it once complete: its fields
/// ([`ticket_fields`]), its `_id`, and the FAQ deflection counters `faq_s`, `faq_c`,
/// `faq_r` (suggested, confirmed, rejected) starting at `faq`. The create of a save adds
/// its `pending` change to it; a bulk import (`import.rs`) stores it as it is.
pub(crate) fn new_ticket_doc(t: &Ticket, faq: (i64, i64, i64)) -> Result<Document> {
    let mut d = ticket_fields(t)?;
    d.insert("_id", id(t.id.as_uuid()));
    d.insert("faq_s", faq.0);
    d.insert("faq_c", faq.1);
    d.insert("faq_r", faq.2);
    Ok(d)
}

/// Microseconds in an hour.
const HOUR_MICROS: i64 = 3_600_000_000;

/// The fields computed from a ticket for the capacity check and the volume
/// aggregations (FerretDB's `$group` cannot compute them): `working` (1 while the status
/// category is New or Open, summed per agent), `hour` (the UTC hour of creation, hours
/// since the epoch, grouped on by `hourly_created`), `handled` and `handle_us` (1 and
/// the microseconds from the latest assignment to the first reply when the ticket was
/// assigned and then answered, else 0 and 0; summed by `handle_time`).
/// `MongoStore::migrate` fills them in for tickets stored before they existed.
pub(crate) fn derived_fields(t: &Ticket) -> Document {
    let handle = match (t.assigned_at, t.first_response_at) {
        (Some(assigned), Some(answered)) if answered >= assigned => {
            Some(micros(answered) - micros(assigned))
        }
        _ => None,
    };
    doc! {
        "working": i32::from(ticket_core::workforce::is_working(t)),
        "hour": micros(t.created_at).div_euclid(HOUR_MICROS),
        "handled": i32::from(handle.is_some()),
        "handle_us": handle.unwrap_or(0),
    }
}

/// The stored name of a ticket's status category.
fn status_category(t: &Ticket) -> &'static str {
    use ticket_core::workflow::StatusCategory as C;
    match t.status_category {
        C::New => "new",
        C::Open => "open",
        C::Pending => "pending",
        C::Solved => "solved",
        C::Closed => "closed",
    }
}

/// The stored form of a comment.
pub(crate) fn comment_doc(c: &Comment) -> Result<Document> {
    Ok(doc! {
        "_id": id(c.id.as_uuid()),
        "tenant": id(c.tenant.as_uuid()),
        "ticket": id(c.ticket_id.as_uuid()),
        "internal": c.visibility == Visibility::Internal,
        "at": micros(c.created_at),
        DOC: to_json(c)?,
    })
}

/// The stored form of a history entry.
pub(crate) fn event_doc(e: &TicketEvent) -> Result<Document> {
    Ok(doc! {
        "_id": id(e.id.as_uuid()),
        "tenant": id(e.tenant.as_uuid()),
        "ticket": id(e.ticket_id.as_uuid()),
        "at": micros(e.at),
        DOC: to_json(e)?,
    })
}

/// Reads a ticket document back: its JSON document, with the SLA snapshot as the
/// document's `sla` field holds it (the sweep writes that field alone).
pub(crate) fn ticket_of(d: &Document) -> Result<Ticket> {
    let mut t: Ticket = from_doc(d)?;
    t.sla = crate::docs::from_field(d, "sla")?;
    Ok(t)
}
