//! Demo data for `cargo xtask run` and the tests: two dealers and their people.
//! Demo only: every demo user's password is `showroom`.

use showroom_shared::domain::catalogue::{
    CarId, Colour, ColourId, Dealer, DemoCar, Item, ItemId, ItemKind, LostReason, Model, ModelId,
    Powertrain, Settings, Transmission, Trim, TrimId, Vin,
};
use showroom_shared::domain::{DealerId, Money, Role, UserId};
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
                    must_change_password: false,
                    now,
                },
            )
            .await?;
        }
    }
    tracing::info!("seeded the demo dealers Demo Motors and Rival Auto");
    Ok(true)
}

/// The demo dealers' catalogue: a petrol sedan (with a manual trim), a
/// plug-in hybrid SUV and a battery-electric hatchback, at prices like the
/// Chinese market's; colours, accessories and fees; three plated demo cars
/// with valid VINs; the usual lost reasons. Every other dealer starts empty.
pub fn catalogue(dealer_name: &str) -> Dealer {
    if !DEMO_DEALERS.iter().any(|(name, _)| *name == dealer_name) {
        return Dealer::default();
    }
    let id = |n: u128| Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | n);
    let model = |n, name: &str| Model {
        id: ModelId::from_uuid(id(n)),
        name: name.to_owned(),
        archived: false,
    };
    #[allow(clippy::too_many_arguments)]
    let trim = |n, m, name: &str, yuan: i64, powertrain, gearbox, cc| Trim {
        id: TrimId::from_uuid(id(n)),
        model: ModelId::from_uuid(id(m)),
        name: name.to_owned(),
        list_price: Money::yuan(yuan),
        powertrain,
        gearbox,
        seats: 5,
        displacement_cc: cc,
        archived: false,
        // What the dealer pays the manufacturer: 92 % of the list price.
        cost: Some(Money::yuan(yuan / 100 * 92)),
        max_discount: None,
    };
    let colour = |n, name: &str, yuan| Colour {
        id: ColourId::from_uuid(id(n)),
        name: name.to_owned(),
        price: Money::yuan(yuan),
        archived: false,
    };
    let item = |n, kind, name: &str, yuan| Item {
        id: ItemId::from_uuid(id(n)),
        kind,
        name: name.to_owned(),
        price: Money::yuan(yuan),
        archived: false,
    };
    let car = |n, stock: &str, vin_body: &str, plate: &str, t, km| {
        // The check digit is the 9th character (weight 0 in its own sum);
        // the rest is made up.
        let digit = Vin::check_digit(vin_body).unwrap_or('0');
        let vin = format!("{}{digit}{}", &vin_body[..8], &vin_body[9..]);
        vin.parse::<Vin>().ok().map(|vin| DemoCar {
            id: CarId::from_uuid(id(n)),
            stock_number: stock.to_owned(),
            vin,
            plate: plate.to_owned(),
            trim: TrimId::from_uuid(id(t)),
            odometer_km: km,
            archived: false,
        })
    };
    let reason = |code: &str, zh: &str, en: &str| LostReason {
        code: code.to_owned(),
        label_zh: zh.to_owned(),
        label_en: en.to_owned(),
        archived: false,
    };
    use Powertrain::*;
    use Transmission::*;
    Dealer {
        id: None,
        settings: Settings::default(),
        models: vec![
            model(1, "Aster"),
            model(2, "Ridge DM-i"),
            model(3, "Lumen EV"),
        ],
        trims: vec![
            trim(11, 1, "1.5L Manual", 99_900, Petrol, Manual, 1_498),
            trim(12, 1, "1.5T Comfort", 129_900, Petrol, Automatic, 1_498),
            trim(13, 1, "1.5T Premium", 149_900, Petrol, Automatic, 1_498),
            trim(21, 2, "110 km Pro", 169_800, PlugInHybrid, Automatic, 1_497),
            trim(22, 2, "150 km Max", 189_800, PlugInHybrid, Automatic, 1_497),
            // The price of RULES.md's worked example.
            trim(
                23,
                2,
                "200 km Ultra",
                200_000,
                PlugInHybrid,
                Automatic,
                1_497,
            ),
            trim(
                31,
                3,
                "Standard 420 km",
                139_800,
                BatteryElectric,
                Automatic,
                0,
            ),
            trim(
                32,
                3,
                "Long Range 550 km",
                159_800,
                BatteryElectric,
                Automatic,
                0,
            ),
        ],
        colours: vec![
            colour(41, "珍珠白 Pearl White", 0),
            colour(42, "曜石黑 Obsidian Black", 0),
            colour(43, "星云蓝 Nebula Blue", 3_000),
        ],
        items: vec![
            item(51, ItemKind::Accessory, "全包围脚垫 Floor mats", 800),
            item(52, ItemKind::Accessory, "行车记录仪 Dash cam", 1_280),
            item(
                53,
                ItemKind::Accessory,
                "隐形车衣 Paint protection film",
                6_800,
            ),
            item(54, ItemKind::Accessory, "精品礼包 Accessory pack", 3_000),
            item(61, ItemKind::Fee, "上牌服务费 Plate registration", 500),
            item(62, ItemKind::Fee, "临牌费 Temporary plate", 100),
        ],
        cars: [
            car(71, "DM-0101", "LDMAS15ARS0000101", "沪A·8K2L6", 12, 3_120),
            car(72, "DM-0102", "LDMRG11PRS0000102", "沪AD·12345", 21, 1_870),
            car(73, "DM-0103", "LDMLU42ERS0000103", "沪AD·67890", 32, 5_410),
        ]
        .into_iter()
        .flatten()
        .collect(),
        lost_reasons: vec![
            reason("competitor", "已购竞品", "Bought a competitor"),
            reason("price", "价格原因", "Price"),
            reason("financing", "贷款未通过", "Financing refused"),
            reason("plans", "购车计划变更", "Changed plans"),
            reason("unreachable", "无法联系", "Unreachable"),
            reason("other", "其他", "Other"),
        ],
    }
}
