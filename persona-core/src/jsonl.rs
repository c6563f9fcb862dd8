//! JSON Lines: the SDK's own lossless, streaming export/import format.
//!
//! The first line is a header, `{"format":"persona-jsonl","schema_version":1}`; every other line is
//! one record as `{"kind":"identity","record":{…}}` ([`AnyRecord`]'s serde form). Readers reject a
//! newer schema version instead of misreading it. Both directions stream: memory holds one line.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::AnyRecord;

/// The `format` value of the header line.
pub const FORMAT: &str = "persona-jsonl";
/// The schema version this release writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    schema_version: u32,
}

fn io_error(error: std::io::Error) -> Error {
    Error::backend("jsonl", false, error)
}

/// Writes records as JSON Lines.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> Writer<W> {
    /// Writes the header line to `out`.
    ///
    /// # Errors
    /// [`Error::Backend`] for I/O errors.
    pub fn new(mut out: W) -> Result<Self> {
        let header = Header {
            format: FORMAT.to_owned(),
            schema_version: SCHEMA_VERSION,
        };
        serde_json::to_writer(&mut out, &header).map_err(|e| Error::backend("jsonl", false, e))?;
        out.write_all(b"\n").map_err(io_error)?;
        Ok(Writer { out, written: 0 })
    }

    /// Appends one record.
    ///
    /// # Errors
    /// [`Error::Backend`] for I/O or serialisation errors.
    pub fn write(&mut self, record: &AnyRecord) -> Result<()> {
        serde_json::to_writer(&mut self.out, record)
            .map_err(|e| Error::backend("jsonl", false, e))?;
        self.out.write_all(b"\n").map_err(io_error)?;
        self.written += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    /// [`Error::Backend`] when the flush fails.
    pub fn finish(mut self) -> Result<W> {
        self.out.flush().map_err(io_error)?;
        Ok(self.out)
    }
}

/// Reads JSON Lines written by [`Writer`], one record at a time.
#[derive(Debug)]
pub struct Reader<R: BufRead> {
    input: R,
    line: String,
    line_number: u64,
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the header line.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the header is missing, of another format, or of a newer version.
    pub fn new(mut input: R) -> Result<Self> {
        let mut line = String::new();
        input.read_line(&mut line).map_err(io_error)?;
        let header: Header = serde_json::from_str(&line).map_err(|e| {
            Error::corrupt(
                "jsonl",
                "line 1 is not a persona-jsonl header",
                Some(Box::new(e)),
            )
        })?;
        if header.format != FORMAT || header.schema_version > SCHEMA_VERSION {
            return Err(Error::corrupt(
                "jsonl",
                format_args!(
                    "unsupported format {} version {} (this release reads {FORMAT} up to {SCHEMA_VERSION})",
                    header.format, header.schema_version
                ),
                None,
            ));
        }
        line.clear();
        Ok(Reader {
            input,
            line,
            line_number: 1,
        })
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<AnyRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line.clear();
            match self.input.read_line(&mut self.line) {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => return Some(Err(io_error(error))),
            }
            self.line_number += 1;
            if self.line.trim().is_empty() {
                continue;
            }
            return Some(serde_json::from_str(&self.line).map_err(|e| {
                Error::corrupt(
                    "jsonl",
                    format_args!("line {} is not a record", self.line_number),
                    Some(Box::new(e)),
                )
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Persona, Record};

    #[test]
    fn round_trips_and_checks_header() {
        let records = vec![
            Persona::new("A", "t", "p").into_any(),
            Persona::new("B", "t", "p").into_any(),
        ];
        let mut writer = Writer::new(Vec::new()).unwrap();
        for record in &records {
            writer.write(record).unwrap();
        }
        assert_eq!(writer.written(), 2);
        let bytes = writer.finish().unwrap();
        let read: Vec<AnyRecord> = Reader::new(bytes.as_slice())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, records);

        let newer = br#"{"format":"persona-jsonl","schema_version":99}"#;
        assert!(matches!(
            Reader::new(&newer[..]),
            Err(Error::Corrupt { .. })
        ));
        let garbage = b"{\"format\":\"persona-jsonl\",\"schema_version\":1}\n{oops\n";
        let mut reader = Reader::new(&garbage[..]).unwrap();
        assert!(matches!(reader.next(), Some(Err(Error::Corrupt { .. }))));
    }
}
