//! Quotes (报价单): a lead's quotes, each a series of versions (v1, v2 …),
//! and a manager's decisions on them. The arithmetic is `quote_math`; the
//! dealer's dated and provincial rules are [`QuoteRules`] in its settings.
//!
//! A version keeps what it was quoted with: the trim's price and facts, its
//! lines, and the taxes computed under the rules of the day it was quoted
//! ([`QuoteVersion::recompute`]). So a version reads the same years later,
//! whatever the catalogue and the rules became, and its totals are sums of
//! what it holds ([`QuoteVersion::totals`]).
//!
//! A manager's decision is its own record ([`Approval`]), naming the version
//! and the digest of the terms it was given for ([`QuoteVersion::digest`]):
//! it holds only while the version's terms are those, so a later edit needs
//! a new approval, and the manager's record never collides with the
//! salesperson's edits of the version.

use autosurgeon::{Hydrate, Reconcile};
use sha2::{Digest, Sha256};

use super::catalogue::{ColourId, Dealer, ItemId, Powertrain, Trim, TrimId};
use super::id::id_type;
use super::quote_math::{self, Loan, LoanError, PurchaseTax, Settlement};
use super::record::{Field, Fields, Personal, record};
use super::showroom::Signature;
use super::text_enum::text_enum;
use super::{Date, Money, UserId};

id_type!(
    /// A quote: the versions offered for one deal.
    QuoteId
);
id_type!(
    /// One version of a quote.
    VersionId
);
id_type!(
    /// A manager's decision on a version.
    ApprovalId
);

text_enum!(
    /// What the salesperson did with a version. What a person sees is
    /// [`QuoteState`], which adds the manager's decision and the validity.
    QuoteStatus, "quote status", {
        Draft = "draft",
        /// Approval requested from a manager.
        Requested = "requested",
        /// Shown to the customer: frozen from now on.
        Presented = "presented",
        /// Signed by the customer: an order.
        Accepted = "accepted",
        Declined = "declined",
    }
);

impl QuoteStatus {
    /// A presented version never changes its terms; editing it makes a
    /// new version.
    pub const fn is_frozen(self) -> bool {
        matches!(
            self,
            QuoteStatus::Presented | QuoteStatus::Accepted | QuoteStatus::Declined
        )
    }

    /// The statuses a frozen version may move to.
    pub fn may_become(self, next: QuoteStatus) -> bool {
        self == next
            || match self {
                QuoteStatus::Draft | QuoteStatus::Requested => true,
                QuoteStatus::Presented => {
                    matches!(next, QuoteStatus::Accepted | QuoteStatus::Declined)
                }
                QuoteStatus::Accepted | QuoteStatus::Declined => false,
            }
    }
}

text_enum!(
    /// A line of a quote besides the vehicle and the taxes.
    LineKind, "quote line", {
        /// A factory option: part of the car's invoice (and its purchase tax).
        Option = "option",
        /// An accessory (精品).
        Accessory = "accessory",
        /// A service fee (上牌费 …).
        Fee = "fee",
        /// A commercial insurance cover (商业险): the insurer's amount.
        Insurance = "insurance",
    }
);

pub use super::quote_rules::{DiscountLimit, LimitBy, OldCar, QuoteRules, TradeInSubsidy};

/// The car quoted, as the catalogue had it when the version was made.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Vehicle {
    pub trim: TrimId,
    /// "Model Trim", as printed.
    pub label: String,
    /// List price incl. VAT, fen.
    pub list_price: Money,
    pub colour: Option<ColourId>,
    pub colour_name: String,
    pub colour_price: Money,
    pub powertrain: Powertrain,
    pub seats: u32,
    pub displacement_cc: u32,
}

/// A line: an option, an accessory, a fee or an insurance cover.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Line {
    pub kind: LineKind,
    /// The catalogue item, when it came from one.
    pub item: Option<ItemId>,
    pub name: String,
    pub amount: Money,
}

/// The customer's old car.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct TradeIn {
    /// What the dealer pays for it.
    pub appraised: Money,
    /// What is still owed on its loan (the dealer pays it off).
    pub payoff: Money,
    /// The manufacturer's trade-in subsidy (厂家置换补贴).
    pub oem_subsidy: Money,
    pub old_car: OldCar,
}

impl TradeIn {
    /// What the trade-in takes off the cash due.
    pub fn net(&self) -> Money {
        self.appraised
            .saturating_sub(self.payoff)
            .saturating_add(self.oem_subsidy)
    }
}

/// The loan asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Finance {
    /// Down payment on the car's price.
    pub down: Money,
    /// When the down payment was chosen as a share of the price (basis
    /// points): it follows the price as the terms change.
    #[autosurgeon(missing = "Default::default")]
    pub down_bp: Option<u32>,
    pub months: u32,
    /// Annual rate in basis points; 0 for a 0 % promotion.
    pub apr_bp: u32,
}

/// The taxes of a version, computed under the dealer's rules on the day it
/// was quoted and kept with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Taxes {
    pub purchase_gross: Money,
    pub purchase_relief: Money,
    pub purchase_due: Money,
    pub compulsory: Money,
    pub vessel: Money,
    /// The national trade-in subsidy the buyer may claim afterwards:
    /// information, never deducted.
    pub subsidy_info: Money,
}

/// The order an accepted version records.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Order {
    pub delivery: Date,
    pub ordered_at: i64,
}

/// One version of a quote: a record of the lead's document.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct QuoteVersion {
    pub id: VersionId,
    pub quote: QuoteId,
    /// 1, 2 …: the order versions of one quote were made in.
    pub number: u32,
    pub status: QuoteStatus,
    pub vehicle: Vehicle,
    pub lines: Vec<Line>,
    /// The dealer's discount off the car (what a manager approves).
    pub discount: Money,
    /// The manufacturer's rebate off the car.
    pub oem_rebate: Money,
    pub trade_in: Option<TradeIn>,
    /// 定金: paid at order, deducted from the cash due.
    pub deposit: Money,
    pub finance: Option<Finance>,
    pub taxes: Taxes,
    pub quoted_on: Date,
    pub valid_until: Date,
    pub requested_at: Option<i64>,
    pub presented_at: Option<i64>,
    /// The digest of the terms as they were shown to the customer, written
    /// by the device that presented them: a concurrent edit merged into a
    /// presented version cannot pass for what the customer saw.
    #[autosurgeon(missing = "Default::default")]
    pub presented_digest: Option<String>,
    /// The customer's signature on acceptance.
    pub signature: Option<Signature>,
    pub order: Option<Order>,
    pub created_by: UserId,
    pub created_at: i64,
}

/// The totals of a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totals {
    /// The car's invoice price incl. VAT: list + colour + options − discount
    /// − OEM rebate.
    pub price: Money,
    pub options: Money,
    pub accessories: Money,
    pub fees: Money,
    pub insurance: Money,
    /// 落地价: price + purchase tax + compulsory insurance + vessel tax +
    /// commercial insurance + accessories + fees.
    pub out_the_door: Money,
    pub trade_in: Money,
    pub deposit: Money,
    /// The loan, when finance was asked for and computes, after the
    /// trade-in's surplus reduced it ([`quote_math::settle`]); none when the
    /// surplus paid off all of it.
    pub loan: Option<Loan>,
    /// The amount financed: the loan's principal, or nothing.
    pub financed: Money,
    /// The surplus of the trade-in and the deposit over what is due at
    /// signing that reduced the loan asked for (price − down payment).
    pub to_loan: Money,
    /// Cash at signing, never negative: out the door − financed − trade-in
    /// − deposit + paid out.
    pub cash_due: Money,
    /// What the dealer pays the customer when the trade-in and the deposit
    /// exceed even the loan; the same with the cash option.
    pub paid_out: Money,
    /// Cash at signing without a loan (the cash option), never negative.
    pub cash_option: Money,
}

/// What a person sees of a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuoteState {
    Draft,
    /// Waiting for a manager.
    Pending,
    Approved(Approval),
    /// Rejected; the salesperson edits and asks again.
    Rejected(Approval),
    Presented,
    Accepted,
    Declined,
    /// Past its validity date before the customer signed.
    Expired,
}

/// A manager's decision on one version's terms: a record of the lead's
/// document, written only from a manager's (or an admin's) session.
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct Approval {
    pub id: ApprovalId,
    pub version: VersionId,
    /// [`QuoteVersion::digest`] of the terms decided on.
    pub digest: String,
    pub approved: bool,
    pub comment: String,
    pub decided_by: UserId,
    pub decided_at: i64,
}

/// Whether a manager's decision lacks the comment it needs: a rejection (of
/// a quote's terms or of a lost request) goes back to the salesperson with
/// the reason; an approval may go without one.
pub fn decision_needs_comment(approved: bool, comment: &str) -> bool {
    !approved && comment.trim().is_empty()
}

/// Which versions need a manager: the discount limits of the dealer's
/// settings and trims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalPolicy {
    pub default: DiscountLimit,
    pub trims: Vec<(TrimId, DiscountLimit)>,
}

/// What the dealer's catalogue says about quotes (here, beside the quote:
/// the catalogue does not know quotes).
impl Dealer {
    /// Which quotes need a manager's approval.
    pub fn approval_policy(&self) -> ApprovalPolicy {
        ApprovalPolicy {
            default: self.settings.quote.max_discount,
            trims: self
                .trims
                .iter()
                .filter_map(|t| t.max_discount.map(|l| (t.id, l)))
                .collect(),
        }
    }

    /// The car's margin on a quote version: its invoice price less the
    /// trim's cost, when the catalogue has the cost.
    pub fn margin(&self, version: &QuoteVersion) -> Option<Money> {
        let cost = self.trim(version.vehicle.trim)?.cost?;
        Some(version.price().saturating_sub(cost))
    }
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        ApprovalPolicy {
            default: QuoteRules::default().max_discount,
            trims: Vec::new(),
        }
    }
}

impl ApprovalPolicy {
    pub fn limit(&self, trim: TrimId) -> DiscountLimit {
        self.trims
            .iter()
            .find(|(t, _)| *t == trim)
            .map_or(self.default, |(_, l)| *l)
    }

    /// Whether the version's discount needs a manager's approval.
    pub fn needs_approval(&self, v: &QuoteVersion) -> bool {
        self.limit(v.vehicle.trim)
            .exceeded(v.discount, v.vehicle.list_price)
    }
}

impl QuoteVersion {
    /// A new draft for `trim` (its list price and facts as the catalogue has
    /// them), quoted on `today` under the dealer's rules.
    #[allow(clippy::too_many_arguments)]
    pub fn draft(
        id: VersionId,
        quote: QuoteId,
        dealer: &Dealer,
        trim: &Trim,
        today: Date,
        by: UserId,
        now: i64,
    ) -> QuoteVersion {
        let rules = &dealer.settings.quote;
        let mut v = QuoteVersion {
            id,
            quote,
            number: 1,
            status: QuoteStatus::Draft,
            vehicle: Vehicle {
                trim: trim.id,
                label: dealer.trim_label(trim.id),
                list_price: trim.list_price,
                colour: None,
                colour_name: String::new(),
                colour_price: Money::ZERO,
                powertrain: trim.powertrain,
                seats: trim.seats,
                displacement_cc: trim.displacement_cc,
            },
            lines: Vec::new(),
            discount: Money::ZERO,
            oem_rebate: Money::ZERO,
            trade_in: None,
            deposit: Money::ZERO,
            finance: None,
            taxes: Taxes::default(),
            quoted_on: today,
            valid_until: today.add_days(i32::try_from(rules.valid_days).unwrap_or(7)),
            requested_at: None,
            presented_at: None,
            presented_digest: None,
            signature: None,
            order: None,
            created_by: by,
            created_at: now,
        };
        v.recompute(rules);
        v
    }

    /// The next version of the same quote: the same terms as a new draft,
    /// quoted again on `today` (the taxes and validity of today's rules).
    pub fn next_version(
        &self,
        id: VersionId,
        number: u32,
        rules: &QuoteRules,
        today: Date,
        by: UserId,
        now: i64,
    ) -> QuoteVersion {
        let mut v = self.clone();
        v.id = id;
        v.number = number;
        v.status = QuoteStatus::Draft;
        v.quoted_on = today;
        v.valid_until = today.add_days(i32::try_from(rules.valid_days).unwrap_or(7));
        v.requested_at = None;
        v.presented_at = None;
        v.presented_digest = None;
        v.signature = None;
        v.order = None;
        v.created_by = by;
        v.created_at = now;
        v.recompute(rules);
        v
    }

    pub fn is_nev(&self) -> bool {
        self.vehicle.powertrain.is_nev()
    }

    fn sum_of(&self, kind: LineKind) -> Money {
        Money::sum(
            self.lines
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.amount),
        )
    }

    /// The car's invoice price incl. VAT.
    pub fn price(&self) -> Money {
        self.vehicle
            .list_price
            .saturating_add(self.vehicle.colour_price)
            .saturating_add(self.sum_of(LineKind::Option))
            .saturating_sub(self.discount)
            .saturating_sub(self.oem_rebate)
    }

    /// The smallest down payment the dealer's rules allow on this car.
    pub fn min_down(&self, rules: &QuoteRules) -> Money {
        let bp = if self.is_nev() {
            rules.min_down_bp_nev
        } else {
            rules.min_down_bp_ice
        };
        self.price().share_bp(bp)
    }

    /// Computes the taxes and the subsidy information under `rules` for the
    /// day the version is quoted on. Called on every edit of a draft; a
    /// frozen version keeps what it has.
    pub fn recompute(&mut self, rules: &QuoteRules) {
        let price = self.price();
        if let Some(f) = self.finance.as_mut()
            && let Some(bp) = f.down_bp
        {
            f.down = price.share_bp(bp);
        }
        let nev = self.is_nev();
        let PurchaseTax { gross, relief, due } =
            quote_math::purchase_tax(price, nev, self.quoted_on, &rules.nev_reliefs);
        let subsidy_info = self.trade_in.map_or(Money::ZERO, |t| {
            rules
                .trade_in_subsidies
                .iter()
                .find(|s| {
                    s.old_car == t.old_car
                        && s.nev == nev
                        && s.from <= self.quoted_on
                        && self.quoted_on <= s.until
                        && s.max_cc
                            .is_none_or(|max| self.vehicle.displacement_cc <= max)
                })
                .map_or(Money::ZERO, |s| price.share_bp(s.share_bp).min(s.cap))
        });
        self.taxes = Taxes {
            purchase_gross: gross,
            purchase_relief: relief,
            purchase_due: due,
            compulsory: quote_math::compulsory_insurance(
                self.vehicle.seats,
                rules.compulsory_under_six,
                rules.compulsory_six_or_more,
            ),
            vessel: quote_math::vessel_tax(
                self.vehicle.displacement_cc,
                nev,
                rules.nev_vessel_exempt,
                self.quoted_on,
                &rules.vessel_bands,
            ),
            subsidy_info,
        };
    }

    /// The loan of the version's finance, or why it does not compute: the
    /// price less the down payment, less the trade-in's surplus
    /// ([`quote_math::settle`]). `None` without finance, or when the surplus
    /// pays off the whole loan.
    pub fn loan(&self) -> Option<Result<Loan, LoanError>> {
        self.settlement(self.out_the_door()).0
    }

    /// 落地价: price + purchase tax + compulsory insurance + vessel tax +
    /// commercial insurance + accessories + fees.
    fn out_the_door(&self) -> Money {
        Money::sum([
            self.price(),
            self.taxes.purchase_due,
            self.taxes.compulsory,
            self.taxes.vessel,
            self.sum_of(LineKind::Insurance),
            self.sum_of(LineKind::Accessory),
            self.sum_of(LineKind::Fee),
        ])
    }

    /// What the trade-in and the deposit pay at signing.
    fn credits(&self) -> Money {
        self.trade_in
            .map_or(Money::ZERO, |t| t.net())
            .saturating_add(self.deposit)
    }

    /// The loan and what is settled at signing under the surplus rule: a
    /// loan that does not compute finances nothing; one the surplus reduces
    /// is computed again on what is left of it.
    fn settlement(&self, out_the_door: Money) -> (Option<Result<Loan, LoanError>>, Settlement) {
        let credits = self.credits();
        let Some(f) = self.finance else {
            return (None, quote_math::settle(out_the_door, Money::ZERO, credits));
        };
        let asked = self.price().saturating_sub(f.down);
        match quote_math::equal_instalments(asked, f.months, f.apr_bp) {
            Err(e) => (
                Some(Err(e)),
                quote_math::settle(out_the_door, Money::ZERO, credits),
            ),
            Ok(full) => {
                let s = quote_math::settle(out_the_door, asked, credits);
                let loan = if s.to_loan == Money::ZERO {
                    Some(Ok(full))
                } else if s.financed > Money::ZERO {
                    Some(quote_math::equal_instalments(
                        s.financed, f.months, f.apr_bp,
                    ))
                } else {
                    None
                };
                (loan, s)
            }
        }
    }

    pub fn totals(&self) -> Totals {
        let out_the_door = self.out_the_door();
        let (loan, settled) = self.settlement(out_the_door);
        let cash = quote_math::settle(out_the_door, Money::ZERO, self.credits());
        Totals {
            price: self.price(),
            options: self.sum_of(LineKind::Option),
            accessories: self.sum_of(LineKind::Accessory),
            fees: self.sum_of(LineKind::Fee),
            insurance: self.sum_of(LineKind::Insurance),
            out_the_door,
            trade_in: self.trade_in.map_or(Money::ZERO, |t| t.net()),
            deposit: self.deposit,
            loan: loan.and_then(Result::ok),
            financed: settled.financed,
            to_loan: settled.to_loan,
            cash_due: settled.cash_due,
            paid_out: settled.paid_out,
            cash_option: cash.cash_due,
        }
    }

    /// What a person sees: the status, the manager's decision on these
    /// exact terms, and the validity on `today`.
    pub fn state(&self, approvals: &[Approval], today: Date) -> QuoteState {
        let expired = today > self.valid_until;
        match self.status {
            QuoteStatus::Accepted => QuoteState::Accepted,
            QuoteStatus::Declined => QuoteState::Declined,
            _ if expired => QuoteState::Expired,
            QuoteStatus::Presented => QuoteState::Presented,
            QuoteStatus::Draft | QuoteStatus::Requested => match self.decision(approvals) {
                Some(a) if a.approved => QuoteState::Approved(a.clone()),
                Some(a) => QuoteState::Rejected(a.clone()),
                None if self.status == QuoteStatus::Requested => QuoteState::Pending,
                None => QuoteState::Draft,
            },
        }
    }

    /// The latest decision on this version's current terms.
    pub fn decision<'a>(&self, approvals: &'a [Approval]) -> Option<&'a Approval> {
        let digest = self.digest();
        approvals
            .iter()
            .filter(|a| a.version == self.id && a.digest == digest)
            .max_by_key(|a| (a.decided_at, a.id))
    }

    /// Shows the version to the customer at `now`: frozen from now on, with
    /// the digest of the terms shown.
    pub fn present(&mut self, now: i64) {
        self.status = QuoteStatus::Presented;
        self.presented_at = Some(now);
        self.presented_digest = Some(self.digest());
    }

    /// Whether the version prints as an offer (else it prints as a draft,
    /// not valid as an offer): a manager approved these terms when they
    /// need it, and the customer was shown them (presented or accepted, the
    /// terms being those presented).
    pub fn printable_as_offer(&self, approvals: &[Approval], policy: &ApprovalPolicy) -> bool {
        let approved =
            !policy.needs_approval(self) || self.decision(approvals).is_some_and(|a| a.approved);
        let shown = matches!(self.status, QuoteStatus::Presented | QuoteStatus::Accepted)
            && self
                .presented_digest
                .as_deref()
                .is_none_or(|d| d == self.digest());
        approved && shown
    }

    /// Whether the version may be shown to the customer: its finance
    /// computes, and a manager approved these terms when they need it.
    pub fn may_present(&self, approvals: &[Approval], policy: &ApprovalPolicy) -> bool {
        !matches!(self.loan(), Some(Err(_)))
            && (!policy.needs_approval(self)
                || self.decision(approvals).is_some_and(|a| a.approved))
    }

    /// The digest of the version's terms: everything the customer is
    /// offered, nothing of who did what when. Hex, 128 bits of SHA-256.
    pub fn digest(&self) -> String {
        let mut h = Canon(Sha256::new());
        h.text(&self.id.to_string());
        let v = &self.vehicle;
        h.text(&v.trim.to_string());
        h.text(&v.label);
        h.money(v.list_price);
        h.text(&v.colour.map(|c| c.to_string()).unwrap_or_default());
        h.text(&v.colour_name);
        h.money(v.colour_price);
        h.text(v.powertrain.as_str());
        h.int(i64::from(v.seats));
        h.int(i64::from(v.displacement_cc));
        h.int(self.lines.len() as i64);
        for l in &self.lines {
            h.text(l.kind.as_str());
            h.text(&l.item.map(|i| i.to_string()).unwrap_or_default());
            h.text(&l.name);
            h.money(l.amount);
        }
        h.money(self.discount);
        h.money(self.oem_rebate);
        match &self.trade_in {
            None => h.int(0),
            Some(t) => {
                h.int(1);
                h.money(t.appraised);
                h.money(t.payoff);
                h.money(t.oem_subsidy);
                h.text(t.old_car.as_str());
            }
        }
        h.money(self.deposit);
        match &self.finance {
            None => h.int(0),
            Some(f) => {
                h.int(1);
                h.money(f.down);
                h.int(f.down_bp.map_or(-1, i64::from));
                h.int(i64::from(f.months));
                h.int(i64::from(f.apr_bp));
            }
        }
        let t = &self.taxes;
        for m in [
            t.purchase_gross,
            t.purchase_relief,
            t.purchase_due,
            t.compulsory,
            t.vessel,
            t.subsidy_info,
        ] {
            h.money(m);
        }
        h.text(&self.quoted_on.to_string());
        h.text(&self.valid_until.to_string());
        let bytes = h.0.finalize();
        bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The version's printed rows, in order: what a comparison lines up.
    pub fn rows(&self) -> Vec<Row> {
        let t = self.totals();
        let mut rows = vec![Row::new(RowKey::ListPrice, "", self.vehicle.list_price)];
        if self.vehicle.colour_price != Money::ZERO {
            rows.push(Row::new(
                RowKey::Colour,
                &self.vehicle.colour_name,
                self.vehicle.colour_price,
            ));
        }
        let line_key = |k: LineKind| match k {
            LineKind::Option => RowKey::Option,
            LineKind::Accessory => RowKey::Accessory,
            LineKind::Fee => RowKey::Fee,
            LineKind::Insurance => RowKey::Insurance,
        };
        for l in self.lines.iter().filter(|l| l.kind == LineKind::Option) {
            rows.push(Row::new(RowKey::Option, &l.name, l.amount));
        }
        rows.push(Row::new(RowKey::Discount, "", Money(-self.discount.0)));
        if self.oem_rebate != Money::ZERO {
            rows.push(Row::new(RowKey::OemRebate, "", Money(-self.oem_rebate.0)));
        }
        rows.push(Row::new(RowKey::Price, "", t.price));
        rows.push(Row::new(RowKey::PurchaseTax, "", self.taxes.purchase_due));
        rows.push(Row::new(RowKey::Compulsory, "", self.taxes.compulsory));
        rows.push(Row::new(RowKey::VesselTax, "", self.taxes.vessel));
        for l in self.lines.iter().filter(|l| l.kind != LineKind::Option) {
            rows.push(Row::new(line_key(l.kind), &l.name, l.amount));
        }
        rows.push(Row::new(RowKey::OutTheDoor, "", t.out_the_door));
        if self.trade_in.is_some() {
            rows.push(Row::new(RowKey::TradeIn, "", Money(-t.trade_in.0)));
        }
        if self.deposit != Money::ZERO {
            rows.push(Row::new(RowKey::Deposit, "", Money(-self.deposit.0)));
        }
        if let Some(loan) = t.loan {
            rows.push(Row::new(RowKey::Financed, "", loan.principal));
            rows.push(Row::new(RowKey::Monthly, "", loan.monthly));
            rows.push(Row::new(RowKey::Interest, "", loan.total_interest));
        }
        rows.push(Row::new(RowKey::CashDue, "", t.cash_due));
        if t.paid_out != Money::ZERO {
            rows.push(Row::new(RowKey::PaidOut, "", t.paid_out));
        }
        rows
    }
}

/// What a printed or compared row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowKey {
    ListPrice,
    Colour,
    Option,
    Discount,
    OemRebate,
    Price,
    PurchaseTax,
    Compulsory,
    VesselTax,
    Accessory,
    Fee,
    Insurance,
    OutTheDoor,
    TradeIn,
    Deposit,
    Financed,
    Monthly,
    Interest,
    CashDue,
    /// Paid to the customer: the trade-in's surplus beyond the loan.
    PaidOut,
}

/// One row: its key, the line's own name for lines, and the amount
/// (deductions negative).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub key: RowKey,
    pub name: String,
    pub amount: Money,
}

impl Row {
    fn new(key: RowKey, name: &str, amount: Money) -> Row {
        Row {
            key,
            name: name.to_owned(),
            amount,
        }
    }
}

/// Two versions side by side: every row of either, with each one's amount
/// (`None` where it has no such row) in the order of `b` then what only
/// `a` had.
pub fn compare(
    a: &QuoteVersion,
    b: &QuoteVersion,
) -> Vec<(RowKey, String, Option<Money>, Option<Money>)> {
    let (ra, rb) = (a.rows(), b.rows());
    let mut out: Vec<(RowKey, String, Option<Money>, Option<Money>)> = rb
        .iter()
        .map(|r| {
            let old = ra
                .iter()
                .find(|o| o.key == r.key && o.name == r.name)
                .map(|o| o.amount);
            (r.key, r.name.clone(), old, Some(r.amount))
        })
        .collect();
    for r in &ra {
        if !rb.iter().any(|n| n.key == r.key && n.name == r.name) {
            out.push((r.key, r.name.clone(), Some(r.amount), None));
        }
    }
    out
}

/// A length-prefixed feed of a hash: no two different sequences of fields
/// feed the same bytes.
struct Canon(Sha256);

impl Canon {
    fn text(&mut self, s: &str) {
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
    }
    fn int(&mut self, n: i64) {
        self.0.update(n.to_le_bytes());
    }
    fn money(&mut self, m: Money) {
        self.int(m.0);
    }
}

// What each record holds: its kind, its authors, its fields' tags
// (`super::record`).

record!(QuoteVersion, "quote", "quote", |q| q.id.to_string(), authors: |q| {
    let mut a = vec![("created_by", q.created_by)];
    a.extend(q.signature.as_ref().map(|s| ("signature.captured_by", s.captured_by)));
    a
});
record!(Approval, "approval", "approval", |a| a.id.to_string(), authors: |a| vec![("decided_by", a.decided_by)]);

impl Fields for Vehicle {
    const FIELDS: &'static [Field] = &[
        Field::milestone("trim"),
        Field::dealer("label"),
        Field::dealer("list_price"),
        Field::dealer("colour"),
        Field::dealer("colour_name"),
        Field::dealer("colour_price"),
        Field::dealer("powertrain"),
        Field::dealer("seats"),
        Field::dealer("displacement_cc"),
    ];
}

impl Fields for Line {
    const FIELDS: &'static [Field] = &[
        Field::dealer("kind"),
        Field::dealer("item"),
        Field::dealer("name"),
        Field::dealer("amount"),
    ];
}

impl Fields for TradeIn {
    const FIELDS: &'static [Field] = &[
        Field::dealer("appraised"),
        Field::dealer("payoff"),
        Field::dealer("oem_subsidy"),
        Field::dealer("old_car"),
    ];
}

impl Fields for Finance {
    const FIELDS: &'static [Field] = &[
        Field::dealer("down"),
        Field::dealer("down_bp"),
        Field::dealer("months"),
        Field::dealer("apr_bp"),
    ];
}

impl Fields for Taxes {
    const FIELDS: &'static [Field] = &[
        Field::dealer("purchase_gross"),
        Field::dealer("purchase_relief"),
        Field::dealer("purchase_due"),
        Field::dealer("compulsory"),
        Field::dealer("vessel"),
        Field::dealer("subsidy_info"),
    ];
}

impl Fields for Order {
    const FIELDS: &'static [Field] =
        &[Field::milestone("delivery"), Field::milestone("ordered_at")];
}

impl Fields for QuoteVersion {
    const FIELDS: &'static [Field] = &[
        Field::milestone("id"),
        Field::milestone("quote"),
        Field::dealer("number"),
        Field::milestone("status"),
        Field::nested("vehicle", Vehicle::FIELDS),
        Field::nested("lines", Line::FIELDS),
        Field::dealer("discount"),
        Field::dealer("oem_rebate"),
        Field::nested("trade_in", TradeIn::FIELDS),
        Field::dealer("deposit"),
        Field::nested("finance", Finance::FIELDS),
        Field::nested("taxes", Taxes::FIELDS),
        Field::dealer("quoted_on"),
        Field::dealer("valid_until"),
        Field::dealer("requested_at"),
        Field::milestone("presented_at"),
        Field::dealer("presented_digest"),
        Field::nested("signature", Signature::FIELDS),
        Field::nested("order", Order::FIELDS),
        Field::dealer("created_by"),
        Field::dealer("created_at"),
    ];
}

impl Fields for Approval {
    const FIELDS: &'static [Field] = &[
        Field::dealer("id"),
        Field::dealer("version"),
        Field::dealer("digest"),
        Field::dealer("approved"),
        Field::personal("comment", Personal::FreeText),
        Field::dealer("decided_by"),
        Field::dealer("decided_at"),
    ];
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::quote_math::purchase_tax;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn day(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap_or_else(|e| panic!("{e}"))
    }

    /// RULES.md's worked example: 2026, a NEV, 5 seats, invoice ¥200,000,
    /// insurance ¥5,000, plate ¥500, accessories ¥3,000; 30 % down,
    /// 36 months at 3.5 %.
    pub(crate) fn worked_example() -> QuoteVersion {
        let mut v = QuoteVersion {
            id: VersionId::from_uuid(Uuid::from_u128(1)),
            quote: QuoteId::from_uuid(Uuid::from_u128(2)),
            number: 1,
            status: QuoteStatus::Draft,
            vehicle: Vehicle {
                trim: TrimId::from_uuid(Uuid::from_u128(3)),
                label: "Ridge DM-i 200 km Ultra".into(),
                list_price: Money::yuan(200_000),
                colour: None,
                colour_name: String::new(),
                colour_price: Money::ZERO,
                powertrain: Powertrain::PlugInHybrid,
                seats: 5,
                displacement_cc: 1_497,
            },
            lines: vec![
                Line {
                    kind: LineKind::Insurance,
                    item: None,
                    name: "商业险 Commercial insurance".into(),
                    amount: Money::yuan(5_000),
                },
                Line {
                    kind: LineKind::Fee,
                    item: None,
                    name: "上牌服务费 Plate registration".into(),
                    amount: Money::yuan(500),
                },
                Line {
                    kind: LineKind::Accessory,
                    item: None,
                    name: "精品礼包 Accessory pack".into(),
                    amount: Money::yuan(3_000),
                },
            ],
            discount: Money::ZERO,
            oem_rebate: Money::ZERO,
            trade_in: None,
            deposit: Money::ZERO,
            finance: Some(Finance {
                down: Money::yuan(60_000),
                down_bp: None,
                months: 36,
                apr_bp: 350,
            }),
            taxes: Taxes::default(),
            quoted_on: day(2026, 3, 14),
            valid_until: day(2026, 3, 21),
            requested_at: None,
            presented_at: None,
            presented_digest: None,
            signature: None,
            order: None,
            created_by: UserId::from_uuid(Uuid::from_u128(10)),
            created_at: 1_000,
        };
        v.recompute(&QuoteRules::default());
        v
    }

    #[test]
    fn the_worked_example_of_rules_md_as_a_quote() {
        let v = worked_example();
        assert_eq!(v.taxes.purchase_gross.to_string(), "17,699.12");
        assert_eq!(v.taxes.purchase_due.to_string(), "8,849.56");
        assert_eq!(v.taxes.compulsory.to_string(), "950.00");
        assert_eq!(v.taxes.vessel, Money::ZERO, "a NEV pays no vessel tax");
        let t = v.totals();
        assert_eq!(t.out_the_door.to_string(), "218,299.56");
        let loan = t.loan.unwrap_or_else(|| panic!("the loan computes"));
        assert_eq!(loan.principal.to_string(), "140,000.00");
        assert_eq!(loan.monthly.to_string(), "4,102.29");
        assert_eq!(t.financed, Money::yuan(140_000));
        assert_eq!(t.cash_due.to_string(), "78,299.56");
        assert_eq!(t.cash_option, t.out_the_door);
        assert_eq!(
            v.min_down(&QuoteRules::default()),
            Money::yuan(30_000),
            "15 % of a NEV"
        );
    }

    /// The numbers the end-to-end test expects on screen and on paper: the
    /// worked example with ¥10,000 off and 30 % down.
    #[test]
    fn the_worked_example_with_a_discount_as_the_e2e_test_enters_it() {
        let mut v = worked_example();
        v.discount = Money::yuan(10_000);
        v.finance = Some(Finance {
            down: Money::ZERO,
            down_bp: Some(3_000),
            months: 36,
            apr_bp: 350,
        });
        v.recompute(&QuoteRules::default());
        assert_eq!(v.taxes.purchase_due.to_string(), "8,407.08");
        let t = v.totals();
        assert_eq!(t.out_the_door.to_string(), "207,857.08");
        assert_eq!(
            t.financed.to_string(),
            "133,000.00",
            "30 % of ¥190,000 down"
        );
        let loan = t.loan.unwrap_or_else(|| panic!("a loan"));
        assert_eq!(loan.monthly.to_string(), "3,897.18");
        assert_eq!(loan.total_interest.to_string(), "7,298.48");
        assert_eq!(t.cash_due.to_string(), "74,857.08");
        assert!(
            ApprovalPolicy::default().needs_approval(&v),
            "5 % is over 3 %"
        );
    }

    #[test]
    fn a_petrol_car_pays_full_tax_and_the_vessel_tax_of_its_band() {
        let mut v = worked_example();
        v.vehicle.powertrain = Powertrain::Petrol;
        v.vehicle.seats = 7;
        v.quoted_on = day(2026, 10, 2);
        v.recompute(&QuoteRules::default());
        assert_eq!(v.taxes.purchase_due.to_string(), "17,699.12");
        assert_eq!(v.taxes.compulsory, Money::yuan(1_100), "seven seats");
        assert_eq!(
            v.taxes.vessel,
            Money::yuan(105),
            "¥420 a year, 3 months left"
        );
        assert_eq!(
            v.min_down(&QuoteRules::default()),
            Money::yuan(40_000),
            "20 %"
        );
    }

    #[test]
    fn trade_in_and_deposit_reduce_the_cash_due_and_the_subsidy_is_information() {
        let mut v = worked_example();
        v.trade_in = Some(TradeIn {
            appraised: Money::yuan(50_000),
            payoff: Money::yuan(10_000),
            oem_subsidy: Money::yuan(5_000),
            old_car: OldCar::Scrap,
        });
        v.deposit = Money::yuan(5_000);
        v.recompute(&QuoteRules::default());
        let t = v.totals();
        assert_eq!(t.out_the_door.to_string(), "218,299.56", "not a deduction");
        assert_eq!(t.trade_in, Money::yuan(45_000));
        assert_eq!(t.cash_due.to_string(), "28,299.56");
        // Scrap and buy a NEV: 12 % of ¥200,000 is 24,000, capped at 20,000.
        assert_eq!(v.taxes.subsidy_info, Money::yuan(20_000));
        v.trade_in = v.trade_in.map(|t| TradeIn {
            old_car: OldCar::Transfer,
            ..t
        });
        v.recompute(&QuoteRules::default());
        assert_eq!(
            v.taxes.subsidy_info,
            Money::yuan(15_000),
            "8 % = 16,000, capped"
        );
        v.quoted_on = day(2027, 1, 4);
        v.recompute(&QuoteRules::default());
        assert_eq!(v.taxes.subsidy_info, Money::ZERO, "the 2026 scheme ended");
    }

    /// Issue 19: a trade-in worth more than the cash due with a loan printed
    /// "Cash due at signing: −¥13,457.44". The surplus reduces the loan.
    #[test]
    fn a_trade_in_surplus_reduces_the_loan_and_cash_due_is_never_negative() {
        let mut v = worked_example();
        v.trade_in = Some(TradeIn {
            appraised: Money::yuan(95_000),
            payoff: Money::yuan(8_243),
            oem_subsidy: Money::yuan(5_000),
            old_car: OldCar::Transfer,
        });
        v.recompute(&QuoteRules::default());
        let t = v.totals();
        assert_eq!(t.trade_in.to_string(), "91,757.00");
        assert_eq!(t.cash_due, Money::ZERO, "was −13,457.44");
        assert_eq!(t.to_loan.to_string(), "13,457.44");
        assert_eq!(t.financed.to_string(), "126,542.56", "140,000 − 13,457.44");
        assert_eq!(t.paid_out, Money::ZERO);
        let loan = t.loan.unwrap_or_else(|| panic!("a smaller loan"));
        assert_eq!(loan.principal, t.financed);
        assert_eq!(
            Some(Ok(loan)),
            v.loan(),
            "the loan shown is the loan computed"
        );
        assert!(loan.monthly < Money(410_229), "less than 4,102.29 a month");
        // To the fen: what is owed is paid by the trade-in, the loan and cash.
        assert_eq!(
            t.out_the_door.0,
            t.trade_in.0 + t.deposit.0 + t.financed.0 + t.cash_due.0 - t.paid_out.0
        );
        assert_eq!(t.financed.0 + t.to_loan.0, 14_000_000);
        let rows = v.rows();
        assert!(
            rows.iter()
                .all(|r| r.key != RowKey::CashDue || r.amount.0 >= 0)
        );
        assert!(rows.iter().all(|r| r.key != RowKey::PaidOut));
        assert!(v.may_present(&[], &ApprovalPolicy::default()));
        // A fen less of surplus: a fen more of loan.
        v.trade_in = v.trade_in.map(|t| TradeIn {
            payoff: Money(t.payoff.0 + 1),
            ..t
        });
        let t = v.totals();
        assert_eq!(t.to_loan.to_string(), "13,457.43");
        assert_eq!(t.financed.to_string(), "126,542.57");
    }

    #[test]
    fn a_surplus_beyond_the_loan_is_paid_out_to_the_customer() {
        let mut v = worked_example();
        v.trade_in = Some(TradeIn {
            appraised: Money::yuan(245_000),
            payoff: Money::ZERO,
            oem_subsidy: Money::ZERO,
            old_car: OldCar::Transfer,
        });
        v.deposit = Money::yuan(5_000);
        v.recompute(&QuoteRules::default());
        let t = v.totals();
        assert_eq!(t.to_loan, Money::yuan(140_000), "the whole loan");
        assert_eq!(t.financed, Money::ZERO);
        assert_eq!(t.loan, None, "no loan left to pay");
        assert_eq!(v.loan(), None, "and no loan problem either");
        assert_eq!(t.cash_due, Money::ZERO);
        assert_eq!(t.paid_out.to_string(), "31,700.44", "250,000 − 218,299.56");
        assert_eq!(t.cash_option, Money::ZERO);
        let rows = v.rows();
        let row = |k: RowKey| rows.iter().find(|r| r.key == k).map(|r| r.amount);
        assert_eq!(row(RowKey::CashDue), Some(Money::ZERO));
        assert_eq!(row(RowKey::PaidOut), Some(t.paid_out));
        assert_eq!(row(RowKey::Financed), None);
        assert!(v.may_present(&[], &ApprovalPolicy::default()));
        // Without finance the surplus is paid out all the same.
        v.finance = None;
        let cash = v.totals();
        assert_eq!((cash.cash_due, cash.paid_out), (Money::ZERO, t.paid_out));
        // A trade-in short of the cash due changes nothing.
        v.trade_in = v.trade_in.map(|t| TradeIn {
            appraised: Money::yuan(10_000),
            ..t
        });
        let t = v.totals();
        assert_eq!((t.to_loan, t.paid_out), (Money::ZERO, Money::ZERO));
        assert_eq!(t.cash_due.to_string(), "203,299.56");
    }

    /// Issue 19: a version waiting for a manager printed like a valid quote.
    #[test]
    fn only_a_presented_version_with_the_approval_it_needs_prints_as_an_offer() {
        let policy = ApprovalPolicy::default();
        let mut v = worked_example();
        assert!(!v.printable_as_offer(&[], &policy), "a draft");
        v.status = QuoteStatus::Requested;
        assert!(!v.printable_as_offer(&[], &policy), "asked for approval");
        v.present(5_000);
        assert!(
            v.printable_as_offer(&[], &policy),
            "within the limit: presented is enough"
        );
        v.status = QuoteStatus::Accepted;
        assert!(v.printable_as_offer(&[], &policy), "signed");
        v.status = QuoteStatus::Declined;
        assert!(!v.printable_as_offer(&[], &policy), "declined");
        // Over the limit: the manager's approval of these exact terms.
        let mut over = worked_example();
        over.discount = Money::yuan(10_000);
        over.recompute(&QuoteRules::default());
        over.status = QuoteStatus::Requested;
        let decide = |v: &QuoteVersion, approved: bool| Approval {
            id: ApprovalId::from_uuid(Uuid::from_u128(9)),
            version: v.id,
            digest: v.digest(),
            approved,
            comment: String::new(),
            decided_by: UserId::from_uuid(Uuid::from_u128(20)),
            decided_at: 2_000,
        };
        let yes = [decide(&over, true)];
        let no = [decide(&over, false)];
        assert!(
            !over.printable_as_offer(&yes, &policy),
            "approved, not yet presented"
        );
        over.present(5_000);
        assert!(!over.printable_as_offer(&[], &policy), "no approval");
        assert!(!over.printable_as_offer(&no, &policy), "rejected");
        assert!(over.printable_as_offer(&yes, &policy));
        // Terms merged in after the presentation are not what was shown.
        let mut merged = over.clone();
        merged.deposit = Money::yuan(1);
        let merged_yes = [decide(&merged, true)];
        assert!(!merged.printable_as_offer(&merged_yes, &policy));
    }

    #[test]
    fn a_rejection_needs_a_comment_an_approval_does_not() {
        assert!(decision_needs_comment(false, ""));
        assert!(decision_needs_comment(false, " \n\t "));
        assert!(!decision_needs_comment(false, "周末再约一次试驾"));
        assert!(!decision_needs_comment(true, ""));
        assert!(!decision_needs_comment(true, "OK"));
    }

    #[test]
    fn the_discount_limit_and_the_approval_of_exact_terms() {
        let mut v = worked_example();
        let policy = ApprovalPolicy::default();
        v.discount = Money::yuan(6_000);
        assert!(!policy.needs_approval(&v), "3 % of ¥200,000 is ¥6,000");
        v.discount = Money(600_001);
        assert!(policy.needs_approval(&v));
        let per_trim = ApprovalPolicy {
            default: policy.default,
            trims: vec![(
                v.vehicle.trim,
                DiscountLimit {
                    by: LimitBy::Amount,
                    value: Money::yuan(10_000).0,
                },
            )],
        };
        assert!(!per_trim.needs_approval(&v), "the trim's own limit");
        v.recompute(&QuoteRules::default());
        let approval = Approval {
            id: ApprovalId::from_uuid(Uuid::from_u128(9)),
            version: v.id,
            digest: v.digest(),
            approved: true,
            comment: "OK".into(),
            decided_by: UserId::from_uuid(Uuid::from_u128(20)),
            decided_at: 2_000,
        };
        let today = day(2026, 3, 15);
        assert!(v.may_present(std::slice::from_ref(&approval), &policy));
        assert!(matches!(
            v.state(std::slice::from_ref(&approval), today),
            QuoteState::Approved(_)
        ));
        // Any change of terms needs a new approval.
        let mut edited = v.clone();
        edited.discount = Money(600_002);
        edited.recompute(&QuoteRules::default());
        assert!(!edited.may_present(std::slice::from_ref(&approval), &policy));
        edited.status = QuoteStatus::Requested;
        assert_eq!(
            edited.state(std::slice::from_ref(&approval), today),
            QuoteState::Pending
        );
        // Who and when are not terms.
        let mut stamped = v.clone();
        stamped.status = QuoteStatus::Requested;
        stamped.requested_at = Some(3_000);
        assert_eq!(stamped.digest(), v.digest());
        assert_eq!(v.state(&[], day(2026, 3, 22)), QuoteState::Expired);
    }

    #[test]
    fn discount_limits_read_as_a_manager_types_them() {
        let share = |v| DiscountLimit {
            by: LimitBy::Share,
            value: v,
        };
        let amount = |v| DiscountLimit {
            by: LimitBy::Amount,
            value: v,
        };
        assert_eq!("3%".parse(), Ok(share(300)));
        assert_eq!(" 2.5 ％".parse(), Ok(share(250)));
        assert_eq!("¥5,000".parse(), Ok(amount(500_000)));
        assert!("150%".parse::<DiscountLimit>().is_err());
        assert!("-1".parse::<DiscountLimit>().is_err());
        assert!("abc".parse::<DiscountLimit>().is_err());
        for l in [share(300), amount(500_000)] {
            assert_eq!(l.to_string().parse(), Ok(l), "{l}");
        }
    }

    #[test]
    fn two_versions_compare_row_by_row() {
        let a = worked_example();
        let mut b = a.clone();
        b.discount = Money::yuan(2_000);
        b.lines.retain(|l| l.kind != LineKind::Accessory);
        b.recompute(&QuoteRules::default());
        let rows = compare(&a, &b);
        let find = |k: RowKey| rows.iter().find(|r| r.0 == k).cloned();
        assert_eq!(
            find(RowKey::Discount).map(|r| (r.2, r.3)),
            Some((Some(Money::ZERO), Some(Money::yuan(-2_000))))
        );
        assert_eq!(
            find(RowKey::Accessory).map(|r| (r.2, r.3)),
            Some((Some(Money::yuan(3_000)), None)),
            "a line only the first had"
        );
        let otd = find(RowKey::OutTheDoor).and_then(|r| r.2.zip(r.3));
        assert_eq!(
            otd.map(|(x, y)| x.0 - y.0),
            Some(Money::yuan(3_000).0 + Money::yuan(2_000).0 + (884_956 - 876_106)),
            "the discount also lowers the purchase tax"
        );
    }

    fn line_kind() -> impl Strategy<Value = LineKind> {
        prop::sample::select(LineKind::ALL.to_vec())
    }

    fn version() -> impl Strategy<Value = QuoteVersion> {
        (
            0i64..=10_000_000_000,
            prop::collection::vec((line_kind(), 0i64..=1_000_000_000), 0..8),
            0i64..=1_000_000_000,
            0i64..=1_000_000_000,
            any::<bool>(),
            prop::option::of((
                0i64..=1_000_000_000,
                0i64..=1_000_000_000,
                12u32..=60,
                0u32..=3_600,
            )),
            0u32..4,
            prop::option::of((
                0i64..=3_000_000_000,
                0i64..=1_000_000_000,
                0i64..=100_000_000,
            )),
        )
            .prop_map(
                |(list, lines, discount, deposit, nev, finance, drive, trade_in)| {
                    let mut v = worked_example();
                    v.vehicle.list_price = Money(list);
                    v.vehicle.powertrain = if nev {
                        Powertrain::BatteryElectric
                    } else {
                        [Powertrain::Petrol, Powertrain::Diesel, Powertrain::Hybrid]
                            [drive as usize % 3]
                    };
                    v.lines = lines
                        .into_iter()
                        .map(|(kind, amount)| Line {
                            kind,
                            item: None,
                            name: kind.as_str().into(),
                            amount: Money(amount),
                        })
                        .collect();
                    v.discount = Money(discount.min(list));
                    v.deposit = Money(deposit);
                    v.trade_in = trade_in.map(|(appraised, payoff, oem)| TradeIn {
                        appraised: Money(appraised),
                        payoff: Money(payoff),
                        oem_subsidy: Money(oem),
                        old_car: OldCar::Transfer,
                    });
                    v.finance = finance.map(|(down, _, months, apr_bp)| Finance {
                        down: Money(down),
                        down_bp: None,
                        months,
                        apr_bp,
                    });
                    v.recompute(&QuoteRules::default());
                    v
                },
            )
    }

    proptest! {
        /// The out-the-door total is the sum of its lines, computed here
        /// without saturation in i128; nothing overflows for list prices up
        /// to ¥100,000,000 and lines up to ¥10,000,000 each.
        #[test]
        fn the_total_is_the_sum_of_its_lines(v in version()) {
            let t = v.totals();
            let wide: i128 = i128::from(v.vehicle.list_price.0)
                + i128::from(v.vehicle.colour_price.0)
                - i128::from(v.discount.0)
                - i128::from(v.oem_rebate.0)
                + v.lines.iter().map(|l| i128::from(l.amount.0)).sum::<i128>()
                + i128::from(v.taxes.purchase_due.0)
                + i128::from(v.taxes.compulsory.0)
                + i128::from(v.taxes.vessel.0);
            prop_assert_eq!(i128::from(t.out_the_door.0), wide);
            // The printed rows from the price to the total add up to it.
            let rows = v.rows();
            let from = rows.iter().position(|r| r.key == RowKey::Price).unwrap_or(0);
            let to = rows.iter().position(|r| r.key == RowKey::OutTheDoor).unwrap_or(0);
            let summed: i64 = rows[from..to].iter().map(|r| r.amount.0).sum();
            prop_assert_eq!(summed, t.out_the_door.0);
            // Cash due is never negative; a surplus reduces the loan, then
            // is paid out; the sums are exact to the fen.
            prop_assert!(t.cash_due.0 >= 0 && t.paid_out.0 >= 0 && t.to_loan.0 >= 0);
            prop_assert!(t.cash_due == Money::ZERO || t.paid_out == Money::ZERO);
            prop_assert_eq!(
                t.cash_due.0 - t.paid_out.0,
                t.out_the_door.0 - t.financed.0 - t.trade_in.0 - t.deposit.0
            );
            prop_assert_eq!(t.financed, t.loan.map_or(Money::ZERO, |l| l.principal));
            if t.paid_out != Money::ZERO {
                prop_assert!(t.financed == Money::ZERO, "paid out only once the loan is nothing");
            }
            if let (Some(f), Some(Ok(_)) | None) = (v.finance, v.loan()) {
                prop_assert_eq!(t.financed.0 + t.to_loan.0, v.price().0 - f.down.0);
            }
            prop_assert!(t.cash_option.0 >= 0);
            prop_assert_eq!(
                t.cash_option.0 - t.paid_out.0,
                t.out_the_door.0 - t.trade_in.0 - t.deposit.0
            );
            if let Some(loan) = t.loan {
                let paid = i128::from(loan.monthly.0) * i128::from(loan.months - 1) + i128::from(loan.last.0);
                prop_assert!((paid - i128::from(loan.principal.0) - i128::from(loan.total_interest.0)).abs() <= i128::from(loan.months));
            }
        }

        /// Purchase tax never falls when the price rises, and the NEV relief
        /// never exceeds its cap.
        #[test]
        fn purchase_tax_is_monotone_and_the_relief_capped(p in 0i64..=10_000_000_000, more in 0i64..=1_000_000_000, y in 2024i32..=2029) {
            let reliefs = crate::domain::quote_math::announced_nev_reliefs();
            let on = day(y, 6, 1);
            for nev in [false, true] {
                let a = purchase_tax(Money(p), nev, on, &reliefs);
                let b = purchase_tax(Money(p + more), nev, on, &reliefs);
                prop_assert!(a.due <= b.due && a.gross <= b.gross);
                let cap = reliefs.iter().map(|r| r.cap).max().unwrap_or(Money::ZERO);
                prop_assert!(a.relief <= cap && a.relief.0 >= 0 && a.due.0 >= 0);
            }
        }
    }
}
