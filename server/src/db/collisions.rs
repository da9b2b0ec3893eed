//! Lead collisions the server found (`collisions`): two leads of a dealer
//! with the same mobile number. Found by the writer in the transaction that
//! stores a lead's number ([`find!`]), written into both leads by the
//! writer in its own name (`recorded_at`), decided by a manager or the
//! dealer's rule. See `domain::collision`.

use showroom_shared::domain::collision::{CollisionId, Resolution};
use showroom_shared::domain::{DealerId, LeadId, UserId};

use super::{Db, with_pool};

/// A collision as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollisionRow {
    pub dealer: DealerId,
    pub id: CollisionId,
    /// The two leads, `a` < `b` as text.
    pub a: LeadId,
    pub b: LeadId,
    pub found_at: i64,
    pub recorded: bool,
    pub resolution: Option<Resolution>,
    pub survivor: Option<LeadId>,
}

type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

const COLUMNS: &str = "dealer_id, id, lead_a, lead_b, found_at, recorded_at, resolution, survivor";

fn row_of(r: Row) -> Option<CollisionRow> {
    Some(CollisionRow {
        dealer: r.0.parse().ok()?,
        id: r.1.parse().ok()?,
        a: r.2.parse().ok()?,
        b: r.3.parse().ok()?,
        found_at: r.4,
        recorded: r.5.is_some(),
        resolution: r.6.and_then(|t| t.parse().ok()),
        survivor: r.7.and_then(|t| t.parse().ok()),
    })
}

/// At most this many other leads with one number are recorded as a lead's
/// collisions.
pub const PER_NUMBER: usize = 10;

/// In the writer's transaction `tx`, after the leads' summaries are
/// written: the new collisions of `leads` (`(lead id, mobile)` of the
/// leads written with a number, absorbed ones left out) with any other
/// lead of the dealer holding the same number and not absorbed by a merge
/// (fenced: `doc_access` names the server as its owner),
/// recorded once per pair. Evaluates to the collisions found now, as
/// `(id, lead a, lead b)`. A macro: it expands inside `with_pool!`, once
/// per backend.
macro_rules! find {
    ($tx:expr, $dealer_text:expr, $leads:expr, $now:expr) => {{
        let leads: &[(String, String)] = $leads;
        let mut pairs: Vec<(String, String)> = Vec::new();
        for chunk in leads.chunks($crate::db::sync::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT s.doc_id, s.mobile FROM lead_summaries s WHERE s.dealer_id = ",
            );
            q.push_bind($dealer_text.to_owned());
            q.push(" AND s.mobile IN (");
            let mut list = q.separated(", ");
            for (_, mobile) in chunk {
                list.push_bind(mobile.clone());
            }
            // A lead a merge absorbed is fenced (its owner is the server).
            q.push(
                ") AND NOT EXISTS (SELECT 1 FROM doc_access a WHERE a.dealer_id = s.dealer_id \
                 AND a.doc_id = 'lead:' || s.doc_id AND a.owner_id = ",
            );
            q.push_bind(showroom_shared::domain::UserId::SERVER.to_string());
            q.push(")");
            let holders: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *$tx).await?;
            for (lead, mobile) in chunk {
                // A number shared by many leads is a placeholder ("138
                // 0000 0000"), not one customer: a lead records at most
                // `PER_NUMBER` of them.
                let same = holders
                    .iter()
                    .filter(|(other, number)| number == mobile && other != lead)
                    .take($crate::db::collisions::PER_NUMBER);
                for (other, _) in same {
                    {
                        let pair = if lead < other {
                            (lead.clone(), other.clone())
                        } else {
                            (other.clone(), lead.clone())
                        };
                        if !pairs.contains(&pair) {
                            pairs.push(pair);
                        }
                    }
                }
            }
        }
        let mut found: Vec<(String, String, String)> = Vec::new();
        for (a, b) in pairs {
            let id = ::uuid::Uuid::new_v4().to_string();
            let inserted: Option<(String,)> = sqlx::query_as(
                "INSERT INTO collisions (dealer_id, id, lead_a, lead_b, found_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (dealer_id, lead_a, lead_b) DO NOTHING RETURNING id",
            )
            .bind($dealer_text.to_owned())
            .bind(&id)
            .bind(&a)
            .bind(&b)
            .bind($now)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some((id,)) = inserted {
                found.push((id, a, b));
            }
        }
        found
    }};
}
pub(crate) use find;

/// In the writer's transaction: these collisions are written into their
/// leads.
macro_rules! mark_recorded {
    ($tx:expr, $dealer_text:expr, $ids:expr, $now:expr) => {{
        let ids: &[showroom_shared::domain::collision::CollisionId] = $ids;
        for id in ids {
            sqlx::query(
                "UPDATE collisions SET recorded_at = $3 WHERE dealer_id = $1 AND id = $2 AND recorded_at IS NULL",
            )
            .bind($dealer_text.to_owned())
            .bind(id.to_string())
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(crate) use mark_recorded;

/// Collisions found but not yet written into their leads (the server
/// stopped in between): the writer writes them at start-up.
pub async fn unrecorded(db: &Db) -> Result<Vec<CollisionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM collisions WHERE recorded_at IS NULL");
    let rows: Vec<Row> = with_pool!(db, pool => {
        sqlx::query_as(&sql).fetch_all(pool).await
    })?;
    Ok(rows.into_iter().filter_map(row_of).collect())
}

/// One collision of `dealer` (`None` for another dealer's, as for none).
pub async fn get(
    db: &Db,
    dealer: DealerId,
    id: CollisionId,
) -> Result<Option<CollisionRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM collisions WHERE dealer_id = $1 AND id = $2");
    let row: Option<Row> = with_pool!(db, pool => {
        sqlx::query_as(&sql)
            .bind(dealer.to_string())
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
    })?;
    Ok(row.and_then(row_of))
}

/// Records a decision: how, the survivor and the absorbed lead of a merge,
/// who and when. Only an undecided collision is decided (`false`: it was
/// decided already).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    db: &Db,
    dealer: DealerId,
    id: CollisionId,
    how: Resolution,
    survivor: Option<LeadId>,
    absorbed: Option<LeadId>,
    by: UserId,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = with_pool!(db, pool => {
        sqlx::query(
            "UPDATE collisions SET resolution = $3, survivor = $4, absorbed = $5, decided_by = $6, decided_at = $7 \
             WHERE dealer_id = $1 AND id = $2 AND resolution IS NULL",
        )
        .bind(dealer.to_string())
        .bind(id.to_string())
        .bind(how.as_str())
        .bind(survivor.map(|s| s.to_string()))
        .bind(absorbed.map(|s| s.to_string()))
        .bind(by.to_string())
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(done == 1)
}
