//! What records cost in a lead's document: a finger signature's bytes, and
//! a lead's saved size after 10 visits and 3 signed test drives (the
//! figures the records issue asks for; `cargo test -p showroom-shared --test
//! record_sizes -- --nocapture` prints them). The bounds are the product's
//! promises, not timings: a signature far below the change cap, a busy lead
//! still a small document.

use showroom_shared::doc::{LeadDoc, actor_from_bytes};
use showroom_shared::domain::catalogue::CarId;
use showroom_shared::domain::showroom::{
    DriveBack, DriveId, DriveOut, DriveStatus, Licence, LicenceClass, MAX_SIGNATURE_BYTES,
    Signature, Strokes, TestDrive, Visit, VisitId, VisitKind, VisitOutcome, VisitSteps,
};
use showroom_shared::domain::{Customer, DealerId, Grade, Lead, LeadId, Source, Stage, UserId};
use uuid::Uuid;

/// A signature as a finger draws it: a name in three strokes and an
/// underline, sampled at pointer-move rate (~60 Hz over ~3 s).
fn finger_signature() -> Vec<Vec<(u16, u16)>> {
    let mut strokes = Vec::new();
    for s in 0..3u16 {
        let stroke: Vec<(u16, u16)> = (0..60u16)
            .map(|i| {
                let t = f64::from(i) / 10.0;
                let x = 120 + s * 240 + i * 3;
                let y = (220.0 + 70.0 * (t * 1.7 + f64::from(s)).sin()) as u16;
                (x, y)
            })
            .collect();
        strokes.push(stroke);
    }
    strokes.push((0..40u16).map(|i| (100 + i * 20, 330 + (i % 3))).collect());
    strokes
}

#[test]
fn a_signature_and_a_busy_lead_stay_small() {
    let user = UserId::from_uuid(Uuid::from_u128(1));
    let lead = Lead {
        id: LeadId::from_uuid(Uuid::from_u128(2)),
        dealer: DealerId::from_uuid(Uuid::from_u128(3)),
        customer: Customer {
            name: "冯先生".into(),
            mobile: "13900139000".parse().ok(),
            ..Customer::default()
        },
        source: Source::WalkIn,
        models: vec!["Aster".into()],
        grade: Grade::A,
        stage: Stage::Visited,
        owner: Some(user),
        next_follow_up: None,
        notes: vec![],
        created_by: user,
        created_at: 1_795_000_000_000,
        updated_by: user,
        updated_at: 1_795_000_000_000,
        ..Lead::new(
            LeadId::from_uuid(Uuid::from_u128(2)),
            DealerId::from_uuid(Uuid::from_u128(3)),
            user,
            1_795_000_000_000,
        )
    };
    let mut doc = LeadDoc::create(actor_from_bytes([7; 16]), &lead).expect("doc");
    let created = doc.save().len();
    let strokes = Strokes::encode(&finger_signature());
    let mut t = 1_795_000_000_000i64;
    for n in 0..10u128 {
        t += 86_400_000;
        let mut visit = Visit {
            id: VisitId::from_uuid(Uuid::from_u128(100 + n)),
            arrived_at: t,
            left_at: None,
            salesperson: user,
            party_size: 2,
            kind: if n == 0 {
                VisitKind::First
            } else {
                VisitKind::Repeat
            },
            outcome: VisitOutcome::Lead,
            lead: Some(lead.id),
            steps: VisitSteps {
                greeted: true,
                ..VisitSteps::default()
            },
            created_by: user,
        };
        doc.put_record(&visit, user, t).expect("visit");
        visit.steps.needs_analysis = true;
        visit.left_at = Some(t + 40 * 60_000);
        doc.put_record(&visit, user, t + 40 * 60_000)
            .expect("leave");
    }
    for n in 0..3u128 {
        t += 3_600_000;
        let mut drive = TestDrive {
            id: DriveId::from_uuid(Uuid::from_u128(200 + n)),
            car: CarId::from_uuid(Uuid::from_u128(300)),
            start: t,
            end: t + 45 * 60_000,
            status: DriveStatus::Booked,
            licence: None,
            signature: None,
            out: None,
            back: None,
            created_by: user,
            created_at: t,
        };
        doc.put_record(&drive, user, t).expect("book");
        drive.licence = Some(Licence {
            number: "310101199001011234".into(),
            class: LicenceClass::C1,
            expires: "2031-05-31".parse().expect("date"),
        });
        drive.signature = Some(Signature {
            strokes: strokes.clone(),
            typed_name: String::new(),
            agreement_version: 1,
            language: "zh-CN".into(),
            signed_at: t,
            captured_by: user,
        });
        drive.out = Some(DriveOut {
            at: t,
            odometer_km: 3_120,
            fuel_pct: 90,
            route: "南京西路 — 延安高架 — 返回".into(),
            companion: Some(user),
            recorded_by: user,
        });
        drive.status = DriveStatus::Out;
        doc.drive_happened(&drive, user, t).expect("out");
        drive.back = Some(DriveBack {
            at: t + 40 * 60_000,
            odometer_km: 3_146,
            fuel_pct: 84,
            damage: String::new(),
            rating: Some(5),
            comment: "动力不错".into(),
            recorded_by: user,
        });
        drive.status = DriveStatus::Returned;
        doc.drive_happened(&drive, user, t + 40 * 60_000)
            .expect("back");
    }
    let saved = doc.save();
    let read = LeadDoc::load(&saved, actor_from_bytes([8; 16]))
        .expect("loads")
        .read()
        .expect("reads");
    assert_eq!(read.visits.len(), 10);
    assert_eq!(read.drives.len(), 3);
    assert_eq!(
        read.drives[0].signature.as_ref().map(|s| &s.strokes),
        Some(&strokes)
    );
    println!(
        "signature: {} points in {} strokes -> {} bytes (cap {MAX_SIGNATURE_BYTES})",
        finger_signature().iter().map(Vec::len).sum::<usize>(),
        finger_signature().len(),
        strokes.0.len()
    );
    println!(
        "lead document saved: {created} B new, {} B after 10 visits (each logged and left) and 3 signed test drives (booked, out, back) in {} changes",
        saved.len(),
        doc.changes_since(&[]).len()
    );
    assert!(
        strokes.0.len() < 2_048,
        "a signature is {} bytes",
        strokes.0.len()
    );
    assert!(
        saved.len() < 24 * 1024,
        "the busy lead saves to {} bytes",
        saved.len()
    );
}

/// A lead with a quote in three versions, built as the builder saves them
/// (a change per tap or finished field: trim, colour, two items, two
/// insurance covers, discount, finance, term), v1 requested and approved,
/// v3 presented and signed: the saved size the quotes issue asks for.
#[test]
fn a_lead_with_three_quote_versions_stays_small() {
    use showroom_shared::domain::Money;
    use showroom_shared::domain::catalogue::{
        Dealer, Model, ModelId, Powertrain, Transmission, Trim, TrimId,
    };
    use showroom_shared::domain::quote::{
        Approval, ApprovalId, Finance, Line, LineKind, QuoteId, QuoteStatus, QuoteVersion,
        VersionId,
    };
    let user = UserId::from_uuid(Uuid::from_u128(1));
    let manager = UserId::from_uuid(Uuid::from_u128(9));
    let trim = Trim {
        id: TrimId::from_uuid(Uuid::from_u128(40)),
        model: ModelId::from_uuid(Uuid::from_u128(41)),
        name: "200 km Ultra".into(),
        list_price: Money::yuan(200_000),
        powertrain: Powertrain::PlugInHybrid,
        gearbox: Transmission::Automatic,
        seats: 5,
        displacement_cc: 1_497,
        archived: false,
        cost: Some(Money::yuan(184_000)),
        max_discount: None,
    };
    let dealer = Dealer {
        models: vec![Model {
            id: trim.model,
            name: "Ridge DM-i".into(),
            archived: false,
        }],
        trims: vec![trim.clone()],
        ..Dealer::default()
    };
    let rules = dealer.settings.quote.clone();
    let lead = Lead {
        id: LeadId::from_uuid(Uuid::from_u128(2)),
        dealer: DealerId::from_uuid(Uuid::from_u128(3)),
        customer: Customer {
            name: "钱女士".into(),
            mobile: "13700137000".parse().ok(),
            ..Customer::default()
        },
        source: Source::WalkIn,
        models: vec!["Ridge DM-i".into()],
        grade: Grade::H,
        stage: Stage::Visited,
        owner: Some(user),
        next_follow_up: None,
        notes: vec![],
        created_by: user,
        created_at: 1_795_000_000_000,
        updated_by: user,
        updated_at: 1_795_000_000_000,
        ..Lead::new(
            LeadId::from_uuid(Uuid::from_u128(2)),
            DealerId::from_uuid(Uuid::from_u128(3)),
            user,
            1_795_000_000_000,
        )
    };
    let mut doc = LeadDoc::create(actor_from_bytes([7; 16]), &lead).expect("doc");
    let today = "2026-12-01".parse().expect("date");
    let mut t = 1_795_000_000_000i64;
    let save = |doc: &mut LeadDoc, v: &mut QuoteVersion, t: &mut i64| {
        *t += 5_000;
        v.recompute(&rules);
        doc.put_quote(v, user, *t).expect("saves");
    };
    let quote = QuoteId::from_uuid(Uuid::from_u128(50));
    let mut v = QuoteVersion::draft(
        VersionId::from_uuid(Uuid::from_u128(51)),
        quote,
        &dealer,
        &trim,
        today,
        user,
        t,
    );
    save(&mut doc, &mut v, &mut t);
    v.vehicle.colour_name = "珍珠白 Pearl White".into();
    save(&mut doc, &mut v, &mut t);
    for (kind, name, yuan) in [
        (LineKind::Accessory, "精品礼包 Accessory pack", 3_000),
        (LineKind::Fee, "上牌服务费 Plate registration", 500),
        (LineKind::Insurance, "三者险 Third-party liability", 3_200),
        (LineKind::Insurance, "车损险 Own damage", 1_800),
    ] {
        v.lines.push(Line {
            kind,
            item: None,
            name: name.into(),
            amount: Money::yuan(yuan),
        });
        save(&mut doc, &mut v, &mut t);
    }
    v.discount = Money::yuan(10_000);
    save(&mut doc, &mut v, &mut t);
    v.finance = Some(Finance {
        down: Money::ZERO,
        down_bp: Some(3_000),
        months: 36,
        apr_bp: 350,
    });
    save(&mut doc, &mut v, &mut t);
    v.status = QuoteStatus::Requested;
    v.requested_at = Some(t);
    save(&mut doc, &mut v, &mut t);
    doc.put_approval(
        &Approval {
            id: ApprovalId::from_uuid(Uuid::from_u128(60)),
            version: v.id,
            digest: v.digest(),
            approved: true,
            comment: "同意".into(),
            decided_by: manager,
            decided_at: t,
        },
        t,
    )
    .expect("approves");
    v.present(t);
    save(&mut doc, &mut v, &mut t);
    // v2 and v3: each a copy with a new discount and term.
    let mut last = v.clone();
    for (n, discount, months) in [(2u32, 5_000, 48), (3, 4_000, 36)] {
        let mut next = last.next_version(
            VersionId::from_uuid(Uuid::from_u128(51 + u128::from(n))),
            n,
            &rules,
            today,
            user,
            t,
        );
        save(&mut doc, &mut next, &mut t);
        next.discount = Money::yuan(discount);
        save(&mut doc, &mut next, &mut t);
        if let Some(f) = next.finance.as_mut() {
            f.months = months;
        }
        save(&mut doc, &mut next, &mut t);
        last = next;
    }
    last.present(t);
    save(&mut doc, &mut last, &mut t);
    last.status = QuoteStatus::Accepted;
    last.signature = Some(Signature {
        strokes: Strokes::encode(&finger_signature()),
        typed_name: String::new(),
        agreement_version: 0,
        language: "zh-CN".into(),
        signed_at: t,
        captured_by: user,
    });
    save(&mut doc, &mut last, &mut t);
    let saved = doc.save();
    let read = LeadDoc::load(&saved, actor_from_bytes([8; 16]))
        .expect("loads")
        .read()
        .expect("reads");
    assert_eq!(read.quotes.len(), 3);
    assert_eq!(read.stage, Stage::Ordered);
    println!(
        "lead document saved with 3 quote versions (v1 approved and presented, v3 signed): {} B in {} changes",
        saved.len(),
        doc.changes_since(&[]).len()
    );
    assert!(
        saved.len() < 24 * 1024,
        "the lead with three quote versions saves to {} bytes",
        saved.len()
    );
}
