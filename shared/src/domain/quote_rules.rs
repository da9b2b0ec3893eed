//! The dealer's quote rules (RULES.md): discount limits, the national
//! trade-in subsidy, insurance and tax figures — settings of the dealer
//! (`catalogue::Settings`), read by quotes (`quote`).

use autosurgeon::{Hydrate, Reconcile};

use super::quote_math::{NevRelief, VesselTaxBand, announced_nev_reliefs};
use super::record::{Field, Fields};
use super::text_enum::text_enum;
use super::{Date, Money};

text_enum!(
    /// How a discount limit is expressed.
    LimitBy, "discount limit", {
        Amount = "amount",
        /// Basis points of the list price (300 = 3 %).
        Share = "share",
    }
);

text_enum!(
    /// What happens to the buyer's old car (national trade-in subsidy).
    OldCar, "old car", {
        /// Scrapped (报废更新).
        Scrap = "scrap",
        /// Sold or transferred (置换更新).
        Transfer = "transfer",
    }
);

/// The largest dealer discount a salesperson may give without a manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct DiscountLimit {
    pub by: LimitBy,
    /// Fen (`Amount`) or basis points (`Share`).
    pub value: i64,
}

impl DiscountLimit {
    /// Whether `discount` off `base` goes over the limit.
    pub fn exceeded(&self, discount: Money, base: Money) -> bool {
        match self.by {
            LimitBy::Amount => discount.0 > self.value,
            LimitBy::Share => {
                i128::from(discount.0) * 10_000 > i128::from(base.0) * i128::from(self.value)
            }
        }
    }
}

impl std::str::FromStr for DiscountLimit {
    type Err = super::MoneyError;
    /// What a manager types: `3%` (a share of the list price, two
    /// decimals at most) or `5000` / `¥5,000` (an amount).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.strip_suffix(['%', '％']) {
            Some(share) => {
                let bp = share.parse::<Money>()?.0;
                if !(0..=10_000).contains(&bp) {
                    return Err(super::MoneyError);
                }
                Ok(DiscountLimit {
                    by: LimitBy::Share,
                    value: bp,
                })
            }
            None => {
                let m = t.parse::<Money>()?;
                if m.0 < 0 {
                    return Err(super::MoneyError);
                }
                Ok(DiscountLimit {
                    by: LimitBy::Amount,
                    value: m.0,
                })
            }
        }
    }
}

impl std::fmt::Display for DiscountLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.by {
            LimitBy::Share => write!(f, "{}%", Money(self.value)),
            LimitBy::Amount => write!(f, "{}", Money(self.value)),
        }
    }
}

/// One scheme of the national trade-in subsidy (以旧换新): a share of the
/// new car's price up to a cap, for a NEV or a petrol car up to `max_cc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct TradeInSubsidy {
    pub old_car: OldCar,
    pub nev: bool,
    /// For a petrol car: the largest engine that qualifies.
    pub max_cc: Option<u32>,
    pub share_bp: u32,
    pub cap: Money,
    pub from: Date,
    pub until: Date,
}

/// The dealer's quote rules: dated and provincial rules as data (RULES.md).
#[derive(Clone, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct QuoteRules {
    pub nev_reliefs: Vec<NevRelief>,
    /// 交强险 a year: under six seats, six or more.
    pub compulsory_under_six: Money,
    pub compulsory_six_or_more: Money,
    /// The province's vehicle and vessel tax bands.
    pub vessel_bands: Vec<VesselTaxBand>,
    pub nev_vessel_exempt: bool,
    /// The smallest down payment, in basis points of the car's price.
    pub min_down_bp_ice: u32,
    pub min_down_bp_nev: u32,
    /// Days a quote is valid.
    pub valid_days: u32,
    /// The default discount limit; a trim may set its own.
    pub max_discount: DiscountLimit,
    pub trade_in_subsidies: Vec<TradeInSubsidy>,
}

impl Default for QuoteRules {
    fn default() -> Self {
        let day = |y, m, d| Date::from_ymd(y, m, d).unwrap_or_else(|_| Date::from_unix_ms(0, 0));
        let subsidy = |old_car, nev, max_cc, share_bp, cap| TradeInSubsidy {
            old_car,
            nev,
            max_cc,
            share_bp,
            cap: Money::yuan(cap),
            from: day(2026, 1, 1),
            until: day(2026, 12, 31),
        };
        QuoteRules {
            nev_reliefs: announced_nev_reliefs(),
            compulsory_under_six: Money::yuan(950),
            compulsory_six_or_more: Money::yuan(1_100),
            // Beijing's bands (RULES.md); a dealer elsewhere sets its own.
            vessel_bands: [
                (Some(1_000), 300),
                (Some(1_600), 420),
                (Some(2_000), 480),
                (Some(2_500), 900),
                (Some(3_000), 1_920),
                (Some(4_000), 3_480),
                (None, 5_280),
            ]
            .into_iter()
            .map(|(max_cc, y)| VesselTaxBand {
                max_cc,
                annual: Money::yuan(y),
            })
            .collect(),
            nev_vessel_exempt: true,
            min_down_bp_ice: 2_000,
            min_down_bp_nev: 1_500,
            valid_days: 7,
            max_discount: DiscountLimit {
                by: LimitBy::Share,
                value: 300,
            },
            // MOFCOM and 7 ministries, 2025-12-30.
            trade_in_subsidies: vec![
                subsidy(OldCar::Scrap, true, None, 1_200, 20_000),
                subsidy(OldCar::Scrap, false, Some(2_000), 1_000, 15_000),
                subsidy(OldCar::Transfer, true, None, 800, 15_000),
                subsidy(OldCar::Transfer, false, Some(2_000), 600, 13_000),
            ],
        }
    }
}

// The tags of the dealer's quote settings (`super::record`): the dealer's
// own, none personal.

impl Fields for QuoteRules {
    const FIELDS: &'static [Field] = &[
        Field::nested("nev_reliefs", NevRelief::FIELDS),
        Field::dealer("compulsory_under_six"),
        Field::dealer("compulsory_six_or_more"),
        Field::nested("vessel_bands", VesselTaxBand::FIELDS),
        Field::dealer("nev_vessel_exempt"),
        Field::dealer("min_down_bp_ice"),
        Field::dealer("min_down_bp_nev"),
        Field::dealer("valid_days"),
        Field::nested("max_discount", DiscountLimit::FIELDS),
        Field::nested("trade_in_subsidies", TradeInSubsidy::FIELDS),
    ];
}

impl Fields for NevRelief {
    const FIELDS: &'static [Field] = &[
        Field::dealer("from"),
        Field::dealer("until"),
        Field::dealer("share_bp"),
        Field::dealer("cap"),
    ];
}

impl Fields for VesselTaxBand {
    const FIELDS: &'static [Field] = &[Field::dealer("max_cc"), Field::dealer("annual")];
}

impl Fields for DiscountLimit {
    const FIELDS: &'static [Field] = &[Field::dealer("by"), Field::dealer("value")];
}

impl Fields for TradeInSubsidy {
    const FIELDS: &'static [Field] = &[
        Field::dealer("old_car"),
        Field::dealer("nev"),
        Field::dealer("max_cc"),
        Field::dealer("share_bp"),
        Field::dealer("cap"),
        Field::dealer("from"),
        Field::dealer("until"),
    ];
}
