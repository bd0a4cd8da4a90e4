//! The dedicated pub/sub connection: a RESP3 `ConnectionManager` that reconnects by itself and
//! resubscribes to every channel after a Redis restart. Messages are fanned out to local
//! subscribers through a broadcast channel.

use deadpool_redis::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use deadpool_redis::redis::{PushKind, Value};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

#[derive(Debug, Clone)]
pub struct Message {
    /// Channel name without the instance prefix.
    pub channel: String,
    pub payload: String,
}

#[derive(Clone)]
pub struct PubSub {
    manager: ConnectionManager,
    prefix: String,
    tx: broadcast::Sender<Message>,
}

fn with_resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

impl PubSub {
    /// Connects (retrying until Redis answers) and starts the fan-out task.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = deadpool_redis::redis::Client::open(with_resp3(url))?;
        let (push_tx, mut push_rx) = mpsc::unbounded_channel();
        let cfg = ConnectionManagerConfig::new()
            .set_push_sender(push_tx)
            .set_automatic_resubscription()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_max_delay(Duration::from_secs(2));
        let manager = ConnectionManager::new_with_config(client, cfg).await?;
        let (tx, _) = broadcast::channel(4096);
        let fan = tx.clone();
        let strip = prefix.to_string();
        tokio::spawn(async move {
            while let Some(push) = push_rx.recv().await {
                if push.kind != PushKind::Message {
                    continue;
                }
                let mut it = push.data.into_iter();
                let (Some(ch), Some(payload)) = (it.next(), it.next()) else {
                    continue;
                };
                let (Some(ch), Some(payload)) = (as_string(ch), as_string(payload)) else {
                    continue;
                };
                let channel = ch.strip_prefix(&strip).unwrap_or(&ch).to_string();
                let _ = fan.send(Message { channel, payload });
            }
        });
        Ok(PubSub { manager, prefix: prefix.to_string(), tx })
    }

    /// Subscribes to a channel (without prefix); messages arrive on every receiver.
    pub async fn subscribe(&mut self, channel: &str) -> anyhow::Result<()> {
        self.manager.subscribe(format!("{}{}", self.prefix, channel)).await?;
        Ok(())
    }

    pub fn receiver(&self) -> broadcast::Receiver<Message> {
        self.tx.subscribe()
    }
}

fn as_string(v: Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}
