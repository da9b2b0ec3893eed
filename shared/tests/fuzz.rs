//! Fuzz targets for every decoder that takes bytes from the network or from
//! storage: `ClientMsg::decode`, `ServerMsg::decode`, `parse_change`,
//! `LeadDoc::load`, and `DocState::load` + `ingest` (a document's incoming
//! changes on the server, onto a stored document or none). Stable Rust,
//! proptest-driven, part of `cargo test` and so of `cargo xtask test`.
//!
//! Inputs: arbitrary bytes; bytes behind a valid header (a message kind,
//! Automerge's magic bytes and chunk type); and structured mutations of a
//! corpus of valid encodings built here from real leads (messages of every
//! kind, raw and compressed changes, saved documents, stored states): bit
//! flips, byte replacements, truncation, inserted/deleted/duplicated runs,
//! splices of two inputs, varints overwritten with huge (or exactly fitting)
//! values, and mutations *inside* an Automerge chunk that is then framed again
//! with a correct length and checksum (deflated again for a compressed change),
//! so that the column decoders behind the checksum are reached.
//!
//! Properties: a decoder returns `Ok` or `Err` and never panics; one call
//! never holds more than its cap (`wire_cap`, `change_cap`, `document_cap`,
//! `ingest_cap`), measured by a counting global allocator on the calling
//! thread only; what is accepted round-trips; a refused ingest leaves the
//! document as it was; valid changes of the lead are accepted.
//!
//! Budget: each fuzz target runs for `SHOWROOM_FUZZ_SECS` seconds (default 3,
//! fractions work), in batches of `BATCH` cases; the file takes about 10 s on
//! two cores. The seed is random per run and printed on failure;
//! `SHOWROOM_FUZZ_SEED=<n>` replays it. `--nocapture` shows the cases run and
//! the largest peaks per target. A failure prints the smallest failing input in
//! hex, and where a panic happened or the call's largest allocation came from.
//!
//! automerge 0.12.0 itself panics, or allocates far over a cap, on many
//! malformed inputs. Those bugs are listed by exact site in `KNOWN_PANICS`,
//! `KNOWN_ALLOCATIONS` and `KNOWN_NO_RELOAD`, each with an input in
//! `fuzz_known_automerge_bugs.txt`: the targets count them rather than fail
//! (any other panic, and every one in Showroom's code, fails), and
//! `known_automerge_bugs_still_happen` replays every input. On the server's
//! path for a pushed change (`parse_change`, `ingest` onto an intact stored
//! document) no allocation over the cap is excused (issue 20 §7); the file's
//! `refused` lines are changes that used to get past it.
//!
//! Other switches: `SHOWROOM_FUZZ_STRICT=1` fails on the known bugs too;
//! `SHOWROOM_FUZZ_DISCOVER=1` lists unknown automerge sites with an input line
//! instead of failing; `SHOWROOM_FUZZ_ONLY=<site>` fails on that known site
//! only (to shrink an input for it); `SHOWROOM_FUZZ_TRAP_BYTES=<n>` aborts with
//! the stack at the first measured allocation of n bytes or more;
//! `SHOWROOM_FUZZ_PROBE=<client|server|change|load|ingest>:<hex>` runs one
//! input (test `probe`).
//!
//! A decoder call that runs longer than `SHOWROOM_FUZZ_CASE_SECS` (default
//! 60) is a hang: a watchdog prints its input in hex and exits the process.
//! One that tries to hold more than `HARD_CAP` bytes is refused by the
//! allocator (which prints the input) so that a runaway decoder cannot take
//! the shared machine down.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};
use showroom_shared::doc::{
    ActorId, DocError, LeadDoc, MAX_CHANGE_OPS, actor_from_bytes, parse_change,
};
use showroom_shared::domain::{
    Customer, Date, DealerId, DocId, Grade, Lead, LeadId, Note, RegisterId, Role, Source, Stage,
    UserId,
};
use showroom_shared::rules::Author;
use showroom_shared::sync::{
    ClientMsg, DocChanges, DocState, Refusal, Refused, ServerMsg, SyncErrorCode, ingest, limits,
};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// The counting allocator.
// ---------------------------------------------------------------------------

/// Beyond this many bytes live in one measured call the allocator refuses
/// (returns null, so the process aborts after printing the input).
const HARD_CAP: usize = 1 << 30;

struct Counting;

/// Per thread, so proptest's allocations and the other test threads never
/// count: only what happens between `on = true` and `on = false` in
/// [`measure`] on this thread.
struct Meter {
    on: Cell<bool>,
    live: Cell<isize>,
    peak: Cell<isize>,
    largest: Cell<usize>,
    refused: Cell<bool>,
    /// `SHOWROOM_FUZZ_TRAP_BYTES`: a single allocation of at least this many
    /// bytes in a measured call prints the stack and aborts (0: off). For
    /// finding where an over-cap allocation comes from.
    trap: Cell<usize>,
    /// When on, the stack of each new largest allocation of at least 4 KiB
    /// is kept (in `LARGEST_STACK`): a call that went over its cap runs again
    /// this way to say where its biggest allocation came from.
    capture: Cell<bool>,
}

thread_local! {
    static METER: Meter = const {
        Meter {
            on: Cell::new(false),
            live: Cell::new(0),
            peak: Cell::new(0),
            largest: Cell::new(0),
            refused: Cell::new(false),
            trap: Cell::new(0),
            capture: Cell::new(false),
        }
    };
    static LARGEST_STACK: RefCell<Option<std::backtrace::Backtrace>> = const { RefCell::new(None) };
    /// A copy of the input of the call being measured, for the hard-cap report.
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// Where and why the last panic on this thread happened.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Accounts for `grow` more bytes in an allocation of `size`; false refuses it.
fn on_grow(grow: usize, size: usize) -> bool {
    METER
        .try_with(|m| {
            if !m.on.get() {
                return true;
            }
            // Layout sizes are at most isize::MAX.
            let live = m.live.get().saturating_add(grow as isize);
            if live > HARD_CAP as isize {
                m.on.set(false);
                m.refused.set(true);
                report_hard_cap(size);
                return false;
            }
            m.live.set(live);
            if live > m.peak.get() {
                m.peak.set(live);
            }
            if size > m.largest.get() {
                m.largest.set(size);
                if m.capture.get() && size >= 4096 {
                    // Counting is off meanwhile: the backtrace's own
                    // allocations go straight to `System`.
                    m.on.set(false);
                    let stack = std::backtrace::Backtrace::force_capture();
                    let _ = LARGEST_STACK.try_with(|s| {
                        if let Ok(mut s) = s.try_borrow_mut() {
                            *s = Some(stack);
                        }
                    });
                    m.on.set(true);
                }
            }
            if m.trap.get() != 0 && size >= m.trap.get() {
                // Debugging only: counting is off, so the allocations of the
                // backtrace go straight to `System`.
                m.on.set(false);
                eprintln!(
                    "\nfuzz: an allocation of {size} B (SHOWROOM_FUZZ_TRAP_BYTES) at:\n{}",
                    std::backtrace::Backtrace::force_capture()
                );
                std::process::abort();
            }
            true
        })
        .unwrap_or(true)
}

fn on_shrink(by: usize) {
    let _ = METER.try_with(|m| {
        if m.on.get() {
            m.live.set(m.live.get() - by as isize);
        }
    });
}

/// Called from inside the allocator: writes without allocating.
fn report_hard_cap(size: usize) {
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "\nfuzz: a decoder tried to hold more than {HARD_CAP} bytes (an allocation of {size}); its input in hex:"
    );
    let _ = INPUT.try_with(|input| {
        if let Ok(input) = input.try_borrow() {
            let digits = b"0123456789abcdef";
            for chunk in input.chunks(512) {
                let mut buf = [0u8; 1024];
                for (i, b) in chunk.iter().enumerate() {
                    buf[2 * i] = digits[usize::from(b >> 4)];
                    buf[2 * i + 1] = digits[usize::from(b & 15)];
                }
                let _ = err.write_all(&buf[..2 * chunk.len()]);
            }
        }
    });
    let _ = writeln!(err);
}

// GlobalAlloc is an unsafe trait: this impl is the only unsafe code of the
// file, and it only forwards to `System` after counting. (shared/Cargo.toml
// sets `unsafe_code = "deny"` rather than the workspace's "forbid" so that
// this one `allow` is possible; the library keeps `#![forbid(unsafe_code)]`.)
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !on_grow(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !on_grow(layout.size(), layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        on_shrink(layout.size());
        // SAFETY: `ptr` came from `System` with this layout (every path above).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old {
            if !on_grow(new_size - old, new_size) {
                return std::ptr::null_mut();
            }
        } else {
            on_shrink(old - new_size);
        }
        // SAFETY: as above; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one measured call allocated: peak is the most it held at once
/// (net of what it freed), largest its biggest single allocation.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    peak: usize,
    largest: usize,
    refused: bool,
}

type Outcome<R> = Result<R, String>;

/// Runs `f` with the allocator counting this thread, under `catch_unwind`
/// (a panic becomes `Err(where and why)`) and the hang watchdog.
fn measure<R>(input: &[u8], f: impl FnOnce() -> R) -> (Outcome<R>, Usage) {
    measure_impl(input, false, f)
}

/// Runs `f` again (the decoders are deterministic), keeping the stack of its
/// largest allocation: the frames in automerge, hexane and shared.
fn largest_allocation_stack<R>(input: &[u8], f: impl FnOnce() -> R) -> String {
    let _ = measure_impl(input, true, f);
    let stack = LARGEST_STACK.with(|s| s.borrow_mut().take());
    stack.map_or_else(
        || "(no allocation of 4 KiB or more)".to_owned(),
        |s| crate_frames(&s.to_string()),
    )
}

/// The frames of a backtrace inside automerge, hexane and showroom-shared, as
/// `function (file:line)` lines.
fn crate_frames(trace: &str) -> String {
    let mut out = Vec::new();
    let mut function = "";
    for line in trace.lines() {
        let line = line.trim();
        if let Some(at) = line.strip_prefix("at ") {
            if in_dependency(at)
                || at.contains("shared/src/")
                || at.contains("src/doc/")
                || at.contains("src/sync/")
            {
                let at = at.rsplit_once("/src/").map_or(at, |(head, tail)| {
                    let krate = head.rsplit('/').next().unwrap_or(head);
                    &line[line.len() - tail.len() - krate.len() - 5..]
                });
                out.push(format!("  {function} ({at})"));
            }
        } else if let Some((_, f)) = line.split_once(": ") {
            function = f;
        }
    }
    out.join("\n")
}

fn measure_impl<R>(input: &[u8], capture: bool, f: impl FnOnce() -> R) -> (Outcome<R>, Usage) {
    install_panic_hook();
    INPUT.with(|i| {
        let mut i = i.borrow_mut();
        i.clear();
        i.extend_from_slice(input);
    });
    watchdog_enter(input);
    LAST_PANIC.with(|p| p.borrow_mut().clear());
    PANIC_SITE.with(|p| p.borrow_mut().clear());
    let trap = trap_bytes();
    LARGEST_STACK.with(|s| *s.borrow_mut() = None);
    METER.with(|m| {
        m.capture.set(capture);
        m.trap.set(trap);
        m.live.set(0);
        m.peak.set(0);
        m.largest.set(0);
        m.refused.set(false);
        m.on.set(true);
    });
    let result = catch_unwind(AssertUnwindSafe(f));
    let usage = METER.with(|m| {
        m.on.set(false);
        Usage {
            peak: usize::try_from(m.peak.get()).unwrap_or(0),
            largest: m.largest.get(),
            refused: m.refused.get(),
        }
    });
    watchdog_leave();
    let result = result.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a non-text panic payload)".to_owned());
        let at = LAST_PANIC.with(|p| p.borrow().clone());
        format!("{text} (panicked at {at})")
    });
    (result, usage)
}

fn trap_bytes() -> usize {
    static TRAP: OnceLock<usize> = OnceLock::new();
    *TRAP.get_or_init(|| {
        std::env::var("SHOWROOM_FUZZ_TRAP_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    })
}

fn install_panic_hook() {
    static HOOK: OnceLock<()> = OnceLock::new();
    HOOK.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let at = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            // A panic raised inside std/core (an overflow in `abs`, an
            // `Option::unwrap`…) is attributed to the first frame of the crate
            // that called it.
            let site = if in_dependency(&at) || at.starts_with("shared/") {
                at.clone()
            } else {
                first_crate_frame().unwrap_or_else(|| at.clone())
            };
            let known = !strict() && known_panic(&site).is_some();
            let _ = LAST_PANIC.try_with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    *p = if site == at {
                        at.clone()
                    } else {
                        format!("{at}, called from {site}")
                    };
                }
            });
            let _ = PANIC_SITE.try_with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    *p = site;
                }
            });
            // Known automerge panics are counted, not printed each time; every
            // other panic gets the default report (the stack with RUST_BACKTRACE=1).
            if !known {
                previous(info);
            }
        }));
    });
}

fn in_dependency(file: &str) -> bool {
    file.contains("/automerge-") || file.contains("/hexane-")
}

fn first_crate_frame() -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    trace
        .lines()
        .filter_map(|l| l.trim().strip_prefix("at "))
        .find(|f| in_dependency(f) || f.contains("shared/src/"))
        .map(str::to_owned)
}

thread_local! {
    /// Where the last panic on this thread happened, attributed (see above).
    static PANIC_SITE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// `SHOWROOM_FUZZ_STRICT=1`: known automerge panics fail too.
fn strict() -> bool {
    std::env::var("SHOWROOM_FUZZ_STRICT").is_ok_and(|v| v == "1")
}

/// A panic inside the automerge crate (0.12.0, and its column library
/// hexane 1.0.0-alpha.5) that this fuzzer found on malformed input. These are
/// bugs of that crate, not of Showroom: the fuzz targets count them (and say
/// so) instead of failing, matched by exact file and line so that any other
/// panic, and every panic in Showroom's own code, still fails.
/// `known_automerge_panics_still_happen` replays the smallest input of each,
/// and fails once an automerge upgrade fixes one, so that its entry goes.
struct KnownPanic {
    /// `crate-version/src/file.rs:line` as the panic (or its first automerge
    /// frame) reports it.
    site: &'static str,
    what: &'static str,
}

const KNOWN_PANICS: &[KnownPanic] = &[
    // Reached by parse_change (network bytes).
    KnownPanic {
        site: "automerge-0.12.0/src/columnar/encoding/rle.rs:192",
        what: "an RLE run length of i64::MIN: `count.abs()` overflows (a panic with overflow checks, as in debug builds; it wraps in release). doc/columns.rs refuses it in the string and action columns, not in the others (the object column's here)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/types.rs:464",
        what: "OpId::new unwraps a counter or actor index that does not fit (TryFromIntError)",
    },
    // Reached by LeadDoc::load / DocState::load (stored bytes), and by ingest.
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change.rs:282",
        what: "ActorMapper::iter indexes the actor table with an index from the data (out of bounds)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change.rs:306",
        what: "ActorMapper::process_actor indexes seen_actors with an index from the data (out of bounds)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/collector.rs:214",
        what: "a dependency index with no change: `graph.get_hash(..).unwrap()` (its FIXME says so)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/collector.rs:299",
        what: "`assert!(self.data[index].is_none())`: two ops claim the same slot",
    },
    KnownPanic {
        site: "hexane-1.0.0-alpha.5/src/lib.rs:354",
        what: "Packable::unpack unwraps a value \"validated during load\" that was not (truncated varint)",
    },
    KnownPanic {
        site: "hexane-1.0.0-alpha.5/src/lib.rs:364",
        what: "\"unexpected null in non-nullable column\"",
    },
    KnownPanic {
        site: "hexane-1.0.0-alpha.5/src/raw.rs:622",
        what: "RawColumnIter::take would cross slab boundary (a column shorter than its ops need)",
    },
    // Reached by ingest: changes that parse, applied to a document.
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:1121",
        what: "import_ops: `lookup_actor(a).unwrap()` on an actor the document does not have",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/collector.rs:753",
        what: "Bundle::for_hashes(..).unwrap() fails with MissingDep",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/change_graph.rs:569",
        what: "`assert_eq!(seq_index[actor].len() + 1, change.seq())`: a change whose seq skips or repeats",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:859",
        what: "import_ops: `import_ops_to(..).unwrap()` fails with InvalidActorIndex",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:920",
        what: "`panic!(\"Obj .. Missing from Index\")`: an op on an object the document does not have",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:136",
        what: "`assert!(self.entry.is_empty())` when finishing a batch of applied ops",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:146",
        what: "sorting a batch's ops: `a.pos.unwrap()` on an op without a position",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:949",
        what: "`debug_assert!(doc.ops.validate_op_order())` (debug assertions only; in release the misordered ops go in unchecked)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/op_set2/change/batch.rs:980",
        what: "order_ops_for_doc: its sort comparison is not a total order on these ops (std's sort panics: \"user-provided comparison function does not correctly implement a total order\")",
    },
    KnownPanic {
        site: "hexane-1.0.0-alpha.5/src/rle/decoder.rs:216",
        what: "a null run's count: `read_unsigned(..).unwrap()` on truncated data",
    },
    // Reached by DocState::load (stored snapshot).
    KnownPanic {
        site: "automerge-0.12.0/src/author.rs:105",
        what: "remove_unused_actors removes an actor the author map does not have: a 15-byte document is enough (`856f4a83d1ed895700050100000000`)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/change_graph.rs:993",
        what: "max_ops[i] indexed past the changes the document has (out of bounds)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/change_graph.rs:1007",
        what: "max_ops[dep] indexed with a dependency index from the document (out of bounds)",
    },
    KnownPanic {
        site: "automerge-0.12.0/src/change_graph.rs:1673",
        what: "extra_bytes_raw[meta_range] sliced with a range from the document (out of range)",
    },
];

/// Allocations inside automerge over a decoder's cap, likewise known bugs of
/// the crate: matched by the site of the one allocation that takes the call
/// over its cap (the call must be within its cap without it). Only when
/// loading stored bytes: on the server's path for a pushed change
/// (`parse_change`, `ingest` onto an intact stored document) nothing excuses
/// going over the cap.
const KNOWN_ALLOCATIONS: &[KnownPanic] = &[KnownPanic {
    site: "automerge-0.12.0/src/columnar/encoding/decodable_impls.rs:113",
    what: "Vec<u8>::decode allocates `vec![0; len]` for a length read from a string column (up to 1e9) before reading the bytes: a 250-byte change can allocate 250 MB. A pushed change no longer reaches it (parse_change checks those lengths first, doc/columns.rs); loading a document (stored bytes) still does",
}];

/// Not a panic: a document automerge loads, whose own save it then refuses
/// ("mismatching heads": the changes it re-encodes hash differently from the
/// non-canonically encoded ones it accepted). Matched by that error text,
/// in the "saved, loads again" property of `LeadDoc::load` only.
const KNOWN_NO_RELOAD: KnownPanic = KnownPanic {
    site: "automerge-0.12.0 save/load: mismatching heads",
    what: "a loaded document's save does not load: error inflating document chunk ops: mismatching heads",
};

fn site_in(list: &'static [KnownPanic], text: &str) -> Option<&'static KnownPanic> {
    list.iter().find(|k| {
        text.match_indices(k.site)
            .any(|(i, _)| text[i + k.site.len()..].starts_with(':'))
    })
}

fn known_panic(site: &str) -> Option<&'static KnownPanic> {
    site_in(KNOWN_PANICS, site).filter(|k| !only(k))
}

/// `SHOWROOM_FUZZ_ONLY=<site>`: that one known site fails again (to shrink
/// an input for it).
fn only(k: &KnownPanic) -> bool {
    std::env::var("SHOWROOM_FUZZ_ONLY").is_ok_and(|v| !v.is_empty() && k.site.contains(v.as_str()))
}

/// A panic or over-allocation inside automerge or hexane at a site the list
/// does not have yet. The test command runs with a random seed, so a new
/// input can reach a new site of the same crates' bugs on any run: it is
/// counted and printed (add it with `SHOWROOM_FUZZ_DISCOVER=1`), not failed,
/// so that CI stays about Showroom's code. `SHOWROOM_FUZZ_STRICT=1` fails it.
const UNLISTED_AUTOMERGE: KnownPanic = KnownPanic {
    site: "automerge or hexane, a site not listed yet",
    what: "a bug of the automerge crates at a site not in the lists (printed above)",
};

fn in_automerge(site: &str) -> bool {
    site.contains("automerge-0.12.0/") || site.contains("hexane-1.0.0-alpha.5/")
}

/// The known automerge panic that `measure` just caught, if it was one.
fn caught_known_panic() -> Option<&'static KnownPanic> {
    if strict() {
        return None;
    }
    PANIC_SITE.with(|p| {
        let site = p.borrow();
        known_panic(&site).or_else(|| {
            in_automerge(&site).then(|| {
                eprintln!("fuzz: an automerge panic at a site not listed yet: {site}");
                &UNLISTED_AUTOMERGE
            })
        })
    })
}

// ---------------------------------------------------------------------------
// The hang watchdog.
// ---------------------------------------------------------------------------

type Running = HashMap<ThreadId, (Instant, Vec<u8>)>;

fn running() -> &'static Mutex<Running> {
    static RUNNING: OnceLock<Mutex<Running>> = OnceLock::new();
    RUNNING.get_or_init(|| {
        let limit = Duration::from_secs_f64(env_secs("SHOWROOM_FUZZ_CASE_SECS", 60.0));
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let Ok(map) = running().lock() else { return };
                for (start, input) in map.values() {
                    if start.elapsed() > limit {
                        eprintln!(
                            "\nfuzz: a decoder call has run for over {limit:?}: a hang. Its input ({} bytes) in hex:\n{}",
                            input.len(),
                            hex(input)
                        );
                        std::process::exit(101);
                    }
                }
            }
        });
        Mutex::new(HashMap::new())
    })
}

fn watchdog_enter(input: &[u8]) {
    if let Ok(mut map) = running().lock() {
        map.insert(
            std::thread::current().id(),
            (Instant::now(), input.to_vec()),
        );
    }
}

fn watchdog_leave() {
    if let Ok(mut map) = running().lock() {
        map.remove(&std::thread::current().id());
    }
}

// ---------------------------------------------------------------------------
// Caps.
// ---------------------------------------------------------------------------

/// A wire decoder copies each change out of the message and builds small
/// structs around them: it may hold at most 3× the message plus a few KiB.
fn wire_cap(len: usize) -> usize {
    3 * len + 4096
}

/// What parsing one change (`parse_change`, on the server for every pushed
/// change) may hold at once: a small multiple of the change, never more
/// (issue 20 §7).
///
/// A change's size is its bytes, or for a compressed change its body once
/// inflated (as the server's bounded inflation measures it, at most
/// CHANGE_BYTES + 1). The cap is 80 × that size + 64 KiB. Parsing holds the
/// input, automerge's copy and the copy the change keeps (a compressed
/// change's body is inflated twice more, by the bounded inflation and by
/// automerge, into buffers that grow by doubling), and the header's lists.
/// Their densest element is an empty actor id: 1 byte on the wire, a 32-byte
/// `ActorId` in a `Vec` that may just have doubled, so 64 × the bytes; with
/// the copies, 66 × (`the_densest_change_parses_within_the_change_cap`);
/// 80 leaves a margin. 64 KiB is the small structs of any change. A decoder
/// that allocates from a length it read instead of from the bytes it has is
/// thousands of times over: automerge's `Vec<u8>::decode` allocates what a
/// length in a string column says, up to 1e9 B, from a change of a few
/// hundred bytes (until `doc::columns` checked those lengths first).
///
/// A compressed change whose body inflates past CHANGE_BYTES never reaches
/// automerge: the bounded inflation refuses it, after holding at most
/// 2 × CHANGE_BYTES (its buffer doubles before it sees the byte that is one
/// too many) and the inflater's own state. That is what refuses a
/// decompression bomb.
fn change_cap(input: &[u8]) -> usize {
    let size = change_size(input);
    let inflating = if compressed(input) { INFLATE_STATE } else { 0 };
    if size > limits::CHANGE_BYTES {
        return 2 * limits::CHANGE_BYTES + inflating + 4 * input.len();
    }
    PER_BYTE * size.max(input.len()) + PER_CHANGE + inflating
}

/// See `change_cap`.
const PER_BYTE: usize = 80;
const PER_CHANGE: usize = 64 * 1024;

fn compressed(input: &[u8]) -> bool {
    input.len() >= 10 && input[..4] == MAGIC && input[8] == 2
}

/// The bytes of a change, inflated if it is compressed (bounded as the
/// server bounds it: at most CHANGE_BYTES + 1).
fn change_size(input: &[u8]) -> usize {
    if !compressed(input) {
        return input.len();
    }
    let Some((_, n)) = read_leb(&input[9..]) else {
        return input.len();
    };
    let mut out = Vec::new();
    let limit = limits::CHANGE_BYTES as u64 + 1;
    // A stream that does not inflate: what inflated before the error counts.
    let _ = flate2::read::DeflateDecoder::new(&input[9 + n..])
        .take(limit)
        .read_to_end(&mut out);
    out.len()
}

/// What a DEFLATE decoder holds besides its output: a 32 KiB window and buffers.
const INFLATE_STATE: usize = 128 * 1024;

/// A saved document opens into its op set (about 20× its saved size, see
/// TOOLCHAIN.md); documents are capped at `DOCUMENT_BYTES` saved.
fn document_cap(len: usize) -> usize {
    limits::DOCUMENT_BYTES + 64 * len
}

/// Ingest parses every change (each at most `CHANGE_BYTES` once inflated,
/// so at most `change_cap` each), applies them to the document (which it
/// refuses beyond `DOCUMENT_BYTES` of changes) and, on a refusal, opens the
/// stored document again.
fn ingest_cap(incoming: &[Vec<u8>], stored: &Stored) -> usize {
    let changes: usize = incoming.iter().map(|c| change_cap(c)).sum();
    changes + stored_cap(stored) + 2 * limits::DOCUMENT_BYTES
}

/// Opening a stored document: its snapshot and the changes after it.
fn stored_cap(stored: &Stored) -> usize {
    document_cap(stored.base.len()) + stored.tail.iter().map(|c| change_cap(c)).sum::<usize>()
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn env_secs(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(default)
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn sleb(mut n: i64, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        let done = (n == 0 && low & 0x40 == 0) || (n == -1 && low & 0x40 != 0);
        if done {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

fn read_leb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((n, i + 1));
        }
    }
    None
}

/// The first four bytes of SHA-256 over the chunk type, the LEB128 length and
/// the data: what Automerge stores as a chunk's checksum.
fn checksum(chunk_type: u8, data: &[u8]) -> [u8; 4] {
    use sha2::Digest as _;
    let mut head = vec![chunk_type];
    leb(data.len() as u64, &mut head);
    let mut h = sha2::Sha256::new();
    h.update(&head);
    h.update(data);
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A chunk (0 document, 1 change, 2 compressed change) with a correct header.
/// `data` is the uncompressed body; type 2 deflates it.
fn frame(chunk_type: u8, data: &[u8]) -> Vec<u8> {
    let (sum, body) = if chunk_type == 2 {
        (checksum(1, data), deflate(data))
    } else {
        (checksum(chunk_type, data), data.to_vec())
    };
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&sum);
    out.push(chunk_type);
    leb(body.len() as u64, &mut out);
    out.extend_from_slice(&body);
    out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    enc.write_all(data).expect("deflate into memory");
    enc.finish().expect("deflate into memory")
}

/// The uncompressed body of a chunk, for mutating inside it: (type, body).
/// Compressed bodies are inflated (at most 4 MiB: the corpus is small).
fn unframe(bytes: &[u8]) -> Option<(u8, Vec<u8>)> {
    if bytes.len() < 10 || bytes[..4] != MAGIC {
        return None;
    }
    let chunk_type = bytes[8];
    let (_, n) = read_leb(&bytes[9..])?;
    let body = &bytes[9 + n..];
    if chunk_type == 2 {
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(body)
            .take(4 << 20)
            .read_to_end(&mut out)
            .ok()?;
        Some((2, out))
    } else {
        Some((chunk_type, body.to_vec()))
    }
}

// ---------------------------------------------------------------------------
// The corpus: valid encodings of real leads.
// ---------------------------------------------------------------------------

const T0: i64 = 1_700_000_000_000;

fn dealer() -> DealerId {
    DealerId::from_uuid(Uuid::from_u128(0xdea1))
}

fn lead_id() -> LeadId {
    LeadId::from_uuid(Uuid::from_u128(0x1ead))
}

fn user(n: u128) -> UserId {
    UserId::from_uuid(Uuid::from_u128(n))
}

/// The session every corpus change of the lead comes from: its creator, a
/// salesperson (the lead's notes are all theirs, so every valid change of it
/// is theirs to send).
fn creator() -> Author {
    Author {
        user: user(1),
        role: Role::Salesperson,
    }
}

fn server_actor() -> ActorId {
    actor_from_bytes([0; 16])
}

fn sample_lead(id: LeadId) -> Lead {
    Lead {
        id,
        dealer: dealer(),
        customer: Customer {
            name: "王芳".into(),
            mobile: Some("+8613800138000".parse().expect("a valid mobile")),
            wechat: Some("wangfang88".into()),
            city: Some("杭州".into()),
        },
        source: Source::WalkIn,
        models: vec!["Model Y".into(), "汉 EV".into()],
        grade: Grade::A,
        stage: Stage::Contacted,
        owner: Some(user(1)),
        next_follow_up: Some(Date::from_ymd(2025, 3, 14).expect("a valid date")),
        notes: vec![Note {
            author: user(1),
            at: T0,
            text: "Wants a test drive on Saturday.".into(),
        }],
        created_by: user(1),
        created_at: T0,
        updated_by: user(1),
        updated_at: T0,
        ..Lead::new(id, dealer(), user(1), T0)
    }
}

struct Corpus {
    /// Encoded `ClientMsg`s, then encoded `ServerMsg`s.
    client: Vec<Vec<u8>>,
    server: Vec<Vec<u8>>,
    /// Every message, for splicing.
    wire: Vec<Vec<u8>>,
    /// The lead's changes in causal order, as raw (uncompressed) bytes.
    lead_changes: Vec<Vec<u8>>,
    /// Raw and compressed changes of two leads.
    changes: Vec<Vec<u8>>,
    /// Saved documents.
    docs: Vec<Vec<u8>>,
    /// Changes of the lead (raw and compressed): valid for it, whatever is stored.
    valid_for_lead: HashSet<Vec<u8>>,
    /// Documents the server could hold for the lead; nothing stored first.
    stored: Vec<Stored>,
}

/// What the server stores of a document: `DocState::load`'s arguments.
#[derive(Clone, Debug, Default)]
struct Stored {
    base: Vec<u8>,
    tail: Vec<Vec<u8>>,
    history_bytes: usize,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(build_corpus)
}

fn doc_changes(doc: &mut LeadDoc) -> Vec<showroom_shared::doc::Change> {
    doc.changes_since(&[])
}

fn build_corpus() -> Corpus {
    let lead = sample_lead(lead_id());
    // The creator edits on two devices (A and B): every change is the
    // creator's, so the server's write rules accept them all from the
    // creator's session (`creator`).
    let editor = user(1);
    let mut docs = Vec::new();

    // Device A creates the lead and edits it.
    let mut a = LeadDoc::create(actor_from_bytes([0xa1; 16]), &lead).expect("create");
    docs.push(a.save());
    let mut next = lead.clone();
    next.customer.name = "王芳 (Fang)".into();
    next.grade = Grade::H;
    a.update(&next, editor, T0 + 1_000).expect("update");
    next.models.push("Model 3".into());
    next.stage = Stage::TestDrive;
    next.next_follow_up = None;
    next.customer.mobile = None;
    a.update(&next, editor, T0 + 2_000).expect("update");
    a.add_note(&Note {
        author: editor,
        at: T0 + 3_000,
        text: "试驾后很满意，周末带家人再来。".into(),
    })
    .expect("note");
    // A note at the note cap: its change is over 256 bytes, so Automerge
    // also has a compressed form of it.
    a.add_note(&Note {
        author: editor,
        at: T0 + 4_000,
        text: "Quoted 4 trims; ".repeat(250),
    })
    .expect("note");
    next = a.read().expect("read");
    next.models = (0..20).map(|i| format!("Model {i}")).collect();
    a.update(&next, editor, T0 + 5_000).expect("update");
    docs.push(a.save());

    // Device B forks from A; both edit concurrently, then A merges B.
    let fork = a.heads();
    let mut b = LeadDoc::load(&a.save(), actor_from_bytes([0xb2; 16])).expect("load");
    let mut nb = b.read().expect("read");
    nb.customer.city = Some("上海".into());
    nb.owner = None;
    b.update(&nb, editor, T0 + 6_000).expect("update");
    b.add_note(&Note {
        author: editor,
        at: T0 + 7_000,
        text: "Called back.".into(),
    })
    .expect("note");
    let mut na = a.read().expect("read");
    na.grade = Grade::O;
    na.stage = Stage::Ordered;
    a.update(&na, editor, T0 + 6_500).expect("update");
    a.apply(b.changes_since(&fork)).expect("merge");
    docs.push(a.save());
    docs.push(b.save());
    docs.push(LeadDoc::empty(server_actor()).save());

    // Another lead of the same dealer (for "names another lead").
    let mut other = LeadDoc::create(
        actor_from_bytes([0xc3; 16]),
        &sample_lead(LeadId::from_uuid(Uuid::from_u128(0x2ead))),
    )
    .expect("create");
    docs.push(other.save());

    let all = doc_changes(&mut a);
    let lead_changes: Vec<Vec<u8>> = all.iter().map(|c| c.raw_bytes().to_vec()).collect();
    let mut changes = lead_changes.clone();
    let mut compressed = Vec::new();
    let mut valid_for_lead: HashSet<Vec<u8>> = lead_changes.iter().cloned().collect();
    let others = doc_changes(&mut other);
    for (n, c) in all.iter().chain(others.iter()).enumerate() {
        let mut c = c.clone();
        let bytes = c.bytes().into_owned();
        if n < all.len() {
            valid_for_lead.insert(bytes.clone());
        }
        if bytes.get(8) == Some(&2) {
            compressed.push(bytes);
        } else if !changes.contains(&bytes) {
            changes.push(bytes);
        }
    }
    assert!(!compressed.is_empty(), "the corpus has a compressed change");
    changes.extend(compressed.iter().cloned());

    // What the server could have stored: nothing; a snapshot of every prefix
    // of the lead's changes, with and without the next changes after it;
    // changes waiting for their creation.
    let raw_len = |cs: &[Vec<u8>]| cs.iter().map(Vec::len).sum::<usize>();
    let mut stored = vec![Stored::default()];
    for k in 1..=lead_changes.len() {
        let mut state = DocState::new();
        ingest(
            dealer(),
            DocId::lead(lead_id()),
            &creator(),
            &Default::default(),
            &mut state,
            &lead_changes[..k],
        )
        .expect("ingest a prefix");
        let base = state.compact().expect("the tail applies");
        let history_bytes = raw_len(&lead_changes[..k]);
        stored.push(Stored {
            base: base.clone(),
            tail: vec![],
            history_bytes,
        });
        if k + 2 <= lead_changes.len() {
            stored.push(Stored {
                base,
                tail: lead_changes[k..k + 2].to_vec(),
                history_bytes: history_bytes + raw_len(&lead_changes[k..k + 2]),
            });
        }
    }
    stored.push(Stored {
        base: vec![],
        tail: lead_changes[2..].to_vec(),
        history_bytes: raw_len(&lead_changes[2..]),
    });
    for s in &stored {
        let state = DocState::load(s.base.clone(), s.tail.clone(), s.history_bytes);
        assert!(state.is_ok(), "a stored document opens: {state:?}");
        if !s.base.is_empty() && !docs.contains(&s.base) {
            docs.push(s.base.clone());
        }
    }

    let id = DocId::lead(lead_id());
    // Ids of the other kinds too, so mutations reach the kind byte.
    let other_id = DocId::register(RegisterId::from_uuid(Uuid::from_u128(0x2ead)));
    let dealer_doc = DocId::dealer(dealer());
    let client_msgs = [
        ClientMsg::Hello {
            protocol: 1,
            token: "shr_3q2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d".into(),
            cursor: 0,
            log: 0,
        },
        ClientMsg::Hello {
            protocol: 2,
            token: "令牌".into(),
            cursor: u64::MAX,
            log: u64::MAX,
        },
        ClientMsg::Push {
            batch: 1,
            docs: vec![DocChanges {
                doc: id,
                changes: lead_changes.clone(),
            }],
        },
        ClientMsg::Push {
            batch: u64::MAX,
            docs: vec![
                DocChanges {
                    doc: id,
                    changes: compressed.clone(),
                },
                DocChanges {
                    doc: other_id,
                    changes: vec![],
                },
            ],
        },
        ClientMsg::Push {
            batch: 0,
            docs: vec![],
        },
    ];
    let refusal = |code, message: &str| Refused {
        doc: id,
        code,
        message: message.into(),
    };
    let server_msgs = [
        ServerMsg::Changes {
            from: 0,
            to: 17,
            complete: true,
            remaining: 0,
            docs: vec![DocChanges {
                doc: id,
                changes: changes.clone(),
            }],
            removed: Vec::new(),
            floor: Vec::new(),
            taken: Vec::new(),
        },
        ServerMsg::Changes {
            from: 1 << 40,
            to: u64::MAX,
            complete: false,
            remaining: 0,
            docs: vec![],
            removed: Vec::new(),
            floor: Vec::new(),
            taken: Vec::new(),
        },
        ServerMsg::Ack {
            batch: 3,
            refused: vec![],
        },
        ServerMsg::Ack {
            batch: 4,
            refused: vec![
                refusal(SyncErrorCode::NotFound, "No such lead."),
                refusal(SyncErrorCode::TooLarge, "太大了"),
                refusal(SyncErrorCode::Malformed, ""),
                refusal(SyncErrorCode::Invalid, &"x".repeat(limits::MESSAGE_TEXT)),
                refusal(SyncErrorCode::Internal, "retry"),
                refusal(SyncErrorCode::NotAuthor, "Not yours."),
                Refused {
                    doc: dealer_doc,
                    code: SyncErrorCode::Forbidden,
                    message: "Only a manager or an admin may change the catalogue.".into(),
                },
            ],
        },
        ServerMsg::Log {
            log: 9_007_199_254_740_990,
            reset: true,
        },
        ServerMsg::Error {
            code: SyncErrorCode::Unauthorized,
            message: "Sign in again.".into(),
        },
        ServerMsg::Error {
            code: SyncErrorCode::UnsupportedVersion,
            message: "请更新应用".into(),
        },
    ];
    let client: Vec<Vec<u8>> = client_msgs.iter().map(ClientMsg::encode).collect();
    let server: Vec<Vec<u8>> = server_msgs.iter().map(ServerMsg::encode).collect();
    let wire = client.iter().chain(server.iter()).cloned().collect();
    Corpus {
        client,
        server,
        wire,
        lead_changes,
        changes,
        docs,
        valid_for_lead,
        stored,
    }
}

// ---------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------

/// A huge (or exactly-fitting) value for a varint.
#[derive(Clone, Debug)]
enum Big {
    U64Max,
    U32Max,
    I64Max,
    /// As many as the bytes after the field: passes a naive "fits" check.
    Rest,
    HalfRest,
    RestPlusOne,
    /// A negative run length (Automerge's RLE columns use signed LEB128).
    NegRest,
    SignedMin,
    Value(u64),
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    InsertRepeat(Index, u8, u16),
    Delete(Index, u16),
    /// This input up to the first index, another input of the pool from the third.
    Splice(Index, Index, Index),
    Varint(Index, Big),
    /// Copies `len` bytes from the first index to the second.
    Duplicate(Index, u16, Index),
}

fn byte_value() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(0u8),
        Just(0xff),
        Just(0x7f),
        Just(0x80),
        Just(1),
        any::<u8>()
    ]
}

fn big() -> impl Strategy<Value = Big> {
    prop_oneof![
        1 => Just(Big::U64Max),
        1 => Just(Big::U32Max),
        1 => Just(Big::I64Max),
        3 => Just(Big::Rest),
        1 => Just(Big::HalfRest),
        1 => Just(Big::RestPlusOne),
        1 => Just(Big::NegRest),
        1 => Just(Big::SignedMin),
        1 => any::<u64>().prop_map(Big::Value),
        1 => (0u64..1024).prop_map(Big::Value),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        2 => (any::<Index>(), byte_value()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<Index>(), byte_value(), 1u16..3000)
            .prop_map(|(i, b, n)| Mutation::InsertRepeat(i, b, n)),
        1 => (any::<Index>(), 1u16..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, b, c)| Mutation::Splice(a, b, c)),
        3 => (any::<Index>(), big()).prop_map(|(i, v)| Mutation::Varint(i, v)),
        1 => (any::<Index>(), 1u16..256, any::<Index>())
            .prop_map(|(a, n, b)| Mutation::Duplicate(a, n, b)),
    ]
}

fn mutations(max: usize) -> impl Strategy<Value = Vec<Mutation>> {
    vec(mutation(), 0..=max)
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation, pool: &[Vec<u8>]) {
    let len = bytes.len();
    match m {
        Mutation::Insert(at, run) => {
            let p = if len == 0 { 0 } else { at.index(len + 1) };
            bytes.splice(p..p, run.iter().copied());
        }
        Mutation::InsertRepeat(at, b, n) => {
            let p = if len == 0 { 0 } else { at.index(len + 1) };
            bytes.splice(p..p, std::iter::repeat_n(*b, usize::from(*n)));
        }
        Mutation::Splice(cut, other, from) if !pool.is_empty() => {
            let other = &pool[other.index(pool.len())];
            let cut = if len == 0 { 0 } else { cut.index(len + 1) };
            let from = if other.is_empty() {
                0
            } else {
                from.index(other.len() + 1)
            };
            bytes.truncate(cut);
            bytes.extend_from_slice(&other[from..]);
        }
        _ if len == 0 => {}
        Mutation::FlipBit(at, bit) => bytes[at.index(len)] ^= 1 << bit,
        Mutation::SetByte(at, v) => bytes[at.index(len)] = *v,
        Mutation::Truncate(at) => bytes.truncate(at.index(len)),
        Mutation::Delete(at, n) => {
            let p = at.index(len);
            let end = (p + usize::from(*n)).min(len);
            bytes.drain(p..end);
        }
        Mutation::Varint(at, value) => {
            let p = at.index(len);
            let field = bytes[p..]
                .iter()
                .take(10)
                .position(|b| b & 0x80 == 0)
                .map_or((len - p).min(10), |i| i + 1);
            let rest = (len - p - field) as u64;
            let mut enc = Vec::new();
            match value {
                Big::U64Max => leb(u64::MAX, &mut enc),
                Big::U32Max => leb(u64::from(u32::MAX), &mut enc),
                Big::I64Max => leb(i64::MAX as u64, &mut enc),
                Big::Rest => leb(rest, &mut enc),
                Big::HalfRest => leb(rest / 2, &mut enc),
                Big::RestPlusOne => leb(rest + 1, &mut enc),
                Big::NegRest => sleb(-(rest as i64).max(1), &mut enc),
                Big::SignedMin => sleb(i64::MIN, &mut enc),
                Big::Value(v) => leb(*v, &mut enc),
            }
            bytes.splice(p..p + field, enc);
        }
        Mutation::Duplicate(from, n, to) => {
            let p = from.index(len);
            let end = (p + usize::from(*n)).min(len);
            let section = bytes[p..end].to_vec();
            let q = to.index(len + 1);
            bytes.splice(q..q, section);
        }
        Mutation::Splice(..) => {}
    }
}

fn apply_all(mut bytes: Vec<u8>, ms: &[Mutation], pool: &[Vec<u8>]) -> Vec<u8> {
    for m in ms {
        apply(&mut bytes, m, pool);
    }
    bytes
}

/// Mutates inside an Automerge chunk, then frames it again with a correct
/// length and checksum (deflating again a compressed change), so that the
/// mutation reaches the decoders behind the checksum.
fn mutate_inside(bytes: &[u8], ms: &[Mutation], pool: &[Vec<u8>]) -> Vec<u8> {
    match unframe(bytes) {
        Some((chunk_type, body)) => frame(chunk_type, &apply_all(body, ms, pool)),
        None => apply_all(bytes.to_vec(), ms, pool),
    }
}

/// Inputs for a decoder: arbitrary bytes, bytes behind one of `prefixes`, and
/// mutations (outside and inside the chunk) of the `seeds`.
fn inputs(
    seeds: &'static [Vec<u8>],
    pool: &'static [Vec<u8>],
    prefixes: Vec<Vec<u8>>,
    chunks: bool,
) -> impl Strategy<Value = Vec<u8>> {
    let arbitrary = vec(any::<u8>(), 0..600);
    let behind_header = (proptest::sample::select(prefixes), vec(any::<u8>(), 0..600)).prop_map(
        |(mut head, tail)| {
            head.extend(tail);
            head
        },
    );
    let mutated = (
        proptest::sample::select((0..seeds.len()).collect::<Vec<_>>()),
        mutations(4),
    )
        .prop_map(move |(i, ms)| apply_all(seeds[i].clone(), &ms, pool));
    // Outside a chunk, mutating "inside" is plain mutation.
    let inside_weight = if chunks { 4 } else { 1 };
    let inside = (
        proptest::sample::select((0..seeds.len()).collect::<Vec<_>>()),
        mutations(3),
        mutations(1),
    )
        .prop_map(move |(i, inner, outer)| {
            apply_all(mutate_inside(&seeds[i], &inner, pool), &outer, pool)
        });
    prop_oneof![
        1 => arbitrary,
        1 => behind_header,
        4 => mutated,
        inside_weight => inside,
    ]
}

// ---------------------------------------------------------------------------
// The runner: batches of cases until the time budget is spent.
// ---------------------------------------------------------------------------

const BATCH: u32 = 64;

#[derive(Default)]
struct Tally {
    ok: Cell<u64>,
    err: Cell<u64>,
    peak: Cell<usize>,
    largest: Cell<usize>,
    /// The largest peak per byte of a parsed change, beyond what `change_cap`
    /// allows any change (parse_change only).
    per_byte: Cell<f64>,
    /// Known automerge panics met, by site.
    known: RefCell<std::collections::BTreeMap<&'static str, u64>>,
    /// `SHOWROOM_FUZZ_DISCOVER=1`: any unknown panic or over-cap allocation
    /// inside automerge/hexane, by site: how many, and the shortest case as a
    /// line for fuzz_known_automerge_bugs.txt.
    discovered: RefCell<std::collections::BTreeMap<String, (u64, String)>>,
}

/// `SHOWROOM_FUZZ_DISCOVER=1`: unknown automerge sites are listed (with a
/// case for fuzz_known_automerge_bugs.txt) instead of failing. For updating
/// the known lists after an automerge upgrade.
fn discover() -> bool {
    std::env::var("SHOWROOM_FUZZ_DISCOVER").is_ok_and(|v| v == "1")
}

thread_local! {
    /// In discovery mode, the current case as a line of the known-bugs file.
    static REPRO: RefCell<String> = const { RefCell::new(String::new()) };
}

fn set_repro(line: impl FnOnce() -> String) {
    if discover() {
        REPRO.with(|r| *r.borrow_mut() = line());
    }
}

/// `…/automerge-0.12.0/src/x.rs:12:34` → `automerge-0.12.0/src/x.rs:12`.
fn short_site(at: &str) -> String {
    let from = at
        .find("automerge-")
        .or_else(|| at.find("hexane-"))
        .unwrap_or(0);
    let site = at[from..].trim_end_matches(')');
    match site.rsplit_once(':') {
        Some((head, col)) if head.contains(':') && col.chars().all(|c| c.is_ascii_digit()) => {
            head.to_owned()
        }
        _ => site.to_owned(),
    }
}

impl Tally {
    fn discovered(&self, kind: &str, at: &str) {
        let site = short_site(at);
        let repro = REPRO.with(|r| r.borrow().clone());
        let mut d = self.discovered.borrow_mut();
        let e = d.entry(site.clone()).or_insert((0, String::new()));
        e.0 += 1;
        let line = format!("{kind}|{site}|{repro}");
        if e.1.is_empty() || line.len() < e.1.len() {
            e.1 = line;
        }
    }
}

impl Tally {
    /// After a call went over its cap: the largest allocation's stack decides.
    /// A known automerge over-allocation is counted and the case passes.
    fn known_allocation_or(
        &self,
        usage: Usage,
        cap: usize,
        stack: &str,
        fail: impl FnOnce() -> String,
    ) -> Result<(), String> {
        let without_it = usage.peak.saturating_sub(usage.largest) <= cap;
        let first_frame = stack
            .lines()
            .find(|l| l.contains("automerge-") || l.contains("hexane-"));
        match site_in(KNOWN_ALLOCATIONS, stack) {
            Some(k) if without_it && !usage.refused && !strict() && !only(k) => {
                *self.known.borrow_mut().entry(k.site).or_default() += 1;
                Ok(())
            }
            None if without_it
                && !usage.refused
                && !strict()
                && !discover()
                && first_frame.is_some_and(in_automerge) =>
            {
                eprintln!(
                    "fuzz: an automerge over-allocation at a site not listed yet: {}",
                    first_frame.unwrap_or_default().trim()
                );
                *self
                    .known
                    .borrow_mut()
                    .entry(UNLISTED_AUTOMERGE.site)
                    .or_default() += 1;
                Ok(())
            }
            _ => {
                let first = stack.lines().find(|l| {
                    in_dependency(l) || l.contains("automerge-") || l.contains("hexane-")
                });
                match first {
                    Some(site) if discover() => {
                        self.discovered("allocation", site);
                        Ok(())
                    }
                    _ => Err(fail()),
                }
            }
        }
    }

    /// After a call on the server's path for a pushed change (`parse_change`,
    /// `ingest`) went over its cap: it fails, whatever the site (issue 20 §7:
    /// a change may not make the server allocate far beyond its size). In
    /// discovery mode the site is listed instead.
    fn over_cap_on_server_path(
        &self,
        stack: &str,
        fail: impl FnOnce() -> String,
    ) -> Result<(), String> {
        match stack.lines().find(|l| in_automerge(l)) {
            Some(site) if discover() => {
                self.discovered("allocation", site);
                Ok(())
            }
            _ => Err(fail()),
        }
    }

    /// Keeps the largest peak per byte of a change seen (beyond what
    /// `change_cap` allows any change).
    fn per_byte(&self, peak: usize, size: usize) {
        let ratio = peak as f64 / size.max(1) as f64;
        if ratio > self.per_byte.get() {
            self.per_byte.set(ratio);
        }
    }

    /// After a panic: a known automerge one is counted and the case passes;
    /// any other fails the case.
    fn known_or(&self, fail: impl FnOnce() -> String) -> Result<(), String> {
        match caught_known_panic() {
            Some(k) => {
                *self.known.borrow_mut().entry(k.site).or_default() += 1;
                Ok(())
            }
            None => {
                let site = PANIC_SITE.with(|p| p.borrow().clone());
                if discover() && in_dependency(&site) {
                    self.discovered("panic", &site);
                    return Ok(());
                }
                Err(fail())
            }
        }
    }

    fn record<T, E>(&self, result: &Result<T, E>, usage: Usage) {
        let c = if result.is_ok() { &self.ok } else { &self.err };
        c.set(c.get() + 1);
        self.peak.set(self.peak.get().max(usage.peak));
        self.largest.set(self.largest.get().max(usage.largest));
    }
}

fn fuzz<S>(name: &str, strategy: S, check: impl Fn(&S::Value, &Tally) -> Result<(), String>)
where
    S: Strategy,
{
    let budget = Duration::from_secs_f64(env_secs("SHOWROOM_FUZZ_SECS", 3.0));
    let seed = std::env::var("SHOWROOM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    // Each target gets its own stream from the one seed.
    let name_salt = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let tally = Tally::default();
    let started = Instant::now();
    let mut batch = 0u64;
    while batch == 0 || started.elapsed() < budget {
        let config = Config {
            cases: BATCH,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed ^ name_salt ^ batch.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
            max_shrink_time: 60_000,
            max_shrink_iters: 10_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, |value| {
            check(&value, &tally).map_err(TestCaseError::fail)
        }) {
            Ok(()) => {}
            Err(TestError::Fail(why, _)) => panic!(
                "fuzz target {name} failed (replay with SHOWROOM_FUZZ_SEED={seed}; batch {batch}); smallest failing case:\n{why}"
            ),
            Err(TestError::Abort(why)) => panic!("fuzz target {name} aborted: {why}"),
        }
        batch += 1;
    }
    println!(
        "fuzz {name}: {} cases in {:.1}s ({} Ok, {} Err), largest peak {} B, largest single allocation {} B, seed {seed}",
        batch * u64::from(BATCH),
        started.elapsed().as_secs_f64(),
        tally.ok.get(),
        tally.err.get(),
        tally.peak.get(),
        tally.largest.get(),
    );
    if tally.per_byte.get() > 0.0 {
        println!(
            "  largest peak per byte of a change, beyond 64 KiB (and the inflater): {:.1} (cap {PER_BYTE})",
            tally.per_byte.get()
        );
    }
    for (site, n) in tally.known.borrow().iter() {
        let key = format!("{site}:");
        let what = site_in(KNOWN_PANICS, &key)
            .or_else(|| site_in(KNOWN_ALLOCATIONS, &key))
            .map_or(KNOWN_NO_RELOAD.what, |k| k.what);
        println!("  known automerge panic met {n}× at {site}: {what}");
    }
    for (site, (n, line)) in tally.discovered.borrow().iter() {
        println!("  DISCOVERED {n}× {site}\nREPRO {line}");
    }
}

fn failure(what: &str, usage: Usage, input: &[u8]) -> String {
    format!(
        "{what}\n(peak {} B, largest single allocation {} B{})\ninput ({} bytes) in hex: {}",
        usage.peak,
        usage.largest,
        if usage.refused {
            ", an allocation was refused at the hard cap"
        } else {
            ""
        },
        input.len(),
        hex(input)
    )
}

// ---------------------------------------------------------------------------
// Checks, one per decoder.
// ---------------------------------------------------------------------------

fn check_client_decode(input: &[u8], tally: &Tally) -> Result<(), String> {
    set_repro(|| format!("client|{}", hex(input)));
    let (result, usage) = measure(input, || ClientMsg::decode(input));
    let decoded = match result {
        Ok(r) => r,
        Err(p) => {
            return tally
                .known_or(|| failure(&format!("ClientMsg::decode panicked: {p}"), usage, input));
        }
    };
    tally.record(&decoded, usage);
    let cap = wire_cap(input.len());
    if usage.refused || usage.peak > cap {
        let stack = largest_allocation_stack(input, || ClientMsg::decode(input));
        return tally.known_allocation_or(usage, cap, &stack, || {
            failure(
                &format!(
                    "ClientMsg::decode held {} B at once, over its cap 3 × {} + 4096 = {} B; its largest allocation came from:\n{stack}",
                    usage.peak,
                    input.len(),
                    cap
                ),
                usage,
                input,
            )
        });
    }
    if let Ok(msg) = decoded {
        let again = ClientMsg::decode(&msg.encode());
        if again.as_ref() != Ok(&msg) {
            return Err(failure(
                &format!(
                    "a decoded ClientMsg does not survive encode + decode: {msg:?} became {again:?}"
                ),
                usage,
                input,
            ));
        }
    }
    Ok(())
}

/// What `encode` keeps of a server message (texts are cut to `MESSAGE_TEXT`
/// characters when encoding, and decoding accepts up to 4× that in bytes).
fn as_encoded(msg: &ServerMsg) -> ServerMsg {
    let cut = |s: &str| s.chars().take(limits::MESSAGE_TEXT).collect::<String>();
    match msg {
        ServerMsg::Ack { batch, refused } => ServerMsg::Ack {
            batch: *batch,
            refused: refused
                .iter()
                .map(|r| Refused {
                    message: cut(&r.message),
                    ..r.clone()
                })
                .collect(),
        },
        ServerMsg::Error { code, message } => ServerMsg::Error {
            code: *code,
            message: cut(message),
        },
        other => other.clone(),
    }
}

fn check_server_decode(input: &[u8], tally: &Tally) -> Result<(), String> {
    set_repro(|| format!("server|{}", hex(input)));
    let (result, usage) = measure(input, || ServerMsg::decode(input));
    let decoded = match result {
        Ok(r) => r,
        Err(p) => {
            return tally
                .known_or(|| failure(&format!("ServerMsg::decode panicked: {p}"), usage, input));
        }
    };
    tally.record(&decoded, usage);
    let cap = wire_cap(input.len());
    if usage.refused || usage.peak > cap {
        let stack = largest_allocation_stack(input, || ServerMsg::decode(input));
        return tally.known_allocation_or(usage, cap, &stack, || {
            failure(
                &format!(
                    "ServerMsg::decode held {} B at once, over its cap 3 × {} + 4096 = {} B; its largest allocation came from:\n{stack}",
                    usage.peak,
                    input.len(),
                    cap
                ),
                usage,
                input,
            )
        });
    }
    if let Ok(msg) = decoded {
        let again = ServerMsg::decode(&msg.encode());
        let expected = as_encoded(&msg);
        if again.as_ref() != Ok(&expected) {
            return Err(failure(
                &format!(
                    "a decoded ServerMsg does not survive encode + decode: {msg:?} became {again:?}"
                ),
                usage,
                input,
            ));
        }
    }
    Ok(())
}

fn check_parse_change(input: &[u8], tally: &Tally) -> Result<(), String> {
    set_repro(|| format!("change|{}", hex(input)));
    let (result, usage) = measure(input, || parse_change(input));
    let parsed = match result {
        Ok(r) => r,
        Err(p) => {
            return tally
                .known_or(|| failure(&format!("parse_change panicked: {p}"), usage, input));
        }
    };
    tally.record(&parsed, usage);
    let size = change_size(input);
    if size <= limits::CHANGE_BYTES {
        let fixed = PER_CHANGE + if compressed(input) { INFLATE_STATE } else { 0 };
        tally.per_byte(usage.peak.saturating_sub(fixed), size.max(input.len()));
    }
    let cap = change_cap(input);
    if usage.refused || usage.peak > cap {
        // The server's path: no known automerge allocation excuses it.
        let stack = largest_allocation_stack(input, || parse_change(input));
        return tally.over_cap_on_server_path(&stack, || {
            failure(
                &format!(
                    "parse_change held {} B at once, over its cap (see change_cap) of {cap} B for a change of {} B ({size} B inflated); its largest allocation came from:\n{stack}",
                    usage.peak,
                    input.len(),
                ),
                usage,
                input,
            )
        });
    }
    if let Ok(change) = parsed {
        // What the server stores and relays is `raw_bytes()`: it must parse
        // again to the same change.
        let raw = change.raw_bytes().to_vec();
        let (again, usage) = measure(&raw, || parse_change(&raw).map(|c| c.hash()));
        match again {
            Ok(Ok(hash)) if hash == change.hash() => {}
            other => {
                return Err(failure(
                    &format!(
                        "an accepted change's raw_bytes() do not parse again to it: {:?}",
                        other.map(|r| r.map_err(|e| e.to_string()))
                    ),
                    usage,
                    input,
                ));
            }
        }
    }
    Ok(())
}

fn check_load(input: &[u8], tally: &Tally) -> Result<(), String> {
    set_repro(|| format!("load|{}", hex(input)));
    let (result, usage) = measure(input, || LeadDoc::load(input, server_actor()));
    let loaded = match result {
        Ok(r) => r,
        Err(p) => {
            return tally
                .known_or(|| failure(&format!("LeadDoc::load panicked: {p}"), usage, input));
        }
    };
    tally.record(&loaded, usage);
    let cap = document_cap(input.len());
    if usage.refused || usage.peak > cap {
        let stack = largest_allocation_stack(input, || LeadDoc::load(input, server_actor()));
        return tally.known_allocation_or(usage, cap, &stack, || {
            failure(
                &format!(
                    "LeadDoc::load held {} B at once, over its cap DOCUMENT_BYTES + 64 × {} = {} B; its largest allocation came from:\n{stack}",
                    usage.peak,
                    input.len(),
                    cap
                ),
                usage,
                input,
            )
        });
    }
    if let Ok(mut doc) = loaded {
        // Whatever opens can be read (Ok or Err) and saved, and the save opens again.
        let (result, usage) = measure(input, || {
            let _ = doc.read();
            let _ = doc.identity();
            let _ = doc.schema_version();
            let _ = doc.missing_deps();
            let saved = doc.save();
            LeadDoc::load(&saved, server_actor()).map(|_| saved.len())
        });
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e))
                if e.to_string().contains("mismatching heads")
                    && !strict()
                    && !only(&KNOWN_NO_RELOAD) =>
            {
                *tally
                    .known
                    .borrow_mut()
                    .entry(KNOWN_NO_RELOAD.site)
                    .or_default() += 1;
            }
            Ok(Err(e)) if discover() => {
                let _ = e;
                tally.discovered("no-reload", "automerge-0.12.0 save/load: mismatching heads");
            }
            Ok(Err(e)) => {
                return Err(failure(
                    &format!("a loaded document, saved, does not load again: {e}"),
                    usage,
                    input,
                ));
            }
            Err(p) => {
                return tally.known_or(|| {
                    failure(
                        &format!("reading or saving a loaded document panicked: {p}"),
                        usage,
                        input,
                    )
                });
            }
        }
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum ChangeInput {
    /// A corpus change, mutated (inside the chunk, then outside).
    Corpus(usize, Vec<Mutation>, Vec<Mutation>),
    Arbitrary(Vec<u8>),
}

#[derive(Clone, Debug)]
struct IngestCase {
    /// Index into `Corpus::stored`.
    existing: usize,
    /// Mutations inside the stored snapshot (the server's own bytes, rarely
    /// damaged): opening it must then fail cleanly, as Internal.
    damage: Vec<Mutation>,
    incoming: Vec<ChangeInput>,
    /// 0: the right dealer and lead; 1: another dealer; 2: another lead;
    /// 3: the right lead, sent by another salesperson.
    who: u8,
}

fn ingest_cases() -> impl Strategy<Value = IngestCase> {
    let c = corpus();
    let change = prop_oneof![
        4 => (0..c.changes.len(), mutations(3), mutations(1))
            .prop_map(|(i, inner, outer)| ChangeInput::Corpus(i, inner, outer)),
        2 => (0..c.changes.len()).prop_map(|i| ChangeInput::Corpus(i, vec![], vec![])),
        1 => vec(any::<u8>(), 0..300).prop_map(ChangeInput::Arbitrary),
    ];
    (
        0..c.stored.len(),
        prop_oneof![6 => Just(vec![]), 1 => mutations(2)],
        vec(change, 0..5),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)],
    )
        .prop_map(|(existing, damage, incoming, who)| IngestCase {
            existing,
            damage,
            incoming,
            who,
        })
}

fn check_ingest(case: &IngestCase, tally: &Tally) -> Result<(), String> {
    let c = corpus();
    let pool = &c.changes;
    let incoming: Vec<Vec<u8>> = case
        .incoming
        .iter()
        .map(|i| match i {
            ChangeInput::Corpus(n, inner, outer) => {
                apply_all(mutate_inside(&c.changes[*n], inner, pool), outer, pool)
            }
            ChangeInput::Arbitrary(b) => b.clone(),
        })
        .collect();
    let mut stored = c.stored[case.existing].clone();
    let damaged = !case.damage.is_empty() && !stored.base.is_empty();
    if damaged {
        stored.base = mutate_inside(&stored.base, &case.damage, &c.docs);
    }
    check_ingest_bytes(&stored, damaged, &incoming, case.who, tally)
}

/// `who`: 0 the right dealer and lead, 1 another dealer, 2 another lead, 3
/// the right lead from another salesperson's session.
/// `damaged`: the stored base was mutated, so it may fail to open.
fn check_ingest_bytes(
    stored: &Stored,
    damaged: bool,
    incoming: &[Vec<u8>],
    who: u8,
    tally: &Tally,
) -> Result<(), String> {
    let c = corpus();
    let (dealer_id, doc_id) = match who {
        1 => (DealerId::from_uuid(Uuid::from_u128(0xbad)), lead_id()),
        2 => (dealer(), LeadId::from_uuid(Uuid::from_u128(0x2ead))),
        _ => (dealer(), lead_id()),
    };
    let doc_id = DocId::lead(doc_id);
    let author = match who {
        3 => Author {
            user: user(0x99),
            role: Role::Salesperson,
        },
        // The user 3 of the earlier corpus (three users edited the lead), for
        // the known-bug inputs recorded then: their changes are user 3's.
        4 => Author {
            user: user(3),
            role: Role::Salesperson,
        },
        // The same user as a manager: since issue 21 only a manager may
        // give a lead to someone else, which one recorded input does.
        5 => Author {
            user: user(3),
            role: Role::Manager,
        },
        _ => creator(),
    };
    let describe = || {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "stored base ({} bytes): {}\nstored tail: [{}]\nhistory_bytes {}\ndealer {dealer_id}, lead {doc_id}",
            stored.base.len(),
            hex(&stored.base),
            stored
                .tail
                .iter()
                .map(|p| hex(p))
                .collect::<Vec<_>>()
                .join(", "),
            stored.history_bytes,
        );
        for (i, b) in incoming.iter().enumerate() {
            let _ = writeln!(s, "incoming[{i}] ({} bytes): {}", b.len(), hex(b));
        }
        s
    };
    set_repro(|| {
        let list = |l: &[Vec<u8>]| l.iter().map(|b| hex(b)).collect::<Vec<_>>().join(",");
        format!(
            "ingest|{}|{}|{}|{}|{}",
            hex(&stored.base),
            list(&stored.tail),
            stored.history_bytes,
            list(incoming),
            who
        )
    });
    let fail = |what: String, usage: Usage| {
        format!(
            "{what}\n(peak {} B, largest single allocation {} B{})\n{}",
            usage.peak,
            usage.largest,
            if usage.refused {
                ", an allocation was refused at the hard cap"
            } else {
                ""
            },
            describe()
        )
    };

    // The stored document, as the server opens it.
    let (opened, usage) = measure(&stored.base, || {
        DocState::load(
            stored.base.clone(),
            stored.tail.clone(),
            stored.history_bytes,
        )
    });
    let opened = match opened {
        Ok(r) => r,
        Err(p) => return tally.known_or(|| fail(format!("DocState::load panicked: {p}"), usage)),
    };
    let open = || {
        DocState::load(
            stored.base.clone(),
            stored.tail.clone(),
            stored.history_bytes,
        )
    };
    let cap = stored_cap(stored);
    if usage.refused || usage.peak > cap {
        let stack = largest_allocation_stack(&stored.base, open);
        return tally.known_allocation_or(usage, cap, &stack, || {
            fail(
                format!("DocState::load held {} B at once, over its cap of {cap} B; its largest allocation came from:\n{stack}", usage.peak),
                usage,
            )
        });
    }
    let mut state = match opened {
        Ok(state) => state,
        Err(refusal) if damaged => {
            if refusal.code != SyncErrorCode::Internal {
                return Err(fail(
                    format!("a damaged stored document is not Internal: {refusal:?}"),
                    usage,
                ));
            }
            return Ok(());
        }
        Err(refusal) => {
            return Err(fail(
                format!("a stored document does not open: {refusal:?}"),
                usage,
            ));
        }
    };
    let before = (
        state.save(),
        state.history_bytes(),
        state.tail_len(),
        state.waiting(),
    );
    // The server keeps each lead's owner beside it and hands it over when
    // it opens the document (`DocState::know_owner`).
    if let Ok(Some(owner)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        DocState::load(
            stored.base.clone(),
            stored.tail.clone(),
            stored.history_bytes,
        )
        .ok()
        .and_then(|mut s| s.lead())
        .map(|l| l.owner)
    })) {
        state.know_owner(owner);
    }

    let joined: Vec<u8> = incoming.concat();
    let (result, usage) = measure(&joined, || {
        ingest(
            dealer_id,
            doc_id,
            &author,
            &Default::default(),
            &mut state,
            incoming,
        )
    });
    let outcome = match result {
        Ok(r) => r,
        Err(p) => return tally.known_or(|| fail(format!("ingest panicked: {p}"), usage)),
    };
    tally.record(&outcome, usage);
    let cap = ingest_cap(incoming, stored);
    if usage.refused || usage.peak > cap {
        let stack = match open() {
            Ok(mut again) => largest_allocation_stack(&joined, || {
                ingest(
                    dealer_id,
                    doc_id,
                    &author,
                    &Default::default(),
                    &mut again,
                    incoming,
                )
            }),
            Err(e) => format!("(the stored document did not open again: {e:?})"),
        };
        let over = || {
            fail(
                format!(
                    "ingest held {} B at once, over its cap of {cap} B; its largest allocation came from:\n{stack}",
                    usage.peak
                ),
                usage,
            )
        };
        // Onto a stored document as the server wrote it, the pushed changes
        // are the only input: nothing excuses going over. A damaged stored
        // document may meet automerge's known allocations when it is
        // opened again.
        return if damaged {
            tally.known_allocation_or(usage, cap, &stack, over)
        } else {
            tally.over_cap_on_server_path(&stack, over)
        };
    }
    let untouched = who == 0 && incoming.iter().all(|b| c.valid_for_lead.contains(b));
    match outcome {
        Ok(out) => {
            if state.history_bytes() > limits::DOCUMENT_BYTES {
                return Err(fail(
                    format!(
                        "ingest took the document past DOCUMENT_BYTES: {}",
                        state.history_bytes()
                    ),
                    usage,
                ));
            }
            let mut hashes = HashSet::new();
            for new in &out.new_changes {
                if !hashes.insert(new.hash) {
                    return Err(fail(
                        format!("ingest logged change {} twice", new.hash),
                        usage,
                    ));
                }
                match parse_change(&new.bytes) {
                    Ok(ch) if ch.hash() == new.hash => {}
                    other => {
                        return Err(fail(
                            format!(
                                "ingest logged bytes that do not parse to change {}: {:?}",
                                new.hash,
                                other.map(|c| c.hash())
                            ),
                            usage,
                        ));
                    }
                }
            }
            let saved = state.save();
            if let Err(e) = LeadDoc::load(&saved, server_actor()) {
                return Err(fail(
                    format!("the document after ingest does not save and load: {e}"),
                    usage,
                ));
            }
        }
        Err(refusal) => {
            if untouched {
                return Err(fail(
                    format!("valid changes of the lead were refused: {refusal:?}"),
                    usage,
                ));
            }
            if refusal.message.is_empty() {
                return Err(fail(
                    format!("a refusal without a message: {refusal:?}"),
                    usage,
                ));
            }
            let after = (
                state.save(),
                state.history_bytes(),
                state.tail_len(),
                state.waiting(),
            );
            if after != before {
                return Err(fail(
                    format!(
                        "a refused ingest ({refusal:?}) changed the document: history {} -> {}, tail {} -> {}, waiting {} -> {}, saved {} B -> {} B",
                        before.1,
                        after.1,
                        before.2,
                        after.2,
                        before.3,
                        after.3,
                        before.0.len(),
                        after.0.len()
                    ),
                    usage,
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The fuzz targets.
// ---------------------------------------------------------------------------

fn kind_prefixes() -> Vec<Vec<u8>> {
    [0x01u8, 0x02, 0x81, 0x82, 0x83]
        .iter()
        .map(|k| vec![*k])
        .collect()
}

fn chunk_prefixes(types: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![MAGIC.to_vec()];
    for t in types {
        let mut p = MAGIC.to_vec();
        p.extend_from_slice(&[0, 0, 0, 0, *t]);
        out.push(p);
    }
    out
}

#[test]
fn fuzz_client_msg_decode() {
    let c = corpus();
    fuzz(
        "ClientMsg::decode",
        inputs(&c.client, &c.wire, kind_prefixes(), false),
        |input, tally| check_client_decode(input, tally),
    );
}

#[test]
fn fuzz_server_msg_decode() {
    let c = corpus();
    fuzz(
        "ServerMsg::decode",
        inputs(&c.server, &c.wire, kind_prefixes(), false),
        |input, tally| check_server_decode(input, tally),
    );
}

#[test]
fn fuzz_parse_change() {
    let c = corpus();
    fuzz(
        "parse_change",
        inputs(&c.changes, &c.changes, chunk_prefixes(&[1, 2]), true),
        |input, tally| check_parse_change(input, tally),
    );
}

#[test]
fn fuzz_lead_doc_load() {
    let c = corpus();
    // Automerge also loads a sequence of change chunks as a document.
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let seeds = SEEDS.get_or_init(|| {
        let mut s = c.docs.clone();
        s.push(c.lead_changes.concat());
        s.extend(c.changes.iter().cloned());
        s
    });
    fuzz(
        "LeadDoc::load",
        inputs(seeds, seeds, chunk_prefixes(&[0, 1, 2]), true),
        |input, tally| check_load(input, tally),
    );
}

#[test]
fn fuzz_ingest() {
    fuzz("ingest", ingest_cases(), check_ingest);
}

// ---------------------------------------------------------------------------
// Fixed cases.
// ---------------------------------------------------------------------------

/// The corpus is what it claims: valid encodings, including compressed changes.
#[test]
fn the_corpus_is_valid() {
    let c = corpus();
    for m in &c.client {
        assert!(ClientMsg::decode(m).is_ok(), "client message {}", hex(m));
    }
    for m in &c.server {
        assert!(ServerMsg::decode(m).is_ok(), "server message {}", hex(m));
    }
    let mut compressed = 0;
    for ch in &c.changes {
        let parsed = parse_change(ch);
        assert!(parsed.is_ok(), "change {}: {parsed:?}", hex(ch));
        compressed += usize::from(ch[8] == 2);
    }
    assert!(compressed >= 1);
    for d in &c.docs {
        assert!(LeadDoc::load(d, server_actor()).is_ok(), "doc {}", hex(d));
    }
    // Mutating inside with no mutation gives back the same chunk.
    for ch in c.changes.iter().filter(|ch| ch[8] != 2) {
        assert_eq!(&mutate_inside(ch, &[], &[]), ch);
    }
    for ch in c.changes.iter().filter(|ch| ch[8] == 2) {
        let again = mutate_inside(ch, &[], &[]);
        let (a, b) = (parse_change(&again), parse_change(ch));
        assert_eq!(
            a.map(|c| c.hash()).ok(),
            b.map(|c| c.hash()).ok(),
            "a compressed change framed again is the same change"
        );
    }
}

/// A compressed change chunk whose deflate data inflates to 8 MB of zeros
/// (from about 8 KB on the wire), with a correct checksum for what it inflates
/// to. `parse_change` must refuse it without ever holding more than about
/// 2 × CHANGE_BYTES (plus the inflater's state).
fn bomb(inflated: usize) -> Vec<u8> {
    frame(2, &vec![0u8; inflated])
}

#[test]
fn a_decompression_bomb_is_refused_within_the_change_cap() {
    let bomb = bomb(8 << 20);
    assert_eq!(bomb[..4], MAGIC);
    assert_eq!(bomb[8], 2);
    assert!(
        bomb.len() < limits::CHANGE_BYTES,
        "the bomb itself is small"
    );
    let (result, usage) = measure(&bomb, || parse_change(&bomb).map(|c| c.hash()));
    let cap = 2 * limits::CHANGE_BYTES + INFLATE_STATE;
    let report = format!(
        "parse_change of a {}-byte chunk that inflates to 8 MiB: {:?}; peak {} B, largest single allocation {} B (cap {cap} B)",
        bomb.len(),
        result
            .as_ref()
            .map(|r| r.as_ref().map_err(ToString::to_string)),
        usage.peak,
        usage.largest
    );
    println!("{report}");
    assert!(matches!(result, Ok(Err(_))), "{report}");
    assert!(usage.peak <= cap, "{report}");

    // The same bomb through the server's ingest: refused, within the cap.
    let incoming = vec![bomb.clone()];
    let mut state = DocState::new();
    let (result, usage) = measure(&bomb, || {
        ingest(
            dealer(),
            DocId::lead(lead_id()),
            &creator(),
            &Default::default(),
            &mut state,
            &incoming,
        )
        .map(|_| ())
    });
    let report = format!(
        "ingest of the bomb: {result:?}; peak {} B, largest single allocation {} B (cap {cap} B)",
        usage.peak, usage.largest
    );
    println!("{report}");
    assert!(matches!(result, Ok(Err(_))), "{report}");
    assert!(usage.peak <= cap, "{report}");

    // Just over the cap inflated is refused too, and what fits is no bomb:
    // the zeros are not a change, so it is refused as malformed either way.
    let small = self::bomb(limits::CHANGE_BYTES + 1);
    let (result, usage) = measure(&small, || parse_change(&small).map(|c| c.hash()));
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
    assert!(usage.peak <= cap, "peak {} B", usage.peak);
}

/// The densest change automerge parses: a header listing as many other
/// actors as it has bytes, each an empty actor id (1 byte on the wire, a
/// 32-byte `ActorId` in memory), 2^17 + 1 of them so that automerge's `Vec`
/// has just doubled (66 × the change's bytes at once, measured). What
/// `change_cap` allows per byte is set by this case.
#[test]
fn the_densest_change_parses_within_the_change_cap() {
    let n = (1usize << 17) + 1;
    let mut body = vec![0x00, 0x10];
    body.extend_from_slice(&[0xa1; 16]);
    body.extend_from_slice(&[0x01, 0x01, 0x00, 0x00]);
    leb(n as u64, &mut body);
    body.extend(std::iter::repeat_n(0u8, n));
    body.push(0x00);
    let change = frame(1, &body);
    let cap = change_cap(&change);
    let (result, usage) = measure(&change, || parse_change(&change).map(|c| c.hash()));
    let report = format!(
        "parse_change of {} B with {n} empty actors: {:?}; peak {} B ({:.1} per byte), cap {cap} B",
        change.len(),
        result
            .as_ref()
            .map(|r| r.as_ref().map_err(ToString::to_string)),
        usage.peak,
        usage.peak as f64 / change.len() as f64,
    );
    println!("{report}");
    assert!(matches!(result, Ok(Ok(_))), "{report}");
    assert!(usage.peak <= cap, "{report}");
}

/// A change that repeats one operation `ops` times: every column is one run
/// (set the root map's key `name` to `true`, no predecessors), so it is a few
/// dozen bytes however many operations it describes (69 for a million).
/// automerge 0.12 parses it, and before `doc::MAX_CHANGE_OPS` ingest held
/// 381 MB to apply a million (`import_ops` builds every operation first,
/// op_set2/change/batch.rs:1156).
fn repeated_op(ops: u64) -> Vec<u8> {
    repeated_op_by(ops, 0xa1)
}

/// [`repeated_op`] by the actor whose 16 bytes are all `actor`.
fn repeated_op_by(ops: u64, actor: u8) -> Vec<u8> {
    let count = i64::try_from(ops).expect("a count");
    let run = |value: &[u8]| {
        let mut column = Vec::new();
        sleb(count, &mut column);
        column.extend_from_slice(value);
        column
    };
    // A boolean column is runs of falses and trues, alternating: one run of falses.
    let mut inserts = Vec::new();
    leb(ops, &mut inserts);
    let columns = [
        (0x15, run(b"\x04name")), // key strings
        (0x34, inserts),          // insert (boolean)
        (0x42, run(&[1])),        // action: set
        (0x56, run(&[0x02])),     // value metadata: true, no bytes
        (0x57, Vec::new()),       // raw values: none
        (0x70, run(&[0])),        // predecessor counts: none
    ];
    // No dependencies, a 16-byte actor, seq 1, start op 1, time 0, no
    // message, no other actors.
    let mut body = vec![0x00, 0x10];
    body.extend_from_slice(&[actor; 16]);
    body.extend_from_slice(&[0x01, 0x01, 0x00, 0x00, 0x00]);
    leb(columns.len() as u64, &mut body);
    for (spec, data) in &columns {
        body.push(*spec);
        leb(data.len() as u64, &mut body);
    }
    for (_, data) in &columns {
        body.extend_from_slice(data);
    }
    frame(1, &body)
}

/// Ingests `incoming` into a new lead document as its creator, measured.
fn ingest_fresh(incoming: &[Vec<u8>]) -> (Outcome<Result<(), Refusal>>, Usage) {
    let mut state = DocState::new();
    measure(&incoming.concat(), || {
        ingest(
            dealer(),
            DocId::lead(lead_id()),
            &creator(),
            &Default::default(),
            &mut state,
            incoming,
        )
        .map(|_| ())
    })
}

/// A change may describe at most `MAX_CHANGE_OPS` operations: beyond it,
/// however few its bytes, `parse_change` refuses it before automerge applies
/// anything, and so does the server's ingest (as malformed), each within the
/// change cap (80 × its bytes + 64 KiB). At the cap it parses and is
/// applied, within `ingest_cap` (about 10 MB of its 12 MB).
#[test]
fn a_change_repeating_one_operation_is_refused_within_the_change_cap() {
    let ingest_one = |change: &[u8]| ingest_fresh(&[change.to_vec()]);
    let max = MAX_CHANGE_OPS as u64;
    // One over, the million that held 381 MB, and more than could be iterated.
    for ops in [max + 1, 1_000_000, u64::MAX >> 1] {
        let change = repeated_op(ops);
        let cap = change_cap(&change);
        let (parsed, usage) = measure(&change, || parse_change(&change).map(|c| c.len()));
        let report = format!(
            "parse_change of {} B repeating one operation {ops} times: {parsed:?}; peak {} B (cap {cap} B)",
            change.len(),
            usage.peak
        );
        println!("{report}");
        assert!(
            matches!(parsed, Ok(Err(DocError::BadChange(ref why))) if why.contains("more operations")),
            "{report}"
        );
        assert!(usage.peak <= cap, "{report}");
        let (result, usage) = ingest_one(&change);
        let report = format!(
            "ingest of it: {result:?}; peak {} B (cap {cap} B)",
            usage.peak
        );
        println!("{report}");
        assert!(
            matches!(&result, Ok(Err(r)) if r.code == SyncErrorCode::Malformed),
            "{report}"
        );
        assert!(usage.peak <= cap, "{report}");
    }
    let change = repeated_op(max);
    let (parsed, _) = measure(&change, || parse_change(&change).map(|c| c.len()));
    assert!(
        matches!(parsed, Ok(Ok(n)) if n == MAX_CHANGE_OPS),
        "{parsed:?}"
    );
    let (result, usage) = ingest_one(&change);
    let cap = ingest_cap(std::slice::from_ref(&change), &Stored::default());
    let report = format!(
        "ingest of {} B repeating one operation {max} times: {result:?}; peak {} B (cap {cap} B)",
        change.len(),
        usage.peak
    );
    println!("{report}");
    // Applied: what the rules then refuse is the document, which holds no lead.
    assert!(
        matches!(&result, Ok(Err(r)) if r.code == SyncErrorCode::Invalid),
        "{report}"
    );
    assert!(usage.peak <= cap, "{report}");
}

/// Changes at the cap, a few dozen bytes each, in one push: each parses,
/// but together they would make automerge build five times as many
/// operations (40 MB held, before the push budget). Ingest refuses the push
/// as malformed before applying any, within what the changes may cost.
#[test]
fn a_push_of_many_changes_at_the_cap_is_refused_within_its_cap() {
    let max = MAX_CHANGE_OPS as u64;
    let incoming: Vec<Vec<u8>> = (0..5u8).map(|i| repeated_op_by(max, 0xa1 + i)).collect();
    let cap = ingest_cap(&incoming, &Stored::default());
    let (result, usage) = ingest_fresh(&incoming);
    let report = format!(
        "ingest of 5 changes of {max} operations ({} B): {result:?}; peak {} B (cap {cap} B)",
        incoming.iter().map(Vec::len).sum::<usize>(),
        usage.peak
    );
    println!("{report}");
    assert!(
        matches!(&result, Ok(Err(r)) if r.code == SyncErrorCode::Malformed),
        "{report}"
    );
    assert!(usage.peak <= cap, "{report}");
}

/// The wire decoders preallocate from counts in the message. A count is
/// checked against the bytes left, but one element of `Vec<Vec<u8>>` is 24
/// bytes in memory for 1 byte on the wire (an empty change), so a message can
/// make the decoder hold many times its own size.
#[test]
fn wire_decoders_hold_at_most_three_times_the_message() {
    let doc = DocId::lead(lead_id());
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Push of one document with 100 000 empty changes (valid encoding).
    let n = 100_000;
    let push = ClientMsg::Push {
        batch: 1,
        docs: vec![DocChanges {
            doc,
            changes: vec![Vec::new(); n],
        }],
    }
    .encode();
    cases.push(("Push with 100 000 empty changes", push));
    // The same count, but the message ends after the count: refused as
    // truncated, after allocating for the count.
    // Push, batch 1, one document: a lead (kind byte 1) and its 16 bytes.
    let mut lying = vec![0x02, 0x01, 0x01, 0x01];
    lying.extend_from_slice(Uuid::from_u128(0x1ead).as_bytes());
    let mut count = Vec::new();
    leb(n as u64, &mut count);
    lying.extend_from_slice(&count);
    lying.extend(std::iter::repeat_n(0xffu8, n - 1));
    cases.push((
        "Push claiming 100 000 changes, then a length that does not fit",
        lying,
    ));
    let changes = ServerMsg::Changes {
        from: 0,
        to: 1,
        complete: true,
        remaining: 0,
        docs: vec![DocChanges {
            doc,
            changes: vec![Vec::new(); n],
        }],
        removed: Vec::new(),
        floor: Vec::new(),
        taken: Vec::new(),
    }
    .encode();
    cases.push(("Changes with 100 000 empty changes", changes));
    let mut failures = Vec::new();
    for (what, bytes) in &cases {
        let (client, cu) = measure(bytes, || ClientMsg::decode(bytes).map(|_| ()));
        let (server, su) = measure(bytes, || ServerMsg::decode(bytes).map(|_| ()));
        for (name, result, usage) in [("ClientMsg", client, cu), ("ServerMsg", server, su)] {
            if usage.peak > wire_cap(bytes.len()) {
                failures.push(format!(
                    "{what} ({} bytes): {name}::decode gave {result:?}, held {} B at once (largest single allocation {} B), cap {} B",
                    bytes.len(),
                    usage.peak,
                    usage.largest,
                    wire_cap(bytes.len())
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Debugging aid: `SHOWROOM_FUZZ_PROBE=<decoder>:<hex>` runs one input
/// through one decoder (client, server, change, load) and prints what it did.
#[test]
fn probe() {
    let Ok(probe) = std::env::var("SHOWROOM_FUZZ_PROBE") else {
        return;
    };
    let (decoder, hex_input) = probe.split_once(':').unwrap_or(("change", probe.as_str()));
    let input: Vec<u8> = (0..hex_input.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex_input[2 * i..2 * i + 2], 16).ok())
        .collect();
    let tally = Tally::default();
    let result = match decoder {
        "client" => check_client_decode(&input, &tally),
        "server" => check_server_decode(&input, &tally),
        "load" => check_load(&input, &tally),
        // The input as one incoming change, onto every stored document of the corpus.
        "ingest" => (0..corpus().stored.len())
            .map(|existing| {
                let case = IngestCase {
                    existing,
                    damage: vec![],
                    incoming: vec![ChangeInput::Arbitrary(input.clone())],
                    who: 0,
                };
                check_ingest(&case, &tally)
            })
            .collect::<Result<Vec<()>, String>>()
            .map(|_| ()),
        _ => check_parse_change(&input, &tally),
    };
    println!(
        "{decoder}: {result:?}; {} Ok, {} Err, peak {} B, largest {} B, known panics {:?}",
        tally.ok.get(),
        tally.err.get(),
        tally.peak.get(),
        tally.largest.get(),
        tally.known.borrow()
    );
}

/// A `refused` line of fuzz_known_automerge_bugs.txt: a change on which
/// automerge would panic or allocate far beyond its size, that the server
/// now refuses before automerge reads it. `parse_change` refuses it as a bad
/// change within its cap (without the column check of `doc::columns` the
/// allocation goes over the cap, or the panic happens), and `ingest` refuses
/// it as `malformed`, within its cap too.
fn refused_before_automerge(input: &[u8]) -> Result<(), String> {
    let tally = Tally::default();
    check_parse_change(input, &tally)?;
    let (result, usage) = measure(input, || parse_change(input).map(|c| c.hash()));
    match result {
        Ok(Err(DocError::BadChange(_))) => {}
        other => {
            return Err(failure(
                &format!("parse_change did not refuse it as a bad change: {other:?}"),
                usage,
                input,
            ));
        }
    }
    let incoming = vec![input.to_vec()];
    let mut state = DocState::new();
    let (result, usage) = measure(input, || {
        ingest(
            dealer(),
            DocId::lead(lead_id()),
            &creator(),
            &Default::default(),
            &mut state,
            &incoming,
        )
        .map(|_| ())
    });
    let cap = ingest_cap(&incoming, &Stored::default());
    match result {
        Ok(Err(refusal)) if refusal.code == SyncErrorCode::Malformed && usage.peak <= cap => Ok(()),
        other => Err(failure(
            &format!("ingest did not refuse it as malformed within its cap of {cap} B: {other:?}"),
            usage,
            input,
        )),
    }
}

/// Every input of fuzz_known_automerge_bugs.txt still meets its known
/// automerge bug, and nothing else: an unknown panic or an over-cap
/// allocation fails here as in the fuzz targets, and a line whose bug no
/// longer happens (an automerge upgrade fixed it) fails so that the line and
/// its `KNOWN_*` entry are removed. A `refused` line's change is refused
/// before automerge reads it (`refused_before_automerge`).
#[test]
fn known_automerge_bugs_still_happen() {
    let unhex = |h: &str| -> Vec<u8> {
        (0..h.len() / 2)
            .filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
            .collect()
    };
    let list =
        |h: &str| -> Vec<Vec<u8>> { h.split(',').filter(|x| !x.is_empty()).map(unhex).collect() };
    let mut problems = Vec::new();
    let mut sites = HashSet::new();
    for line in include_str!("fuzz_known_automerge_bugs.txt").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        let (kind, site, decoder) = (fields[0], fields[1], fields[2]);
        if kind == "refused" {
            let result = match (decoder, &fields[3..]) {
                ("change", [h]) => refused_before_automerge(&unhex(h)),
                _ => Err(format!("a line this test cannot read: {line:.80}")),
            };
            if let Err(e) = result {
                problems.push(format!("{site} (refused): {e:.2000}"));
            }
            continue;
        }
        sites.insert(site);
        let known = site_in(KNOWN_PANICS, &format!("{site}:"))
            .or_else(|| site_in(KNOWN_ALLOCATIONS, &format!("{site}:")))
            .map(|k| k.site)
            .or((site == KNOWN_NO_RELOAD.site).then_some(KNOWN_NO_RELOAD.site));
        let Some(known) = known else {
            problems.push(format!(
                "{site}: not in KNOWN_PANICS, KNOWN_ALLOCATIONS or KNOWN_NO_RELOAD"
            ));
            continue;
        };
        let tally = Tally::default();
        let result = match (decoder, &fields[3..]) {
            ("change", [h]) => check_parse_change(&unhex(h), &tally),
            ("load", [h]) => check_load(&unhex(h), &tally),
            ("ingest", [base, tail, history, incoming, who]) => {
                let stored = Stored {
                    base: unhex(base),
                    tail: list(tail),
                    history_bytes: history.parse().unwrap_or(0),
                };
                check_ingest_bytes(
                    &stored,
                    true,
                    &list(incoming),
                    who.parse().unwrap_or(0),
                    &tally,
                )
            }
            _ => Err(format!("a line this test cannot read: {line:.80}")),
        };
        match result {
            Err(e) => problems.push(format!("{site}: {e:.2000}")),
            Ok(()) if !tally.known.borrow().contains_key(known) => problems.push(format!(
                "{site}: no longer happens (met {:?}); remove its line and its KNOWN_* entry",
                tally.known.borrow()
            )),
            Ok(()) => {}
        }
    }
    for k in KNOWN_PANICS
        .iter()
        .chain(KNOWN_ALLOCATIONS)
        .chain([&KNOWN_NO_RELOAD])
    {
        if !sites.contains(k.site) {
            problems.push(format!(
                "{}: has no input in fuzz_known_automerge_bugs.txt",
                k.site
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
