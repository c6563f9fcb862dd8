//! Crash safety: a child process (this test binary re-executed) writes in a loop and prints every
//! acknowledged write; the parent kills it with SIGKILL at random moments, reopens the directory
//! and checks that every acknowledged write is there, that batches are all-or-nothing, and that no
//! record file is torn.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use persona_core::{Actor, Batch, Identity, Kind, Persona, PersonaId, Store, StoreExt, WriteMode};
use persona_store_file::{FileStore, Issue};
use rand::Rng;

const CHILD_DIR: &str = "PERSONA_CRASH_CHILD_DIR";
const CHILD_ROUND: &str = "PERSONA_CRASH_CHILD_ROUND";
const ROUNDS: usize = 24;

fn persona_id(round: usize, i: usize) -> String {
    format!("p-r{round}-{i}")
}

fn identity_id(round: usize, i: usize, n: usize) -> String {
    format!("i-r{round}-{i}-{n}")
}

/// The child: per iteration, one batch (a persona and two identities), an update of the persona,
/// a delete of the first identity and, every third iteration, its purge. Prints `ack <op> <i>`
/// after each acknowledged write.
fn child(dir: &Path, round: usize) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = FileStore::open(dir).unwrap();
        let actor = Actor::new("crash-test");
        let mut out = std::io::stdout().lock();
        for i in 0.. {
            let mut persona = Persona::new("Crash", "durability", "Write until killed.");
            persona.id = persona_id(round, i).into();
            let mut batch = Batch::new(actor.clone());
            batch.put(persona.clone(), WriteMode::Create).unwrap();
            for n in 0..2 {
                let mut identity = Identity::new(PersonaId::from(persona_id(round, i)), "Ada");
                identity.id = identity_id(round, i, n).into();
                identity.description = "x".repeat(300 * n + 10);
                batch.put(identity, WriteMode::Create).unwrap();
            }
            store.write(batch).await.unwrap();
            writeln!(out, "ack batch {i}").unwrap();
            out.flush().unwrap();

            let mut stored = store.personas().get(&persona_id(round, i)).await.unwrap();
            stored.topic = "updated".into();
            store.personas().update(&actor, stored).await.unwrap();
            writeln!(out, "ack update {i}").unwrap();
            out.flush().unwrap();

            store
                .identities()
                .delete(&actor, &identity_id(round, i, 0))
                .await
                .unwrap();
            writeln!(out, "ack delete {i}").unwrap();
            out.flush().unwrap();

            if i % 3 == 0 {
                store
                    .identities()
                    .purge(&actor, &identity_id(round, i, 0))
                    .await
                    .unwrap();
                writeln!(out, "ack purge {i}").unwrap();
                out.flush().unwrap();
            }
        }
    });
}

#[derive(Default, Clone, Copy)]
struct Acked {
    batch: bool,
    update: bool,
    delete: bool,
    purge: bool,
}

fn assert_no_torn_files(dir: &Path) {
    fn walk(dir: &Path) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .unwrap_or_else(|e| panic!("{} is torn: {e}", path.display()));
            }
        }
    }
    walk(dir);
}

fn assert_no_temp_files(dir: &Path) {
    for kind in ["personas", "identities", "communities"] {
        for entry in std::fs::read_dir(dir.join(kind)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.ends_with(".tmp"), "{name} left after reopening");
        }
    }
    assert!(!dir.join(".persona/log.tmp").exists());
}

async fn check_round(dir: &Path, round: usize, acked: &[Acked]) -> usize {
    assert_no_torn_files(dir);
    let store = FileStore::open(dir).unwrap();
    for problem in store.load_report().problems() {
        assert!(
            matches!(
                problem.issue,
                Issue::StrayTempFile | Issue::TornLog { .. } | Issue::Recovered { .. }
            ),
            "round {round}: unexpected problem {problem}"
        );
    }
    let repairs = store.load_report().problems().len();
    assert_no_temp_files(dir);
    assert_no_torn_files(dir);
    // One iteration past the last acknowledged one may have committed before the kill.
    for (i, ack) in acked.iter().copied().chain([Acked::default()]).enumerate() {
        let persona = store.personas().find(&persona_id(round, i)).await.unwrap();
        let second = store
            .identities()
            .find(&identity_id(round, i, 1))
            .await
            .unwrap();
        let first_versions = store
            .versions(Kind::Identity, &identity_id(round, i, 0))
            .await
            .unwrap();
        let first_tombstone = store
            .tombstone(Kind::Identity, &identity_id(round, i, 0))
            .await
            .unwrap();
        // The batch is all-or-nothing.
        let committed = persona.is_some();
        assert_eq!(second.is_some(), committed, "round {round} batch {i}");
        assert_eq!(
            !first_versions.is_empty() || first_tombstone.is_some(),
            committed,
            "round {round} batch {i}"
        );
        if ack.batch {
            assert!(committed, "round {round}: acknowledged batch {i} lost");
            let second = second.unwrap();
            assert_eq!(second.description.len(), 310);
            assert_eq!(second.persona_id.as_str(), persona_id(round, i));
        }
        if ack.update {
            let persona = persona.unwrap();
            assert_eq!(persona.topic, "updated", "round {round}: update {i} lost");
            assert!(persona.version.get() >= 2);
        }
        if ack.delete {
            assert!(
                store
                    .identities()
                    .find(&identity_id(round, i, 0))
                    .await
                    .unwrap()
                    .is_none(),
                "round {round}: delete {i} lost"
            );
        }
        if ack.purge {
            assert!(first_versions.is_empty(), "round {round}: purge {i} lost");
            assert!(first_tombstone.is_some());
        }
    }
    repairs
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        let round = std::env::var(CHILD_ROUND).unwrap().parse().unwrap();
        child(Path::new(&dir), round);
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("data");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut rng = rand::rng();
    let mut total_acks = 0;
    let mut repairs = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "acknowledged_writes_survive_sigkill",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, &dir)
            .env(CHILD_ROUND, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(40..400)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();

        let mut acked: Vec<Acked> = Vec::new();
        for line in received.try_iter() {
            let mut words = line.split_whitespace();
            if words.next() != Some("ack") {
                continue;
            }
            let op = words.next().unwrap().to_owned();
            let i: usize = words.next().unwrap().parse().unwrap();
            if acked.len() <= i {
                acked.resize(i + 1, Acked::default());
            }
            match op.as_str() {
                "batch" => acked[i].batch = true,
                "update" => acked[i].update = true,
                "delete" => acked[i].delete = true,
                "purge" => acked[i].purge = true,
                other => panic!("unknown ack {other}"),
            }
            total_acks += 1;
        }
        repairs += runtime.block_on(check_round(&dir, round, &acked));
    }
    assert!(total_acks > 0, "the child never acknowledged a write");
    println!(
        "{ROUNDS} rounds, {total_acks} acknowledged writes survived SIGKILL; \
         {repairs} interrupted writes repaired on reopening"
    );
}
