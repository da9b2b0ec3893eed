//! The lead summary the list reads (never the whole document: the shared
//! projection `domain::summary::LeadSummary`, in the dealer's time zone),
//! and the in-memory search, filter and sort over all of them (pure: no IO,
//! no signals).

use std::collections::HashMap;

pub use showroom_shared::domain::summary::{LeadSummary, TaskBrief};
use showroom_shared::domain::{Grade, Lead, LeadId, Stage, UserId};

/// The summary of `lead` as this device lists it: the shared projection, in
/// the dealer's time zone (`local::clock`, from the browser's `Intl`).
pub fn of(lead: &Lead) -> LeadSummary {
    LeadSummary::of(lead).in_zone(
        crate::local::clock::start_of,
        crate::local::clock::offset_minutes,
    )
}

/// The digits of what was typed, the way `Phone` reads them (full-width
/// digits too); separators are ignored.
pub fn digits_of(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32('0' as u32 + (c as u32 - '０' as u32)),
            _ => None,
        })
        .collect()
}

/// Whether a query looks like (part of) a phone number: digits and the
/// characters people type between them.
fn is_phone_like(query: &str) -> bool {
    query.chars().all(|c| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(c, ' ' | '-' | '(' | ')' | '.' | '+' | '＋' | '\u{3000}')
    })
}

/// Which leads to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadQuery {
    pub text: String,
    /// Empty means every grade.
    pub grades: Vec<Grade>,
    /// Empty means every stage.
    pub stages: Vec<Stage>,
    pub owner: OwnerFilter,
}

/// Whose leads to show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Every lead on the device, owned or not.
    #[default]
    Anyone,
    /// The pool's: leads nobody owns.
    Pool,
    /// One person's ("Mine" is the signed-in person's).
    Person(UserId),
}

impl OwnerFilter {
    /// Whether a lead owned by `owner` (`None`: the pool) is shown.
    pub fn admits(self, owner: Option<UserId>) -> bool {
        match self {
            OwnerFilter::Anyone => true,
            OwnerFilter::Pool => owner.is_none(),
            OwnerFilter::Person(user) => owner == Some(user),
        }
    }
}

#[derive(Clone, Debug)]
struct Row {
    summary: LeadSummary,
    name_lower: String,
    mobile_digits: String,
}

impl Row {
    fn of(summary: LeadSummary) -> Row {
        Row {
            name_lower: summary.name.to_lowercase(),
            mobile_digits: summary.mobile.as_deref().map(digits_of).unwrap_or_default(),
            summary,
        }
    }
}

/// List order: next follow-up soonest first (none last), then name, then id.
fn list_order(a: &LeadSummary, b: &LeadSummary) -> std::cmp::Ordering {
    let key = |s: &LeadSummary| (s.next_follow_up.is_none(), s.next_follow_up);
    key(a)
        .cmp(&key(b))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.id.cmp(&b.id))
}

/// Above this many summaries at once, [`SummaryIndex::upsert`] re-sorts
/// instead of inserting one by one.
const INSERT_ONE_BY_ONE: usize = 32;

/// Every summary on the device in list order, with what search compares
/// precomputed. Read from the store once, then kept current by
/// [`SummaryIndex::upsert`] with what each write changed; each keystroke only
/// filters.
#[derive(Clone, Debug, Default)]
pub struct SummaryIndex {
    rows: Vec<Row>,
    /// How many times each lead was upserted since the index was built:
    /// an open record reloads when its lead's number moves.
    versions: HashMap<LeadId, u64>,
}

impl SummaryIndex {
    pub fn new(summaries: Vec<LeadSummary>) -> SummaryIndex {
        let mut index = SummaryIndex::default();
        index.upsert(summaries);
        index.versions.clear();
        index
    }

    /// Adds or replaces these summaries (the last of one lead wins), keeping
    /// list order: a few are inserted in place, many at once re-sort.
    pub fn upsert(&mut self, summaries: Vec<LeadSummary>) {
        let mut batch: HashMap<LeadId, LeadSummary> = HashMap::with_capacity(summaries.len());
        for s in summaries {
            *self.versions.entry(s.id).or_default() += 1;
            batch.insert(s.id, s);
        }
        if batch.len() <= INSERT_ONE_BY_ONE {
            for (id, summary) in batch {
                if let Some(at) = self.rows.iter().position(|r| r.summary.id == id) {
                    self.rows.remove(at);
                }
                let at = self
                    .rows
                    .partition_point(|r| list_order(&r.summary, &summary).is_lt());
                self.rows.insert(at, Row::of(summary));
            }
        } else {
            self.rows.retain(|r| !batch.contains_key(&r.summary.id));
            self.rows.extend(batch.into_values().map(Row::of));
            self.rows.sort_by(|a, b| list_order(&a.summary, &b.summary));
        }
    }

    /// Drops leads no longer on the device (an open record of one reloads
    /// and finds it gone).
    pub fn remove(&mut self, leads: &[LeadId]) {
        if leads.is_empty() {
            return;
        }
        self.rows.retain(|r| !leads.contains(&r.summary.id));
        for id in leads {
            *self.versions.entry(*id).or_default() += 1;
        }
    }

    /// How many times this lead changed since the index was built.
    pub fn version_of(&self, lead: LeadId) -> u64 {
        self.versions.get(&lead).copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = &LeadSummary> {
        self.rows.iter().map(|r| &r.summary)
    }

    /// One lead's summary, when the device holds the lead.
    pub fn get(&self, lead: LeadId) -> Option<&LeadSummary> {
        self.all().find(|s| s.id == lead)
    }

    /// The leads on the device with this mobile number (E.164), but
    /// `except`: what the new-lead form warns about at once.
    pub fn with_mobile(&self, e164: &str, except: Option<LeadId>) -> Vec<&LeadSummary> {
        self.all()
            .filter(|s| s.mobile.as_deref() == Some(e164) && Some(s.id) != except)
            .collect()
    }

    /// The lead that absorbed `lead` in a merge, when the device holds it:
    /// a link to the absorbed lead opens it.
    pub fn survivor_of(&self, lead: LeadId) -> Option<LeadId> {
        self.all()
            .find(|s| s.absorbed.contains(&lead))
            .map(|s| s.id)
    }

    /// The matching leads in list order: (the first `limit`, how many match in all).
    pub fn search(&self, query: &LeadQuery, limit: usize) -> (Vec<LeadSummary>, usize) {
        let text = query.text.trim();
        let lower = text.to_lowercase();
        let digits = if is_phone_like(text) {
            let d = digits_of(text);
            // "+86 138…" and "0086 138…" name the country the stored E.164 holds.
            d.strip_prefix("00").map(str::to_owned).unwrap_or(d)
        } else {
            String::new()
        };
        let mut shown = Vec::new();
        let mut total = 0;
        let pool = query.owner == OwnerFilter::Pool;
        for row in &self.rows {
            let s = &row.summary;
            if !query.grades.is_empty() && !query.grades.contains(&s.grade) {
                continue;
            }
            if !query.stages.is_empty() && !query.stages.contains(&s.stage) {
                continue;
            }
            if !query.owner.admits(s.owner) {
                continue;
            }
            let text_ok = lower.is_empty()
                || row.name_lower.contains(&lower)
                || (!digits.is_empty() && row.mobile_digits.contains(&digits));
            if !text_ok {
                continue;
            }
            total += 1;
            if shown.len() < limit || pool {
                shown.push(s.clone());
            }
        }
        // The pool is worked oldest first: the lead that waited longest
        // is the first to take.
        if pool {
            shown.sort_by_key(|s| (s.created_at, s.id));
            shown.truncate(limit);
        }
        (shown, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn summary(n: u128, name: &str, mobile: Option<&str>, due: Option<&str>) -> LeadSummary {
        LeadSummary {
            id: LeadId::from_uuid(Uuid::from_u128(n)),
            name: name.into(),
            mobile: mobile.map(str::to_owned),
            grade: Grade::N,
            stage: Stage::New,
            follow_up_on: None,
            next_follow_up: due.map(|d| d.parse().expect("a date")),
            next_due: None,
            owner: None,
            source: showroom_shared::domain::Source::WalkIn,
            models: vec![],
            updated_at: 0,
            approvals_waiting: 0,
            tasks: Vec::new(),
            lost_waiting: false,
            awaiting_first_contact: false,
            created_at: 0,
            collisions_open: 0,
            absorbed: Vec::new(),
            approved_at: None,
        }
    }

    fn names(index: &SummaryIndex, text: &str) -> Vec<String> {
        let query = LeadQuery {
            text: text.into(),
            ..LeadQuery::default()
        };
        index
            .search(&query, 100)
            .0
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    #[wasm_bindgen_test]
    fn search_matches_names_and_partial_mobiles_in_any_format() {
        let index = SummaryIndex::new(vec![
            summary(1, "Wang Fang", Some("+8613812345678"), Some("2026-11-30")),
            summary(2, "李伟", Some("+8613900001111"), Some("2026-11-28")),
            summary(3, "Zhang Wei", None, None),
        ]);
        assert_eq!(names(&index, ""), ["李伟", "Wang Fang", "Zhang Wei"]);
        assert_eq!(names(&index, "wang"), ["Wang Fang"]);
        assert_eq!(names(&index, "李"), ["李伟"]);
        assert_eq!(names(&index, "138 1234"), ["Wang Fang"]);
        assert_eq!(names(&index, "138-1234-5678"), ["Wang Fang"]);
        assert_eq!(names(&index, "+86 139"), ["李伟"]);
        assert_eq!(names(&index, "１３９"), ["李伟"]);
        assert_eq!(names(&index, "wei"), ["Zhang Wei"]);
        assert!(names(&index, "777").is_empty());
    }

    #[wasm_bindgen_test]
    fn the_owner_filter_shows_everyone_the_pool_or_one_person() {
        let me = UserId::from_uuid(Uuid::from_u128(100));
        let colleague = UserId::from_uuid(Uuid::from_u128(101));
        let owned = |n, name: &str, owner: Option<UserId>| LeadSummary {
            owner,
            ..summary(n, name, None, None)
        };
        let index = SummaryIndex::new(vec![
            owned(1, "Mine A", Some(me)),
            owned(2, "Pool B", None),
            owned(3, "Theirs C", Some(colleague)),
            owned(4, "Mine D", Some(me)),
        ]);
        let check = |owner: OwnerFilter, text: &str, expected: &[&str]| {
            let query = LeadQuery {
                text: text.into(),
                owner,
                ..LeadQuery::default()
            };
            let (shown, total) = index.search(&query, 100);
            let shown: Vec<_> = shown.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(shown, expected, "{owner:?} {text:?}");
            assert_eq!(total, expected.len(), "{owner:?} {text:?}: the count");
        };
        check(
            OwnerFilter::Anyone,
            "",
            &["Mine A", "Mine D", "Pool B", "Theirs C"],
        );
        check(OwnerFilter::Person(me), "", &["Mine A", "Mine D"]);
        check(OwnerFilter::Pool, "", &["Pool B"]);
        check(OwnerFilter::Person(colleague), "", &["Theirs C"]);
        // With the other filters: both must hold.
        check(OwnerFilter::Person(me), "d", &["Mine D"]);
        check(OwnerFilter::Pool, "mine", &[]);
        let nobody = UserId::from_uuid(Uuid::from_u128(102));
        check(OwnerFilter::Person(nobody), "", &[]);
    }

    #[wasm_bindgen_test]
    fn upserts_keep_list_order_and_replace_what_changed() {
        let mut index = SummaryIndex::new(vec![
            summary(1, "B", None, Some("2026-12-02")),
            summary(2, "A", None, Some("2026-12-03")),
        ]);
        assert_eq!(names(&index, ""), ["B", "A"]);
        // A few at a time: inserted in place, the old row replaced.
        index.upsert(vec![
            summary(2, "A", None, Some("2026-12-01")),
            summary(3, "C", None, None),
        ]);
        assert_eq!(names(&index, ""), ["A", "B", "C"]);
        assert_eq!(index.len(), 3);
        assert_eq!(index.version_of(LeadId::from_uuid(Uuid::from_u128(2))), 1);
        assert_eq!(index.version_of(LeadId::from_uuid(Uuid::from_u128(1))), 0);
        // Many at once: re-sorted, the last of one lead wins.
        let many: Vec<_> = (10..60)
            .map(|n| summary(n, &format!("N{n}"), None, Some("2026-12-05")))
            .chain([
                summary(1, "B2", None, Some("2026-11-01")),
                summary(1, "B3", None, Some("2026-11-02")),
            ])
            .collect();
        index.upsert(many);
        assert_eq!(index.len(), 53);
        let all = names(&index, "");
        assert_eq!(
            all[0], "B3",
            "the last upsert of lead 1 wins and sorts first"
        );
        assert_eq!(all[1], "A");
        assert_eq!(all.last().map(String::as_str), Some("C"));
        assert_eq!(index.version_of(LeadId::from_uuid(Uuid::from_u128(1))), 2);
    }

    #[wasm_bindgen_test]
    fn only_open_leads_with_a_date_on_or_before_today_are_due() {
        let today: showroom_shared::domain::Date = "2026-11-28".parse().expect("a date");
        let mut s = summary(1, "A", None, Some("2026-11-28"));
        assert!(s.is_due(today));
        s.stage = Stage::Lost;
        assert!(!s.is_due(today));
        assert!(!summary(2, "B", None, Some("2026-11-29")).is_due(today));
        assert!(!summary(3, "C", None, None).is_due(today));
    }
}
