//! Requests of one kind that arrive while others of that kind are on their way to the database
//! go to it together, as one statement. On PostgreSQL every statement is a round trip, and on
//! a machine where waking a process is dear (BENCHMARKS.md) the round trips are most of the
//! cost; under load a batch serves many requests with one. A request alone goes at once: there
//! is no wait to gather a batch, only what queued while the lanes were busy.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::store::StoreError;

/// One request's key and where its answer goes.
type Waiting<K, V> = (K, oneshot::Sender<Result<V, StoreError>>);

/// Runs `run` on batches of keys, at most `most` at once, on `lanes` statements in flight.
pub struct Batcher<K, V> {
    queue: mpsc::UnboundedSender<Waiting<K, V>>,
}

impl<K: Send + 'static, V: Send + 'static> Batcher<K, V> {
    /// `run` answers a batch's keys in their order, one value each, or fails them all. Its
    /// lanes are tasks of the runtime this is called on; they end when the batcher is dropped.
    pub fn new<F, Fut>(lanes: usize, most: usize, run: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<V>, StoreError>> + Send + 'static,
    {
        let (queue, waiting) = mpsc::unbounded_channel::<Waiting<K, V>>();
        let waiting = Arc::new(Mutex::new(waiting));
        let run = Arc::new(run);
        for _ in 0..lanes {
            let (waiting, run) = (Arc::clone(&waiting), Arc::clone(&run));
            tokio::spawn(async move {
                // A lane takes what waits, then lets go of the queue before its statement runs,
                // so the next lane gathers what comes in meanwhile.
                while let Some(batch) = next_batch(&waiting, most).await {
                    let (keys, answers): (Vec<K>, Vec<_>) = batch.into_iter().unzip();
                    match run(keys).await {
                        Ok(values) => {
                            for (answer, value) in answers.into_iter().zip(values) {
                                let _ = answer.send(Ok(value));
                            }
                        }
                        Err(err) => {
                            let (message, unavailable) = (err.to_string(), err.is_unavailable());
                            for answer in answers {
                                let _ = answer.send(Err(StoreError::Shared { message: message.clone(), unavailable }));
                            }
                        }
                    }
                }
            });
        }
        Batcher { queue }
    }

    /// The answer for `key`, from the batch it goes in.
    pub async fn ask(&self, key: K) -> Result<V, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue.send((key, answer)).map_err(|_| StoreError::BatcherGone)?;
        answered.await.map_err(|_| StoreError::BatcherGone)?
    }
}

/// The first request waiting (waits for one), and as many more as are waiting, up to `most`;
/// `None` once the batcher is gone.
async fn next_batch<K, V>(
    waiting: &Mutex<mpsc::UnboundedReceiver<Waiting<K, V>>>,
    most: usize,
) -> Option<Vec<Waiting<K, V>>> {
    let mut waiting = waiting.lock().await;
    let first = waiting.recv().await?;
    let mut batch = vec![first];
    while batch.len() < most {
        match waiting.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    Some(batch)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::task::{Context, Poll, Waker};

    use tokio::sync::Semaphore;

    use super::*;

    /// A batcher of one lane whose statement doubles each key, records each batch, and waits
    /// for a permit of `gate` before it answers.
    fn doubling(most: usize, gate: Arc<Semaphore>, batches: Arc<StdMutex<Vec<Vec<u32>>>>) -> Batcher<u32, u32> {
        Batcher::new(1, most, move |keys: Vec<u32>| {
            let (gate, batches) = (Arc::clone(&gate), Arc::clone(&batches));
            async move {
                batches.lock().unwrap().push(keys.clone());
                gate.acquire().await.unwrap().forget();
                Ok(keys.iter().map(|k| k * 2).collect())
            }
        })
    }

    /// Polls `ask` once, so that its request is queued, and gives it back to be awaited.
    fn queued<F: Future>(ask: F) -> std::pin::Pin<Box<F>> {
        let mut ask = Box::pin(ask);
        assert!(matches!(ask.as_mut().poll(&mut Context::from_waker(Waker::noop())), Poll::Pending));
        ask
    }

    #[tokio::test]
    async fn requests_that_wait_while_the_lane_is_busy_go_together_and_each_gets_its_answer() {
        let (gate, batches) = (Arc::new(Semaphore::new(0)), Arc::default());
        let batcher = doubling(32, Arc::clone(&gate), Arc::clone(&batches));
        let first = queued(batcher.ask(1));
        // The lane takes the first alone (its batch is recorded) before the others come.
        while batches.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let waiting: Vec<_> = (2..=6).map(|k| queued(batcher.ask(k))).collect();
        gate.add_permits(2);
        assert_eq!(first.await.unwrap(), 2);
        for (k, ask) in (2..=6).zip(waiting) {
            assert_eq!(ask.await.unwrap(), k * 2);
        }
        assert_eq!(*batches.lock().unwrap(), [vec![1], vec![2, 3, 4, 5, 6]], "one statement for the five that waited");
    }

    #[tokio::test]
    async fn a_batch_takes_at_most_its_most() {
        let (gate, batches) = (Arc::new(Semaphore::new(0)), Arc::default());
        let batcher = doubling(2, Arc::clone(&gate), Arc::clone(&batches));
        let waiting: Vec<_> = (1..=5).map(|k| queued(batcher.ask(k))).collect();
        gate.add_permits(3);
        for (k, ask) in (1..=5).zip(waiting) {
            assert_eq!(ask.await.unwrap(), k * 2);
        }
        assert_eq!(*batches.lock().unwrap(), [vec![1, 2], vec![3, 4], vec![5]]);
    }

    #[tokio::test]
    async fn a_failed_statement_fails_every_request_in_it_and_says_whether_to_retry() {
        for (err, unavailable) in
            [(StoreError::Unavailable(sqlx::Error::PoolTimedOut), true), (StoreError::NoRow, false)]
        {
            let message = err.to_string();
            let err = StdMutex::new(Some(err));
            let batcher: Batcher<u32, u32> = Batcher::new(1, 32, move |_keys: Vec<u32>| {
                let err = err.lock().unwrap().take().expect("one batch");
                async move { Err(err) }
            });
            let waiting: Vec<_> = (1..=3).map(|k| queued(batcher.ask(k))).collect();
            for ask in waiting {
                let err = ask.await.unwrap_err();
                assert_eq!(err.is_unavailable(), unavailable, "{err}");
                assert_eq!(err.to_string(), message);
            }
        }
    }
}
