//! The connection threads: one writer, a few readers, each owning its connection.
//!
//! Async callers hand a closure to a thread and await a oneshot reply, so no SQLite call ever runs
//! on an executor thread, and the store works under any executor.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use persona_core::Result;
use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::SqliteError;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A queue of jobs served by one or more threads, each with its own connection.
#[derive(Debug)]
pub(crate) struct Pool {
    sender: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    /// Starts one thread per connection; they share one queue.
    pub(crate) fn start(name: &str, connections: Vec<Connection>) -> std::io::Result<Pool> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut threads = Vec::with_capacity(connections.len());
        for (index, connection) in connections.into_iter().enumerate() {
            let receiver = Arc::clone(&receiver);
            let thread = std::thread::Builder::new()
                .name(format!("persona-sqlite-{name}-{index}"))
                .spawn(move || serve(connection, &receiver))?;
            threads.push(thread);
        }
        Ok(Pool {
            sender: Some(sender),
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
        let sender = self.sender.as_ref().ok_or(SqliteError::Stopped)?;
        sender
            .send(Box::new(move |connection: &mut Connection| {
                // A panicking job must not take the thread (and its connection) down with it;
                // the caller sees the dropped reply as `Stopped`.
                if let Ok(result) = catch_unwind(AssertUnwindSafe(|| job(connection))) {
                    let _ = reply.send(result);
                }
            }))
            .map_err(|_| SqliteError::Stopped)?;
        answer.await.map_err(|_| SqliteError::Stopped)?
    }
}

fn serve(mut connection: Connection, receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let receiver = receiver.lock().unwrap_or_else(PoisonError::into_inner);
            receiver.recv()
        };
        match job {
            Ok(job) => job(&mut connection),
            Err(_) => break,
        }
    }
    // Pending statements would keep the connection open; clear them so close succeeds and the
    // WAL is checkpointed by the last connection out.
    connection.flush_prepared_statement_cache();
    let _ = connection.close();
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.sender.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
