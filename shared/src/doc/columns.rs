//! A change chunk's layout, checked against the bytes it holds before
//! automerge reads it.
//!
//! automerge 0.12 trusts one kind of length it reads inside column data: a
//! string of a string column (the keys of map operations, the names of
//! marks) is decoded by `Vec<u8>::decode`
//! (`automerge-0.12.0/src/columnar/encoding/decodable_impls.rs:113`), which
//! allocates `vec![0; len]` for the length it has just read, up to 1e9, and
//! only then finds that the bytes are not there. A change of a few hundred
//! bytes can so make the server allocate up to 1 GB, and a caught panic or a
//! refusal afterwards does not give the memory back in time: a few pushes
//! exhaust it.
//!
//! One other number it reads drives an allocation: an operation's count of
//! predecessors (the group column of `pred`). `OpIdListIter::try_next`
//! (`columnar/column_range/opid_list.rs:197-211`) pushes that many ids, read
//! from run-length encoded columns where one run of a few bytes can repeat
//! an id any number of times: 79 bytes made it hold 100 MB. A real
//! operation's predecessors are the values it overwrites, at most one per
//! actor that wrote its key concurrently, each naming its own actor (a byte
//! at least): never more than the change has bytes.
//!
//! Everything else automerge reads while parsing a change is bounded by the
//! bytes: the header's lists are read element by element from the input, the
//! column lengths must fit in what follows them, and a raw value (the value
//! column) is a slice whose length is checked before it is copied.
//!
//! Applying a change is not: one run of a few bytes in every column repeats
//! an operation any number of times, and automerge builds every operation
//! before it applies any (`import_ops`, `op_set2/change/batch.rs:1117-1156`):
//! 67 bytes describing a million operations made the server hold 381 MB.
//! Showroom's changes are small, so a change may describe at most
//! [`MAX_CHANGE_OPS`] operations, counted from its action column (one value
//! per operation: automerge reads operations until that column ends).
//!
//! So [`check`] walks the change once, without allocating: the header, the
//! column metadata (every column's declared length must fit, in order, in the
//! bytes after the metadata; what is left is the extra bytes), then every
//! string column's run-length encoding, where each string's length must fit
//! in what is left of its column, every group column's, where no count may
//! exceed the change's bytes, and the action column's, whose runs may add up
//! to at most [`MAX_CHANGE_OPS`]. A change that fails is refused as
//! [`DocError::BadChange`], which the sync protocol reports as `malformed`.
//!
//! The layout is the Automerge binary format's (its sections "Change chunks"
//! and "Column specifications").

use super::DocError;

/// The bytes of a change hash in the dependency list.
const HASH_BYTES: usize = 32;

/// The most operations one change may describe.
///
/// Showroom's documents are maps of scalar fields (a string is one value, not
/// a text object of one operation per character) and short lists (a lead's
/// models, at most 20; notes, appended one per change), so a change holds a
/// few operations per field it writes, about 22 bytes each. The largest are
/// creations (measured by `the_largest_real_changes_are_far_below_the_op_cap`
/// in `shared/tests/field_tags.rs`, which keeps each under a tenth of this):
/// a lead with a record of every kind, every optional part filled, is 183
/// operations; with twenty models and five records of every kind, 850; a
/// dealer document with the default settings and 200 catalogue entries,
/// 1,915 (43 KB). 20,000 is over ten times the largest, and more than
/// [`super::MAX_CHANGE_BYTES`] lets a real change hold at 22 bytes an
/// operation. At the cap, ingest held 9.8 MB to apply a 69-byte change
/// (`a_change_repeating_one_operation_is_refused_within_the_change_cap` in
/// `shared/tests/fuzz.rs`).
pub const MAX_CHANGE_OPS: usize = 20_000;

/// The column specification of the action column (id 4, type integer): one
/// run-length encoded LEB128 action per operation.
const ACTION_COLUMN: u32 = (4 << 4) | INTEGER_COLUMN;

/// The type bits of a column specification (its low three bits) for a group
/// column: run-length encoded LEB128 counts, each the number of entries one
/// operation has in the columns of its group (its predecessors).
const GROUP_COLUMN: u32 = 0;
/// The type bits for an integer column: run-length encoded LEB128 numbers.
const INTEGER_COLUMN: u32 = 2;
/// The type bits for a string column: run-length encoded, each value a
/// LEB128 length and that many bytes.
const STRING_COLUMN: u32 = 5;
/// The type bits of a column specification.
const TYPE_BITS: u32 = 0b111;
/// The bit of a column specification that says its data is deflated.
const DEFLATE_BIT: u32 = 0b1000;

/// Checks the body of a change chunk (what follows its header; for a
/// compressed change, the body once inflated).
pub(super) fn check(body: &[u8]) -> Result<(), DocError> {
    check_body(body).map_err(|why| DocError::BadChange(why.to_owned()))
}

fn check_body(body: &[u8]) -> Result<(), &'static str> {
    let mut r = Reader::new(body);

    // The header: dependencies, actor, seq, start op, time, message, other actors.
    let deps = r.uleb()?;
    for _ in 0..deps {
        r.take(HASH_BYTES as u64)
            .map_err(|_| "the change's dependencies do not fit in its bytes")?;
    }
    r.length_prefixed()
        .map_err(|_| "the change's actor does not fit in its bytes")?;
    r.uleb()?; // seq
    r.uleb()?; // start op
    r.sleb()?; // time
    r.length_prefixed()
        .map_err(|_| "the change's message does not fit in its bytes")?;
    let others = r.uleb()?;
    for _ in 0..others {
        // Each costs at least its length byte: the loop ends with the bytes.
        r.length_prefixed()
            .map_err(|_| "the change's other actors do not fit in its bytes")?;
    }

    // The column metadata, read twice (so nothing is allocated): first the
    // lengths, whose sum must fit in the bytes after the metadata...
    let metadata = r.clone();
    let columns = r.uleb()?;
    let mut total: u64 = 0;
    for _ in 0..columns {
        column_spec(&mut r)?;
        let len = r.uleb()?;
        total = total
            .checked_add(len)
            .ok_or("the change's column lengths overflow")?;
    }
    let data = r
        .take(total)
        .map_err(|_| "the change's columns are longer than its bytes")?;
    // (What follows the column data is the change's extra bytes: opaque.)

    // ...then each column's own data.
    let mut r = metadata;
    let mut data = Reader::new(data);
    r.uleb()?;
    // A real change has one action column (automerge would read the last of
    // several): counting them all is as safe, and simpler.
    let mut ops: u64 = 0;
    for _ in 0..columns {
        let spec = column_spec(&mut r)?;
        let len = r.uleb()?;
        let column = data
            .take(len)
            .map_err(|_| "the change's columns are longer than its bytes")?;
        if spec & DEFLATE_BIT != 0 {
            // automerge refuses these too (a change's columns are never
            // deflated: the whole change is), after reading the rest.
            return Err("a column of the change is deflated");
        }
        match spec & TYPE_BITS {
            STRING_COLUMN => check_string_column(column)?,
            GROUP_COLUMN => check_group_column(column, Reader::new(body).remaining())?,
            _ => {}
        }
        if spec == ACTION_COLUMN {
            ops = count_ops(column, ops)?;
        }
    }
    Ok(())
}

/// The action column: runs as in a string column (see below), of LEB128
/// actions. Adds the operations its runs describe to `ops` (the count so
/// far), refusing the change as soon as they are more than
/// [`MAX_CHANGE_OPS`] (a literal run's count before its values are read, so
/// a huge count costs nothing). A run of nulls counts too: no real change
/// has one, and automerge refuses the change when it reaches it.
fn count_ops(column: &[u8], mut ops: u64) -> Result<u64, &'static str> {
    let max = u64::try_from(MAX_CHANGE_OPS).unwrap_or(u64::MAX);
    let mut r = Reader::new(column);
    while !r.is_empty() {
        let run = r.sleb()?;
        let n = if run == 0 {
            r.uleb()?
        } else {
            run.unsigned_abs()
        };
        ops = ops.saturating_add(n);
        if ops > max {
            return Err("the change describes more operations than a change may hold");
        }
        if run > 0 {
            r.uleb()?;
        } else if run < 0 {
            for _ in 0..n {
                r.uleb()?;
            }
        }
    }
    Ok(ops)
}

/// A group column: runs as in a string column (see below), of LEB128
/// counts. No count may be above `max` (the change's bytes).
fn check_group_column(column: &[u8], max: u64) -> Result<(), &'static str> {
    let count = |r: &mut Reader<'_>| match r.uleb()? {
        n if n > max => Err("an operation of the change names more predecessors than it has bytes"),
        _ => Ok(()),
    };
    let mut r = Reader::new(column);
    while !r.is_empty() {
        let run = r.sleb()?;
        if run > 0 {
            count(&mut r)?;
        } else if run < 0 {
            // Each count takes at least a byte: the loop ends with the column.
            for _ in 0..run.unsigned_abs() {
                count(&mut r)?;
            }
        } else {
            r.uleb()?;
        }
    }
    Ok(())
}

/// A column specification: a LEB128 number that fits in 32 bits.
fn column_spec(r: &mut Reader<'_>) -> Result<u32, &'static str> {
    u32::try_from(r.uleb()?).map_err(|_| "a column specification is too large")
}

/// A string column: runs of a signed LEB128 count, then
/// - a count above zero: one string, repeated count times;
/// - a count below zero: that many strings, one after another;
/// - zero: a LEB128 count of nulls.
///
/// A string is a LEB128 length and that many UTF-8 bytes; each must fit in
/// what is left of the column, which is what automerge does not check before
/// allocating. A literal run cannot hold more strings than bytes are left
/// (each takes at least its length byte), so a count above that is refused
/// at once (`i64::MIN` among them, whose `abs()` overflows in automerge).
fn check_string_column(column: &[u8]) -> Result<(), &'static str> {
    let mut r = Reader::new(column);
    while !r.is_empty() {
        let count = r.sleb()?;
        if count > 0 {
            r.length_prefixed().map_err(|_| STRING_DOES_NOT_FIT)?;
        } else if count < 0 {
            let n = count.unsigned_abs();
            if n > r.remaining() {
                return Err("a run of strings is longer than its column");
            }
            for _ in 0..n {
                r.length_prefixed().map_err(|_| STRING_DOES_NOT_FIT)?;
            }
        } else {
            r.uleb()?;
        }
    }
    Ok(())
}

const STRING_DOES_NOT_FIT: &str = "a string in a column of the change is longer than the column";

/// Reads LEB128 numbers and slices from a byte slice, never past its end.
#[derive(Clone)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn remaining(&self) -> u64 {
        u64::try_from(self.bytes.len()).unwrap_or(u64::MAX)
    }

    fn byte(&mut self) -> Result<u8, &'static str> {
        let (&b, rest) = self
            .bytes
            .split_first()
            .ok_or("the change ends in the middle of a number")?;
        self.bytes = rest;
        Ok(b)
    }

    /// `n` bytes, if that many are left.
    fn take(&mut self, n: u64) -> Result<&'a [u8], &'static str> {
        let n = usize::try_from(n).map_err(|_| "a length does not fit")?;
        if n > self.bytes.len() {
            return Err("a length does not fit");
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    /// A LEB128 length, then that many bytes.
    fn length_prefixed(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.uleb()?;
        self.take(n)
    }

    /// An unsigned LEB128 number of at most 64 bits.
    fn uleb(&mut self) -> Result<u64, &'static str> {
        let mut value: u64 = 0;
        let mut shift: u32 = 0;
        loop {
            let b = self.byte()?;
            let low = u64::from(b & 0x7f);
            if (shift == 63 && low > 1) || shift > 63 {
                return Err("a number in the change is too large");
            }
            value |= low << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// A signed LEB128 number of at most 64 bits.
    fn sleb(&mut self) -> Result<i64, &'static str> {
        let mut value: i64 = 0;
        let mut shift: u32 = 0;
        loop {
            let b = self.byte()?;
            if shift > 63 {
                return Err("a number in the change is too large");
            }
            value |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::parse_change;
    use automerge::marks::{ExpandMark, Mark};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT};

    /// The body (what follows the chunk header) of a real change with every
    /// column automerge writes and more than Showroom's documents use: map
    /// keys (the key string column), list inserts (nulls in it), text and a
    /// mark (the mark name column), values of several types, an overwrite and
    /// a delete (predecessors).
    fn real_body() -> Vec<u8> {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", "王芳").expect("put");
        doc.put(ROOT, "grade", 3_i64).expect("put");
        let notes = doc
            .put_object(ROOT, "notes", ObjType::List)
            .expect("a list");
        doc.insert(&notes, 0, "Wants a test drive.")
            .expect("insert");
        doc.insert(&notes, 1, 2.5_f64).expect("insert");
        let text = doc.put_object(ROOT, "memo", ObjType::Text).expect("a text");
        doc.splice_text(&text, 0, 0, "hello world").expect("splice");
        doc.mark(
            &text,
            Mark::new("bold".into(), true, 0, 5),
            ExpandMark::After,
        )
        .expect("mark");
        doc.put(ROOT, "name", "Wang Fang").expect("put");
        doc.delete(&notes, 0).expect("delete");
        let _ = doc.commit();
        let changes = doc.get_changes(&[]);
        assert_eq!(changes.len(), 1);
        let raw = changes.first().expect("a change").raw_bytes().to_vec();
        unframe(&raw).to_vec()
    }

    /// The body of a raw change chunk.
    fn unframe(chunk: &[u8]) -> &[u8] {
        let mut r = Reader::new(chunk.get(9..).expect("a chunk"));
        r.uleb().expect("a chunk length");
        r.bytes
    }

    /// A change chunk around `body`, with the right length and checksum (the
    /// first four bytes of SHA-256 over the type, the length and the body),
    /// so that only what is inside can make it wrong.
    fn frame(body: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        let mut typed_len = vec![1u8];
        leb(body.len() as u64, &mut typed_len);
        let mut hash = sha2::Sha256::new();
        hash.update(&typed_len);
        hash.update(body);
        let digest = hash.finalize();
        let mut out = vec![0x85, 0x6f, 0x4a, 0x83];
        out.extend_from_slice(digest.get(..4).expect("a digest"));
        out.extend_from_slice(&typed_len);
        out.extend_from_slice(body);
        out
    }

    fn sleb(mut n: i64, out: &mut Vec<u8>) {
        loop {
            let low = (n & 0x7f) as u8;
            n >>= 7;
            if (n == 0 && low & 0x40 == 0) || (n == -1 && low & 0x40 != 0) {
                out.push(low);
                return;
            }
            out.push(low | 0x80);
        }
    }

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

    /// A change body taken apart: the header up to the column metadata, the
    /// columns (specification, data) and the extra bytes after them.
    struct Layout {
        header: Vec<u8>,
        columns: Vec<(u32, Vec<u8>)>,
        extra: Vec<u8>,
    }

    impl Layout {
        fn of(body: &[u8]) -> Layout {
            let mut r = Reader::new(body);
            for _ in 0..r.uleb().expect("deps") {
                r.take(32).expect("a dep");
            }
            r.length_prefixed().expect("actor");
            r.uleb().expect("seq");
            r.uleb().expect("start op");
            r.sleb().expect("time");
            r.length_prefixed().expect("message");
            for _ in 0..r.uleb().expect("others") {
                r.length_prefixed().expect("an actor");
            }
            let header = body
                .get(..body.len() - r.bytes.len())
                .expect("the header")
                .to_vec();
            let specs: Vec<(u32, u64)> = (0..r.uleb().expect("columns"))
                .map(|_| {
                    let spec = column_spec(&mut r).expect("a spec");
                    (spec, r.uleb().expect("a length"))
                })
                .collect();
            let columns = specs
                .into_iter()
                .map(|(spec, len)| (spec, r.take(len).expect("a column").to_vec()))
                .collect();
            Layout {
                header,
                columns,
                extra: r.bytes.to_vec(),
            }
        }

        /// The body again, each column's declared length `len(index, data)`.
        fn body_with(&self, len: impl Fn(usize, &[u8]) -> u64) -> Vec<u8> {
            let mut out = self.header.clone();
            leb(self.columns.len() as u64, &mut out);
            for (i, (spec, data)) in self.columns.iter().enumerate() {
                leb(u64::from(*spec), &mut out);
                leb(len(i, data), &mut out);
            }
            for (_, data) in &self.columns {
                out.extend_from_slice(data);
            }
            out.extend_from_slice(&self.extra);
            out
        }

        fn body(&self) -> Vec<u8> {
            self.body_with(|_, data| data.len() as u64)
        }

        /// The index of the key string column (id 1, string).
        fn key_strings(&self) -> usize {
            self.columns
                .iter()
                .position(|(spec, _)| *spec == (1 << 4) | STRING_COLUMN)
                .expect("a key string column")
        }
    }

    fn refused(body: &[u8]) -> String {
        match parse_change(&frame(body)) {
            Err(DocError::BadChange(why)) => why,
            other => panic!("not refused as a bad change: {other:?}"),
        }
    }

    #[test]
    fn a_real_change_passes_and_parses() {
        let body = real_body();
        assert!(check(&body).is_ok());
        let layout = Layout::of(&body);
        assert_eq!(layout.body(), body, "taken apart and put together again");
        assert!(
            layout.columns.len() >= 8,
            "{} columns",
            layout.columns.len()
        );
        // The mark name column (id 10, string) is there and was walked.
        assert!(
            layout
                .columns
                .iter()
                .any(|(spec, _)| *spec == (10 << 4) | STRING_COLUMN)
        );
        let chunk = frame(&body);
        let change = parse_change(&chunk).expect("a real change parses");
        assert_eq!(change.raw_bytes(), &chunk[..]);
    }

    #[test]
    fn a_compressed_real_change_is_checked_inflated() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "note", "a".repeat(5_000)).expect("put");
        let _ = doc.commit();
        let mut change = doc.get_changes(&[]).pop().expect("a change");
        let compressed = change.bytes().to_vec();
        assert_eq!(compressed.get(8), Some(&2), "compressed");
        assert!(parse_change(&compressed).is_ok());
        assert!(check(unframe(change.raw_bytes())).is_ok());
    }

    #[test]
    fn a_column_longer_than_the_change_is_refused() {
        let layout = Layout::of(&real_body());
        assert!(layout.extra.is_empty(), "no extra bytes to absorb it");
        for column in [0, layout.columns.len() - 1] {
            let body = layout.body_with(|i, data| data.len() as u64 + u64::from(i == column));
            assert!(
                refused(&body).contains("columns are longer than its bytes"),
                "column {column}: {}",
                refused(&body)
            );
        }
        // A length near u64::MAX, and lengths whose sum overflows.
        let huge = layout.body_with(|i, _| if i == 0 { u64::MAX } else { 0 });
        assert!(refused(&huge).contains("longer than its bytes"));
        let overflow = layout.body_with(|i, _| if i < 2 { u64::MAX / 2 + 1 } else { 0 });
        assert!(refused(&overflow).contains("overflow"));
    }

    #[test]
    fn a_string_longer_than_its_column_is_refused() {
        let mut layout = Layout::of(&real_body());
        let keys = layout.key_strings();
        // A literal run of one string that claims a megabyte and holds 3
        // bytes: automerge would allocate the megabyte before looking.
        let mut column = vec![0x7f];
        leb(1 << 20, &mut column);
        column.extend_from_slice(b"abc");
        layout.columns[keys].1 = column.clone();
        assert!(refused(&layout.body()).contains("longer than the column"));
        // The same in a run (a positive count, one string repeated).
        column[0] = 0x02;
        layout.columns[keys].1 = column;
        assert!(refused(&layout.body()).contains("longer than the column"));
        // A literal run that claims more strings than bytes are left,
        // i64::MIN among them (automerge's `abs()` of it overflows).
        for count in [&[0x7d, 0x01, b'a'][..], &[0x80; 9][..]] {
            let mut column = count.to_vec();
            if column.len() == 9 {
                column.push(0x7f);
            }
            layout.columns[keys].1 = column;
            assert!(refused(&layout.body()).contains("run of strings"));
        }
        // What fits is not this check's to refuse.
        assert!(check_string_column(&[0x7f, 0x03, b'a', b'b', b'c', 0x00, 0x05]).is_ok());
    }

    #[test]
    fn a_truncated_change_is_refused() {
        let body = real_body();
        for cut in [1, 2, body.len() / 2, body.len() - 1] {
            let short = body.get(..cut).expect("a prefix");
            assert!(check(short).is_err(), "cut at {cut}");
            assert!(matches!(
                parse_change(&frame(short)),
                Err(DocError::BadChange(_))
            ));
        }
        // The last column cut short inside its string column.
        let mut layout = Layout::of(&body);
        let keys = layout.key_strings();
        let column = &mut layout.columns[keys].1;
        column.truncate(column.len() - 1);
        assert!(check(&layout.body()).is_err());
        refused(&layout.body());
    }

    #[test]
    fn an_operation_with_more_predecessors_than_bytes_is_refused() {
        let mut layout = Layout::of(&real_body());
        let body_len = layout.body().len() as u64;
        let pred = layout
            .columns
            .iter()
            .position(|(spec, _)| *spec == (7 << 4) | GROUP_COLUMN)
            .expect("a pred group column");
        // One run: every operation names 10 million predecessors (automerge
        // would push them all, from runs of the actor and counter columns).
        let mut column = vec![0x7f];
        leb(10_000_000, &mut column);
        layout.columns[pred].1 = column;
        assert!(refused(&layout.body()).contains("more predecessors"));
        // As many as the change has bytes is not this check's to refuse.
        let mut column = vec![0x7f];
        leb(body_len, &mut column);
        assert!(check_group_column(&column, body_len).is_ok());
        column[0] = 0x02;
        assert!(check_group_column(&column, body_len - 1).is_err());
    }

    /// A real change of `ops` operations: a list, and `ops - 1` numbers
    /// inserted into it.
    fn change_of(ops: usize) -> Vec<u8> {
        let mut doc = AutoCommit::new();
        let list = doc.put_object(ROOT, "list", ObjType::List).expect("a list");
        let values = (1..ops).map(|i| automerge::ScalarValue::Int(i as i64));
        doc.splice(&list, 0, 0, values).expect("insert");
        let _ = doc.commit();
        let change = doc.get_changes(&[]).pop().expect("a change");
        assert_eq!(change.len(), ops);
        change.raw_bytes().to_vec()
    }

    #[test]
    fn a_change_of_at_most_max_change_ops_passes() {
        let at_cap = change_of(MAX_CHANGE_OPS);
        assert!(at_cap.len() <= crate::doc::MAX_CHANGE_BYTES);
        let change = parse_change(&at_cap).expect("a change at the cap parses");
        assert_eq!(change.len(), MAX_CHANGE_OPS);
    }

    #[test]
    fn a_change_of_one_operation_more_is_refused() {
        let over = change_of(MAX_CHANGE_OPS + 1);
        assert!(over.len() <= crate::doc::MAX_CHANGE_BYTES);
        assert!(refused(unframe(&over)).contains("more operations"));
    }

    #[test]
    fn operations_are_counted_from_every_run_of_the_action_column() {
        let max = MAX_CHANGE_OPS as u64;
        let run = |count: i64, tail: &[u8]| {
            let mut column = Vec::new();
            sleb(count, &mut column);
            column.extend_from_slice(tail);
            column
        };
        // A run of one action, a literal run, a run of nulls.
        assert_eq!(count_ops(&run(3, &[1]), 0), Ok(3));
        assert_eq!(count_ops(&run(-2, &[1, 3]), 5), Ok(7));
        assert_eq!(count_ops(&run(0, &[4]), 0), Ok(4));
        assert_eq!(count_ops(&run(max as i64, &[1]), 0), Ok(max));
        for column in [
            run(max as i64 + 1, &[1]),
            run(-(max as i64) - 1, &[1]),
            run(0, &[0x80, 0x80, 0x80, 0x80, 0x01]),
            run(i64::MIN, &[]),
        ] {
            assert!(count_ops(&column, 0).is_err(), "{column:?}");
        }
        assert!(count_ops(&run(1, &[1]), max).is_err());
        // Two action columns add up.
        let mut layout = Layout::of(&real_body());
        let action = layout
            .columns
            .iter()
            .position(|(spec, _)| *spec == ACTION_COLUMN)
            .expect("an action column");
        layout.columns[action].1 = run(max as i64, &[1]);
        assert!(check(&layout.body()).is_ok());
        layout.columns.insert(action, (ACTION_COLUMN, run(1, &[1])));
        assert!(refused(&layout.body()).contains("more operations"));
    }

    #[test]
    fn a_deflated_column_is_refused() {
        let mut layout = Layout::of(&real_body());
        layout.columns[0].0 |= DEFLATE_BIT;
        assert!(refused(&layout.body()).contains("deflated"));
    }

    #[test]
    fn numbers_read_as_leb128() {
        let u = |b: &[u8]| Reader::new(b).uleb();
        let s = |b: &[u8]| Reader::new(b).sleb();
        assert_eq!(u(&[0x00]), Ok(0));
        assert_eq!(u(&[0xe5, 0x8e, 0x26]), Ok(624_485));
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(u(&max), Ok(u64::MAX));
        max[9] = 0x02;
        assert!(u(&max).is_err());
        assert!(u(&[0x80; 11]).is_err());
        assert!(u(&[0x80]).is_err());
        assert_eq!(s(&[0x7f]), Ok(-1));
        assert_eq!(s(&[0xc0, 0xbb, 0x78]), Ok(-123_456));
        assert_eq!(s(&[0x3f]), Ok(63));
        let mut min = vec![0x80; 9];
        min.push(0x7f);
        assert_eq!(s(&min), Ok(i64::MIN));
        assert!(s(&[0x80; 11]).is_err());
    }
}
