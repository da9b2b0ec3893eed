//! Server tests: the real router driven in-process (`oneshot`), each test on a
//! fresh database, every test run on SQLite and on PostgreSQL.

mod support;

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
