//! A believable month for the demo dealer (issue 10): three dozen leads with
//! Chinese names and +86 mobiles across grades, stages and sources; visits,
//! walk-ins who left no details, test drives, quotes in several states,
//! follow-up tasks overdue, due today and later, new leads without a first
//! contact, consents, a lost request waiting for the manager, three leads
//! in the open pool (one the manufacturer's, past its target) and one
//! customer captured by both salespeople (a collision for the manager). Demo data
//! only (`SHOWROOM_SEED_DEMO`, on the first start), and the same shape every
//! time: ids and choices come from the lead's number, times from the start.
//!
//! Every document is written through the sync writer in the name of the
//! salesperson who owns it, so the write rules hold for the demo as for a
//! tablet.

use showroom_shared::doc::{LeadDoc, RegisterDoc, actor_from_bytes};
use showroom_shared::domain::catalogue::Dealer;
use showroom_shared::domain::followup::{
    Completion, Consent, ConsentId, ConsentMethod, LostRequest, LostRequestId, Outcome, Purpose,
    Task, TaskId, TaskKind,
};
use showroom_shared::domain::quote::{
    Finance, Line, LineKind, QuoteId, QuoteStatus, QuoteVersion, VersionId,
};
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveStatus, Licence, LicenceClass, Register, TestDrive, Visit,
    VisitId, VisitKind, VisitOutcome, VisitSteps,
};
use showroom_shared::domain::{
    Customer, Date, DealerId, DocId, Grade, Lead, LeadId, Money, RegisterId, Role, Source, Stage,
    UserId,
};
use showroom_shared::rules::Author;
use showroom_shared::sync::DocChanges;
use uuid::Uuid;

use crate::dealer_doc::EnsureError;
use crate::state::AppState;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The demo dealer's time zone (Asia/Shanghai) as an offset.
const OFFSET: i64 = 8 * HOUR;

const NAMES: [&str; 36] = [
    "王建国",
    "李娜",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴婷",
    "徐强",
    "孙丽",
    "胡军",
    "朱琳",
    "高鹏",
    "林涛",
    "何欣",
    "郭亮",
    "马超",
    "罗佳",
    "梁晨",
    "宋雨",
    "郑凯",
    "谢芳",
    "韩冰",
    "唐宁",
    "冯刚",
    "于洁",
    "董浩",
    "萧然",
    "程琪",
    "曹阳",
    "袁梦",
    "邓辉",
    "许诺",
    "傅磊",
];

/// A stable id for the demo's record `n` of kind `kind`.
fn id(dealer: DealerId, kind: u128, n: u128) -> Uuid {
    let d = dealer.0.as_u128();
    Uuid::from_u128((d & !0xffff_ffff_u128) ^ (kind << 24) ^ n)
}

/// What the month is written with: the dealer, its catalogue and people.
pub struct Showroom<'a> {
    pub dealer: DealerId,
    pub catalogue: &'a Dealer,
    /// The salespeople (owners of the leads), then the manager.
    pub salespeople: &'a [UserId],
}

/// Writes the month for the demo dealer (Demo Motors: sales1 and sales2 own
/// its leads). Returns how many leads it made.
pub async fn seed_demo_motors(state: &AppState) -> Result<usize, EnsureError> {
    let mut salespeople = Vec::new();
    let mut dealer = None;
    for username in ["sales1", "sales2"] {
        if let Some(u) = crate::db::find_user_for_login(&state.db, username).await? {
            dealer = Some(u.dealer_id);
            salespeople.push(u.id);
        }
    }
    let Some(dealer) = dealer else {
        return Ok(0);
    };
    let catalogue = crate::demo::catalogue("Demo Motors");
    seed(
        state,
        &Showroom {
            dealer,
            catalogue: &catalogue,
            salespeople: &salespeople,
        },
    )
    .await
}

/// Writes the month; returns how many leads it made.
pub async fn seed(state: &AppState, s: &Showroom<'_>) -> Result<usize, EnsureError> {
    if s.salespeople.is_empty() || s.catalogue.trims.is_empty() {
        return Ok(0);
    }
    let now = state.clock.now();
    let mut by_owner: Vec<(UserId, Vec<DocChanges>)> = Vec::new();
    for (i, _) in NAMES.iter().enumerate() {
        let owner = s.salespeople[i % s.salespeople.len()];
        let mut lead = lead(s, i, owner, now);
        // A few of today's new leads wait in the open pool, one of them
        // the manufacturer's, one past its first-contact target.
        if POOL.contains(&i) {
            lead.owner = None;
        }
        let mut doc = LeadDoc::create(
            actor_from_bytes(*id(s.dealer, 0xa, i as u128).as_bytes()),
            &lead,
        )
        .map_err(|e| EnsureError::Doc(e.to_string()))?;
        let changes = doc
            .changes_since(&[])
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        let entry = match by_owner.iter_mut().find(|(o, _)| *o == owner) {
            Some(e) => e,
            None => {
                by_owner.push((owner, Vec::new()));
                let last = by_owner.len() - 1;
                &mut by_owner[last]
            }
        };
        entry.1.push(DocChanges {
            doc: DocId::lead(lead.id),
            changes,
        });
    }
    // Walk-ins who left no details, in the first salesperson's register of
    // today: the capture rate's denominator.
    let first = s.salespeople[0];
    let today = Date::from_unix_ms(now, (OFFSET / 60_000) as i32);
    let register = Register {
        id: RegisterId::from_uuid(id(s.dealer, 0xb, 0)),
        dealer: s.dealer,
        date: today,
        ups: Vec::new(),
        visits: (0..3u128)
            .map(|n| {
                // Earlier today (never before its midnight).
                let start_of_today = (now + OFFSET) / DAY * DAY - OFFSET;
                let arrived = (now - (3 - n as i64) * 20 * 60_000)
                    .max(start_of_today)
                    .min(now);
                Visit {
                    id: VisitId::from_uuid(id(s.dealer, 0xc, n)),
                    arrived_at: arrived,
                    left_at: Some(arrived + 10 * 60_000),
                    salesperson: first,
                    party_size: 1 + n as u32,
                    kind: VisitKind::First,
                    outcome: VisitOutcome::Anonymous,
                    lead: None,
                    steps: VisitSteps {
                        greeted: true,
                        ..VisitSteps::default()
                    },
                    created_by: first,
                }
            })
            .collect(),
    };
    let mut reg = RegisterDoc::create(
        actor_from_bytes(*id(s.dealer, 0xb, 1).as_bytes()),
        &register,
        now,
    )
    .map_err(|e| EnsureError::Doc(e.to_string()))?;
    let reg_changes = reg
        .changes_since(&[])
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect();
    if let Some(e) = by_owner.iter_mut().find(|(o, _)| *o == first) {
        e.1.push(DocChanges {
            doc: DocId::register(register.id),
            changes: reg_changes,
        });
    }
    let mut made = 0;
    for (owner, docs) in by_owner {
        made += docs
            .iter()
            .filter(|d| d.doc.kind == showroom_shared::domain::DocKind::Lead)
            .count();
        let author = Author {
            user: owner,
            role: Role::Salesperson,
        };
        crate::dealer_doc::write(state, s.dealer, author, docs).await?;
    }
    Ok(made)
}

/// Leads that wait in the open pool: two of today's new ones (leads 32
/// and up are today's; one the manufacturer's, past its 12 h) and one
/// given back after a first call. All of sales2's half, so each
/// salesperson keeps new leads of their own.
const POOL: [usize; 3] = [29, 33, 35];
/// Leads of one customer, the second captured by the other salesperson.
const TWICE: (usize, usize) = (4, 31);

/// The mobile number of lead `i` (+86, unique per lead).
fn mobile_of(i: usize) -> String {
    format!(
        "1{}{:09}",
        [3, 5, 7, 8, 9][i % 5],
        10_000_000 + (i as u64 * 7_919_311) % 890_000_000
    )
}

/// Lead `i` of the month.
fn lead(s: &Showroom<'_>, i: usize, owner: UserId, now: i64) -> Lead {
    let n = i as u128;
    let dealer = s.dealer;
    let cat = s.catalogue;
    // Spread over the last 30 days; the last four are from today.
    let age_days = if i >= 32 { 0 } else { (31 - i as i64) % 30 + 1 };
    let created = match i {
        // In the pool since this morning, and since yesterday evening (past
        // the manufacturer's 12 h).
        33 => now - 3 * HOUR,
        35 => now - 15 * HOUR,
        _ => now - age_days * DAY - (i as i64 % 5) * HOUR - HOUR,
    };
    let stages = [
        Stage::Contacted,
        Stage::Visited,
        Stage::TestDrive,
        Stage::Quoted,
        Stage::Quoted,
        Stage::Contacted,
        Stage::Ordered,
        Stage::TestDrive,
    ];
    let stage = if i >= 32 {
        Stage::New
    } else {
        stages[i % stages.len()]
    };
    let grade = match stage {
        Stage::New => Grade::N,
        Stage::Ordered => Grade::O,
        _ => [Grade::H, Grade::A, Grade::B, Grade::C][i % 4],
    };
    let source = [
        Source::WalkIn,
        Source::Phone,
        Source::Website,
        Source::Manufacturer,
        Source::Referral,
        Source::WalkIn,
        Source::Campaign,
    ][i % 7];
    let source = match i {
        33 => Source::Website,
        35 => Source::Manufacturer,
        _ => source,
    };
    let trim = &cat.trims[i % cat.trims.len()];
    let model = cat
        .model(trim.model)
        .map(|m| m.name.clone())
        .unwrap_or_default();
    // One customer captured twice, by each salesperson under another name:
    // a collision (撞单) waiting for the manager.
    let mobile = mobile_of(if i == TWICE.1 { TWICE.0 } else { i });
    let task = |k: u128, kind: TaskKind, due: i64, note: &str| Task {
        id: TaskId::from_uuid(id(dealer, 0x1, n << 4 | k)),
        kind,
        due,
        assignee: owner,
        note: note.to_owned(),
        car: None,
        completion: None,
        cancelled: false,
        created_by: owner,
        created_at: created,
    };
    let end_of_today = (now + OFFSET) / DAY * DAY + DAY - OFFSET;
    let mut tasks = Vec::new();
    if stage == Stage::New {
        // No first contact yet: due within the target, two of them past it.
        let due = created
            + if i.is_multiple_of(2) {
                24 * HOUR
            } else {
                -HOUR
            };
        tasks.push(task(0, TaskKind::Call, due, "首次联系"));
    } else if stage != Stage::Ordered {
        // A first contact made, then what comes next.
        let mut first = task(0, TaskKind::Call, created + 2 * HOUR, "首次联系");
        first.completion = Some(Completion {
            outcome: Outcome::Reached,
            said: "了解需求，预约到店".into(),
            at: created + 3 * HOUR,
            by: owner,
        });
        tasks.push(first);
        // Leads alternate between the two salespeople (`i % 2`), so the
        // kind of next step follows `i / 2`: each of them gets every kind —
        // overdue, due later today, tomorrow's appointment, tried — whatever
        // the hour.
        match (i / 2) % 4 {
            0 => tasks.push(task(
                1,
                TaskKind::Call,
                now - (1 + i as i64 % 3) * DAY,
                "回访：询问购车时间",
            )),
            1 => tasks.push(task(
                1,
                TaskKind::WeChat,
                // Later today whatever the hour: at most halfway to midnight.
                (now + 2 * HOUR).min(now + (end_of_today - now) / 2),
                "发送配置表和报价",
            )),
            2 => tasks.push(task(
                1,
                TaskKind::Visit,
                end_of_today + 10 * HOUR,
                "预约明天到店",
            )),
            _ => {
                let mut tried = task(1, TaskKind::Call, now - 3 * DAY, "回访");
                tried.completion = Some(Completion {
                    outcome: Outcome::NoAnswer,
                    said: String::new(),
                    at: now - 3 * DAY,
                    by: owner,
                });
                tasks.push(tried);
                tasks.push(task(2, TaskKind::Call, now + 2 * DAY, "再次回访"));
            }
        }
    }
    let mut visits = Vec::new();
    if stage >= Stage::Visited && stage != Stage::New {
        visits.push(Visit {
            id: VisitId::from_uuid(id(dealer, 0x2, n)),
            arrived_at: created + DAY,
            left_at: Some(created + DAY + 50 * 60_000),
            salesperson: owner,
            party_size: 1 + (i % 3) as u32,
            kind: if source == Source::Manufacturer {
                VisitKind::KnownFirst
            } else {
                VisitKind::First
            },
            outcome: VisitOutcome::Lead,
            lead: Some(LeadId::from_uuid(id(dealer, 0x3, n))),
            steps: VisitSteps {
                greeted: true,
                needs_analysis: true,
                test_drive: stage >= Stage::TestDrive,
                ..VisitSteps::default()
            },
            created_by: owner,
        });
    }
    let mut drives = Vec::new();
    if stage >= Stage::TestDrive
        && let Some(car) = cat.cars.get(i % cat.cars.len().max(1))
    {
        let start = created + DAY + 20 * 60_000;
        drives.push(TestDrive {
            id: DriveId::from_uuid(id(dealer, 0x4, n)),
            car: car.id,
            start,
            end: start + 45 * 60_000,
            status: DriveStatus::Returned,
            licence: Some(Licence {
                number: format!("3101011990{:08}", 1_000 + i),
                class: LicenceClass::C1,
                expires: Date::from_ymd(2031, 5, 31).unwrap_or(Date::from_unix_ms(0, 0)),
            }),
            signature: None,
            out: Some(DriveOut {
                at: start,
                odometer_km: car.odometer_km,
                fuel_pct: 90,
                route: "南京西路 — 延安高架 — 返回".into(),
                companion: Some(owner),
                recorded_by: owner,
            }),
            back: Some(DriveBack {
                at: start + 40 * 60_000,
                odometer_km: car.odometer_km + 18,
                fuel_pct: 84,
                damage: String::new(),
                rating: Some(4 + (i % 2) as u32),
                comment: "动力不错".into(),
                recorded_by: owner,
            }),
            created_by: owner,
            created_at: start,
        });
    }
    let mut quotes = Vec::new();
    if stage >= Stage::Quoted && stage != Stage::New {
        let today = Date::from_unix_ms(now - DAY, (OFFSET / 60_000) as i32);
        let mut v = QuoteVersion::draft(
            VersionId::from_uuid(id(dealer, 0x5, n)),
            QuoteId::from_uuid(id(dealer, 0x6, n)),
            cat,
            trim,
            today,
            owner,
            now - DAY,
        );
        v.lines = cat
            .items
            .iter()
            .take(2)
            .map(|item| Line {
                kind: match item.kind {
                    showroom_shared::domain::catalogue::ItemKind::Accessory => LineKind::Accessory,
                    showroom_shared::domain::catalogue::ItemKind::Fee => LineKind::Fee,
                },
                item: Some(item.id),
                name: item.name.clone(),
                amount: item.price,
            })
            .collect();
        v.finance = Some(Finance {
            down: Money::ZERO,
            down_bp: Some(3_000),
            months: 36,
            apr_bp: 350,
        });
        // Several states: a draft, a request over the limit waiting for the
        // manager, a version presented within the limit, an order.
        let state = if stage == Stage::Ordered { 2 } else { i % 3 };
        match state {
            0 => v.discount = Money::yuan(2_000),
            1 => {
                v.discount = Money(trim.list_price.0 / 20);
                v.status = QuoteStatus::Requested;
                v.requested_at = Some(now - 20 * HOUR);
            }
            _ => {
                v.discount = Money::yuan(1_000);
            }
        }
        v.recompute(&cat.settings.quote);
        if state == 2 {
            v.present(now - 20 * HOUR);
        }
        quotes.push(v);
    }
    // A lost request waiting for the manager.
    let lost_requests = if i == 5 {
        vec![LostRequest {
            id: LostRequestId::from_uuid(id(dealer, 0x7, n)),
            reason: "competitor".into(),
            competitor: "比亚迪 宋PLUS".into(),
            note: "客户已在别家下定".into(),
            requested_by: owner,
            requested_at: now - 5 * HOUR,
            reopened_at: None,
        }]
    } else {
        Vec::new()
    };
    let consents = if stage == Stage::New {
        Vec::new()
    } else {
        vec![Consent {
            id: ConsentId::from_uuid(id(dealer, 0x8, n)),
            purpose: Purpose::FollowUp,
            given: true,
            method: ConsentMethod::Verbal,
            wording_version: 1,
            at: created,
            recorded_by: owner,
            supersedes: Vec::new(),
            signature: None,
        }]
    };
    Lead {
        id: LeadId::from_uuid(id(dealer, 0x3, n)),
        dealer,
        customer: Customer {
            name: NAMES[i].to_owned(),
            mobile: mobile.parse().ok(),
            wechat: None,
            city: Some(["上海", "苏州", "杭州", "嘉兴"][i % 4].to_owned()),
        },
        source,
        models: vec![model],
        grade,
        stage,
        owner: Some(owner),
        next_follow_up: None,
        notes: Vec::new(),
        visits,
        drives,
        quotes,
        approvals: Vec::new(),
        tasks,
        lost_requests,
        lost_decisions: Vec::new(),
        consents,
        collisions: Vec::new(),
        absorbed: Vec::new(),
        created_by: owner,
        created_at: created,
        updated_by: owner,
        updated_at: created,
    }
}
