//! Each dealer's own document (catalogue and settings): the server creates
//! it, as the only author that may create it, when a dealer has none — at
//! start-up for dealers created before (and by the demo seed, with a demo
//! catalogue). It goes through the sync writer like any change, so it is
//! logged, numbered and delivered to the dealer's devices.

use showroom_shared::doc::{DealerDoc, actor_from_bytes};
use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::{DealerId, DeviceId, DocId, Role, UserId};
use showroom_shared::rules::Author;
use showroom_shared::sync::DocChanges;
use showroom_shared::visibility::Reader;
use uuid::Uuid;

use crate::db;
use crate::state::AppState;

/// The origin recorded for changes the server itself makes.
pub const SERVER_DEVICE: DeviceId = DeviceId::from_uuid(Uuid::nil());

#[derive(Debug, thiserror::Error)]
pub enum EnsureError {
    #[error("the database failed: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the dealer document could not be made: {0}")]
    Doc(String),
    #[error("the dealer document was not stored: {0}")]
    Write(String),
}

/// Creates the document of every dealer that has none; `catalogue` gives a
/// dealer's first content from its name (the demo catalogue, or empty).
/// Returns how many it created.
pub async fn ensure_all(
    state: &AppState,
    catalogue: impl Fn(&str) -> Dealer,
) -> Result<usize, EnsureError> {
    let missing = db::dealers_without_document(&state.db).await?;
    for (dealer, name) in &missing {
        create(state, *dealer, &catalogue(name)).await?;
    }
    Ok(missing.len())
}

/// Stores a new dealer document with `content`.
pub async fn create(
    state: &AppState,
    dealer: DealerId,
    content: &Dealer,
) -> Result<(), EnsureError> {
    let actor = actor_from_bytes(*Uuid::new_v4().as_bytes());
    let mut doc = DealerDoc::create(actor, dealer, content, state.clock.now())
        .map_err(|e| EnsureError::Doc(e.to_string()))?;
    let changes = doc
        .changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    let author = Author {
        user: UserId::from_uuid(Uuid::nil()),
        role: Role::Admin,
    };
    write(
        state,
        dealer,
        author,
        vec![DocChanges {
            doc: DocId::dealer(dealer),
            changes,
        }],
    )
    .await
}

/// Writes documents the server makes through the sync writer as `author`,
/// like a device's push: judged by the same rules, logged and delivered.
/// A refused document is an error naming it.
pub async fn write(
    state: &AppState,
    dealer: DealerId,
    author: Author,
    docs: Vec<DocChanges>,
) -> Result<(), EnsureError> {
    let outcome = state
        .writer
        .enqueue(dealer, SERVER_DEVICE, author, Reader::Dealer, docs)
        .map_err(|e| EnsureError::Write(e.to_string()))?
        .await
        .map_err(|e| EnsureError::Write(e.to_string()))?
        .map_err(|e| EnsureError::Write(e.to_string()))?;
    match outcome.refused.first() {
        Some(r) => Err(EnsureError::Write(format!("{}: {}", r.doc, r.message))),
        None => Ok(()),
    }
}
