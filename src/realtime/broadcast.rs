//! The broadcaster: applies each batch of confirmed writes to the engine in place, publishes the
//! new snapshot and emits its delta `dataUpdate` and `/storage` events; trims the windows every
//! minute and reconciles them against the store every few minutes, so writes made by someone
//! else (another instance, a tool writing to the database) reach dashboards as deltas too.

use std::time::Duration;

use futures_util::StreamExt;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use tokio::time::{Instant, MissedTickBehavior, interval};

use super::{Ctx, DATA_RECEIVERS, alarm, storage};
use crate::engine::Update;
use crate::engine::snapshot::Snapshot;
use crate::store::{Change, ChangeFeed, Collection, Watch};

const TRIM_EVERY: Duration = Duration::from_secs(60);
/// How long after a change stream failed (or could not open) it is tried again.
const REWATCH_AFTER: Duration = Duration::from_secs(60);
/// How often memory is compared with the store (writes by someone else show up within this).
pub const RECONCILE_EVERY: Duration = Duration::from_secs(120);

/// Loads the first snapshot, then applies confirmed writes as they come.
pub(super) async fn run<A: Adapter>(io: SocketIo<A>, ctx: Ctx, mut feed: ChangeFeed) {
    let engine = ctx.engine.clone();
    let mut wait = Duration::from_millis(500);
    while let Err(e) = engine.load_all().await {
        tracing::warn!("realtime: cannot load recent data yet: {e}");
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
    let (mut trim, mut reconcile) = (interval(TRIM_EVERY), interval(RECONCILE_EVERY));
    for t in [&mut trim, &mut reconcile] {
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
        t.reset();
    }
    let mut batch: Vec<Change> = Vec::new();
    let mut external: Option<Watch> = None;
    let mut rewatch = Some(Instant::now());
    loop {
        if rewatch.is_some_and(|at| at <= Instant::now()) {
            rewatch = None;
            match ctx.store.watch().await {
                Ok(w) => external = w,
                Err(e) => {
                    tracing::info!("realtime: no change stream ({e}); writes by others show up on reconcile");
                    rewatch = Some(Instant::now() + REWATCH_AFTER);
                }
            }
        }
        if batch.is_empty() {
            tokio::select! {
                c = feed.rx.recv() => match c {
                    Some(c) => batch.push(c),
                    None => return,
                },
                ev = next_external(&mut external) => match ev {
                    Some(Ok((coll, wrote))) => batch.push(Change { coll, seq: 0, wrote }),
                    other => {
                        if let Some(Err(e)) = other {
                            tracing::warn!("realtime: change stream ended: {e}");
                        }
                        external = None;
                        rewatch = Some(Instant::now() + REWATCH_AFTER);
                        // Whatever happened while it was not watching: the reconcile finds it.
                        reconcile.reset_immediately();
                        continue;
                    }
                },
                _ = tokio::time::sleep_until(rewatch.unwrap_or_else(|| Instant::now() + TRIM_EVERY)), if rewatch.is_some() => continue,
                _ = trim.tick() => {
                    if let Some(next) = engine.trim() {
                        let _guard = ctx.publish.lock().await;
                        engine.publish(next);
                    }
                    continue;
                }
                _ = reconcile.tick() => {
                    match engine.reconcile().await {
                        Ok((next, update)) => {
                            let colls: Vec<Collection> = update.storage.iter().map(|e| e.collection).collect();
                            emit(&io, &ctx, next, update, &colls).await;
                        }
                        Err(e) => tracing::warn!("realtime: reconcile with the store failed: {e}"),
                    }
                    continue;
                }
            }
        }
        while let Ok(c) = feed.rx.try_recv() {
            batch.push(c);
        }
        drain_external(&mut external, &mut batch);
        let last = batch.iter().map(|c| c.seq).max().unwrap_or(0);
        match engine.apply(&batch).await {
            Ok((next, update)) => {
                let colls: Vec<Collection> = batch.iter().map(|c| c.coll).collect();
                emit(&io, &ctx, next, update, &colls).await;
                engine.mark_applied(last);
                batch.clear();
            }
            Err(e) => {
                // Keep the batch and try again: the push comes late, not never.
                tracing::warn!("realtime: applying a write failed, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Publishes `next` and emits what changed in `colls` to this instance's sockets only
/// (`local()`): every instance applies every write (its own from the feed, the others' from the
/// change stream), so a write reaches each dashboard once, from the instance whose snapshot that
/// dashboard got. Then evaluates alarms: a new reading
/// sounds standing alarms again; treatments (announcements, site changes), devicestatus (loop,
/// pump, uploader) and profiles can raise or end the plugins' alarms.
async fn emit<A: Adapter>(
    io: &SocketIo<A>,
    ctx: &Ctx,
    next: std::sync::Arc<Snapshot>,
    update: Update,
    colls: &[Collection],
) {
    {
        let _guard = ctx.publish.lock().await;
        ctx.engine.publish(next);
        // Through the namespace's own handle: `io.local()` panics once shutdown removed "/".
        if let Some(delta) = &update.delta
            && let Some(root) = io.of("/")
            && let Err(e) = root.local().to(DATA_RECEIVERS).emit("dataUpdate", delta).await
        {
            tracing::debug!("realtime: dataUpdate broadcast: {e}");
        }
    }
    storage::emit(io, &update.storage).await;
    let plugin_data = [Collection::Treatments, Collection::DeviceStatus, Collection::Profile];
    if colls.contains(&Collection::Entries) {
        alarm::wake(ctx, true);
    } else if colls.iter().any(|c| plugin_data.contains(c)) {
        alarm::wake(ctx, false);
    }
}

/// The next write the change stream reports; pending forever when there is none.
async fn next_external(w: &mut Option<Watch>) -> Option<crate::store::StoreResult<(Collection, crate::store::Wrote)>> {
    match w {
        Some(w) => w.next().await,
        None => std::future::pending().await,
    }
}

/// Adds the writes the change stream already reported to `batch`, without waiting.
fn drain_external(w: &mut Option<Watch>, batch: &mut Vec<Change>) {
    let Some(stream) = w else { return };
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    while let std::task::Poll::Ready(Some(Ok((coll, wrote)))) = stream.poll_next_unpin(&mut cx) {
        batch.push(Change { coll, seq: 0, wrote });
    }
}
