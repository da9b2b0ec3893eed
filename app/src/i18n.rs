//! Every user-visible string of the app, in English and Simplified Chinese, and the locale that picks one.
//!
//! Plain messages are [`Key`]s: one exhaustive `match` gives both languages, so
//! a key without a translation does not compile. Messages that take arguments
//! are functions on [`Locale`]; one with a count takes the form the
//! language's plural rules give it ("1 follow-up due", "2 follow-ups due"),
//! as the browser's `Intl.PluralRules` says. Dates and times are formatted
//! by the browser (`Intl`) in the chosen locale.

use leptos::prelude::*;
use showroom_shared::domain::catalogue::{Powertrain, VinError};
use showroom_shared::domain::quote::{DiscountLimit, LimitBy};
use showroom_shared::domain::showroom::{DriveProblem, DriveStatus, LicenceProblem, VisitKind};
use showroom_shared::domain::{Grade, LeadError, Money, PhoneError, Role, Source, Stage};
use showroom_shared::plural::{Forms, Plural};

/// The languages the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Locale {
    En,
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// The BCP 47 tag: used for `<html lang>`, `Intl` and the stored preference.
    pub const fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale for a browser language tag (`navigator.language`): any
    /// Chinese (`zh`, `zh-CN`, `zh-TW`, `zh_Hans`…) gets zh-CN, the only
    /// Chinese we have; everything else gets English.
    pub fn from_language_tag(tag: &str) -> Locale {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("zh") {
            Locale::ZhCn
        } else {
            Locale::En
        }
    }

    /// The language to start in: the one chosen on this device before, else
    /// the browser's.
    pub fn initial() -> Locale {
        use crate::local::preferences;
        preferences::chosen_language()
            .as_deref()
            .and_then(Locale::from_stored)
            .unwrap_or_else(|| Locale::from_language_tag(&preferences::browser_language()))
    }

    /// The locale for a stored preference, which must be one of our own tags.
    pub fn from_stored(value: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.tag() == value)
    }

    /// The text of a plain message.
    pub fn t(self, key: Key) -> &'static str {
        let (en, zh) = key.texts();
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }

    /// The plural category of `count` in this language, as the browser's
    /// `Intl.PluralRules` says (English: `One` for 1, `Other` otherwise;
    /// Chinese: always `Other`).
    pub fn plural(self, count: f64) -> Plural {
        thread_local! {
            /// One `Intl.PluralRules` per locale, made on first use.
            static RULES: std::cell::RefCell<Vec<(Locale, Option<js_sys::Intl::PluralRules>)>> =
                const { std::cell::RefCell::new(Vec::new()) };
        }
        let rules = RULES.with(|r| {
            if let Some((_, rules)) = r.borrow().iter().find(|(l, _)| *l == self) {
                return rules.clone();
            }
            let rules = crate::local::intl::construct("PluralRules", &[self.tag().into()])
                .map(wasm_bindgen::JsCast::unchecked_into::<js_sys::Intl::PluralRules>);
            r.borrow_mut().push((self, rules.clone()));
            rules
        });
        match rules {
            Some(rules) => Plural::from_cldr(&String::from(rules.select(count))),
            // A browser without `Intl.PluralRules`: English's rule, which
            // a language without a `one` form ignores.
            None => Plural::english(count),
        }
    }

    /// A `[formats]` text's forms in this language.
    fn forms(self, format: Format) -> Forms {
        let (en, zh) = format.templates();
        match self {
            Locale::En => en,
            Locale::ZhCn => zh,
        }
    }

    /// A `[formats]` text of the locale files with its `{placeholders}`
    /// filled in (an unknown placeholder is left as it is).
    fn fill(self, format: Format, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        fill_in(self.forms(format).other, args)
    }

    /// A `[formats]` text with a count: the form the language's plural
    /// rules give `count`, its `{placeholders}` filled in.
    fn fill_count(
        self,
        format: Format,
        count: f64,
        args: &[(&str, &dyn std::fmt::Display)],
    ) -> String {
        let category = self.plural(count);
        fill_in(self.forms(format).pick(category), args)
    }

    /// "Signed by typing the name: 王芳"
    pub fn signed_by_typed_name(self, name: &str) -> String {
        self.fill(Format::SignedByTypedName, &[("name", &name)])
    }

    /// "Too many failed attempts. Try again in N seconds."
    pub fn too_many_attempts(self, seconds: u32) -> String {
        self.fill_count(
            Format::TooManyAttempts,
            f64::from(seconds),
            &[("seconds", &seconds)],
        )
    }

    /// "Check the fields and try again." followed by what the server said.
    pub fn check_fields(self, server_message: &str) -> String {
        let lead = self.t(Key::CheckFields);
        if server_message.trim().is_empty() {
            lead.to_owned()
        } else {
            format!("{lead} {server_message}")
        }
    }

    /// "Sign-in failed: <server message>"
    pub fn sign_in_failed(self, server_message: &str) -> String {
        self.fill(Format::SignInFailed, &[("message", &server_message)])
    }

    /// A failed request other than sign-in: "The request failed: <server message>"
    pub fn request_failed(self, server_message: &str) -> String {
        self.fill(Format::RequestFailed, &[("message", &server_message)])
    }

    /// "Welcome, <display name>"
    pub fn welcome(self, display_name: &str) -> String {
        self.fill(Format::Welcome, &[("name", &display_name)])
    }

    /// The accessible name of the button that shows a person's devices.
    pub fn devices_of(self, display_name: &str) -> String {
        self.fill(Format::DevicesOf, &[("name", &display_name)])
    }

    /// The accessible name of the button that revokes one device.
    pub fn revoke_device(self, device_name: &str) -> String {
        self.fill(Format::RevokeDevice, &[("device", &device_name)])
    }

    /// The accessible name of the button that starts deactivating a person.
    pub fn deactivate_user(self, display_name: &str) -> String {
        self.fill(Format::DeactivateUser, &[("name", &display_name)])
    }

    /// The question asked before deactivating a person.
    pub fn deactivate_confirm(self, display_name: &str) -> String {
        self.fill(Format::DeactivateConfirm, &[("name", &display_name)])
    }

    /// The sync pill while changes wait: "3 waiting".
    pub fn waiting(self, n: u32) -> String {
        self.fill_count(Format::Waiting, f64::from(n), &[("n", &n)])
    }

    /// The sync pill when the browser is online but the server does not
    /// answer: "Can't reach the server", or "Can't reach the server · 2 waiting".
    pub fn server_unreachable(self, waiting: u32) -> String {
        let text = self.t(Key::ServerUnreachable);
        if waiting == 0 {
            text.to_owned()
        } else {
            format!("{text} · {}", self.waiting(waiting))
        }
    }

    /// The sync pill when the server sent something this device cannot
    /// decode (the connection is retried): "Can't read what the server sent —
    /// retrying", or "… — the app may need reloading" for a kind of message
    /// this version does not know (a newer server); with " · N waiting".
    pub fn server_unreadable(self, why: crate::local::sync::Unreadable, waiting: u32) -> String {
        use crate::local::sync::Unreadable;
        let text = self.t(match why {
            Unreadable::Malformed => Key::ServerUnreadable,
            Unreadable::UnknownKind => Key::ServerNewer,
        });
        if waiting == 0 {
            text.to_owned()
        } else {
            format!("{text} · {}", self.waiting(waiting))
        }
    }

    /// Why the server refused a record's changes, from the refusal's code
    /// (`SyncErrorCode::as_str`), never from the server's English text.
    pub fn refusal_reason(self, code: &str) -> &'static str {
        self.t(match code {
            "forbidden" => Key::RefusalForbidden,
            "not_author" => Key::RefusalNotAuthor,
            "frozen" => Key::RefusalFrozen,
            "not_approved" => Key::RefusalNotApproved,
            "not_decided" => Key::RefusalNotDecided,
            "too_large" => Key::RefusalTooLarge,
            "malformed" => Key::RefusalMalformed,
            "invalid" => Key::RefusalInvalid,
            "not_found" => Key::RefusalNotFound,
            _ => Key::RefusalOther,
        })
    }

    /// Why a save on the device failed, in the person's language: a change
    /// the rules do not allow is said as the server would say it
    /// ("Not saved: only a manager or an admin may make this change").
    pub fn store_failed(self, e: &crate::local::store::StoreError) -> String {
        match e {
            crate::local::store::StoreError::Refused(v) => {
                self.not_allowed(self.refusal_reason(v.code().as_str()))
            }
            other => self.save_failed(&other.to_string()),
        }
    }

    /// An amount as the locale writes it: "¥ 218,299.56" (tabular figures
    /// come from the page's CSS), a deduction with a minus sign.
    pub fn money(self, m: Money) -> String {
        if m.0 < 0 {
            format!("−¥ {}", Money(-m.0))
        } else {
            format!("¥ {m}")
        }
    }

    /// A difference: "+¥ 2,000.00" or "−¥ 2,000.00".
    pub fn signed_money(self, m: Money) -> String {
        if m.0 > 0 {
            format!("+{}", self.money(m))
        } else {
            self.money(m)
        }
    }

    /// "Quote v2 · Ridge DM-i 200 km Ultra"
    pub fn quote_title(self, number: u32, car: &str) -> String {
        self.fill(Format::QuoteTitle, &[("n", &number), ("car", &car)])
    }

    /// Why a version needs a manager, with the limit that applies.
    pub fn over_limit(self, limit: Option<DiscountLimit>) -> String {
        let limit = match limit {
            Some(DiscountLimit {
                by: LimitBy::Amount,
                value,
            }) => self.money(Money(value)),
            Some(DiscountLimit {
                by: LimitBy::Share,
                value,
            }) => format!("{}%", Money(value)),
            None => String::new(),
        };
        self.fill(Format::OverLimit, &[("limit", &limit)])
    }

    pub fn min_down(self, amount: Money) -> String {
        self.fill(Format::MinDown, &[("amount", &self.money(amount))])
    }

    pub fn monthly_for(self, months: u32) -> String {
        self.fill(Format::MonthlyFor, &[("months", &months)])
    }

    pub fn subsidy_info(self, amount: Money) -> String {
        self.fill(Format::SubsidyInfo, &[("amount", &self.money(amount))])
    }

    pub fn valid_until(self, date: showroom_shared::domain::Date) -> String {
        self.fill(Format::ValidUntil, &[("date", &self.date(date))])
    }

    /// "Trade-in surplus of ¥ 13,457.44 reduces the loan"
    pub fn surplus_to_loan(self, amount: Money) -> String {
        self.fill(Format::SurplusToLoan, &[("amount", &self.money(amount))])
    }

    /// "Paid to the customer: ¥ 31,700.44"
    pub fn paid_to_customer(self, amount: Money) -> String {
        self.label_value(Key::PaidToCustomer, &self.money(amount))
    }

    /// A manager's decision with its comment; without one, the sentence
    /// alone (no label with a bare colon).
    pub fn decision(self, approved: bool, comment: &str) -> String {
        let comment = comment.trim();
        match (approved, comment.is_empty()) {
            (true, true) => self.t(Key::ApprovedByManager).to_owned(),
            (false, true) => self.t(Key::RejectedByManager).to_owned(),
            (true, false) => self.fill(Format::ApprovedWith, &[("comment", &comment)]),
            (false, false) => self.fill(Format::RejectedWith, &[("comment", &comment)]),
        }
    }

    /// The printed finance line.
    pub fn finance_line(
        self,
        principal: Money,
        months: u32,
        apr_bp: u32,
        monthly: Money,
        interest: Money,
    ) -> String {
        self.fill_count(
            Format::FinanceLine,
            f64::from(months),
            &[
                ("principal", &self.money(principal)),
                ("months", &months),
                ("rate", &Money(i64::from(apr_bp))),
                ("monthly", &self.money(monthly)),
                ("interest", &self.money(interest)),
            ],
        )
    }

    /// "¥ 10,000.00 (5.00 % of the list price)"
    pub fn discount_share(self, discount: Money, list: Money) -> String {
        let bp = if list.0 > 0 {
            i64::try_from(i128::from(discount.0) * 10_000 / i128::from(list.0)).unwrap_or(0)
        } else {
            0
        };
        self.fill(
            Format::DiscountShare,
            &[("amount", &self.money(discount)), ("share", &Money(bp))],
        )
    }

    /// The placeholder of a trim's own limit: "default 3.00%".
    pub fn default_limit(self, limit: &str) -> String {
        self.fill(Format::DefaultLimit, &[("limit", &limit)])
    }

    /// "Customer name: 钱女士" / "客户姓名：钱女士" (each language's colon).
    pub fn label_value(self, label: Key, value: &str) -> String {
        self.fill(
            Format::LabelValue,
            &[("label", &self.t(label)), ("value", &value)],
        )
    }

    /// How late a task is, from minutes.
    pub fn late_by(self, minutes: i64) -> String {
        match minutes {
            m if m < 60 => {
                let n = m.max(1);
                self.fill_count(Format::LateMinutes, n as f64, &[("n", &n)])
            }
            m if m < 24 * 60 => {
                let n = m / 60;
                self.fill_count(Format::LateHours, n as f64, &[("n", &n)])
            }
            m if m < 48 * 60 => self.t(Key::LateOneDay).to_owned(),
            m => {
                let n = m / (24 * 60);
                self.fill_count(Format::LateDays, n as f64, &[("n", &n)])
            }
        }
    }

    pub fn next_in_days(self, days: i64) -> String {
        self.fill_count(Format::NextInDays, days as f64, &[("days", &days)])
    }

    pub fn lost_waiting(self, reason: &str, note: &str) -> String {
        self.fill(Format::LostWaiting, &[("reason", &reason), ("note", &note)])
    }

    pub fn lost_approved(self, reason: &str, comment: &str) -> String {
        self.fill(
            Format::LostApproved,
            &[("reason", &reason), ("comment", &comment)],
        )
    }

    /// A rejected lost request with the manager's comment; without one,
    /// the sentence alone (no bare colon).
    pub fn lost_rejected(self, comment: &str) -> String {
        let comment = comment.trim();
        if comment.is_empty() {
            self.t(Key::LostRejectedPlain).to_owned()
        } else {
            self.fill(Format::LostRejected, &[("comment", &comment)])
        }
    }

    pub fn attempts_needed(self, made: usize, needed: usize) -> String {
        self.fill_count(
            Format::AttemptsNeeded,
            needed as f64,
            &[("made", &made), ("needed", &needed)],
        )
    }

    /// A purpose's current consent: given or withdrawn, when, which wording.
    pub fn consent_line(self, given: bool, at: i64, version: u32, signed: bool) -> String {
        let format = if given {
            Format::ConsentGivenLine
        } else {
            Format::ConsentWithdrawnLine
        };
        let how = self.t(if signed {
            Key::ConsentSigned
        } else {
            Key::ConsentVerbal
        });
        self.fill(
            format,
            &[
                ("when", &self.date_time(at)),
                ("version", &version),
                ("how", &how),
            ],
        )
    }

    pub fn move_follow_up(self, date: showroom_shared::domain::Date) -> String {
        self.fill(Format::MoveFollowUp, &[("date", &self.date(date))])
    }

    pub fn due_badge(self, n: usize) -> String {
        self.fill_count(Format::DueBadge, n as f64, &[("n", &n)])
    }

    pub fn approvals_badge(self, n: usize) -> String {
        self.fill_count(Format::ApprovalsBadge, n as f64, &[("n", &n)])
    }

    pub fn past_target(self, n: usize) -> String {
        self.fill_count(Format::PastTarget, n as f64, &[("n", &n)])
    }

    /// Signing out with unsynced work: how much would be lost.
    pub fn sign_out_unsynced(self, n: u32) -> String {
        self.fill_count(Format::SignOutUnsynced, f64::from(n), &[("n", &n)])
    }

    pub fn sign_out_syncing(self, n: u32) -> String {
        self.fill_count(Format::SignOutSyncing, f64::from(n), &[("n", &n)])
    }

    pub fn waiting_line(self, quotes: usize, lost: usize, approved: usize) -> String {
        self.fill(
            Format::WaitingLine,
            &[
                ("quotes", &quotes),
                ("lost", &lost),
                ("approved", &approved),
            ],
        )
    }

    pub fn approvals_waiting(self, n: usize) -> String {
        self.fill_count(Format::ApprovalsWaiting, n as f64, &[("n", &n)])
    }

    /// On a record's page: "The server refused this lead's changes: <reason>"
    pub fn lead_refused(self, code: &str) -> String {
        self.fill(
            Format::LeadRefused,
            &[("reason", &self.refusal_reason(code))],
        )
    }

    /// "Could not discard the changes: <why>"
    pub fn discard_failed(self, why: &str) -> String {
        self.fill(Format::DiscardFailed, &[("why", &why)])
    }

    /// "Sync refused: <reason>" (from the refusal's code).
    pub fn sync_refused(self, code: &str) -> String {
        self.fill(
            Format::SyncRefused,
            &[("reason", &self.refusal_reason(code))],
        )
    }

    /// "Sync refused for the catalogue and settings: <reason>": which record
    /// and why, from the refusal's code.
    pub fn sync_refused_of(self, code: &str, kind: showroom_shared::domain::DocKind) -> String {
        use showroom_shared::domain::DocKind;
        let record = self.t(match kind {
            DocKind::Lead => Key::RefusalRecordLead,
            DocKind::Dealer => Key::RefusalRecordDealer,
            DocKind::Register => Key::RefusalRecordRegister,
        });
        self.fill(
            Format::SyncRefusedOf,
            &[("record", &record), ("reason", &self.refusal_reason(code))],
        )
    }

    /// The sync pill's tooltip: "Last synced: 27 Nov 2026, 14:05".
    pub fn last_synced(self, millis: Option<f64>) -> String {
        match millis {
            Some(ms) => self.fill(Format::LastSynced, &[("when", &self.date_time(ms as i64))]),
            None => self.t(Key::NotSyncedYet).to_owned(),
        }
    }

    /// Under the list: "Showing 100 of 10000".
    pub fn showing(self, shown: usize, total: usize) -> String {
        let (shown, total) = (grouped(shown as u64), grouped(total as u64));
        self.fill(Format::Showing, &[("shown", &shown), ("total", &total)])
    }

    /// While a sync brings changes in: "Receiving 3,200 of 10,000 changes".
    pub fn receiving(self, done: u64, of: u64) -> String {
        let count = of as f64;
        let (done, of) = (grouped(done), grouped(of));
        self.fill_count(Format::Receiving, count, &[("done", &done), ("of", &of)])
    }

    /// A manager's selection on the lead list: "3 selected".
    pub fn picked(self, n: usize) -> String {
        self.fill_count(Format::Picked, n as f64, &[("n", &n)])
    }

    /// After a hand-over: "3 leads handed to Li Wei. Saved on this device."
    pub fn handed_to(self, n: usize, name: &str) -> String {
        self.fill_count(Format::HandedTo, n as f64, &[("n", &n), ("name", &name)])
    }

    /// After a hand-over to the pool: "3 leads put in the pool. Saved on this device."
    pub fn handed_to_pool(self, n: usize) -> String {
        self.fill_count(Format::HandedToPool, n as f64, &[("n", &n)])
    }

    /// A collision as a lead shows it: the other lead's owner (or the pool)
    /// and since when — never its contents.
    pub fn collision_with(self, owner: Option<&str>, since: i64) -> String {
        let date = self.date_time(since);
        match owner {
            Some(name) => self.fill(Format::CollisionWith, &[("name", &name), ("date", &date)]),
            None => self.fill(Format::CollisionPool, &[("date", &date)]),
        }
    }

    /// What was decided about a collision, as either lead shows it.
    pub fn collision_decided(
        self,
        how: showroom_shared::domain::collision::Resolution,
        owner: &str,
        at: i64,
    ) -> String {
        use showroom_shared::domain::collision::Resolution;
        let date = self.date_time(at);
        match how {
            Resolution::Merged => self.fill(Format::CollisionMergedHere, &[("date", &date)]),
            Resolution::KeptBoth => self.fill(Format::CollisionKept, &[("date", &date)]),
            Resolution::Assigned => self.fill(
                Format::CollisionAssigned,
                &[("name", &owner), ("date", &date)],
            ),
        }
    }

    /// A lead a merge took in, as the survivor shows it.
    pub fn absorbed_from(self, name: &str, owner: &str, at: i64) -> String {
        self.fill(
            Format::AbsorbedFrom,
            &[
                ("name", &name),
                ("owner", &owner),
                ("date", &self.date_time(at)),
            ],
        )
    }

    /// The new-lead form, at once: "王先生 is already a lead with this number."
    pub fn already_a_lead(self, name: &str) -> String {
        self.fill(Format::AlreadyALead, &[("name", &name)])
    }

    /// A decision the server did not take.
    pub fn decide_failed(self, why: &str) -> String {
        self.fill(Format::DecideFailed, &[("why", &why)])
    }

    /// A place in the walk-in rotation: "Zhang Min · 2 walk-ins today".
    pub fn rotation_place(self, name: &str, taken: u32) -> String {
        self.fill_count(
            Format::RotationPlace,
            f64::from(taken),
            &[("name", &name), ("n", &taken)],
        )
    }

    /// "You're on the floor since 09:02."
    pub fn on_floor_since(self, at: i64) -> String {
        self.fill(Format::OnFloorSince, &[("time", &self.time_of_day(at))])
    }

    /// "Next in line: Zhang Min."
    pub fn rotation_next_up(self, name: &str) -> String {
        self.fill(Format::RotationNextUp, &[("name", &name)])
    }

    /// "Give to Zhang Min"
    pub fn give_walk_in(self, name: &str) -> String {
        self.fill(Format::GiveWalkIn, &[("name", &name)])
    }

    /// "Zhang Min takes this walk-in. Saved on this device."
    pub fn walk_in_given(self, name: &str) -> String {
        self.fill(Format::WalkInGiven, &[("name", &name)])
    }

    /// A span of time as the pool says it: "5 h", "2 d 3 h".
    pub fn hours_span(self, ms: i64) -> String {
        let hours = (ms.max(0) / 3_600_000) as usize;
        if hours < 48 {
            self.fill_count(Format::HoursShort, hours as f64, &[("n", &hours)])
        } else {
            self.fill(
                Format::DaysHoursShort,
                &[("d", &(hours / 24)), ("h", &(hours % 24))],
            )
        }
    }

    /// A pool lead's wait against the dealer's first-contact target.
    pub fn pool_wait(self, wait: showroom_shared::domain::summary::PoolWait) -> String {
        let format = if wait.overdue() {
            Format::PoolOverdue
        } else {
            Format::PoolWaiting
        };
        self.fill(
            format,
            &[
                ("waited", &self.hours_span(wait.waited_ms)),
                ("target", &self.hours_span(wait.target_ms)),
            ],
        )
    }

    /// "Claim 王建国": the pool row's button, named after its lead.
    pub fn claim_lead_named(self, name: &str) -> String {
        self.fill(Format::ClaimLeadNamed, &[("name", &name)])
    }

    /// What a salesperson is told when a lead of theirs went to a colleague
    /// (never the customer: the device no longer holds them).
    pub fn moved_away(self, notice: &crate::local::store::MovedAway, name: &str) -> String {
        let format = if notice.claimed {
            Format::ClaimedFirst
        } else {
            Format::HandedAway
        };
        self.fill(
            format,
            &[
                ("name", &name),
                ("source", &self.source(notice.source)),
                ("date", &self.date_time(notice.created_at)),
            ],
        )
    }

    /// Leads a hand-over could not change: "1 lead could not be changed on this device."
    pub fn not_handed(self, n: usize) -> String {
        self.fill_count(Format::NotHanded, n as f64, &[("n", &n)])
    }

    /// The question before deactivating a person who owns leads: "Deactivate
    /// Li Wei? … Li Wei owns 12 leads: choose who takes them over."
    pub fn deactivate_handover_confirm(self, display_name: &str, n: usize) -> String {
        self.fill_count(
            Format::DeactivateHandoverConfirm,
            n as f64,
            &[("name", &display_name), ("n", &n)],
        )
    }

    /// The button of that question: "Hand over 12 leads and deactivate".
    pub fn hand_over_and_deactivate(self, n: usize) -> String {
        self.fill_count(Format::HandOverAndDeactivate, n as f64, &[("n", &n)])
    }

    /// "12 leads handed to Zhang Min; Li Wei is deactivated."
    pub fn handed_and_deactivated(self, n: usize, to: &str, person: &str) -> String {
        self.fill_count(
            Format::HandedAndDeactivated,
            n as f64,
            &[("n", &n), ("name", &to), ("person", &person)],
        )
    }

    /// "12 leads put in the pool; Li Wei is deactivated."
    pub fn pooled_and_deactivated(self, n: usize, person: &str) -> String {
        self.fill_count(
            Format::PooledAndDeactivated,
            n as f64,
            &[("n", &n), ("person", &person)],
        )
    }

    /// "Li Wei is deactivated."
    pub fn person_deactivated(self, person: &str) -> String {
        self.fill(Format::PersonDeactivated, &[("person", &person)])
    }

    /// A deactivation the server did not receive (no network).
    pub fn deactivation_needs_network(self, person: &str) -> String {
        self.fill(Format::DeactivationNeedsNetwork, &[("person", &person)])
    }

    /// A deactivation the server answered with a failure: "Li Wei is not deactivated: …"
    pub fn not_deactivated(self, person: &str, why: &str) -> String {
        self.fill(
            Format::NotDeactivated,
            &[("person", &person), ("why", &why)],
        )
    }

    /// Leads a departing person still owns because they could not be handed
    /// over: "2 leads could not be changed on this device, so Li Wei is still active."
    pub fn handover_incomplete(self, n: usize, person: &str) -> String {
        self.fill_count(
            Format::HandoverIncomplete,
            n as f64,
            &[("n", &n), ("person", &person)],
        )
    }

    /// Sentences one after the other: a space between them in English,
    /// none in Chinese (its full stop is full-width).
    pub fn sentences(self, parts: &[String]) -> String {
        let gap = match self {
            Locale::En => " ",
            Locale::ZhCn => "",
        };
        parts
            .iter()
            .filter(|p| !p.is_empty())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(gap)
    }

    /// "Call 139 1234 5678" (a tap-to-call link).
    pub fn call_number(self, number: &str) -> String {
        self.fill(Format::CallNumber, &[("number", &number)])
    }

    /// "Asked by Li Wei · 7 Dec 2026, 10:30" (an approval's card).
    pub fn asked_by(self, who: &str, when: &str) -> String {
        self.fill(Format::AskedBy, &[("who", &who), ("when", &when)])
    }

    /// "Show all 10"
    pub fn show_all(self, n: usize) -> String {
        self.fill_count(Format::ShowAll, n as f64, &[("n", &n)])
    }

    /// "Not saved: <why>" (a change the rules do not allow).
    pub fn not_allowed(self, why: &str) -> String {
        self.fill(Format::NotAllowed, &[("why", &why)])
    }

    /// "Could not save: <why>"
    pub fn save_failed(self, why: &str) -> String {
        self.fill(Format::SaveFailed, &[("why", &why)])
    }

    /// The accessible name of the button removing a model of interest.
    pub fn remove_model(self, model: &str) -> String {
        self.fill(Format::RemoveModel, &[("model", &model)])
    }

    /// Why a typed mobile number was not accepted.
    pub fn phone_error(self, error: &PhoneError) -> &'static str {
        self.t(match error {
            PhoneError::Empty => Key::PhoneEmpty,
            PhoneError::BadCharacter => Key::PhoneBadCharacter,
            PhoneError::BadChinaMobile => Key::PhoneBadChinaMobile,
            PhoneError::BadLength => Key::PhoneBadLength,
        })
    }

    /// Why a lead's fields were not accepted.
    pub fn lead_error(self, error: &LeadError) -> String {
        match error {
            LeadError::EmptyName => self.t(Key::NameRequired).to_owned(),
            LeadError::EmptyNote => self.t(Key::NoteEmpty).to_owned(),
            LeadError::TooLong { max, .. } => self.too_long(*max),
            LeadError::TooManyModels { max } => {
                self.fill_count(Format::TooManyModels, *max as f64, &[("max", max)])
            }
        }
    }

    pub fn visit_kind(self, kind: VisitKind) -> &'static str {
        self.t(match kind {
            VisitKind::First => Key::VisitKindFirst,
            VisitKind::KnownFirst => Key::VisitKindKnownFirst,
            VisitKind::Repeat => Key::VisitKindRepeat,
            VisitKind::Appointment => Key::VisitKindAppointment,
            VisitKind::NonSales => Key::VisitKindNonSales,
        })
    }

    pub fn drive_status(self, status: DriveStatus) -> &'static str {
        self.t(match status {
            DriveStatus::Booked => Key::DriveStatusBooked,
            DriveStatus::Out => Key::DriveStatusOut,
            DriveStatus::Returned => Key::DriveStatusReturned,
            DriveStatus::Cancelled => Key::DriveStatusCancelled,
        })
    }

    pub fn drive_problem(self, problem: DriveProblem) -> &'static str {
        self.t(match problem {
            DriveProblem::Licence(LicenceProblem::Expired) => Key::LicenceExpired,
            DriveProblem::Licence(LicenceProblem::WrongClass) => Key::LicenceWrongClass,
            DriveProblem::Licence(LicenceProblem::BadNumber) => Key::LicenceBadNumber,
            DriveProblem::NotSigned => Key::NotSigned,
            DriveProblem::OdometerBackwards => Key::OdometerBackwards,
            DriveProblem::BadFuel => Key::BadFuel,
            DriveProblem::BadRating => Key::BadRating,
            DriveProblem::BadTimes => Key::BadTimes,
            DriveProblem::SignatureTooLarge => Key::SignatureTooLarge,
        })
    }

    pub fn vin_error(self, e: VinError) -> &'static str {
        self.t(match e {
            VinError::Length => Key::BadVinLength,
            VinError::Character => Key::BadVinCharacter,
            VinError::CheckDigit => Key::BadVinCheck,
        })
    }

    pub fn powertrain(self, p: Powertrain) -> &'static str {
        self.t(match p {
            Powertrain::Petrol => Key::PowertrainPetrol,
            Powertrain::Diesel => Key::PowertrainDiesel,
            Powertrain::Hybrid => Key::PowertrainHybrid,
            Powertrain::PlugInHybrid => Key::PowertrainPlugInHybrid,
            Powertrain::BatteryElectric => Key::PowertrainBatteryElectric,
        })
    }

    /// "Here for 25 min" / "已到店 25 分钟".
    pub fn here_for(self, minutes: i64) -> String {
        self.fill_count(Format::HereFor, minutes as f64, &[("minutes", &minutes)])
    }

    /// "Today: 12 visits, 3 left no details" (the capture rate's inputs).
    pub fn visits_today(self, all: usize, anonymous: usize) -> String {
        self.fill(
            Format::VisitsToday,
            &[("all", &all), ("anonymous", &anonymous)],
        )
    }

    /// Who a floor row is with: its customer when the device holds the
    /// lead, else the colleague's customer ("Wang Fang's customer").
    pub fn floor_customer(
        self,
        customer: Option<&str>,
        salesperson: showroom_shared::domain::UserId,
        names: &[(showroom_shared::domain::UserId, String)],
    ) -> String {
        match customer {
            Some(name) => name.to_owned(),
            None => self.colleagues_customer(&crate::local::people::name_of(
                names,
                salesperson,
                self.t(Key::Colleague),
            )),
        }
    }

    /// "Wang Fang's customer": a colleague's customer on the floor, whose
    /// name stays on the colleague's devices.
    pub fn colleagues_customer(self, colleague: &str) -> String {
        self.fill(Format::ColleaguesCustomer, &[("name", &colleague)])
    }

    /// "with Wang Fang": whose walk-in it is, on the floor.
    pub fn with_colleague(self, colleague: &str) -> String {
        self.fill(Format::WithColleague, &[("name", &colleague)])
    }

    /// "Removed from 2 of 2 devices": a reassigned lead's receipts.
    pub fn removed_from(self, done: usize, of: usize) -> String {
        self.fill_count(
            Format::RemovedFrom,
            of as f64,
            &[("done", &done), ("of", &of)],
        )
    }

    /// "Waiting for iPad (Li Wei), last seen 7 Dec 14:05".
    pub fn waiting_for_device(self, device: &str, person: &str, last_seen: i64) -> String {
        self.fill(
            Format::WaitingForDevice,
            &[
                ("device", &device),
                ("person", &person),
                ("when", &self.date_time(last_seen)),
            ],
        )
    }

    /// The accessible name of a device's "Lost or stolen" button.
    pub fn device_lost(self, device: &str) -> String {
        self.fill(Format::DeviceLostOf, &[("device", &device)])
    }

    /// "Walk-in, party of 3" / "到店客户（3 人）".
    pub fn walk_in_party(self, n: u32) -> String {
        self.fill_count(Format::WalkInParty, f64::from(n), &[("n", &n)])
    }

    /// "The car's last reading was 5,428 km. Is 1,250 km right?"
    pub fn odometer_doubt(self, last: u32, reading: u32) -> String {
        self.fill(
            Format::OdometerDoubt,
            &[
                ("last", &grouped(last.into())),
                ("reading", &grouped(reading.into())),
            ],
        )
    }

    /// Why a typed time zone cannot be the dealer's, at its field.
    pub fn time_zone_problem(self, problem: crate::local::clock::ZoneProblem) -> &'static str {
        use crate::local::clock::ZoneProblem;
        self.t(match problem {
            ZoneProblem::UnknownToBrowser => Key::TimeZoneUnknownToBrowser,
            ZoneProblem::UnknownToServer => Key::TimeZoneUnknownToServer,
        })
    }

    /// The notice shown while this browser does not know the dealer's zone.
    pub fn time_zone_fallback(self, zone: &str) -> String {
        self.fill(Format::TimeZoneFallback, &[("zone", &zone)])
    }

    /// Time of day, 24 h: "14:05".
    pub fn time_of_day(self, millis: i64) -> String {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis as f64));
        let options = dealer_format(&[("hour", "2-digit"), ("minute", "2-digit")]);
        String::from(date.to_locale_time_string_with_options(self.tag(), &options))
    }

    pub fn stage(self, stage: Stage) -> &'static str {
        self.t(match stage {
            Stage::New => Key::StageNew,
            Stage::Contacted => Key::StageContacted,
            Stage::Visited => Key::StageVisited,
            Stage::TestDrive => Key::StageTestDrive,
            Stage::Quoted => Key::StageQuoted,
            Stage::Ordered => Key::StageOrdered,
            Stage::Delivered => Key::StageDelivered,
            Stage::Lost => Key::StageLost,
        })
    }

    pub fn source(self, source: Source) -> &'static str {
        self.t(match source {
            Source::WalkIn => Key::SourceWalkIn,
            Source::Phone => Key::SourcePhone,
            Source::Website => Key::SourceWebsite,
            Source::Referral => Key::SourceReferral,
            Source::Manufacturer => Key::SourceManufacturer,
            Source::Campaign => Key::SourceCampaign,
            Source::Other => Key::SourceOther,
        })
    }

    /// What a grade means (the chip shows the letter; this is its tooltip).
    pub fn grade_meaning(self, grade: Grade) -> &'static str {
        self.t(match grade {
            Grade::H => Key::GradeMeaningH,
            Grade::A => Key::GradeMeaningA,
            Grade::B => Key::GradeMeaningB,
            Grade::C => Key::GradeMeaningC,
            Grade::N => Key::GradeMeaningN,
            Grade::O => Key::GradeMeaningO,
            Grade::F => Key::GradeMeaningF,
        })
    }

    /// A calendar date as people read it: "27 Nov 2026" / "2026年11月27日".
    pub fn date(self, date: showroom_shared::domain::Date) -> String {
        let (y, m, d) = date.ymd();
        match self {
            Locale::ZhCn => format!("{y}年{m}月{d}日"),
            Locale::En => {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let month = MONTHS.get(m as usize - 1).copied().unwrap_or("?");
                format!("{d} {month} {y}")
            }
        }
    }

    /// "Li Wei · sales1": who is signed in.
    pub fn user_line(self, display_name: &str, username: &str) -> String {
        format!("{display_name} · {username}")
    }

    /// The document title of a page: "Today · Showroom".
    pub fn page_title(self, page: Key) -> String {
        format!("{} · {}", self.t(page), self.t(Key::ProductName))
    }

    /// A device name guessed from the browser: "Chrome on Linux".
    pub fn device_guess(self, guess: &crate::local::device::DeviceGuess) -> String {
        match (guess.browser, guess.os) {
            (Some(browser), Some(os)) => {
                self.fill(Format::DeviceGuess, &[("browser", &browser), ("os", &os)])
            }
            (Some(only), None) | (None, Some(only)) => only.to_owned(),
            (None, None) => self.t(Key::UnknownBrowser).to_owned(),
        }
    }

    /// The label of a role, as people at a dealership say it.
    pub fn role(self, role: Role) -> &'static str {
        self.t(match role {
            Role::Salesperson => Key::RoleSalesperson,
            Role::Manager => Key::RoleManager,
            Role::Admin => Key::RoleAdmin,
        })
    }

    /// A date and time in this locale and the browser's time zone, e.g.
    /// "2026年11月27日 14:05" or "27 Nov 2026, 14:05". `millis` is Unix time.
    /// A moment in the dealer's time zone, written the way [`Locale::date`]
    /// writes dates (one way on every screen): "4 Dec 2026, 19:05",
    /// "2026年12月4日 19:05".
    pub fn date_time(self, millis: i64) -> String {
        let day = showroom_shared::domain::Date::from_unix_ms(
            millis,
            crate::local::clock::offset_minutes(millis),
        );
        match self {
            Locale::En => format!("{}, {}", self.date(day), self.time_of_day(millis)),
            Locale::ZhCn => format!("{} {}", self.date(day), self.time_of_day(millis)),
        }
    }
}

/// Accounts: set-up, passwords, the team's temporary passwords, the logo.
impl Locale {
    /// "Too long: at most N characters."
    pub fn too_long(self, max: usize) -> String {
        self.fill_count(Format::TooLong, max as f64, &[("max", &max)])
    }

    /// The rules a chosen password follows, as a hint under its field.
    pub fn password_rules(self) -> String {
        let min = showroom_shared::domain::NewPassword::MIN_CHARS;
        self.fill_count(Format::PasswordRules, min as f64, &[("min", &min)])
    }

    /// Why a chosen password breaks the rules; `typed` is how many
    /// characters it has so far.
    pub fn new_password_error(
        self,
        error: &showroom_shared::domain::NewPasswordError,
        typed: usize,
    ) -> String {
        use showroom_shared::domain::NewPasswordError as E;
        match error {
            E::TooShort { min } => self.fill_count(
                Format::PasswordTooShort,
                *min as f64,
                &[("min", min), ("n", &typed)],
            ),
            E::TooLong { max } => {
                self.fill_count(Format::PasswordTooLong, *max as f64, &[("max", max)])
            }
            E::Common => self.t(Key::PasswordCommon).to_owned(),
            E::SameAsUsername => self.t(Key::PasswordSameAsUsername).to_owned(),
        }
    }

    /// Why a typed username was not accepted.
    pub fn username_error(self, error: &showroom_shared::domain::UsernameError) -> String {
        use showroom_shared::domain::UsernameError as E;
        match error {
            E::Empty => self.t(Key::UsernameEmpty).to_owned(),
            E::TooLong { max } => {
                self.fill_count(Format::TooLongUsername, *max as f64, &[("max", max)])
            }
            E::BadCharacter => self.t(Key::UsernameBadCharacter).to_owned(),
        }
    }

    /// "Password changed. N other devices were signed out."
    pub fn password_changed(self, other_devices: u32) -> String {
        self.fill_count(
            Format::PasswordChanged,
            f64::from(other_devices),
            &[("n", &other_devices)],
        )
    }

    /// "The username X is taken. Choose another."
    pub fn username_taken(self, username: &str) -> String {
        self.fill(Format::UsernameTaken, &[("username", &username)])
    }

    /// "Give <name> this temporary password: <password>. …"
    pub fn temporary_password_for(self, name: &str, password: &str) -> String {
        self.fill(
            Format::TemporaryPasswordFor,
            &[("name", &name), ("password", &password)],
        )
    }

    /// The accessible name of the button that starts a password reset.
    pub fn reset_password_of(self, name: &str) -> String {
        self.fill(Format::ResetPasswordOf, &[("name", &name)])
    }

    /// The question asked before a password reset.
    pub fn reset_password_confirm(self, name: &str) -> String {
        self.fill(Format::ResetPasswordConfirm, &[("name", &name)])
    }

    /// The accessible name of the button that reactivates a person.
    pub fn reactivate_user(self, name: &str) -> String {
        self.fill(Format::ReactivateUser, &[("name", &name)])
    }

    /// What a logo may be, under its field.
    pub fn logo_hint(self) -> String {
        let kb = showroom_shared::domain::catalogue::DealerProfile::LOGO_BYTES / 1024;
        self.fill(Format::LogoHint, &[("kb", &kb)])
    }

    /// Why a chosen logo was refused.
    pub fn logo_error(self, error: &showroom_shared::domain::catalogue::LogoError) -> String {
        use showroom_shared::domain::catalogue::LogoError as E;
        match error {
            E::Format => self.t(Key::LogoBadFormat).to_owned(),
            E::TooLarge { max } => self.fill(Format::LogoTooLarge, &[("kb", &(max / 1024))]),
        }
    }
}

/// `template` with its `{placeholders}` filled in from `args` (an unknown
/// placeholder is left as it is).
fn fill_in(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let name = &after[..end];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => {
                let _ = write!(out, "{value}");
            }
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `Intl` date options with `parts`, a 24-hour clock and the dealer's time
/// zone, like every time the app shows.
fn dealer_format(parts: &[(&str, &str)]) -> js_sys::Object {
    let options = js_sys::Object::new();
    let zone = crate::local::clock::time_zone();
    for (name, value) in parts
        .iter()
        .copied()
        .chain([("hourCycle", "h23"), ("timeZone", zone.as_str())])
    {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&options, &name.into(), &value.into());
    }
    options
}

/// Declares [`Key`] and [`Key::ALL`] from one list, so `ALL` cannot miss a key.
macro_rules! message_keys {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Plain (argument-free) messages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $($(#[$doc])* $key,)*
        }

        impl Key {
            /// Every key, so tests can check that each has text in each language.
            pub const ALL: &'static [Key] = &[$(Key::$key,)*];
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/i18n_texts.rs"));

/// The app's current locale, shared through context. Reading it inside a
/// reactive closure re-renders the text when the person switches language.
#[derive(Clone, Copy, Debug)]
pub struct I18n {
    locale: RwSignal<Locale>,
}

impl I18n {
    pub fn new(locale: Locale) -> Self {
        Self {
            locale: RwSignal::new(locale),
        }
    }

    /// The current locale (tracked).
    pub fn locale(self) -> Locale {
        self.locale.get()
    }

    /// The current locale, without tracking (for event handlers and tasks).
    pub fn locale_untracked(self) -> Locale {
        self.locale.get_untracked()
    }

    /// The text of a plain message in the current locale (tracked).
    pub fn t(self, key: Key) -> &'static str {
        self.locale.get().t(key)
    }

    pub fn set_locale(self, locale: Locale) {
        self.locale.set(locale);
    }

    pub fn signal(self) -> Signal<Locale> {
        self.locale.into()
    }
}

/// The [`I18n`] the app provides. Outside the app (a component rendered on
/// its own) it falls back to English rather than panicking.
pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n::new(Locale::En))
}

/// Keeps `document.title` in step with the page and the locale.
/// Titles the page by what it shows ("Lead · Showroom"); a record page
/// inside a list gives the list's title back when it closes. Record pages
/// are titled by their kind, never by the customer's name: titles go into
/// the browser's history.
pub fn use_page_title(page: Key) {
    let i18n = use_i18n();
    let document = web_sys::window().and_then(|w| w.document());
    let previous = document.as_ref().map(web_sys::Document::title);
    Effect::new(move |_| {
        let title = i18n.locale().page_title(page);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&title);
        }
    });
    on_cleanup(move || {
        if let (Some(document), Some(previous)) = (document, previous) {
            document.set_title(&previous);
        }
    });
}

/// A count with thousands separators: 10000 → "10,000" (both languages
/// write large counts this way in the app).
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// Keys whose text is deliberately the same in both languages.
    const SAME_IN_BOTH: [Key; 3] = [Key::ProductName, Key::English, Key::Chinese];

    #[wasm_bindgen_test]
    fn large_counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(3_200), "3,200");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(
            Locale::En.receiving(3_200, 10_000),
            "Receiving 3,200 of 10,000 changes"
        );
        assert_eq!(Locale::En.showing(100, 10_000), "Showing 100 of 10,000");
    }

    #[wasm_bindgen_test]
    fn every_key_has_text_in_every_locale() {
        for &key in Key::ALL {
            for locale in Locale::ALL {
                assert!(
                    !locale.t(key).trim().is_empty(),
                    "{key:?} is empty in {locale:?}"
                );
            }
            if !SAME_IN_BOTH.contains(&key) {
                assert_ne!(
                    Locale::En.t(key),
                    Locale::ZhCn.t(key),
                    "{key:?} is not translated"
                );
            }
        }
    }

    #[wasm_bindgen_test]
    fn the_language_buttons_read_the_same_in_both_locales() {
        for locale in Locale::ALL {
            assert_eq!(locale.t(Key::English), "English");
            assert_eq!(locale.t(Key::Chinese), "中文");
        }
    }

    #[wasm_bindgen_test]
    fn locale_follows_the_browser_language() {
        let check = |tag: &str, expect: Locale| {
            assert_eq!(Locale::from_language_tag(tag), expect, "{tag:?}")
        };
        check("zh-CN", Locale::ZhCn);
        check("zh-TW", Locale::ZhCn);
        check("zh", Locale::ZhCn);
        check("ZH-cn", Locale::ZhCn);
        check("zh_Hans_CN", Locale::ZhCn);
        check("en-US", Locale::En);
        check("en", Locale::En);
        check("fr", Locale::En);
        check("zu", Locale::En);
        check("", Locale::En);
    }

    #[wasm_bindgen_test]
    fn stored_preference_accepts_only_our_tags() {
        assert_eq!(Locale::from_stored("en"), Some(Locale::En));
        assert_eq!(Locale::from_stored("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::from_stored("fr"), None);
        assert_eq!(Locale::from_stored(""), None);
        for locale in Locale::ALL {
            assert_eq!(Locale::from_stored(locale.tag()), Some(locale));
        }
    }

    #[wasm_bindgen_test]
    fn messages_with_arguments_carry_them() {
        assert_eq!(Locale::En.welcome("Li Wei"), "Welcome, Li Wei");
        assert_eq!(Locale::ZhCn.welcome("李伟"), "欢迎，李伟");
        assert_eq!(Locale::En.devices_of("Li Wei"), "Devices of Li Wei");
        assert_eq!(
            Locale::En.revoke_device("Chrome on Linux"),
            "Revoke Chrome on Linux"
        );
        assert_eq!(Locale::En.deactivate_user("Li Wei"), "Deactivate Li Wei");
        assert_eq!(
            Locale::En.deactivate_confirm("Li Wei"),
            "Deactivate Li Wei? Their devices are signed out at once."
        );
        assert_eq!(
            Locale::En.too_many_attempts(42),
            "Too many failed attempts. Try again in 42 seconds."
        );
        assert_eq!(Locale::En.sign_in_failed("boom"), "Sign-in failed: boom");
        assert_eq!(
            Locale::En.check_fields("device_name: too long"),
            "Check the fields and try again. device_name: too long"
        );
        assert_eq!(
            Locale::En.check_fields(""),
            "Check the fields and try again."
        );
        assert_eq!(Locale::En.user_line("Li Wei", "sales1"), "Li Wei · sales1");
        assert_eq!(Locale::ZhCn.page_title(Key::Today), "今日 · Showroom");
        for locale in Locale::ALL {
            for text in [
                locale.welcome("X1"),
                locale.devices_of("X1"),
                locale.revoke_device("X1"),
                locale.deactivate_user("X1"),
                locale.deactivate_confirm("X1"),
                locale.sign_in_failed("X1"),
                locale.request_failed("X1"),
                locale.check_fields("X1"),
                locale.discard_failed("X1"),
            ] {
                assert!(text.contains("X1"), "{text:?} lost its argument");
            }
            assert!(locale.too_many_attempts(17).contains("17"));
        }
    }

    /// Issue 19: no label with a bare colon when a manager left no comment;
    /// the trade-in's surplus in words.
    #[wasm_bindgen_test]
    fn decisions_without_a_comment_and_the_surplus_read_as_sentences() {
        for locale in Locale::ALL {
            for text in [
                locale.decision(true, ""),
                locale.decision(false, "  "),
                locale.lost_rejected(""),
            ] {
                let end = text.trim_end();
                assert!(!end.ends_with(':') && !end.ends_with('：'), "{text:?}");
            }
        }
        assert_eq!(Locale::En.decision(false, ""), "Rejected by a manager.");
        assert_eq!(
            Locale::En.lost_rejected(" "),
            "A manager rejected the lost request."
        );
        assert_eq!(
            Locale::En.lost_rejected("周末再约"),
            "A manager rejected the lost request: 周末再约"
        );
        assert_eq!(Locale::ZhCn.decision(true, "同意"), "经理已批准：同意");
        assert_eq!(
            Locale::En.surplus_to_loan(Money(1_345_744)),
            "Trade-in surplus of ¥ 13,457.44 reduces the loan"
        );
        assert_eq!(
            Locale::ZhCn.surplus_to_loan(Money(1_345_744)),
            "以旧换新余额 ¥ 13,457.44 抵减贷款"
        );
        assert_eq!(
            Locale::En.paid_to_customer(Money(3_170_044)),
            "Paid to the customer: ¥ 31,700.44"
        );
    }

    #[wasm_bindgen_test]
    fn dates_are_formatted_per_locale() {
        // 2026-11-27 06:05 UTC: 14:05 in the dealer's zone (Asia/Shanghai
        // until its settings say otherwise), whatever the machine's zone.
        let millis =
            js_sys::Date::utc(2026.0, 10.0) as i64 + 26 * 86_400_000 + (6 * 60 + 5) * 60_000;
        assert_eq!(Locale::ZhCn.date_time(millis), "2026年11月27日 14:05");
        // One way to write a date on every screen: a moment's date is
        // written as a date alone is.
        assert_eq!(Locale::En.date_time(millis), "27 Nov 2026, 14:05");
        let day = "2026-11-27".parse().expect("a date");
        assert!(
            Locale::En
                .date_time(millis)
                .starts_with(&Locale::En.date(day))
        );
        assert!(
            Locale::ZhCn
                .date_time(millis)
                .starts_with(&Locale::ZhCn.date(day))
        );
        // Another dealer's zone moves the clock, not the instant.
        crate::local::clock::set_time_zone("Europe/Berlin");
        let berlin = Locale::En.time_of_day(millis);
        crate::local::clock::set_time_zone("Asia/Shanghai");
        assert_eq!(berlin, "07:05");
        assert_eq!(Locale::En.time_of_day(millis), "14:05");
    }
}
