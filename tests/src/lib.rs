//! Showroom integration tests live in `tests/`; this library holds what the
//! benchmarks in `src/bin/` share.

use showroom_shared::doc::{ChangeHash, LeadDoc};
use showroom_shared::domain::{Customer, DealerId, Grade, Lead, LeadId, Source, Stage, UserId};

/// The benchmarks' lead number `i` of `user`: every field filled, varied by `i`.
pub fn bench_lead(id: LeadId, dealer: DealerId, user: UserId, i: usize) -> Lead {
    Lead {
        id,
        dealer,
        customer: Customer {
            name: format!("客户 {i}"),
            mobile: format!("139{:08}", i).parse().ok(),
            wechat: Some(format!("wx_{i}")),
            city: Some("杭州".into()),
        },
        source: Source::ALL[i % Source::ALL.len()],
        models: vec!["Model Y".into()],
        grade: Grade::ALL[i % 4],
        stage: Stage::New,
        owner: Some(user),
        next_follow_up: "2026-12-01".parse().ok(),
        notes: vec![],
        created_by: user,
        created_at: 1_795_737_600_000,
        updated_by: user,
        updated_at: 1_795_737_600_000,
        ..Lead::new(id, dealer, user, 1_795_737_600_000)
    }
}

/// A document's changes since `since`, as raw bytes.
pub fn changes_of(doc: &mut LeadDoc, since: &[ChangeHash]) -> Vec<Vec<u8>> {
    doc.changes_since(since)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}
