//! The webhook inbox: each event stored once, by its dedup key (the job it
//! brings is enqueued in the same transaction by the shared flow in `flows.rs`).

use sqlx::PgConnection;

use super::codec;
use crate::{InboxEvent, Result};

/// Stores `event` on `conn`; false when an event with its dedup key is
/// already stored.
pub(super) async fn insert(conn: &mut PgConnection, event: &InboxEvent) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (dedup_key, event_name, resource_id, body, received_at) \
         VALUES ($1, $2, $3, $4::json, $5) ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(&event.dedup_key)
    .bind(&event.event_name)
    .bind(&event.resource_id)
    .bind(codec::json_text(&event.body))
    .bind(event.received_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
