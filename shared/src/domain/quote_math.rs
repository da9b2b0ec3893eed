//! The arithmetic of a Chinese new-car quote (报价单), exact to the fen
//! (RULES.md, "A Chinese new-car quote"). Dated and provincial rules are
//! data passed in (dealer settings with validity dates), never constants
//! here. No floating point anywhere.
//!
//! **Rounding, stated once:** every computed line (purchase tax, its relief,
//! a prorated vehicle tax, a monthly payment) is rounded to the fen, half
//! up, when it is computed; sums of lines are exact.

use autosurgeon::{Hydrate, Reconcile};

use super::{Date, Money};

/// `numerator / denominator` of a non-negative amount, rounded half up.
fn div_round(numerator: i128, denominator: i128) -> i64 {
    if denominator == 0 {
        return 0;
    }
    let q = (numerator * 2 + denominator) / (denominator * 2);
    i64::try_from(q).unwrap_or(i64::MAX)
}

/// A relief of the purchase tax for new-energy vehicles, valid on the days
/// `from..=until`: `share_bp` of the tax (10,000 = exempt, 5,000 = halved),
/// at most `cap` per car.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct NevRelief {
    pub from: Date,
    pub until: Date,
    pub share_bp: u32,
    pub cap: Money,
}

/// The reliefs announced so far (MOF/STA/MIIT 2023 No. 10): exempt up to
/// ¥30,000 in 2024–2025, halved up to ¥15,000 in 2026–2027. A dealer's
/// settings start from these and carry later announcements.
pub fn announced_nev_reliefs() -> Vec<NevRelief> {
    let day = |y, m, d| Date::from_ymd(y, m, d).unwrap_or_else(|_| Date::from_unix_ms(0, 0));
    vec![
        NevRelief {
            from: day(2024, 1, 1),
            until: day(2025, 12, 31),
            share_bp: 10_000,
            cap: Money::yuan(30_000),
        },
        NevRelief {
            from: day(2026, 1, 1),
            until: day(2027, 12, 31),
            share_bp: 5_000,
            cap: Money::yuan(15_000),
        },
    ]
}

/// Purchase tax (车辆购置税) and the NEV relief applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseTax {
    /// Price incl. VAT ÷ 1.13 × 10 %.
    pub gross: Money,
    pub relief: Money,
    /// What the buyer pays.
    pub due: Money,
}

/// The purchase tax of a car bought on `on` at `price` (VAT included).
pub fn purchase_tax(price: Money, nev: bool, on: Date, reliefs: &[NevRelief]) -> PurchaseTax {
    let gross = Money(div_round(i128::from(price.0.max(0)) * 10, 113));
    let relief = if nev {
        reliefs
            .iter()
            .find(|r| r.from <= on && on <= r.until)
            .map(|r| {
                let share = Money(div_round(
                    i128::from(gross.0) * i128::from(r.share_bp),
                    10_000,
                ));
                share.min(r.cap)
            })
            .unwrap_or(Money::ZERO)
    } else {
        Money::ZERO
    };
    PurchaseTax {
        gross,
        relief,
        due: Money(gross.0 - relief.0),
    }
}

/// Compulsory traffic insurance (交强险) for a household car by seats: the
/// tariff is data (`under_six`, `six_or_more`; ¥950 / ¥1,100 today).
pub fn compulsory_insurance(seats: u32, under_six: Money, six_or_more: Money) -> Money {
    if seats < 6 { under_six } else { six_or_more }
}

/// One band of a province's vehicle and vessel tax (车船税): engines up to
/// `max_cc` (the last band has none) pay `annual` a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hydrate, Reconcile)]
pub struct VesselTaxBand {
    pub max_cc: Option<u32>,
    pub annual: Money,
}

/// The first year's vehicle and vessel tax: the band of `cc`, prorated by
/// the months left in the year counting the month of purchase; nothing for
/// a NEV when the province exempts them (`nev_exempt`).
pub fn vessel_tax(
    cc: u32,
    nev: bool,
    nev_exempt: bool,
    bought: Date,
    bands: &[VesselTaxBand],
) -> Money {
    if nev && nev_exempt {
        return Money::ZERO;
    }
    let Some(band) = bands.iter().find(|b| b.max_cc.is_none_or(|max| cc <= max)) else {
        return Money::ZERO;
    };
    let (_, month, _) = bought.ymd();
    let months_left = i128::from(13 - month.clamp(1, 12));
    Money(div_round(i128::from(band.annual.0) * months_left, 12))
}

/// A loan repaid in equal instalments (等额本息).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loan {
    pub principal: Money,
    pub months: u32,
    /// Annual rate in basis points (350 = 3.5 %); 0 for a 0 % promotion.
    pub apr_bp: u32,
    /// Every instalment but the last.
    pub monthly: Money,
    /// The last instalment, which takes the rounding's remainder.
    pub last: Money,
    pub total_interest: Money,
}

/// Why a loan cannot be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoanError {
    #[error("a loan runs 12 to 60 months")]
    Term,
    #[error("the amount financed must be positive")]
    Amount,
    #[error("the rate is at most 36 % a year")]
    Rate,
}

/// Fixed-point scale for the instalment factor: 10^18.
const SCALE: i128 = 1_000_000_000_000_000_000;

/// Equal instalments: monthly = P·r·(1+r)^n / ((1+r)^n − 1), r = APR / 12,
/// computed in fixed point (18 decimals) and rounded half up to the fen;
/// the last instalment makes the instalments add up to principal + interest
/// exactly, the interest being `monthly × n − P` as a bank quotes it.
pub fn equal_instalments(principal: Money, months: u32, apr_bp: u32) -> Result<Loan, LoanError> {
    if !(12..=60).contains(&months) {
        return Err(LoanError::Term);
    }
    if principal.0 <= 0 {
        return Err(LoanError::Amount);
    }
    if apr_bp > 3_600 {
        return Err(LoanError::Rate);
    }
    let p = i128::from(principal.0);
    let n = i128::from(months);
    if apr_bp == 0 {
        let monthly = div_round(p, n);
        let last = principal.0 - monthly * (i64::from(months) - 1);
        return Ok(Loan {
            principal,
            months,
            apr_bp,
            monthly: Money(monthly),
            last: Money(last),
            total_interest: Money::ZERO,
        });
    }
    // r at SCALE: apr_bp / 10,000 / 12.
    let r = i128::from(apr_bp) * SCALE / 120_000;
    let mut f = SCALE; // (1 + r)^n at SCALE
    for _ in 0..months {
        f = (f * (SCALE + r) + SCALE / 2) / SCALE;
    }
    // k = r·f / (f − 1), at SCALE; then monthly = P·k.
    let k = r * f / (f - SCALE);
    let monthly = div_round(p * k, SCALE);
    let total = i128::from(monthly) * n;
    let interest = i64::try_from(total - p).unwrap_or(0);
    Ok(Loan {
        principal,
        months,
        apr_bp,
        monthly: Money(monthly),
        last: Money(monthly),
        total_interest: Money(interest),
    })
}

/// What is settled at signing once the trade-in and the deposit count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settlement {
    /// The amount financed: the loan asked for less [`Settlement::to_loan`].
    pub financed: Money,
    /// The part of the surplus that reduces the loan asked for.
    pub to_loan: Money,
    /// What the customer pays at signing: never negative.
    pub cash_due: Money,
    /// What the dealer pays the customer: the surplus left once the loan is
    /// nothing. Never negative, and nothing when cash is due.
    pub paid_out: Money,
}

/// **The surplus rule, stated once.** At signing the customer owes the
/// out-the-door total less the loan asked for (`asked`, nothing without a
/// loan); the trade-in and the deposit (`credits`) pay for it. When they are
/// worth more than that, the surplus reduces the loan (the dealer finances
/// less), and what is left once the loan is nothing is paid out to the
/// customer: an amount due is never negative. Exact to the fen:
/// `cash_due − paid_out = out_the_door − financed − credits` and
/// `financed + to_loan = asked`.
pub fn settle(out_the_door: Money, asked: Money, credits: Money) -> Settlement {
    let fen = |n: i128| Money(i64::try_from(n.max(0)).unwrap_or(i64::MAX));
    let asked = asked.max(Money::ZERO);
    let balance = i128::from(out_the_door.0) - i128::from(asked.0) - i128::from(credits.0);
    if balance >= 0 {
        return Settlement {
            financed: asked,
            to_loan: Money::ZERO,
            cash_due: fen(balance),
            paid_out: Money::ZERO,
        };
    }
    let surplus = -balance;
    let to_loan = surplus.min(i128::from(asked.0));
    Settlement {
        financed: fen(i128::from(asked.0) - to_loan),
        to_loan: fen(to_loan),
        cash_due: Money::ZERO,
        paid_out: fen(surplus - to_loan),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_worked_example_of_rules_md() {
        // 2026, NEV, 5 seats, invoice ¥200,000; insurance ¥5,000, plate
        // ¥500, accessories ¥3,000.
        let on = day(2026, 3, 14);
        let tax = purchase_tax(Money::yuan(200_000), true, on, &announced_nev_reliefs());
        assert_eq!(
            tax.gross,
            Money(1_769_912),
            "200,000 ÷ 1.13 × 10 % = 17,699.12"
        );
        assert_eq!(tax.due, Money(884_956), "halved: 8,849.56");
        assert_eq!(tax.relief, Money(884_956));
        let compulsory = compulsory_insurance(5, Money::yuan(950), Money::yuan(1_100));
        let vessel = vessel_tax(0, true, true, on, &[]);
        let otd = [
            Money::yuan(200_000),
            tax.due,
            compulsory,
            vessel,
            Money::yuan(5_000),
            Money::yuan(500),
            Money::yuan(3_000),
        ]
        .iter()
        .fold(Money::ZERO, |a, b| a.saturating_add(*b));
        assert_eq!(otd.to_string(), "218,299.56");
        // 30 % down on the vehicle: ¥140,000 over 36 months at 3.5 %.
        let loan =
            equal_instalments(Money::yuan(140_000), 36, 350).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loan.monthly.to_string(), "4,102.29");
        assert_eq!(
            loan.total_interest.0 / 100,
            7_682,
            "total interest ≈ ¥7,682"
        );
    }

    #[test]
    fn the_nev_relief_follows_its_dates_and_cap() {
        let reliefs = announced_nev_reliefs();
        // ¥500,000 in 2026: tax 44,247.79, half 22,123.89, capped at 15,000.
        let t = purchase_tax(Money::yuan(500_000), true, day(2026, 6, 1), &reliefs);
        assert_eq!(t.gross, Money(4_424_779));
        assert_eq!(t.relief, Money::yuan(15_000));
        assert_eq!(t.due, Money(4_424_779 - 1_500_000));
        // 2025: exempt up to 30,000.
        let t = purchase_tax(Money::yuan(200_000), true, day(2025, 12, 31), &reliefs);
        assert_eq!(t.due, Money::ZERO);
        // 2028: no relief announced; a petrol car never has one.
        assert_eq!(
            purchase_tax(Money::yuan(200_000), true, day(2028, 1, 1), &reliefs).relief,
            Money::ZERO
        );
        assert_eq!(
            purchase_tax(Money::yuan(200_000), false, day(2026, 1, 1), &reliefs).relief,
            Money::ZERO
        );
    }

    #[test]
    fn the_vessel_tax_takes_the_band_and_the_months_left() {
        // Beijing's bands.
        let bands: Vec<VesselTaxBand> = [
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
        .collect();
        assert_eq!(
            vessel_tax(1_498, false, true, day(2026, 1, 10), &bands),
            Money::yuan(420)
        );
        // Bought in October: 3 months left.
        assert_eq!(
            vessel_tax(1_498, false, true, day(2026, 10, 2), &bands),
            Money::yuan(105)
        );
        assert_eq!(
            vessel_tax(4_500, false, true, day(2026, 12, 31), &bands),
            Money::yuan(440)
        );
        assert_eq!(
            vessel_tax(1_497, true, true, day(2026, 1, 1), &bands),
            Money::ZERO
        );
        assert_eq!(
            vessel_tax(1_497, true, false, day(2026, 1, 1), &bands),
            Money::yuan(420)
        );
    }

    proptest::proptest! {
        /// Whatever the amount, term and rate: the instalments add up to the
        /// principal plus the interest to the fen, and more interest comes
        /// with a higher rate.
        #[test]
        fn instalments_add_up_exactly(p in 100_000i64..2_000_000_000, n in 12u32..=60, apr in 0u32..=3_600) {
            let loan = equal_instalments(Money(p), n, apr).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(loan.monthly.0 * i64::from(n - 1) + loan.last.0, p + loan.total_interest.0);
            proptest::prop_assert!(loan.monthly.0 > 0 && loan.total_interest.0 >= 0);
            if apr < 3_600 {
                let dearer = equal_instalments(Money(p), n, apr + 1).map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                proptest::prop_assert!(dearer.total_interest >= loan.total_interest);
            }
        }
    }

    #[test]
    fn a_surplus_reduces_the_loan_then_is_paid_out() {
        // Issue 19: ¥218,299.56 out the door, ¥140,000 asked, ¥91,757
        // trade-in: 78,299.56 was due, so 13,457.44 over.
        let otd = Money(21_829_956);
        let s = settle(otd, Money::yuan(140_000), Money::yuan(91_757));
        assert_eq!(
            s,
            Settlement {
                financed: Money(12_654_256),
                to_loan: Money(1_345_744),
                cash_due: Money::ZERO,
                paid_out: Money::ZERO,
            }
        );
        // Short of what is due: nothing changes.
        let s = settle(otd, Money::yuan(140_000), Money::yuan(50_000));
        assert_eq!(
            (s.financed, s.to_loan, s.cash_due, s.paid_out),
            (
                Money::yuan(140_000),
                Money::ZERO,
                Money(2_829_956),
                Money::ZERO
            )
        );
        // Exactly what is due: nothing either way.
        let s = settle(otd, Money::yuan(140_000), Money(7_829_956));
        assert_eq!(
            (s.cash_due, s.to_loan, s.paid_out),
            (Money::ZERO, Money::ZERO, Money::ZERO)
        );
        // More than the loan: the loan is nothing, the rest is paid out.
        let s = settle(otd, Money::yuan(140_000), Money::yuan(250_000));
        assert_eq!(
            (s.financed, s.to_loan, s.cash_due, s.paid_out),
            (
                Money::ZERO,
                Money::yuan(140_000),
                Money::ZERO,
                Money(3_170_044)
            )
        );
        // No loan: the surplus is paid out.
        let s = settle(otd, Money::ZERO, Money::yuan(250_000));
        assert_eq!((s.to_loan, s.paid_out), (Money::ZERO, Money(3_170_044)));
        // A trade-in worth less than its loan adds to the cash due.
        let s = settle(otd, Money::ZERO, Money::yuan(-1_000));
        assert_eq!(s.cash_due, Money(21_929_956));
    }

    proptest::proptest! {
        /// Whatever the amounts: nothing negative, cash due and paid out
        /// never both, and the sums exact to the fen.
        #[test]
        fn a_settlement_adds_up_exactly(
            otd in 0i64..=20_000_000_000,
            asked in 0i64..=20_000_000_000,
            credits in -2_000_000_000i64..=20_000_000_000,
        ) {
            let s = settle(Money(otd), Money(asked), Money(credits));
            proptest::prop_assert!(s.cash_due.0 >= 0 && s.paid_out.0 >= 0);
            proptest::prop_assert!(s.to_loan.0 >= 0 && s.financed.0 >= 0);
            proptest::prop_assert!(s.cash_due == Money::ZERO || s.paid_out == Money::ZERO);
            proptest::prop_assert!(s.paid_out == Money::ZERO || s.financed == Money::ZERO);
            proptest::prop_assert_eq!(s.financed.0 + s.to_loan.0, asked);
            proptest::prop_assert_eq!(s.cash_due.0 - s.paid_out.0, otd - s.financed.0 - credits);
        }
    }

    #[test]
    fn a_zero_percent_loan_and_the_limits() {
        let loan = equal_instalments(Money::yuan(100_000), 36, 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(loan.monthly, Money(277_778));
        assert_eq!(loan.last, Money(10_000_000 - 277_778 * 35));
        assert_eq!(loan.total_interest, Money::ZERO);
        assert_eq!(
            i64::from(loan.months - 1) * loan.monthly.0 + loan.last.0,
            10_000_000
        );
        assert_eq!(
            equal_instalments(Money::yuan(1), 6, 350),
            Err(LoanError::Term)
        );
        assert_eq!(
            equal_instalments(Money::yuan(1), 72, 350),
            Err(LoanError::Term)
        );
        assert_eq!(
            equal_instalments(Money::ZERO, 36, 350),
            Err(LoanError::Amount)
        );
        assert_eq!(
            equal_instalments(Money::yuan(1), 36, 5_000),
            Err(LoanError::Rate)
        );
        // The instalments of a longer term are smaller and cost more interest.
        let short =
            equal_instalments(Money::yuan(140_000), 24, 350).unwrap_or_else(|e| panic!("{e}"));
        let long =
            equal_instalments(Money::yuan(140_000), 60, 350).unwrap_or_else(|e| panic!("{e}"));
        assert!(long.monthly < short.monthly && long.total_interest > short.total_interest);
    }
}
