//! Demo data for `cargo xtask run` and the tests: two dealers and their people.
//! Demo only: every demo user's password is `showroom`.

use showroom_shared::domain::{DealerId, Role, UserId};
use uuid::Uuid;

use crate::auth::{PasswordHashError, hash_password};
use crate::clock::Clock;
use crate::db::{self, Db, NewUser};

pub const DEMO_PASSWORD: &str = "showroom";

/// (dealer, [(username, display name, role)])
pub const DEMO_DEALERS: &[(&str, &[(&str, &str, Role)])] = &[
    (
        "Demo Motors",
        &[
            ("sales1", "Li Wei", Role::Salesperson),
            ("sales2", "Zhang Min", Role::Salesperson),
            ("manager", "Wang Fang", Role::Manager),
        ],
    ),
    ("Rival Auto", &[("rival1", "Chen Jie", Role::Salesperson)]),
];

pub const LOGINS_TEXT: &str = "Demo logins (demo data only; the password of every demo user is \"showroom\"):\n  \
Demo Motors  sales1, sales2 (salespeople), manager (manager)\n  \
Rival Auto   rival1 (salesperson)";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] PasswordHashError),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Seeds the demo dealers when the database has no dealer at all; returns
/// whether it did. Safe to call at every start.
pub async fn seed_if_empty(db: &Db, clock: &Clock) -> Result<bool, SeedError> {
    if db::count_dealers(db).await? > 0 {
        return Ok(false);
    }
    let now = clock.now();
    for (dealer_name, people) in DEMO_DEALERS {
        let dealer = DealerId::from_uuid(Uuid::new_v4());
        db::insert_dealer(db, dealer, dealer_name, now).await?;
        for (username, display_name, role) in *people {
            let hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
            db::insert_user(
                db,
                &NewUser {
                    id: UserId::from_uuid(Uuid::new_v4()),
                    dealer_id: dealer,
                    username,
                    display_name,
                    role: *role,
                    password_hash: &hash,
                    now,
                },
            )
            .await?;
        }
    }
    tracing::info!("seeded the demo dealers Demo Motors and Rival Auto");
    Ok(true)
}
