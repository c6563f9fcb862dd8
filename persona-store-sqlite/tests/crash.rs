//! Crash safety: a child process (this test binary again, running `crash_writer`) writes through
//! the public API and prints every acknowledged write; the parent kills it with SIGKILL at random
//! moments and checks, after each kill, that every acknowledged write is there, that the database
//! passes SQLite's integrity checks and that every stored document parses.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use persona_core::{
    Actor, AnyRecord, Batch, Kind, ListRequest, Persona, PersonaId, Store, StoreExt, Version,
    WriteMode,
};
use persona_store_sqlite::SqliteStore;
use persona_store_sqlite::rusqlite::Connection;
use persona_testkit::fixtures::Generator;
use rand::Rng;

/// Set in the child's environment: the database the writer writes to.
const DB_ENV: &str = "PERSONA_SQLITE_CRASH_DB";
/// Set in the child's environment: the seed of this round's identities.
const SEED_ENV: &str = "PERSONA_SQLITE_CRASH_SEED";
const PERSONA_ID: &str = "crash-persona";
const ROUNDS: usize = 24;

fn kind_name(kind: Kind) -> &'static str {
    kind.as_str()
}

fn parse_kind(value: &str) -> Kind {
    Kind::ALL
        .into_iter()
        .find(|k| k.as_str() == value)
        .expect("known kind")
}

/// The writer half, run only as a child of `acknowledged_writes_survive_sigkill`.
#[test]
#[ignore = "the writer half of acknowledged_writes_survive_sigkill, which runs it as a child process"]
fn crash_writer() {
    let path = std::env::var(DB_ENV).expect("run by acknowledged_writes_survive_sigkill");
    let seed: u64 = std::env::var(SEED_ENV)
        .expect("seed")
        .parse()
        .expect("numeric seed");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(write_until_killed(Path::new(&path), seed));
}

async fn write_until_killed(path: &Path, seed: u64) {
    let actor = Actor::new("crash-writer");
    let store = SqliteStore::open(path).expect("open");
    let mut out = std::io::stdout().lock();
    let mut ack = |record: &AnyRecord| {
        writeln!(
            out,
            "ack {} {} {}",
            kind_name(record.kind()),
            record.id_str(),
            record.version()
        )
        .expect("stdout");
        out.flush().expect("flush");
    };
    if store
        .get(Kind::Persona, PERSONA_ID)
        .await
        .expect("get persona")
        .is_none()
    {
        let mut persona = Persona::new("Crash panel", "durability", "You survive crashes.");
        persona.id = PERSONA_ID.into();
        ack(&store
            .personas()
            .create(&actor, persona)
            .await
            .expect("create persona")
            .into());
    }
    let mut generator = Generator::new(seed, PersonaId::from(PERSONA_ID));
    let mut live: Vec<AnyRecord> = Vec::new();
    let started = Instant::now();
    let mut round = 0u64;
    // Bounded so a child that is somehow not killed still ends.
    while started.elapsed() < Duration::from_secs(20) {
        round += 1;
        let mut batch = Batch::new(actor.clone());
        for identity in generator.by_ref().take(1 + (round % 4) as usize) {
            batch.put(identity, WriteMode::Create).expect("valid");
        }
        if let Some(AnyRecord::Identity(previous)) =
            live.get((round as usize * 7) % live.len().max(1))
        {
            let mut changed = (**previous).clone();
            changed.description = format!("revised in round {round}");
            let version = changed.version;
            batch
                .put(changed, WriteMode::Update(version))
                .expect("valid");
        }
        if round.is_multiple_of(5)
            && let Some(victim) = live.pop()
        {
            // No expected version: the same batch may have just updated it.
            batch.delete(Kind::Identity, victim.id_str(), None);
        }
        let stored = store.apply(batch).await.expect("apply");
        for record in &stored {
            ack(record);
        }
        for record in stored {
            if let Some(slot) = live.iter_mut().find(|r| r.id_str() == record.id_str()) {
                *slot = record;
            } else if record.version() == Version::FIRST {
                live.push(record);
            }
        }
    }
}

/// Runs the writer until killed `delay` after its first acknowledgement (or after spawning, when
/// `after_first_ack` is false) and returns every acknowledgement it printed.
fn run_and_kill(
    path: &Path,
    seed: u64,
    delay: Duration,
    after_first_ack: bool,
) -> Vec<(Kind, String, Version)> {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "crash_writer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DB_ENV, path)
        .env(SEED_ENV, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines, received) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut acks = Vec::new();
    let record = |line: String, acks: &mut Vec<(Kind, String, Version)>| {
        let mut parts = line.split_whitespace();
        if parts.next() == Some("ack") {
            let kind = parse_kind(parts.next().expect("kind"));
            let id = parts.next().expect("id").to_owned();
            let version = Version(parts.next().expect("version").parse().expect("number"));
            acks.push((kind, id, version));
        }
    };
    if after_first_ack {
        let deadline = Instant::now() + Duration::from_secs(30);
        while acks.is_empty() && Instant::now() < deadline {
            if let Ok(line) = received.recv_timeout(Duration::from_millis(100)) {
                record(line, &mut acks);
            }
        }
        assert!(!acks.is_empty(), "the writer acknowledged nothing in 30 s");
    }
    std::thread::sleep(delay);
    child.kill().expect("SIGKILL the writer");
    let status = child.wait().expect("reap the writer");
    assert_eq!(
        status.signal(),
        Some(9),
        "the writer must die by our SIGKILL, not by itself: {status}"
    );
    reader.join().expect("reader thread");
    for line in received.try_iter() {
        record(line, &mut acks);
    }
    acks
}

/// Checks the database file with SQLite's own checks and parses every stored document.
fn check_file(path: &Path) -> usize {
    let raw = Connection::open(path).expect("open raw");
    let integrity: Vec<String> = raw
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(integrity, ["ok"], "integrity_check");
    let violations: i64 = raw
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0, "foreign_key_check");
    raw.execute(
        "INSERT INTO identity_fts (identity_fts) VALUES ('integrity-check')",
        [],
    )
    .expect("the text index matches the identity rows");
    let mut statement = raw
        .prepare(
            "SELECT r.kind, r.id, h.doc FROM history h JOIN records r USING (rid) \
             UNION ALL SELECT r.kind, r.id, d.doc FROM records r JOIN documents d USING (rid)",
        )
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    let mut documents = 0;
    while let Some(row) = rows.next().unwrap() {
        let kind = parse_kind(&row.get::<_, String>(0).unwrap());
        let id: String = row.get(1).unwrap();
        let doc = row.get_ref(2).unwrap().as_bytes().unwrap();
        let record = AnyRecord::from_json(kind, doc)
            .unwrap_or_else(|e| panic!("stored {kind} {id} does not parse: {e}"));
        assert_eq!(record.id_str(), id);
        documents += 1;
    }
    documents
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut rng = rand::rng();
    let mut acknowledged: HashMap<(Kind, String), Version> = HashMap::new();
    let mut total = 0;
    for round in 0..ROUNDS {
        // Odd rounds may die anywhere, opening and recovering included; even rounds die in the
        // middle of writing.
        let after_first_ack = round % 2 == 0;
        let delay = Duration::from_millis(if after_first_ack {
            rng.random_range(0..300)
        } else {
            rng.random_range(0..150)
        });
        let acks = run_and_kill(&path, round as u64 + 1, delay, after_first_ack);
        total += acks.len();
        for (kind, id, version) in acks {
            let entry = acknowledged.entry((kind, id)).or_insert(version);
            *entry = (*entry).max(version);
        }

        let store = SqliteStore::open(&path).expect("reopen after SIGKILL");
        for ((kind, id), version) in &acknowledged {
            let entry = store
                .version(*kind, id, *version)
                .await
                .unwrap()
                .unwrap_or_else(|| {
                    panic!("round {round}: acknowledged {kind} {id} v{version} lost")
                });
            assert_eq!(entry.record.id_str(), id);
            let versions = store.versions(*kind, id).await.unwrap();
            assert!(versions.last().is_some_and(|v| v.version >= *version));
        }
        let mut listed = 0;
        for kind in Kind::ALL {
            let mut request = ListRequest::first(1000);
            loop {
                let page = store
                    .list(kind, &request)
                    .await
                    .expect("every document parses");
                listed += page.items.len();
                match page.next {
                    Some(cursor) => request.cursor = Some(cursor),
                    None => break,
                }
            }
        }
        let live_identities = store.count(&persona_core::Filter::default()).await.unwrap();
        assert_eq!(
            usize::try_from(live_identities).unwrap() + 1,
            listed,
            "round {round}: index rows and live records agree"
        );
        drop(store);
        assert!(check_file(&path) >= acknowledged.len());
    }
    println!(
        "{ROUNDS} kills, {total} acknowledged writes, {} records checked",
        acknowledged.len()
    );
    assert!(
        total >= ROUNDS,
        "the writers acknowledged too little to test anything: {total}"
    );
}
