//! The connection threads: one writer, a few readers, each owning its connection.
//!
//! Async callers hand a closure to a thread and await a oneshot reply, so no SQLite call ever runs
//! on an executor thread, and the store works under any executor.
//!
//! Each thread has its own queue. A job goes to the thread that became idle most recently (warm
//! caches, and exactly one wake-up per job); when every thread is busy it queues behind one of them
//! in turn. A single shared queue behind a mutex was measured at three to six times the latency
//! per round trip: every job woke the whole chain of threads waiting on the mutex.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use persona_core::Result;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::SqliteError;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// Indices of threads waiting for work, most recently idle last.
type Idle = Arc<Mutex<Vec<usize>>>;

/// Threads, each with its own connection and queue.
#[derive(Debug)]
pub(crate) struct Pool {
    senders: Vec<Sender<Job>>,
    idle: Idle,
    next: AtomicUsize,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts one thread per connection.
    pub(crate) fn start(name: &str, connections: Vec<Connection>) -> std::io::Result<Pool> {
        let idle: Idle = Arc::default();
        let mut senders = Vec::with_capacity(connections.len());
        let mut threads = Vec::with_capacity(connections.len());
        for (index, connection) in connections.into_iter().enumerate() {
            let (sender, receiver) = mpsc::channel::<Job>();
            let idle = Arc::clone(&idle);
            let thread = std::thread::Builder::new()
                .name(format!("persona-sqlite-{name}-{index}"))
                .spawn(move || serve(index, connection, &receiver, &idle))?;
            senders.push(sender);
            threads.push(thread);
        }
        Ok(Pool {
            senders,
            idle,
            next: AtomicUsize::new(0),
            threads,
        })
    }

    /// Runs `job` on one of the pool's connections and returns its result.
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |connection: &mut Connection| {
            // A panicking job must not take the thread (and its connection) down with it;
            // the caller sees the dropped reply as `Stopped`.
            if let Ok(result) = catch_unwind(AssertUnwindSafe(|| job(connection))) {
                let _ = reply.send(result);
            }
        });
        let target = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_else(|| self.next.fetch_add(1, Ordering::Relaxed) % self.senders.len());
        self.senders
            .get(target)
            .ok_or(SqliteError::Stopped)?
            .send(job)
            .map_err(|_| SqliteError::Stopped)?;
        answer.await.map_err(|_| SqliteError::Stopped)?
    }
}

fn serve(
    index: usize,
    mut connection: Connection,
    receiver: &Receiver<Job>,
    idle: &Mutex<Vec<usize>>,
) {
    loop {
        let job = match receiver.try_recv() {
            Ok(job) => job,
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                {
                    let mut idle = idle.lock().unwrap_or_else(PoisonError::into_inner);
                    if !idle.contains(&index) {
                        idle.push(index);
                    }
                }
                match receiver.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            }
        };
        job(&mut connection);
    }
    // Pending statements would keep the connection open; clear them so close succeeds and the
    // WAL is checkpointed by the last connection out.
    connection.flush_prepared_statement_cache();
    let _ = connection.close();
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.senders.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
