//! socketioxide-redis's `Driver` on redis's `ConnectionManager`, which reconnects and resubscribes
//! after Redis restarts. The crate's own `RedisDriver` holds one multiplexed connection that stays
//! dead once Redis goes away, so every broadcast after a Redis restart would be lost; this follows
//! that driver (`socketioxide-redis` `drivers/redis.rs`) with the managed connection instead.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, FromRedisValue, PushInfo, PushKind};
use socketioxide_redis::drivers::{ChanItem, Driver, MessageStream};
use tokio::sync::mpsc;

type Handlers = Arc<RwLock<HashMap<String, mpsc::Sender<ChanItem>>>>;

#[derive(Clone)]
pub struct ManagedDriver {
    handlers: Handlers,
    conn: ConnectionManager,
}

/// The error type the adapter reports.
#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct DriverError(#[from] redis::RedisError);

impl ManagedDriver {
    /// Connects (RESP3, which pub/sub on a shared connection needs) and starts delivering the
    /// messages of subscribed channels to their streams.
    pub async fn connect(url: &str) -> Result<ManagedDriver, String> {
        let (tx, mut rx) = mpsc::unbounded_channel::<PushInfo>();
        let config = crate::shared::redis_config().set_push_sender(tx).set_automatic_resubscription();
        let conn = ConnectionManager::new_with_config(crate::shared::redis_client(url)?, config)
            .await
            .map_err(|e| format!("cannot reach Redis for the socket.io adapter: {:?}", e.kind()))?;
        let handlers: Handlers = Arc::default();
        let h = handlers.clone();
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                deliver(msg, &h);
            }
        });
        Ok(ManagedDriver { handlers, conn })
    }
}

fn deliver(msg: PushInfo, handlers: &Handlers) {
    if !matches!(msg.kind, PushKind::Message | PushKind::SMessage) || msg.data.len() < 2 {
        return;
    }
    let mut data = msg.data.into_iter();
    let (Some(chan), Some(body)) = (data.next(), data.next()) else { return };
    let (Ok(chan), Ok(body)) = (String::from_redis_value(chan), Vec::<u8>::from_redis_value(body)) else {
        tracing::warn!("redis: unreadable pub/sub message");
        return;
    };
    let handlers = handlers.read().unwrap_or_else(|e| e.into_inner());
    if let Some(tx) = handlers.get(&chan)
        && let Err(e) = tx.try_send((chan, body))
    {
        tracing::warn!("redis: socket.io adapter channel full, message dropped: {e}");
    }
}

impl Driver for ManagedDriver {
    type Error = DriverError;

    async fn publish(&self, chan: String, val: Vec<u8>) -> Result<(), DriverError> {
        self.conn.clone().publish::<_, _, redis::Value>(chan, val).await?;
        Ok(())
    }

    async fn subscribe(&self, chan: String, size: usize) -> Result<MessageStream<ChanItem>, DriverError> {
        let (tx, rx) = mpsc::channel(size);
        self.handlers.write().unwrap_or_else(|e| e.into_inner()).insert(chan.clone(), tx);
        self.conn.clone().subscribe(chan.as_str()).await?;
        Ok(MessageStream::new(rx))
    }

    async fn unsubscribe(&self, chan: String) -> Result<(), DriverError> {
        self.handlers.write().unwrap_or_else(|e| e.into_inner()).remove(&chan);
        self.conn.clone().unsubscribe(chan).await?;
        Ok(())
    }

    async fn num_serv(&self, chan: &str) -> Result<u16, DriverError> {
        let (_, count): (String, u16) =
            redis::cmd("PUBSUB").arg("NUMSUB").arg(chan).query_async(&mut self.conn.clone()).await?;
        Ok(count)
    }
}
