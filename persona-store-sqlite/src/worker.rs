//! Where SQLite calls run: in place on the caller's thread when that cannot stall an async
//! runtime, otherwise on a connection thread.
//!
//! A [`Lane`] owns a few connections (the readers, or the one writer) and as many threads. A call
//!
//! - on a worker (or in `block_on`) of a multi-thread Tokio runtime checks a free connection out
//!   and runs the job right there under [`tokio::task::block_in_place`], which first hands the
//!   worker's other tasks to another thread, so the runtime keeps running them;
//! - anywhere else (a current-thread runtime, where `block_in_place` panics; another executor;
//!   no free connection) sends the job to one of the lane's threads and awaits a oneshot reply.
//!   The thread checks a connection out of the same set, waiting for one if need be.
//!
//! The in-place path takes the thread hand-off (two wake-ups, each waiting for a CPU on a loaded
//! machine) off a point read's critical path. Its price: while the job runs, the calling task does
//! nothing else, so futures it polls concurrently (`join!`, `select!` branches, a timeout around
//! the call) wait for the job to finish.
//!
//! Hand-off threads have their own queues. A job goes to the thread that became idle most recently
//! (warm caches, and exactly one wake-up per job); when every thread is busy it queues behind one
//! of them in turn. A single shared queue behind a mutex was measured at three to six times the
//! latency per round trip: every job woke the whole chain of threads waiting on the mutex.

use std::ops::{Deref, DerefMut};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use persona_core::Result;
use rusqlite::Connection;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::sync::oneshot;

use crate::error::SqliteError;

/// Connections not in use, and a signal for threads waiting for one.
#[derive(Debug)]
struct Connections {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A free connection, if there is one.
    fn try_checkout(&self) -> Option<Checkout<'_>> {
        let connection = self.lock().pop()?;
        Some(Checkout {
            connections: self,
            connection: Some(connection),
        })
    }

    /// A free connection, waiting until one is returned.
    fn checkout(&self) -> Checkout<'_> {
        let mut idle = self.lock();
        loop {
            if let Some(connection) = idle.pop() {
                return Checkout {
                    connections: self,
                    connection: Some(connection),
                };
            }
            idle = self
                .returned
                .wait(idle)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// A connection checked out of a [`Connections`]; returned when dropped.
struct Checkout<'a> {
    connections: &'a Connections,
    connection: Option<Connection>,
}

impl Deref for Checkout<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.connection.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Checkout<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.connection.as_mut().expect("present until dropped")
    }
}

impl Drop for Checkout<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.connections.lock().push(connection);
            self.connections.returned.notify_one();
        }
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Indices of threads waiting for work, most recently idle last.
type Idle = Arc<Mutex<Vec<usize>>>;

/// Runs `job` on `connection`; a panic becomes [`SqliteError::Stopped`] and leaves the connection
/// usable (an open transaction guard rolls back as it unwinds).
fn guarded<T>(
    connection: &mut Connection,
    job: impl FnOnce(&mut Connection) -> Result<T>,
) -> Result<T> {
    catch_unwind(AssertUnwindSafe(|| job(connection)))
        .unwrap_or_else(|_| Err(SqliteError::Stopped.into()))
}

/// True when the current thread may block in place without stalling an async runtime: it is a
/// worker of (or inside `block_on` on) a multi-thread Tokio runtime.
fn may_block_in_place() -> bool {
    Handle::try_current().is_ok_and(|handle| handle.runtime_flavor() == RuntimeFlavor::MultiThread)
}

/// A set of connections and the threads that serve calls which cannot run in place.
#[derive(Debug)]
pub(crate) struct Lane {
    connections: Arc<Connections>,
    senders: Vec<Sender<Job>>,
    idle: Idle,
    next: AtomicUsize,
    threads: Vec<JoinHandle<()>>,
}

impl Lane {
    /// Starts one hand-off thread per connection.
    pub(crate) fn start(name: &str, connections: Vec<Connection>) -> std::io::Result<Lane> {
        let count = connections.len();
        let idle: Idle = Arc::default();
        let mut senders = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        for index in 0..count {
            let (sender, receiver) = mpsc::channel::<Job>();
            let idle = Arc::clone(&idle);
            let thread = std::thread::Builder::new()
                .name(format!("persona-sqlite-{name}-{index}"))
                .spawn(move || serve(index, &receiver, &idle))?;
            senders.push(sender);
            threads.push(thread);
        }
        Ok(Lane {
            connections: Arc::new(Connections {
                idle: Mutex::new(connections),
                returned: Condvar::new(),
            }),
            senders,
            idle,
            next: AtomicUsize::new(0),
            threads,
        })
    }

    /// Runs `job` on one of the lane's connections and returns its result: in place when the
    /// caller may block and a connection is free, otherwise on one of the lane's threads.
    pub(crate) async fn run<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        if may_block_in_place()
            && let Some(mut connection) = self.connections.try_checkout()
        {
            return tokio::task::block_in_place(|| guarded(&mut connection, job));
        }
        self.hand_off(job).await
    }

    async fn hand_off<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let connections = Arc::clone(&self.connections);
        let job: Job = Box::new(move || {
            let mut connection = connections.checkout();
            let _ = reply.send(guarded(&mut connection, job));
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

fn serve(index: usize, receiver: &Receiver<Job>, idle: &Mutex<Vec<usize>>) {
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
        job();
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        self.senders.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        // Every job has finished, so every connection is back. Pending statements would keep a
        // connection open; clear them so close succeeds and the WAL is checkpointed by the last
        // connection out.
        for connection in self.connections.lock().drain(..) {
            connection.flush_prepared_statement_cache();
            let _ = connection.close();
        }
    }
}
