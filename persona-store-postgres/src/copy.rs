//! Binary `COPY` rows: how large batches of new records reach the server.
//!
//! `COPY … FROM STDIN (FORMAT binary)` skips the per-row array decoding and expression
//! evaluation of `INSERT … SELECT FROM UNNEST`, and its data streams: the rows of one chunk are
//! encoded while the server stores the chunk before it. Each value is written in the type's binary
//! wire format (big-endian integers and floats, `jsonb` as a version byte and the JSON text,
//! `tsvector` as counted NUL-terminated lexemes without positions).

/// Appends binary `COPY` data to a buffer.
pub(crate) struct CopyData {
    buf: Vec<u8>,
}

/// The binary `COPY` signature, flags and header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl CopyData {
    /// An empty buffer that starts with the format header.
    pub(crate) fn new() -> Self {
        let mut buf = Vec::with_capacity(512 * 1024);
        buf.extend_from_slice(HEADER);
        CopyData { buf }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The bytes so far, leaving the buffer empty.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.buf, Vec::with_capacity(512 * 1024))
    }

    /// Starts a row of `fields` values.
    pub(crate) fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    /// Ends the data.
    pub(crate) fn finish(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }

    fn value(&mut self, bytes: &[u8]) {
        let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub(crate) fn text(&mut self, value: &str) {
        self.value(value.as_bytes());
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    pub(crate) fn int8(&mut self, value: i64) {
        self.value(&value.to_be_bytes());
    }

    pub(crate) fn opt_int4(&mut self, value: Option<i32>) {
        match value {
            Some(value) => self.value(&value.to_be_bytes()),
            None => self.null(),
        }
    }

    pub(crate) fn bool(&mut self, value: bool) {
        self.value(&[u8::from(value)]);
    }

    pub(crate) fn opt_float8(&mut self, value: Option<f64>) {
        match value {
            Some(value) => self.value(&value.to_bits().to_be_bytes()),
            None => self.null(),
        }
    }

    /// A `jsonb` value from its JSON text.
    pub(crate) fn jsonb(&mut self, json: &[u8]) {
        let len = i32::try_from(json.len() + 1).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(json);
    }

    /// A `tsvector` of `lexemes`, which must be sorted bytewise and unique, and hold no NUL.
    pub(crate) fn tsvector(&mut self, lexemes: &[String]) {
        let len: usize = 4 + lexemes.iter().map(|l| l.len() + 3).sum::<usize>();
        self.buf
            .extend_from_slice(&i32::try_from(len).unwrap_or(i32::MAX).to_be_bytes());
        let count = i32::try_from(lexemes.len()).unwrap_or(i32::MAX);
        self.buf.extend_from_slice(&count.to_be_bytes());
        for lexeme in lexemes {
            self.buf.extend_from_slice(lexeme.as_bytes());
            self.buf.push(0);
            self.buf.extend_from_slice(&0u16.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_use_the_binary_wire_formats() {
        let mut data = CopyData::new();
        assert_eq!(data.len(), 19);
        data.row(3);
        data.int8(1);
        data.opt_text(None);
        data.tsvector(&["a:b".to_owned()]);
        data.finish();
        let bytes = data.take();
        assert_eq!(&bytes[19..21], &[0, 3]);
        assert_eq!(&bytes[21..33], &[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&bytes[33..37], &[0xff; 4]);
        assert_eq!(
            &bytes[37..],
            &[
                0, 0, 0, 10, 0, 0, 0, 1, b'a', b':', b'b', 0, 0, 0, 0xff, 0xff
            ]
        );
        assert_eq!(data.len(), 0);
    }
}
