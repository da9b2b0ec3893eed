//! Server tests: the real router driven in-process (`oneshot`), each test on a
//! fresh database, every test run on SQLite and on PostgreSQL.

mod support;

/// Runs each named test on both databases, on the demo dealer with its
/// own document (`visibility::app`): `mod sqlite` and `mod postgres`.
macro_rules! visible_on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::visibility::app(crate::support::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::visibility::app(crate::support::Backend::Postgres).await).await
                }
            )*
        }
    };
}

mod accounts;
mod cluster;
mod collisions;
mod deploy;
mod durability;
mod followup;
mod http;
mod ownership_model;
mod pool;
mod quotes;
mod records;
mod storage;
mod sync;
mod sync_load;
mod throttle;
mod users;
mod visibility;
