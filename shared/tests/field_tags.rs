//! Every field a document holds is tagged (personal data, sharing class),
//! and every record kind a document type declares is here: a full example
//! of each document — every record kind, every optional part filled — is
//! written to a real Automerge document, every value's path in it is listed
//! (`doc::records::field_paths`), and each must have a tag. A field added to
//! a record without a tag, a kind declared without an example here, and a
//! tag naming a field no document holds any more all fail.
//!
//! The same examples, made larger, are the largest changes Showroom makes:
//! they measure `doc::MAX_CHANGE_OPS`.

use std::collections::BTreeSet;

use showroom_shared::doc::records::field_paths;
use showroom_shared::doc::{
    DealerDoc, Document, LeadDoc, MAX_CHANGE_OPS, RegisterDoc, actor_from_bytes, parse_change,
};
use showroom_shared::domain::catalogue::{
    CarId, Colour, ColourId, Dealer, DemoCar, Item, ItemId, ItemKind, LostReason, Model, ModelId,
    Powertrain, Settings, Transmission, Trim, TrimId,
};
use showroom_shared::domain::collision::{
    Absorbed, Collision, CollisionId, Outcome as CollisionOutcome, Resolution,
};
use showroom_shared::domain::followup::{
    Completion, Consent, ConsentId, ConsentMethod, LostDecision, LostDecisionId, LostRequest,
    LostRequestId, Outcome, Purpose, Task, TaskId, TaskKind,
};
use showroom_shared::domain::quote::{
    Approval, ApprovalId, DiscountLimit, Finance, LimitBy, Line, LineKind, OldCar, Order, QuoteId,
    QuoteStatus, QuoteVersion, Taxes, TradeIn, TradeInSubsidy, Vehicle, VersionId,
};
use showroom_shared::domain::record::{
    Field, Fields, Holds, Personal, Sharing, Tag, leaves, tag_at,
};
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveStatus, Licence, LicenceClass, Register, Signature, Strokes,
    TestDrive, Visit, VisitId, VisitKind, VisitOutcome, VisitSteps,
};
use showroom_shared::domain::{
    Customer, Date, DealerId, Grade, Lead, LeadId, Money, Note, RegisterId, Source, Stage, UserId,
};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn user() -> UserId {
    UserId::from_uuid(id(1))
}

fn day(text: &str) -> Date {
    text.parse().expect("a date")
}

fn signature() -> Signature {
    Signature {
        strokes: Strokes::encode(&[vec![(10, 10), (20, 30)]]),
        typed_name: "冯先生".into(),
        agreement_version: 1,
        language: "zh-CN".into(),
        signed_at: 5,
        captured_by: user(),
    }
}

fn visit(n: u128) -> Visit {
    Visit {
        id: VisitId::from_uuid(id(n)),
        arrived_at: 1,
        left_at: Some(2),
        salesperson: user(),
        party_size: 2,
        kind: VisitKind::First,
        outcome: VisitOutcome::ALL[0],
        lead: Some(LeadId::from_uuid(id(2))),
        steps: VisitSteps::default(),
        created_by: user(),
    }
}

/// A lead holding one record of every kind, every optional part filled.
fn full_lead() -> Lead {
    let mut lead = Lead::new(
        LeadId::from_uuid(id(2)),
        DealerId::from_uuid(id(3)),
        user(),
        1,
    );
    lead.customer = Customer {
        name: "冯先生".into(),
        mobile: "13900139000".parse().ok(),
        wechat: Some("feng".into()),
        city: Some("苏州".into()),
    };
    lead.source = Source::WalkIn;
    lead.models = vec!["Aster".into()];
    lead.grade = Grade::A;
    lead.stage = Stage::Ordered;
    lead.next_follow_up = Some(day("2026-12-08"));
    lead.notes = vec![Note {
        author: user(),
        at: 3,
        text: "周六再来".into(),
    }];
    lead.visits = vec![visit(10)];
    lead.drives = vec![TestDrive {
        id: DriveId::from_uuid(id(11)),
        car: CarId::from_uuid(id(12)),
        start: 10,
        end: 20,
        status: DriveStatus::Returned,
        licence: Some(Licence {
            number: "320500199001011234".into(),
            class: LicenceClass::C1,
            expires: day("2030-01-01"),
        }),
        signature: Some(signature()),
        out: Some(DriveOut {
            at: 11,
            odometer_km: 100,
            fuel_pct: 80,
            route: "A".into(),
            companion: Some(user()),
            recorded_by: user(),
        }),
        back: Some(DriveBack {
            at: 19,
            odometer_km: 110,
            fuel_pct: 75,
            damage: "none".into(),
            rating: Some(5),
            comment: "smooth".into(),
            recorded_by: user(),
        }),
        created_by: user(),
        created_at: 9,
    }];
    let version = VersionId::from_uuid(id(13));
    lead.quotes = vec![QuoteVersion {
        id: version,
        quote: QuoteId::from_uuid(id(14)),
        number: 1,
        status: QuoteStatus::Accepted,
        vehicle: Vehicle {
            trim: TrimId::from_uuid(id(15)),
            label: "Aster Pro".into(),
            list_price: Money(20_000_000),
            colour: Some(ColourId::from_uuid(id(16))),
            colour_name: "白".into(),
            colour_price: Money(0),
            powertrain: Powertrain::ALL[0],
            seats: 5,
            displacement_cc: 1_500,
        },
        lines: vec![Line {
            kind: LineKind::ALL[0],
            item: Some(ItemId::from_uuid(id(17))),
            name: "贴膜".into(),
            amount: Money(300_000),
        }],
        discount: Money(100_000),
        oem_rebate: Money(0),
        trade_in: Some(TradeIn {
            appraised: Money(1),
            payoff: Money(0),
            oem_subsidy: Money(0),
            old_car: OldCar::ALL[0],
        }),
        deposit: Money(500_000),
        finance: Some(Finance {
            down: Money(1),
            down_bp: Some(3_000),
            months: 36,
            apr_bp: 399,
        }),
        taxes: Taxes::default(),
        quoted_on: day("2026-12-01"),
        valid_until: day("2026-12-08"),
        requested_at: Some(20),
        presented_at: Some(21),
        presented_digest: Some("digest".into()),
        signature: Some(signature()),
        order: Some(Order {
            delivery: day("2027-01-10"),
            ordered_at: 22,
        }),
        created_by: user(),
        created_at: 20,
    }];
    lead.approvals = vec![Approval {
        id: ApprovalId::from_uuid(id(18)),
        version: version,
        digest: "digest".into(),
        approved: true,
        comment: "ok".into(),
        decided_by: user(),
        decided_at: 21,
    }];
    lead.tasks = vec![Task {
        id: TaskId::from_uuid(id(19)),
        kind: TaskKind::ALL[0],
        due: 30,
        assignee: user(),
        note: "call".into(),
        car: Some(CarId::from_uuid(id(12))),
        completion: Some(Completion {
            outcome: Outcome::ALL[0],
            said: "will come".into(),
            at: 31,
            by: user(),
        }),
        cancelled: false,
        created_by: user(),
        created_at: 29,
    }];
    lead.lost_requests = vec![LostRequest {
        id: LostRequestId::from_uuid(id(20)),
        reason: "price".into(),
        competitor: "other".into(),
        note: "n".into(),
        requested_by: user(),
        requested_at: 40,
        reopened_at: Some(41),
    }];
    lead.lost_decisions = vec![LostDecision {
        id: LostDecisionId::from_uuid(id(21)),
        request: LostRequestId::from_uuid(id(20)),
        approved: false,
        comment: "try again".into(),
        decided_by: user(),
        decided_at: 40,
    }];
    lead.consents = vec![Consent {
        id: ConsentId::from_uuid(id(22)),
        purpose: Purpose::ALL[0],
        given: true,
        method: ConsentMethod::ALL[0],
        wording_version: 1,
        at: 2,
        recorded_by: user(),
        supersedes: vec![ConsentId::from_uuid(id(23))],
        signature: Some(Strokes::encode(&[vec![(1, 1), (2, 2)]])),
    }];
    lead.collisions = vec![Collision {
        id: CollisionId::from_uuid(id(24)),
        other: LeadId::from_uuid(id(25)),
        other_owner: Some(user()),
        other_since: 3,
        found_at: 4,
        outcome: Some(CollisionOutcome {
            how: Resolution::Merged,
            survivor: Some(LeadId::from_uuid(id(2))),
            owner: Some(user()),
            by: user(),
            at: 5,
        }),
    }];
    lead.absorbed = vec![Absorbed {
        lead: LeadId::from_uuid(id(25)),
        name: "王先生".into(),
        wechat: Some("wx_wang".into()),
        city: Some("杭州".into()),
        source: Source::Website,
        models: vec!["Model 3".into()],
        owner: Some(user()),
        created_by: user(),
        created_at: 3,
        merged_by: user(),
        merged_at: 5,
    }];
    lead
}

/// A dealer with one entry of every kind and every setting's lists filled.
fn full_dealer() -> Dealer {
    let mut settings = Settings::default();
    settings.quote.trade_in_subsidies.push(TradeInSubsidy {
        old_car: OldCar::ALL[0],
        nev: true,
        max_cc: Some(2_000),
        share_bp: 1_000,
        cap: Money(2_000_000),
        from: day("2026-01-01"),
        until: day("2026-12-31"),
    });
    Dealer {
        id: Some(DealerId::from_uuid(id(3))),
        settings,
        models: vec![Model {
            id: ModelId::from_uuid(id(30)),
            name: "Aster".into(),
            archived: false,
        }],
        trims: vec![Trim {
            id: TrimId::from_uuid(id(15)),
            model: ModelId::from_uuid(id(30)),
            name: "Pro".into(),
            list_price: Money(20_000_000),
            powertrain: Powertrain::ALL[0],
            gearbox: Transmission::ALL[0],
            seats: 5,
            displacement_cc: 1_500,
            archived: false,
            cost: Some(Money(18_000_000)),
            max_discount: Some(DiscountLimit {
                by: LimitBy::ALL[0],
                value: 500,
            }),
        }],
        colours: vec![Colour {
            id: ColourId::from_uuid(id(16)),
            name: "白".into(),
            price: Money(0),
            archived: false,
        }],
        items: vec![Item {
            id: ItemId::from_uuid(id(17)),
            kind: ItemKind::ALL[0],
            name: "贴膜".into(),
            price: Money(300_000),
            archived: false,
        }],
        cars: vec![DemoCar {
            id: CarId::from_uuid(id(12)),
            stock_number: "D1".into(),
            vin: "1M8GDM9AXKP042788".parse().expect("a VIN"),
            plate: "苏E12345".into(),
            trim: TrimId::from_uuid(id(15)),
            odometer_km: 100,
            archived: false,
        }],
        lost_reasons: vec![LostReason {
            code: "price".into(),
            label_zh: "价格".into(),
            label_en: "Price".into(),
            archived: false,
        }],
    }
}

fn full_register() -> Register {
    Register {
        id: RegisterId::from_uuid(id(40)),
        dealer: DealerId::from_uuid(id(3)),
        date: day("2026-12-07"),
        visits: vec![visit(41)],
        ups: vec![showroom_shared::domain::showroom::Up {
            salesperson: user(),
            since: 5,
            overdue: 1,
        }],
    }
}

/// Checks one document against its holder's tags: every path tagged,
/// every tag seen, every declared kind present.
fn check<H: Holds>(doc: &Document) -> Vec<String> {
    let mut problems = Vec::new();
    let paths = field_paths(doc);
    for kind in H::KINDS {
        if !paths.contains_key(*kind) {
            problems.push(format!(
                "record kind `{kind}` has no example in this test: add one"
            ));
        }
    }
    for (owner, found) in &paths {
        let fields: &'static [Field] = if owner.is_empty() {
            H::FIELDS
        } else {
            match H::kind_fields(owner) {
                Some(f) => f,
                None => {
                    problems.push(format!("`{owner}:…` is no record kind the holder declares"));
                    continue;
                }
            }
        };
        let label = if owner.is_empty() { "(root)" } else { owner };
        for path in found {
            if tag_at(fields, path).is_none() {
                problems.push(format!("{label} `{path}` has no tag"));
            }
        }
        let seen: BTreeSet<&str> = found.iter().map(String::as_str).collect();
        for (path, _, _) in leaves(fields) {
            let covered = seen.contains(path.as_str())
                || seen.iter().any(|p| path.starts_with(&format!("{p}.")));
            if !covered {
                problems.push(format!(
                    "{label} `{path}` is tagged but the example never holds it"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_field_of_every_kind_is_tagged() {
    let lead = LeadDoc::create(actor_from_bytes([1; 16]), &full_lead()).expect("lead");
    let dealer = DealerDoc::create(
        actor_from_bytes([2; 16]),
        DealerId::from_uuid(id(3)),
        &full_dealer(),
        1,
    )
    .expect("dealer");
    let register =
        RegisterDoc::create(actor_from_bytes([3; 16]), &full_register(), 1).expect("register");
    let mut problems = check::<Lead>(&lead);
    problems.extend(check::<Dealer>(&dealer));
    problems.extend(check::<Register>(&register));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_field_without_a_tag_is_found() {
    // The check itself: a key the tags do not know fails.
    let mut lead = LeadDoc::create(actor_from_bytes([1; 16]), &full_lead()).expect("lead");
    let mut am = automerge::AutoCommit::load(&lead.save()).expect("load");
    automerge::transaction::Transactable::put(&mut am, automerge::ROOT, "favourite_colour", "blue")
        .expect("put");
    let doc = Document::load(&am.save(), actor_from_bytes([1; 16])).expect("load");
    let problems = check::<Lead>(&doc);
    assert_eq!(problems, ["(root) `favourite_colour` has no tag"]);
}

#[test]
fn the_customers_personal_data_is_tagged_personal_and_never_leaves() {
    let personal = |fields: &'static [Field], path: &str| match tag_at(fields, path) {
        Some(Tag::Leaf { personal, sharing }) => {
            personal != Personal::No && sharing == Sharing::Dealer
        }
        _ => false,
    };
    for path in [
        "customer.name",
        "customer.mobile",
        "customer.wechat",
        "customer.city",
        "notes.text",
    ] {
        assert!(personal(Lead::FIELDS, path), "lead {path}");
    }
    for path in [
        "licence.number",
        "licence.class",
        "signature.strokes",
        "signature.typed_name",
        "back.comment",
    ] {
        assert!(personal(TestDrive::FIELDS, path), "drive {path}");
    }
    assert!(personal(QuoteVersion::FIELDS, "signature.strokes"));
    assert!(personal(Consent::FIELDS, "signature"));
    assert!(personal(Task::FIELDS, "note"));
    assert!(personal(Task::FIELDS, "completion.said"));
    // Nothing personal is ever a milestone or the manufacturer's.
    for fields in [
        Lead::FIELDS,
        TestDrive::FIELDS,
        QuoteVersion::FIELDS,
        Visit::FIELDS,
    ] {
        for (path, personal, sharing) in leaves(fields) {
            assert!(
                personal == Personal::No || sharing == Sharing::Dealer,
                "{path} is personal and may leave"
            );
        }
    }
}

/// `n` copies of each of `records`, each given its own id (one of the
/// `kind`-th thousand) by `set_id`.
fn copies<R: Clone>(n: u128, kind: u128, records: &[R], set_id: impl Fn(&mut R, Uuid)) -> Vec<R> {
    let mut out = Vec::new();
    for i in 0..n {
        for record in records {
            let mut copy = record.clone();
            set_id(&mut copy, id(1_000 * kind + i));
            out.push(copy);
        }
    }
    out
}

/// The lead of `full_lead` with twenty models (the most a lead lists), five
/// notes and five records of every kind: more than any lead is created with.
fn fullest_lead() -> Lead {
    let mut lead = full_lead();
    lead.models = (0..20).map(|i| format!("Model {i}")).collect();
    lead.notes = (0..5)
        .map(|i| Note {
            author: user(),
            at: 3 + i,
            text: format!("周六再来 {i}"),
        })
        .collect();
    lead.visits = copies(5, 1, &lead.visits, |r, u| r.id = VisitId::from_uuid(u));
    lead.drives = copies(5, 2, &lead.drives, |r, u| r.id = DriveId::from_uuid(u));
    lead.quotes = copies(5, 3, &lead.quotes, |r, u| r.id = VersionId::from_uuid(u));
    lead.approvals = copies(5, 4, &lead.approvals, |r, u| {
        r.id = ApprovalId::from_uuid(u)
    });
    lead.tasks = copies(5, 5, &lead.tasks, |r, u| r.id = TaskId::from_uuid(u));
    lead.lost_requests = copies(5, 6, &lead.lost_requests, |r, u| {
        r.id = LostRequestId::from_uuid(u)
    });
    lead.lost_decisions = copies(5, 7, &lead.lost_decisions, |r, u| {
        r.id = LostDecisionId::from_uuid(u)
    });
    lead.consents = copies(5, 8, &lead.consents, |r, u| r.id = ConsentId::from_uuid(u));
    lead.collisions = copies(5, 9, &lead.collisions, |r, u| {
        r.id = CollisionId::from_uuid(u)
    });
    lead.absorbed = copies(5, 10, &lead.absorbed, |r, u| r.lead = LeadId::from_uuid(u));
    lead
}

/// A dealer with the default settings and a catalogue of 200 entries (20
/// models, 80 trims, 30 colours, 40 items, 20 demo cars, 10 lost reasons),
/// every optional part filled: a large dealer's whole catalogue, created at
/// once.
fn large_dealer() -> Dealer {
    let full = full_dealer();
    Dealer {
        id: full.id,
        settings: Settings::default(),
        models: copies(20, 1, &full.models, |m, u| m.id = ModelId::from_uuid(u)),
        trims: copies(80, 2, &full.trims, |t, u| t.id = TrimId::from_uuid(u)),
        colours: copies(30, 3, &full.colours, |c, u| c.id = ColourId::from_uuid(u)),
        items: copies(40, 4, &full.items, |i, u| i.id = ItemId::from_uuid(u)),
        cars: copies(20, 5, &full.cars, |c, u| c.id = CarId::from_uuid(u)),
        lost_reasons: copies(10, 6, &full.lost_reasons, |r, u| {
            r.code = format!("reason{}", u.as_u128())
        }),
    }
}

/// The operations and bytes of the one change that created `doc`.
fn creation(doc: &mut Document) -> (usize, usize) {
    let changes = doc.changes_since(&[]);
    assert_eq!(changes.len(), 1, "creation is one change");
    let change = changes.first().expect("a change");
    (change.len(), change.raw_bytes().len())
}

/// A change may describe at most `MAX_CHANGE_OPS` operations (automerge
/// holds every one to apply it). The largest changes Showroom makes are
/// creations with everything in them; each stays under a tenth of the cap,
/// and parses.
#[test]
fn the_largest_real_changes_are_far_below_the_op_cap() {
    let mut lead = LeadDoc::create(actor_from_bytes([1; 16]), &full_lead()).expect("lead");
    let mut fullest = LeadDoc::create(actor_from_bytes([1; 16]), &fullest_lead()).expect("lead");
    let dealer = |content: &Dealer| {
        DealerDoc::create(
            actor_from_bytes([2; 16]),
            DealerId::from_uuid(id(3)),
            content,
            1,
        )
        .expect("dealer")
    };
    let mut large = dealer(&large_dealer());
    let mut settings = dealer(&Dealer {
        settings: Settings::default(),
        ..Dealer::default()
    });
    let mut register =
        RegisterDoc::create(actor_from_bytes([3; 16]), &full_register(), 1).expect("register");
    let mut problems = Vec::new();
    for (what, doc) in [
        ("a lead, a record of each kind", &mut *lead),
        ("a lead, 20 models, 5 records of each", &mut *fullest),
        ("a dealer, default settings", &mut *settings),
        ("a dealer, 200 entries", &mut *large),
        ("a register, a visit", &mut *register),
    ] {
        let (ops, bytes) = creation(doc);
        println!("{what}: {ops} operations, {bytes} B");
        if ops > MAX_CHANGE_OPS / 10 {
            problems.push(format!(
                "{what}: {ops} operations, over a tenth of {MAX_CHANGE_OPS}"
            ));
        }
        for change in doc.changes_since(&[]) {
            if let Err(e) = parse_change(change.raw_bytes()) {
                problems.push(format!("{what}: {e}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
